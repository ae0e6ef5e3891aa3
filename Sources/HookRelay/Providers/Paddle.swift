import HTTPServer

/// Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>` (several `h1` during secret rotation), HMAC-SHA256 over
/// `"{ts}:{raw body}"` with the notification destination's secret key (`pdl_ntfset_…`, used as literal bytes).
/// Tolerance default 5 seconds both ways: what Paddle's SDKs enforce and its docs tell manual verifiers to apply.
public enum PaddlePreset: ProviderPreset {
    public static let name = "paddle"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(5)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source, "paddle needs at least one secret (the notification destination's secret key, pdl_ntfset_…)") else {
            return nil
        }
        return Factory(secrets: settings.secrets, tolerance: settings.tolerance ?? defaultTolerance)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let tolerance: Duration
        func makeProvider(context: ProviderContext) -> any Provider { PaddleProvider(secrets: secrets, tolerance: tolerance) }
    }
}

final class PaddleProvider: Provider {
    private let keys: [HMACKey]
    private let toleranceSeconds: Int64
    private let clock: () -> Int64

    init(secrets: [Secret], tolerance: Duration, clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        keys = secrets.map { try! HMACKey(algorithm: .sha256, key: $0.bytes) }  // non-empty keys never fail
        toleranceSeconds = tolerance.components.seconds
        self.clock = clock
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers["Paddle-Signature"] else { throw .missingHeader("Paddle-Signature") }
        var timestamp: Substring?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ";") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            switch pair[0].trimmingASCIISpaces() {
            case "ts" where timestamp == nil: timestamp = pair[1].trimmingASCIISpaces()
            case "h1": signatures.append(Hex.decode(pair[1].trimmingASCIISpaces()) ?? [])  // malformed: never matches
            default: break  // other schemes are ignored
            }
            if signatures.count > 16 { throw .malformedHeader("Paddle-Signature") }
        }
        guard let timestamp, !timestamp.isEmpty, timestamp.count <= 18, timestamp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let t = Int64(timestamp) else {
            throw .malformedHeader("Paddle-Signature")
        }
        guard !signatures.isEmpty else { throw VerificationFailure("missing_signature", "no h1 signature in Paddle-Signature") }
        var matched = false
        for key in keys {
            let expected = key.authenticationCode(for: timestamp, ":", request.body)
            for signature in signatures where constantTimeEquals(expected, signature) { matched = true }
        }
        guard matched else { throw .noMatch(secrets: keys.count) }
        let skew = clock() - t
        if abs(skew) > toleranceSeconds { throw .timestampOutsideTolerance(by: abs(skew) - toleranceSeconds) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let body = request.body
        guard let type = Payload.string(["event_type"], in: body) else { throw NormalizationFailure("event has no event_type") }
        let id = Payload.string(["event_id"], in: body) ?? Payload.string(["notification_id"], in: body) ?? Payload.bodyHash(body)
        let time = EventFields.rfc3339(["occurred_at"], in: body)
        let subject = Payload.identifier(["data", "id"], in: body)
        return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: subject, data: body)], acknowledgement: nil)
    }
}

extension PaddlePreset: SamplingPreset {
    public static let sampleEventTypes = ["transaction.completed", "subscription.created", "subscription.canceled", "customer.created"]

    /// Signed with `--secret pdl_ntfset_…` (the destination's secret key, as is).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let occurred = RFC3339.string(fromUnixMilliseconds: request.now)
        let prefix = ["transaction": "txn", "subscription": "sub", "customer": "ctm"][String(type.prefix { $0 != "." })] ?? "obj"
        let body = """
        {"event_id":"evt_\(request.nonce)","event_type":"\(type)","occurred_at":"\(occurred)",\
        "notification_id":"ntf_\(request.nonce)","data":{"id":"\(prefix)_\(request.nonce)","status":"completed",\
        "customer_id":"ctm_sample","currency_code":"EUR","details":{"totals":{"subtotal":"2000","tax":"380","total":"2380"}},\
        "created_at":"\(occurred)","updated_at":"\(occurred)"}}
        """
        let bytes = Array(body.utf8)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        let ts = request.now / 1000
        let signature = Hex.encode(key.authenticationCode(for: "\(ts)", ":", bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("Paddle-Signature", "ts=\(ts);h1=\(signature)")], body: bytes)
    }
}
