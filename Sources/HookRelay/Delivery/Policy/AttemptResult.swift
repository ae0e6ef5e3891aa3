/// What one delivery attempt produced: a response of any status, or a failure before a response arrived.
///
/// The transport builds it; ``ResponseClassifier`` judges it. Only the first bytes of the body are kept (the
/// transport decides how many); they feed the classifier's body checks and the short reason text.
public enum AttemptResult: Sendable, Equatable {
    /// The destination answered with `status`.
    case response(status: Int, headers: ResponseHeaders, bodyPrefix: [UInt8])
    /// No response: the connection, TLS handshake or request failed or timed out.
    case failure(TransportFailure)
}

/// Why an attempt got no response.
public enum TransportFailure: Sendable, Hashable {
    /// The connection could not be made: DNS failure, refused, unreachable. The text is the transport's message.
    case connect(String)
    /// The TLS handshake failed (certificate, protocol).
    case tls(String)
    /// The request did not complete within the destination's timeout.
    case timeout
    /// Anything else (connection reset mid-response, malformed response, …).
    case other(String)
}

/// A response's header fields: name–value pairs in order, looked up case-insensitively.
///
/// ```swift
/// let headers: ResponseHeaders = ["Retry-After": "120", "Content-Type": "text/plain"]
/// headers["retry-after"]  // "120"
/// ```
public struct ResponseHeaders: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The fields in the order received.
    public var fields: [(name: String, value: String)]

    /// Headers from name–value pairs in order.
    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    /// Headers from a literal; repeated names are kept in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of the field `name` (ASCII case-insensitive), or `nil`.
    public subscript(name: String) -> String? {
        fields.first { Self.namesMatch($0.name, name) }?.value
    }

    public static func == (lhs: ResponseHeaders, rhs: ResponseHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    private static func namesMatch(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { asciiLowercase($0) == asciiLowercase($1) }
    }
}

/// `byte` with A–Z mapped to a–z.
func asciiLowercase(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}
