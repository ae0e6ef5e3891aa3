/// What `hookrelay send` asks a preset for: a realistic sample event, signed exactly as the provider would sign it
/// (the verification code run in reverse).
public struct SampleRequest: Sendable {
    /// The secret as the operator gives it: the provider's signing secret, or for asymmetric providers a private key
    /// (PEM text, or raw bytes in the provider's encoding — each preset documents what it takes).
    public var secret: Secret
    /// The provider's event type to sample (`invoice.payment_failed`); nil: the preset's most typical event.
    public var eventType: String?
    /// The full URL the sample is posted to (URL-signing providers sign it).
    public var url: String
    /// Now, unix milliseconds (timestamps in headers and payloads).
    public var now: Int64
    /// A unique suffix for ids in the payload, so repeated sends are not deduplicated.
    public var nonce: String

    public init(secret: Secret, eventType: String? = nil, url: String, now: Int64, nonce: String) {
        self.secret = secret
        self.eventType = eventType
        self.url = url
        self.now = now
        self.nonce = nonce
    }
}

/// A signed sample webhook (always a POST): headers and body, plus a query string some providers add to the URL.
public struct SampleWebhook: Sendable {
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Appended to the URL (`?bodySHA256=…` for Twilio JSON); nil for none.
    public var query: String?

    public init(headers: [(name: String, value: String)], body: [UInt8], query: String? = nil) {
        self.headers = headers
        self.body = body
        self.query = query
    }
}

/// Why a sample could not be made.
public struct SampleError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Presets that can make signed samples for `hookrelay send`.
public protocol SamplingPreset: ProviderPreset {
    /// The event types ``sample(_:)`` knows, the first being the default.
    static var sampleEventTypes: [String] { get }
    /// A realistic signed sample.
    static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook
}

extension StripePreset: SamplingPreset {
    public static let sampleEventTypes = ["invoice.payment_failed", "charge.succeeded", "payment_intent.succeeded",
                                          "customer.subscription.created"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let created = request.now / 1000
        let objectKind = type.split(separator: ".").first.map(String.init) ?? "object"
        let prefix = ["invoice": "in", "charge": "ch", "payment_intent": "pi", "customer": "sub"][objectKind] ?? "obj"
        let body = """
        {
          "id": "evt_\(request.nonce)",
          "object": "event",
          "api_version": "2024-06-20",
          "created": \(created),
          "data": {
            "object": {
              "id": "\(prefix)_\(request.nonce)",
              "object": "\(objectKind)",
              "amount_due": 2000,
              "currency": "eur",
              "customer": "cus_Sample\(request.nonce.prefix(8))",
              "livemode": false
            }
          },
          "livemode": false,
          "pending_webhooks": 1,
          "request": { "id": null, "idempotency_key": null },
          "type": "\(type)"
        }
        """
        let bytes = Array(body.utf8)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        let signature = Hex.encode(key.authenticationCode(for: "\(created)", ".", bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json; charset=utf-8"),
                                       ("Stripe-Signature", "t=\(created),v1=\(signature)")], body: bytes)
    }
}

extension UnsignedPreset: SamplingPreset {
    public static let sampleEventTypes = ["webhook"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let body = #"{"id":"sample_\#(request.nonce)","event":"\#(request.eventType ?? "webhook")","created":\#(request.now / 1000)}"#
        return SampleWebhook(headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}
