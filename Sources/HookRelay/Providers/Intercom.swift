import HTTPServer

/// Intercom: `X-Hub-Signature: sha1=<hex>` — HMAC-**SHA1** of the raw body with the app's `client_secret` (there is no
/// SHA-256 variant). No timestamp. The `ping` topic sent when the webhook is set up is answered 200 and not stored.
public enum IntercomPreset: ProviderPreset {
    public static let name = "intercom"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(IntercomProvider.self, settings, source: source, decoder: &decoder,
                       hint: "the app's client secret from Developer Hub → Basic information")
    }
}

final class IntercomProvider: GroupA.SecretsProvider {
    private let signature: GroupA.BodySignature

    init(secrets: [Secret]) {
        signature = GroupA.BodySignature(header: "X-Hub-Signature", encoding: .hex(prefix: "sha1="), secrets: secrets, digest: .sha1)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try signature.verify(request)
    }

    /// Type `topic` (`conversation.user.created`), id the notification's `id` (`notif_…`, kept across retries), time
    /// `created_at` (s), subject `data.item.id`.
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let topic = GroupA.string(["topic"], in: root, of: body), !topic.isEmpty else {
            throw NormalizationFailure("body has no topic")
        }
        if topic == "ping" { return .handshake(GroupA.pong) }
        let id = GroupA.string(["id"], in: root, of: body) ?? Payload.bodyHash(body)
        let time = GroupA.integer(["created_at"], in: root, of: body).map { $0 * 1000 }
        let subject = GroupA.identifier(["data", "item", "id"], in: root, of: body)
        return .events([NormalizedEvent(type: topic, providerEventID: id, time: time, subject: subject, data: Array(body[root]))],
                       acknowledgement: nil)
    }
}

extension IntercomPreset: SamplingPreset {
    public static let sampleEventTypes = ["conversation.user.created", "contact.user.created", "conversation.admin.closed", "ping"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let topic = request.eventType ?? sampleEventTypes[0]
        let seconds = request.now / 1000
        let item: String
        switch topic {
        case "ping":
            item = #"{"type":"ping","message":"something something interzen"}"#
        case "contact.user.created":
            item = #"{"type":"contact","id":"\#(request.nonce)","role":"user","email":"jurgen@example.com","name":"J\u00fcrgen","#
                + #""created_at":\#(seconds)}"#
        default:
            item = #"{"type":"conversation","id":"\#(request.now % 1_000_000_000)","created_at":\#(seconds),"#
                + #""state":"\#(topic == "conversation.admin.closed" ? "closed" : "open")","#
                + #""source":{"type":"conversation","body":"<p>Gr\u00fc\u00dfe!</p>","author":{"type":"user","id":"\#(request.nonce)"}}}"#
        }
        let body = #"{"type":"notification_event","app_id":"a86dr8yl","data":{"type":"notification_event_data","item":\#(item)},"#
            + #""links":{},"id":"notif_\#(GroupA.sampleUUID(request.nonce))","topic":"\#(topic)","delivery_status":"pending","#
            + #""delivery_attempts":1,"delivered_at":0,"first_sent_at":\#(seconds),"created_at":\#(seconds),"self":null}"#
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha1).authenticationCode(for: bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("User-Agent", "intercom-parrot-service-client/1.0"),
                                       ("X-Hub-Signature", "sha1=" + mac)], body: bytes)
    }
}
