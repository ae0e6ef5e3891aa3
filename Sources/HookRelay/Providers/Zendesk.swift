import HTTPServer

/// Zendesk webhooks: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(signing secret, timestamp + raw body)), the
/// timestamp being `X-Zendesk-Webhook-Signature-Timestamp` as sent (`2021-07-25T10:00:00Z`). The signing secret is
/// used as literal bytes. Zendesk states no tolerance, so none applies unless `tolerance` is set.
///
/// Event-subscription webhooks (`"type":"zen:event-type:ticket.created"`) become `zendesk.ticket.created` with their
/// `id`, `time` and `subject`. Trigger and automation webhooks carry a body the operator wrote, with any method: they
/// are read with the generic event field options (`typeField`, `idField`, `subjectField`, `timeField`, `typeHeader`);
/// their id defaults to `X-Zendesk-Webhook-Invocation-Id`, else a hash of the body; a GET's query becomes the data.
public enum ZendeskPreset: ProviderPreset {
    public static let name = "zendesk"
    public static let optionKeys: [String] = EventFieldOptions.keys

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let fields = EventFieldOptions.decode(source, decoder: &decoder)
        guard decoder.requireSecrets(settings, of: source, "zendesk needs at least one secret (the webhook's signing secret)"),
              let fields else { return nil }
        return Factory(secrets: settings.secrets, tolerance: settings.tolerance, fields: fields)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let tolerance: Duration?
        let fields: EventFieldOptions
        func makeProvider(context: ProviderContext) -> any Provider { ZendeskProvider(secrets: secrets, tolerance: tolerance, fields: fields) }
    }
}

final class ZendeskProvider: Provider {
    static let eventTypePrefix = "zen:event-type:"
    static let invocationHeader = "X-Zendesk-Webhook-Invocation-Id"

    private let keys: [HMACKey]
    private let toleranceSeconds: Int64?
    private let fields: EventFieldOptions
    private let clock: () -> Int64

    init(secrets: [Secret], tolerance: Duration?, fields: EventFieldOptions = EventFieldOptions(),
         clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        keys = secrets.map { try! HMACKey(algorithm: .sha256, key: $0.bytes) }  // non-empty keys never fail
        toleranceSeconds = tolerance?.components.seconds
        self.fields = fields
        self.clock = clock
    }

    /// Trigger webhooks may use any of these methods.
    var allowedMethods: [String] { ["POST", "PUT", "PATCH", "GET", "DELETE"] }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers["X-Zendesk-Webhook-Signature"] else { throw .missingHeader("X-Zendesk-Webhook-Signature") }
        guard let timestamp = request.headers.valueBytes("X-Zendesk-Webhook-Signature-Timestamp") else {
            throw .missingHeader("X-Zendesk-Webhook-Signature-Timestamp")
        }
        guard let signature = Base64.decode(header), signature.count == 32 else { throw .malformedHeader("X-Zendesk-Webhook-Signature") }
        var matched = false
        for key in keys where constantTimeEquals(key.authenticationCode(for: timestamp, request.body), signature) { matched = true }
        guard matched else { throw .noMatch(secrets: keys.count) }
        guard let toleranceSeconds else { return }
        guard let time = EventFields.milliseconds(rfc3339: String(decoding: timestamp, as: UTF8.self)) else {
            throw .malformedHeader("X-Zendesk-Webhook-Signature-Timestamp")
        }
        let skew = abs(clock() - time / 1000)
        if skew > toleranceSeconds { throw .timestampOutsideTolerance(by: skew - toleranceSeconds) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        if (try? Payload.validateJSON(body)) != nil, let type = Payload.string(["type"], in: body), type.hasPrefix(Self.eventTypePrefix) {
            let id = Payload.identifier(["id"], in: body) ?? request.headers[Self.invocationHeader] ?? Payload.bodyHash(body)
            let event = NormalizedEvent(type: String(type.dropFirst(Self.eventTypePrefix.count)), providerEventID: id,
                                        time: EventFields.rfc3339(["time"], in: body),
                                        subject: Payload.string(["subject"], in: body), data: body)
            return .events([event], acknowledgement: nil)
        }
        // A trigger or automation webhook: the operator's own body. A bodiless GET or DELETE sends its fields in the query.
        var webhook = request
        if body.isEmpty, let query = request.query, !query.isEmpty {
            var headers = HTTPHeaders()
            for (name, value) in request.headers.pairs where name.lowercased() != "content-type" { headers.append(name: name, value: value) }
            headers.append(name: "Content-Type", value: "application/x-www-form-urlencoded")
            webhook = WebhookRequest(method: request.method, target: request.target, headers: headers, body: Array(query.utf8),
                                     clientAddress: request.clientAddress, receivedAt: request.receivedAt, publicURL: request.publicURL)
        }
        return try fields.normalize(webhook, idHeader: Self.invocationHeader)
    }
}

extension ZendeskPreset: SamplingPreset {
    public static let sampleEventTypes = ["ticket.created", "ticket.status_changed", "user.created", "organization.created"]

    /// An event-subscription webhook signed with `--secret` (the webhook's signing secret, as is).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let object = type.split(separator: ".").first.map(String.init) ?? "ticket"
        let time = RFC3339.string(fromUnixSeconds: request.now / 1000)
        let number = 10_000 + Int(request.now % 90_000)
        let body = """
        {"account_id":1234567,"detail":{"id":"\(number)","status":"NEW","subject":"Printer on fire","priority":"HIGH",\
        "requester_id":"9873843","created_at":"\(time)","updated_at":"\(time)"},"event":{},\
        "id":"\(request.nonce)","subject":"zen:\(object):\(number)","time":"\(time)",\
        "type":"zen:event-type:\(type)","zendesk_event_version":"2022-11-06"}
        """
        let bytes = Array(body.utf8)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("X-Zendesk-Webhook-Id", "01HSAMPLE"),
                                       ("X-Zendesk-Webhook-Invocation-Id", "\(number)"),
                                       ("X-Zendesk-Webhook-Signature-Timestamp", time),
                                       ("X-Zendesk-Webhook-Signature", Base64.encode(key.authenticationCode(for: time, bytes)))],
                             body: bytes)
    }
}
