/// What one delivery attempt produced, as plain data for the response classifier and the attempt record.
///
/// `status` and `error` can both be set: a response whose head arrived but whose body then timed out has a status
/// *and* a `.timeout` error. A result with neither never happens.
public struct AttemptResultValue: Sendable, Equatable {
    /// Why an attempt got no (complete) response.
    public enum ErrorKind: String, Sendable, Equatable, CaseIterable {
        /// Name resolution failed, or the TCP connection was refused, reset or unreachable.
        case connect
        /// The TLS handshake failed, or the peer's certificate or host name did not verify.
        case tls
        /// The attempt's timeout (or connect timeout) passed.
        case timeout
        /// `blockPrivateNetworks` refused every address of the host (loopback, private, link-local, …).
        /// Retrying cannot help until the configuration changes.
        case blocked
        /// The transport shut down before the attempt finished (or before it started). Nothing may have reached
        /// the receiver; the delivery should simply be attempted again later, without counting this attempt.
        case cancelled
        /// Anything else (a malformed URL, an invalid header, a protocol error, …); the message says what.
        case other
    }

    /// The error of an attempt: its kind and a short message (libcurl's, at most 200 bytes; never body data).
    public struct AttemptError: Sendable, Equatable, CustomStringConvertible {
        public var kind: ErrorKind
        public var message: String

        public init(kind: ErrorKind, message: String) {
            self.kind = kind
            self.message = message
        }

        public var description: String { "\(kind.rawValue): \(message)" }
    }

    /// The final HTTP status, if a response head arrived. Redirects are not followed: a 3xx is final.
    public var status: Int?
    /// The `Retry-After` field of the final response, as sent (seconds or an HTTP date).
    public var retryAfter: String?
    /// The `Location` field of the final response, as sent.
    public var location: String?
    /// The first bytes of the response body (at most the transport's `bodyPrefixLimit`, 1 KiB by default).
    public var bodyPrefix: [UInt8]
    /// Set when the attempt failed before a complete response arrived.
    public var error: AttemptError?
    /// From the start of the transfer (name resolution) to its end, in milliseconds; 0 if it never started.
    public var durationMs: Int

    public init(status: Int? = nil, retryAfter: String? = nil, location: String? = nil, bodyPrefix: [UInt8] = [],
                error: AttemptError? = nil, durationMs: Int = 0) {
        self.status = status
        self.retryAfter = retryAfter
        self.location = location
        self.bodyPrefix = bodyPrefix
        self.error = error
        self.durationMs = durationMs
    }
}

/// Sends outbound requests. The delivery engine depends on this, so tests can substitute a fake.
public protocol Transport: Sendable {
    /// Starts `request`; `completion` runs exactly once, on a thread the transport chooses, and must be short.
    func send(_ request: OutboundRequest, completion: @escaping @Sendable (AttemptResultValue) -> Void)
}
