import HTTPServer

/// Linear: `Linear-Signature: <hex>` — HMAC-SHA256 of the raw body with the webhook's signing secret. Replay
/// protection is the body's `webhookTimestamp` (unix ms, when the delivery was sent, so it changes on retries): within
/// the tolerance, default 60 s in both directions, as Linear's SDK (`LinearWebhookClient.verify`) checks. Unlike the
/// SDK, a signed JSON body without `webhookTimestamp` is refused. No handshake.
public enum LinearPreset: ProviderPreset {
    public static let name = "linear"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(60)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(LinearProvider.self, settings, source: source, decoder: &decoder,
                       hint: "the webhook's signing secret",
                       defaultTolerance: defaultTolerance)
    }
}

final class LinearProvider: GroupA.TimestampProvider {
    private let signature: GroupA.BodySignature
    private let tolerance: GroupA.Tolerance

    /// `clock` is now in unix milliseconds.
    init(secrets: [Secret], tolerance: Duration, clock: @escaping () -> Int64 = WallClock.unixMilliseconds) {
        signature = GroupA.BodySignature(header: "Linear-Signature", encoding: .hex(prefix: ""), secrets: secrets, digest: .sha256)
        self.tolerance = GroupA.Tolerance(duration: tolerance, clock: clock)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try signature.verify(request)
        // A signed body that is not JSON is refused by interpret (400); only JSON can carry the timestamp.
        guard (try? Payload.validateJSON(request.body)) != nil else { return }
        let timestamp: Int64? = request.body.withUnsafeBytes { bytes in
            guard let range = RawJSON.range(of: ["webhookTimestamp"], in: bytes), let number = RawJSON.number(at: range, in: bytes) else {
                return nil
            }
            if let integer = number.int64Value { return integer }
            return number.doubleValue.flatMap { abs($0) < 1e15 ? Int64($0) : nil }  // the schema says Float
        }
        guard let timestamp else { throw VerificationFailure("missing_signature", "body has no webhookTimestamp") }
        try tolerance.check(timestamp, bothWays: true)
    }

    /// Type `<type>.<action>` (`Issue.create`), time `createdAt`, subject `data.id`. The event id is the
    /// `Linear-Delivery` header; without it, a hash of `webhookId`, type, action, `data.id` and `createdAt` (the body's
    /// own `webhookId` names the webhook, not the event, and `webhookTimestamp` changes on every retry).
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let resource = GroupA.string(["type"], in: root, of: body), !resource.isEmpty else {
            throw NormalizationFailure("body has no type")
        }
        let action = GroupA.string(["action"], in: root, of: body)
        let type = action.map { "\(resource).\($0)" } ?? resource
        let createdAt = GroupA.string(["createdAt"], in: root, of: body)
        let subject = GroupA.identifier(["data", "id"], in: root, of: body)
            ?? GroupA.identifier(["notification", "id"], in: root, of: body)
            ?? GroupA.identifier(["agentSession", "id"], in: root, of: body)
        let id = request.headers["Linear-Delivery"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "sha256:" + Hex.encode(Digest.hash(.sha256, GroupA.string(["webhookId"], in: root, of: body) ?? "", "\u{0}", type, "\u{0}",
                                                  subject ?? "", "\u{0}", createdAt ?? "", "\u{0}",
                                                  createdAt == nil ? Array(body[root]) : []))
        return .events([NormalizedEvent(type: type, providerEventID: id, time: createdAt.flatMap { RFC3339.parse($0)?.milliseconds },
                                        subject: subject, data: Array(body[root]))], acknowledgement: nil)
    }
}

extension LinearPreset: SamplingPreset {
    public static let sampleEventTypes = ["Issue.create", "Issue.update", "Comment.create", "Project.update"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let parts = type.split(separator: ".", maxSplits: 1).map(String.init)
        let resource = parts[0], action = parts.count > 1 ? parts[1] : "create"
        let created = RFC3339.string(fromUnixMilliseconds: request.now)
        let entityID = GroupA.sampleUUID(request.nonce)
        let data: String
        switch resource {
        case "Comment":
            data = #"{"id":"\#(entityID)","body":"Gr\u00fc\u00dfe aus K\u00f6ln","issueId":"\#(GroupA.sampleUUID("issue"))","#
                + #""userId":"\#(GroupA.sampleUUID("user"))","createdAt":"\#(created)","updatedAt":"\#(created)"}"#
        case "Project":
            data = #"{"id":"\#(entityID)","name":"Q3 launch","state":"started","createdAt":"\#(created)","updatedAt":"\#(created)"}"#
        default:
            data = #"{"id":"\#(entityID)","identifier":"ENG-\#(request.now % 1000)","title":"Sample \#(request.nonce)","#
                + #""priority":2,"teamId":"\#(GroupA.sampleUUID("team"))","stateId":"\#(GroupA.sampleUUID("state"))","#
                + #""createdAt":"\#(created)","updatedAt":"\#(created)"}"#
        }
        let body = #"{"action":"\#(action)","actor":{"id":"\#(GroupA.sampleUUID("user"))","name":"J\u00fcrgen","type":"user"},"#
            + #""createdAt":"\#(created)","data":\#(data),"url":"https://linear.app/example/issue/ENG-1","type":"\#(resource)","#
            + #""organizationId":"\#(GroupA.sampleUUID("org"))","webhookTimestamp":\#(request.now),"#
            + #""webhookId":"\#(GroupA.sampleUUID("webhook"))"}"#
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json; charset=utf-8"), ("Linear-Signature", mac),
                                       ("Linear-Delivery", GroupA.sampleUUID(request.nonce + "delivery")),
                                       ("Linear-Event", resource)], body: bytes)
    }
}
