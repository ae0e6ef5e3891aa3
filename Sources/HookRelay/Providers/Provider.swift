public import HTTPServer

/// An inbound webhook as a provider sees it: the raw request plus what the source knows about where it was sent.
public struct WebhookRequest: Sendable {
    public let method: String
    /// The request target as received (`/hooks/stripe?x=1`).
    public let target: String
    public let headers: HTTPHeaders
    /// The exact body bytes.
    public let body: [UInt8]
    /// The client address (after trusted-proxy resolution).
    public let clientAddress: String
    /// When hookrelay received the request, unix milliseconds.
    public let receivedAt: Int64
    /// The URL as the provider called it: the source's `publicURL` (plus this request's query string), else rebuilt
    /// from scheme, `Host` and target. URL-signing providers (Twilio, Square, HubSpot v2/v3, Mandrill) sign this.
    public let publicURL: String

    public init(method: String, target: String, headers: HTTPHeaders, body: [UInt8], clientAddress: String,
                receivedAt: Int64, publicURL: String) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
        self.receivedAt = receivedAt
        self.publicURL = publicURL
    }

    /// The query string (after `?`), still percent-encoded.
    public var query: Substring? {
        target.firstIndex(of: "?").map { target[target.index(after: $0)...] }
    }

    /// The `Content-Type` media type, lowercased, without parameters.
    public var mediaType: String {
        guard let value = headers["Content-Type"] else { return "" }
        return value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingASCIISpaces().lowercased() } ?? ""
    }
}

extension Substring {
    func trimmingASCIISpaces() -> Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}

/// One provider event, ready to become a CloudEvents envelope.
public struct NormalizedEvent: Sendable, Equatable {
    /// The provider's own event type (`invoice.payment_failed`); the envelope's type is `<provider>.<type>`.
    public var type: String
    /// The provider's event id, the dedupe key together with the source (a body hash where the provider has none).
    public var providerEventID: String
    /// The provider's event time, unix milliseconds; nil means the receive time.
    public var time: Int64?
    /// The main entity's id, when the provider has one.
    public var subject: String?
    /// The payload as JSON bytes: the raw body (or one batch item's bytes) spliced as is; form bodies as an object.
    public var data: [UInt8]

    public init(type: String, providerEventID: String, time: Int64? = nil, subject: String? = nil, data: [UInt8]) {
        self.type = type
        self.providerEventID = providerEventID
        self.time = time
        self.subject = subject
        self.data = data
    }
}

/// What a verified request means.
public enum ProviderOutcome: Sendable {
    /// A signed handshake (Zoom `endpoint.url_validation`, Slack `url_verification`, Discord PING): answer it, store nothing.
    case handshake(HTTPResponse)
    /// Events to store; once stored, answer `acknowledgement` (nil: `{"id":"<event id>"}`), e.g. Twilio's empty TwiML.
    case events([NormalizedEvent], acknowledgement: HTTPResponse?)
}

/// Why a request was refused by verification: answered 401 (or `status`) with `reason`. The reason never contains a
/// secret, a signature or the expected MAC.
public struct VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// A short, stable label for metrics (`missing_signature`, `bad_signature`, `stale_timestamp`, …).
    public let code: String
    public let reason: String
    public let status: Int

    public init(_ code: String, _ reason: String, status: Int = 401) {
        self.code = code
        self.reason = reason
        self.status = status
    }

    public var description: String { reason }

    public static func missingHeader(_ name: String) -> Self { Self("missing_signature", "missing \(name) header") }
    public static func malformedHeader(_ name: String) -> Self { Self("malformed_signature", "malformed \(name) header") }
    public static func noMatch(secrets: Int) -> Self {
        Self("bad_signature", secrets == 1 ? "signature does not match" : "signature does not match any of \(secrets) secrets")
    }
    public static func timestampOutsideTolerance(by seconds: Int64) -> Self {
        Self("stale_timestamp", "timestamp outside tolerance by \(seconds)s")
    }
}

/// A body the provider's scheme cannot make sense of: answered 400 with `reason`.
public struct NormalizationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A provider's verification, handshakes and normalization for one source.
///
/// The server makes one instance per source **per event loop, on that loop's thread**, so it may hold keyed HMAC
/// contexts and scratch buffers without locks. Adding a provider is one new file with a type conforming to
/// ``ProviderPreset`` and one line in ``ProviderRegistry``.
public protocol Provider: AnyObject {
    /// Methods `/hooks/<source>` accepts; others get 405. Default `["POST"]`; GET handshakes add `GET`.
    var allowedMethods: [String] { get }

    /// Answers requests that come without a signature by design (Meta/Dropbox/Graph GET challenges, WooCommerce's
    /// creation ping) before verification; nil goes on to ``verify(_:)``.
    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse?

    /// Checks the signature and timestamp; throws why not.
    func verify(_ request: WebhookRequest) throws(VerificationFailure)

    /// Interprets a verified request: a signed handshake to answer, or events (one per batch item unless `split` is off).
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome
}

extension Provider {
    public var allowedMethods: [String] { ["POST"] }
    public func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? { nil }
}

/// The `key=value` items of a signature header such as Stripe's `t=1492774577,v1=5257a8…,v0=6ffbb5…`, read straight
/// from the header's bytes: items split at `separator`, each at its first `=`, keys and values trimmed of spaces and
/// tabs. An item without `=` has a `nil` value. No strings and no arrays are made, so reading the header costs less
/// than MACing the body.
struct SignatureHeaderItems: Sequence, IteratorProtocol {
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    private let separator: UInt8

    init(_ bytes: ArraySlice<UInt8>, separator: UInt8 = UInt8(ascii: ",")) {
        self.bytes = bytes
        position = bytes.startIndex
        self.separator = separator
    }

    mutating func next() -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>?)? {
        guard position < bytes.endIndex else { return nil }
        let start = position
        var end = start
        var equals: Int?
        while end < bytes.endIndex, bytes[end] != separator {
            if equals == nil, bytes[end] == UInt8(ascii: "=") { equals = end }
            end += 1
        }
        position = end + 1
        guard let equals else { return (Self.trimmed(bytes[start..<end]), nil) }
        return (Self.trimmed(bytes[start..<equals]), Self.trimmed(bytes[(equals + 1)..<end]))
    }

    static func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lower = slice.startIndex, upper = slice.endIndex
        while lower < upper, slice[lower] == 0x20 || slice[lower] == 0x09 { lower += 1 }
        while upper > lower, slice[upper - 1] == 0x20 || slice[upper - 1] == 0x09 { upper -= 1 }
        return slice[lower..<upper]
    }

    /// Whether `key` is exactly `name`'s ASCII bytes.
    static func key(_ key: ArraySlice<UInt8>, is name: StaticString) -> Bool {
        name.withUTF8Buffer { key.elementsEqual($0) }
    }

    /// A run of 1 to 18 ASCII digits as a number (so it cannot overflow); anything else is `nil`.
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int64? {
        asciiDecimal(digits, maxDigits: 18)
    }
}

/// A run of 1 to `maxDigits` (at most 18, so it cannot overflow) ASCII digits as a number: no sign, no spaces;
/// anything else is `nil`.
func asciiDecimal(_ digits: some Collection<UInt8>, maxDigits: Int) -> Int64? {
    guard !digits.isEmpty, digits.count <= min(maxDigits, 18) else { return nil }
    var value: Int64 = 0
    for byte in digits {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int64(byte - UInt8(ascii: "0"))
    }
    return value
}
