import COpenSSL
import Synchronization

/// Where the server's certificate chain and private key are (PEM files).
public struct TLSConfiguration: Sendable, Equatable {
    public var certificatePath: String
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

/// Why TLS could not be set up: the OpenSSL function that failed and OpenSSL's reason (never key material).
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ function: String, file: String? = nil) {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let subject = file.map { " (\($0))" } ?? ""
        description = "\(function) failed\(subject)" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; "))
    }
}

/// An `SSL_CTX` shared by all loops. `SSL_CTX` is safe to share between threads once configured.
final class SSLContext: @unchecked Sendable {
    let pointer: OpaquePointer

    /// A server context from a PEM certificate chain and key: TLS 1.2 minimum, ALPN `http/1.1`,
    /// no renegotiation, server cipher preference.
    init(_ configuration: TLSConfiguration) throws(TLSError) {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError("SSL_CTX_new") }
        pointer = ctx
        guard COpenSSL_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 else {
            throw TLSError("SSL_CTX_set_min_proto_version")
        }
        _ = COpenSSL_SSL_CTX_set_server_options(ctx)
        _ = COpenSSL_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))
        // Read what the socket has into OpenSSL's buffer in one read(2), not a 5-byte record header and then the
        // record (the event loop asks `SSL_has_pending` before reading again).
        COpenSSL_SSL_CTX_set_read_ahead(ctx, 1)
        guard SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!RC4:!3DES") == 1 else {
            throw TLSError("SSL_CTX_set_cipher_list")
        }
        guard SSL_CTX_use_certificate_chain_file(ctx, configuration.certificatePath) == 1 else {
            throw TLSError("SSL_CTX_use_certificate_chain_file", file: configuration.certificatePath)
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError("SSL_CTX_use_PrivateKey_file", file: configuration.privateKeyPath)
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSError("SSL_CTX_check_private_key", file: configuration.privateKeyPath)
        }
        SSL_CTX_set_alpn_select_cb(ctx, { _, out, outLength, offered, offeredLength, _ in
            // Offered: a list of length-prefixed protocol names. Select http/1.1 when present.
            guard let offered, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
            var i = 0
            let count = Int(offeredLength)
            while i < count {
                let length = Int(offered[i])
                if i + 1 + length > count { break }
                if length == 8 && UnsafeBufferPointer(start: offered + i + 1, count: 8).elementsEqual("http/1.1".utf8) {
                    out.pointee = offered + i + 1
                    outLength.pointee = 8
                    return SSL_TLSEXT_ERR_OK
                }
                i += 1 + length
            }
            return SSL_TLSEXT_ERR_NOACK
        }, nil)
    }

    deinit {
        SSL_CTX_free(pointer)  // connections still using it hold their own reference (SSL_new takes one)
    }
}

/// The current TLS context; ``reload()`` swaps in a fresh one without touching live connections.
final class TLSContextHolder: Sendable {
    let configuration: TLSConfiguration
    private let current: Mutex<SSLContext>

    init(_ configuration: TLSConfiguration) throws(TLSError) {
        self.configuration = configuration
        current = Mutex(try SSLContext(configuration))
    }

    /// The context new connections use.
    var context: SSLContext { current.withLock { $0 } }

    /// Re-reads the certificate and key; on error the running context stays.
    func reload() throws(TLSError) {
        let fresh = try SSLContext(configuration)
        current.withLock { $0 = fresh }
    }
}
