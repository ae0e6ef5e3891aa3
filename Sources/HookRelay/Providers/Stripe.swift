import HTTPServer

/// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`, HMAC-SHA256 over `"{t}.{raw body}"` with the
/// endpoint secret (`whsec_…`) used as literal ASCII bytes. Several `v1` during secret rotation; `v0` ignored.
/// Tolerance default 5 minutes, for old timestamps only (as Stripe's SDKs: future ones are accepted).
public enum StripePreset: ProviderPreset {
    public static let name = "stripe"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(300)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source, "stripe needs at least one secret (the endpoint's signing secret, whsec_…)") else {
            return nil
        }
        return Factory(secrets: settings.secrets, tolerance: settings.tolerance ?? defaultTolerance)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let tolerance: Duration
        func makeProvider(context: ProviderContext) -> any Provider { StripeProvider(secrets: secrets, tolerance: tolerance) }
    }
}

final class StripeProvider: Provider {
    private let keys: [HMACKey]
    private let toleranceSeconds: Int64
    private let clock: () -> Int64

    init(secrets: [Secret], tolerance: Duration, clock: @escaping () -> Int64 = { Int64(WallClock.unixSeconds()) }) {
        keys = secrets.map { try! HMACKey(algorithm: .sha256, key: $0.bytes) }  // non-empty keys never fail
        toleranceSeconds = tolerance.components.seconds
        self.clock = clock
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers.valueBytes("Stripe-Signature") else { throw .missingHeader("Stripe-Signature") }
        var timestamp: ArraySlice<UInt8>?
        var signatures: [[UInt8]] = []
        for item in SignatureHeaderItems(header) {
            guard let value = item.value else { continue }
            if SignatureHeaderItems.key(item.key, is: "t") {
                if timestamp == nil { timestamp = value }
            } else if SignatureHeaderItems.key(item.key, is: "v1") {
                signatures.append(Hex.decode(value) ?? [])  // malformed: present, never matches
            }  // v0 and unknown schemes are ignored
        }
        guard let timestamp, let t = SignatureHeaderItems.decimal(timestamp) else {
            throw .malformedHeader("Stripe-Signature")
        }
        guard !signatures.isEmpty else { throw VerificationFailure("missing_signature", "no v1 signature in Stripe-Signature") }
        var matched = false
        for key in keys {
            let expected = key.authenticationCode(for: timestamp, ".", request.body)
            for signature in signatures where constantTimeEquals(expected, signature) { matched = true }
        }
        guard matched else { throw .noMatch(secrets: keys.count) }
        let age = clock() - t
        if age > toleranceSeconds { throw .timestampOutsideTolerance(by: age - toleranceSeconds) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        guard let id = Payload.string(["id"], in: request.body) else { throw NormalizationFailure("event has no id") }
        guard let type = Payload.string(["type"], in: request.body) else { throw NormalizationFailure("event has no type") }
        let created = Payload.integer(["created"], in: request.body)
        let subject = Payload.string(["data", "object", "id"], in: request.body)
            ?? Payload.string(["related_object", "id"], in: request.body)
        return .events([NormalizedEvent(type: type, providerEventID: id, time: created.map { $0 * 1000 }, subject: subject,
                                        data: request.body)], acknowledgement: nil)
    }
}
