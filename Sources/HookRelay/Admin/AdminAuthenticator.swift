public import HTTPServer

/// Checks the admin API's bearer token (`Authorization: Bearer <token>`).
///
/// The token and the presented value are both hashed with SHA-256 and the digests compared in constant time, so
/// neither the content nor the length of the token leaks through timing. Without a token every request passes
/// (allowed only on a loopback address; `serve` refuses anything else).
public struct AdminAuthenticator: Sendable {
    /// The result of a check.
    public enum Verdict: Sendable, Equatable {
        case authorized
        /// No `Authorization: Bearer …` header.
        case missingToken
        /// A bearer token that is not the configured one.
        case invalidToken
    }

    private let tokenDigest: [UInt8]?

    /// An authenticator for `token`; `nil` or empty means no token is required.
    public init(token: String?) {
        tokenDigest = token.flatMap { $0.isEmpty ? nil : Digest.hash(.sha256, Array($0.utf8)) }
    }

    /// Whether requests must carry the token.
    public var requiresToken: Bool { tokenDigest != nil }

    /// Checks the request's `Authorization` header.
    public func check(_ headers: HTTPHeaders) -> Verdict {
        guard let expected = tokenDigest else { return .authorized }
        guard let presented = Self.bearerToken(headers) else { return .missingToken }
        return constantTimeEquals(Digest.hash(.sha256, presented), expected) ? .authorized : .invalidToken
    }

    /// The bytes after `Bearer ` (scheme case-insensitive) of the first `Authorization` header, if it is one.
    static func bearerToken(_ headers: HTTPHeaders) -> ArraySlice<UInt8>? {
        guard let value = headers.valueBytes("Authorization") else { return nil }
        let scheme = Array("bearer ".utf8)
        guard value.count > scheme.count,
              zip(value.prefix(scheme.count), scheme).allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }) else { return nil }
        var token = value.dropFirst(scheme.count)
        while token.first == 0x20 { token = token.dropFirst() }
        return token.isEmpty ? nil : token
    }
}
