import COpenSSL
import Foundation
import Glibc

/// A response as a test client read it.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

public struct TestClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A blocking client connection on 127.0.0.1 (plain or TLS) with a receive timeout, for live tests.
public final class TestConnection {
    public let fd: Int32
    private var ssl: OpaquePointer?
    private var sslContext: OpaquePointer?
    private var buffer: [UInt8] = []

    /// Connects to `port`; with `tlsCAFile`, does a TLS handshake trusting that CA (ALPN http/1.1).
    public init(port: Int, host: String = "127.0.0.1", timeout: Double = 5, tlsCAFile: String? = nil) throws {
        signal(SIGPIPE, SIG_IGN)  // SSL_write to a server that closed must fail, not kill the test process
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError("socket failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            Glibc.close(fd)
            throw TestClientError("connect to \(host):\(port) failed: errno \(errno)")
        }
        if let tlsCAFile {
            signal(SIGPIPE, SIG_IGN)  // SSL_write to a server that closed would otherwise end the test process
            guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TestClientError("SSL_CTX_new") }
            sslContext = ctx
            guard SSL_CTX_load_verify_locations(ctx, tlsCAFile, nil) == 1 else { throw TestClientError("load CA") }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
            let s = SSL_new(ctx)!
            ssl = s
            SSL_set_fd(s, fd)
            let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
            _ = SSL_set_alpn_protos(s, alpn, UInt32(alpn.count))
            _ = "localhost".withCString { SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            guard SSL_connect(s) == 1 else { throw TestClientError("TLS handshake failed") }
        }
        }

    deinit {
        close()
    }

    public func close() {
        if let ssl { SSL_free(ssl) }
        ssl = nil
        if let sslContext { SSL_CTX_free(sslContext) }
        sslContext = nil
        if fd >= 0 { Glibc.close(fd) }
    }

    /// The ALPN protocol the server selected, if any.
    public var negotiatedProtocol: String? {
        guard let ssl else { return nil }
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    public var tlsVersion: String? { ssl.map { String(cString: SSL_get_version($0)) } }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                if let ssl { return Int(SSL_write(ssl, raw.baseAddress! + offset, Int32(raw.count - offset))) }
                return Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw TestClientError("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes; returns false on EOF. Throws on timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { raw -> Int in
            if let ssl { return Int(SSL_read(ssl, raw.baseAddress, Int32(raw.count))) }
            return Glibc.recv(fd, raw.baseAddress, raw.count, 0)
        }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 || ssl != nil && SSL_get_error(ssl, Int32(n)) == SSL_ERROR_ZERO_RETURN { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError("read timed out") }
        return false  // reset counts as closed
    }

    /// Reads one response (Content-Length framed, or none for 1xx/204/304/HEAD).
    public func readResponse(isHead: Bool = false) throws -> TestResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while true {
            if let range = buffer.firstRange(of: separator) {
                headEnd = range.lowerBound
                break
            }
            guard try fill() else { throw TestClientError("connection closed before a response (got \(buffer.count) bytes)") }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestClientError("bad status line") }
        let headers = lines.map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        buffer.removeFirst(headEnd! + 4)
        var response = TestResponse(status: status, headers: headers, body: [])
        let length = response.header("Content-Length").flatMap(Int.init) ?? 0
        if isHead || status < 200 || status == 204 || status == 304 { return response }
        while buffer.count < length {
            guard try fill() else { throw TestClientError("connection closed mid-body") }
        }
        response.body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return response
    }

    /// Whether the server closes the connection (EOF or reset) within the receive timeout; false on timeout.
    public func waitForClose() -> Bool {
        while true {
            do {
                if try !fill() { return true }
            } catch {
                return false
            }
        }
    }
}

/// A one-shot request on a new connection.
public func request(port: Int, _ raw: String, tlsCAFile: String? = nil) throws -> TestResponse {
    let connection = try TestConnection(port: port, tlsCAFile: tlsCAFile)
    try connection.send(raw)
    return try connection.readResponse()
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
public func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestClientError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestClientError("bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
