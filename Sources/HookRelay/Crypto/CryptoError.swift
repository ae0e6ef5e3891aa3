import COpenSSL

/// A failure in the cryptography layer: a rejected key or input, or an OpenSSL call that failed.
///
/// The description names what went wrong (and, for OpenSSL failures, the function and OpenSSL's own error text)
/// but never contains key bytes, MACs or signatures.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    private enum Reason: Sendable {
        case openSSL(function: String, detail: String)
        case emptyKey
        case invalidKeyLength(expected: Int, actual: Int)
        case unsupportedPEM(label: String)
        case noPEMBlock
        case trailingBytes(count: Int)
        case invalidJWK(String)
    }

    private let reason: Reason

    private init(_ reason: Reason) {
        self.reason = reason
    }

    /// The OpenSSL function that failed, or `nil` when the input was rejected before reaching OpenSSL.
    public var openSSLFunction: String? {
        if case .openSSL(let function, _) = reason { return function }
        return nil
    }

    /// A human-readable explanation; safe to log.
    public var description: String {
        switch reason {
        case .openSSL(let function, let detail):
            return detail.isEmpty ? "\(function) failed" : "\(function) failed: \(detail)"
        case .emptyKey:
            return "the key is empty"
        case .invalidKeyLength(let expected, let actual):
            return "the key is \(actual) bytes long; expected \(expected)"
        case .unsupportedPEM(let label):
            return "unsupported PEM block \"\(label)\"; expected PUBLIC KEY or CERTIFICATE"
        case .noPEMBlock:
            return "no PEM block (-----BEGIN ...-----) found"
        case .trailingBytes(let count):
            return "\(count) unexpected bytes after the DER-encoded key"
        case .invalidJWK(let why):
            return "invalid JWK: \(why)"
        }
    }

    static let emptyKey = CryptoError(.emptyKey)
    static let noPEMBlock = CryptoError(.noPEMBlock)

    static func invalidKeyLength(expected: Int, actual: Int) -> CryptoError {
        CryptoError(.invalidKeyLength(expected: expected, actual: actual))
    }

    static func unsupportedPEM(label: String) -> CryptoError {
        CryptoError(.unsupportedPEM(label: label))
    }

    static func trailingBytes(count: Int) -> CryptoError {
        CryptoError(.trailingBytes(count: count))
    }

    static func invalidJWK(_ why: String) -> CryptoError {
        CryptoError(.invalidJWK(why))
    }

    /// Makes an error for a failed OpenSSL call, draining this thread's OpenSSL error queue into its text.
    static func openSSL(_ function: String) -> CryptoError {
        CryptoError(.openSSL(function: function, detail: drainOpenSSLErrors()))
    }
}

/// Empties this thread's OpenSSL error queue and returns its entries joined by "; ".
///
/// The queue is per thread and shared with TLS code (`SSL_get_error` consults it), so every failure path in this
/// layer drains it, even when the text is not needed.
func drainOpenSSLErrors() -> String {
    var parts: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        if parts.count < 4 {  // the first few entries carry the cause; keep the text short
            let text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
                ERR_error_string_n(code, buffer.baseAddress, buffer.count)  // always NUL-terminates
                return String(cString: buffer.baseAddress!)
            }
            parts.append(text)
        }
    }
    return parts.joined(separator: "; ")
}

/// Whether this thread's OpenSSL error queue is empty; lets tests check that failure paths leave no entries behind.
func isOpenSSLErrorQueueEmpty() -> Bool {
    ERR_peek_error() == 0
}
