import HTTPServer

/// Klaviyo system webhooks: `Klaviyo-Signature` = hex HMAC-SHA256(endpoint secret, raw body + `Klaviyo-Timestamp`) —
/// body first, no separator — where the timestamp is an HTTP-date (`Tue, 14 Apr 2026 03:50:12 GMT`). Tolerance default
/// 5 minutes both ways. Deliveries batch `data[]`; each item has `external_id` (the event id), `topic` and `payload`
/// (a Get Event response).
public enum KlaviyoPreset: ProviderPreset {
    public static let name = "klaviyo"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(300)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source, "klaviyo needs at least one secret: the webhook's secret key") else { return nil }
        return Factory(secrets: settings.secrets, tolerance: settings.tolerance ?? defaultTolerance, split: settings.split)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let tolerance: Duration
        let split: Bool
        func makeProvider(context: ProviderContext) -> any Provider { KlaviyoProvider(secrets: secrets, tolerance: tolerance, split: split) }
    }
}

final class KlaviyoProvider: Provider {
    private let keys: [HMACKey]
    private let toleranceSeconds: Int64
    private let split: Bool
    private let clock: () -> Int64

    init(secrets: [Secret], tolerance: Duration, split: Bool = true, clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        keys = GroupB.keys(secrets, .sha256)
        toleranceSeconds = tolerance.components.seconds
        self.split = split
        self.clock = clock
    }

    static let header = "Klaviyo-Signature"
    static let timestampHeader = "Klaviyo-Timestamp"

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let value = request.headers[Self.header] else { throw .missingHeader(Self.header) }
        guard let timestamp = request.headers[Self.timestampHeader] else { throw .missingHeader(Self.timestampHeader) }
        guard let signature = GroupB.hexSignature(value, .sha256) else { throw .malformedHeader(Self.header) }
        guard let seconds = HTTPDate.parse(timestamp) else { throw .malformedHeader(Self.timestampHeader) }
        guard GroupB.matches(signature, keys: keys, { message in
            message.append(request.body)
            message.append(timestamp)
        }) else { throw .noMatch(secrets: keys.count) }
        let skew = abs(clock() - seconds)
        if skew > toleranceSeconds { throw .timestampOutsideTolerance(by: skew - toleranceSeconds) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        try Payload.validateJSON(body)
        guard let items = GroupB.elements(at: ["data"], in: body) else { throw NormalizationFailure("body has no data array") }
        var events: [NormalizedEvent] = []
        for range in items {
            func field(_ path: [RawJSON.PathComponent]) -> String? { GroupB.identifier(path, in: body, item: range) }
            guard let topic = field(["topic"]) else { throw NormalizationFailure("data item has no topic") }
            let item = Array(body[range])
            // `payload` is a Get Event response (`{"data":{…}}`); accept the bare event too.
            let time = (field(["payload", "data", "attributes", "datetime"]) ?? field(["payload", "attributes", "datetime"]))
                .flatMap(GroupB.milliseconds(iso:))
                ?? (GroupB.integer(["payload", "data", "attributes", "timestamp"], in: body, item: range)
                    ?? GroupB.integer(["payload", "attributes", "timestamp"], in: body, item: range)).map { $0 * 1000 }
            let subject = field(["payload", "data", "relationships", "profile", "data", "id"])
                ?? field(["payload", "relationships", "profile", "data", "id"])
            events.append(NormalizedEvent(type: topic, providerEventID: field(["external_id"]) ?? Payload.bodyHash(item), time: time,
                                          subject: subject, data: item))
        }
        return .events(GroupB.assemble(events, split: split, batch: body), acknowledgement: nil)
    }
}

extension KlaviyoPreset: SamplingPreset {
    public static let sampleEventTypes = ["event:klaviyo.opened_email", "event:klaviyo.received_email", "event:klaviyo.clicked_email"]

    /// A one-item batch signed over body + HTTP-date.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let topic = request.eventType ?? sampleEventTypes[0]
        let seconds = request.now / 1000
        let datetime = RFC3339.string(fromUnixSeconds: seconds).dropLast() + "+00:00"
        let body = """
            {"data":[{"topic":"\(topic)","external_id":"\(request.nonce)","payload":{"data":{"type":"event","id":"\(request.nonce)",\
            "attributes":{"timestamp":\(seconds),"event_properties":{"Subject":"Grüße aus Köln","$message":"01JB6R8Q"},\
            "datetime":"\(datetime)","uuid":"\(GroupB.uuid(request.nonce))"},"relationships":{"profile":{"data":\
            {"type":"profile","id":"01GDDKASAP8TKDDA2GRZDSVP4H"}},"metric":{"data":{"type":"metric","id":"X8Yq3z"}}}}}}],\
            "meta":{"timestamp":"\(datetime)"}}
            """
        let bytes = Array(body.utf8)
        let timestamp = HTTPDate.string(fromUnixSeconds: seconds)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("Klaviyo-Webhook-Id", "01JB6R8QSAMPLE"),
                                       ("Klaviyo-Timestamp", timestamp),
                                       ("Klaviyo-Signature", Hex.encode(key.authenticationCode(for: bytes, timestamp)))], body: bytes)
    }
}
