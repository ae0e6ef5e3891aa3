import HTTPServer

/// Slack (Events API, slash commands, interactivity): `X-Slack-Signature: v0=<hex>` — HMAC-SHA256 of
/// `"v0:{X-Slack-Request-Timestamp}:{raw body}"` with the app's Signing Secret. The timestamp must be within the
/// tolerance (default 5 minutes) in both directions, as Slack's SDKs check. The `url_verification` challenge (signed
/// like any request) is answered `{"challenge":…}`. Form bodies: slash commands become an object; interactivity's
/// `payload` field is the event. Those are answered with an empty 200, since Slack would show a body to the user.
public enum SlackPreset: ProviderPreset {
    public static let name = "slack"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(300)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(SlackProvider.self, settings, source: source, decoder: &decoder,
                       hint: "the app's Signing Secret",
                       defaultTolerance: defaultTolerance)
    }
}

final class SlackProvider: GroupA.TimestampProvider {
    private let signature: GroupA.V0Signature

    /// `clock` is now in unix milliseconds.
    init(secrets: [Secret], tolerance: Duration, clock: @escaping () -> Int64 = WallClock.unixMilliseconds) {
        signature = GroupA.V0Signature(signatureHeader: "X-Slack-Signature", timestampHeader: "X-Slack-Request-Timestamp",
                                       secrets: secrets, tolerance: GroupA.Tolerance(duration: tolerance, clock: clock))
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try signature.verify(request)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        if request.mediaType == "application/x-www-form-urlencoded" { return try Self.form(request) }
        let body = request.body
        let root = try GroupA.rootObject(body)
        let type = GroupA.string(["type"], in: root, of: body) ?? ""
        switch type {
        case "url_verification":
            guard let challenge = GroupA.string(["challenge"], in: root, of: body), (1...1024).contains(challenge.utf8.count) else {
                throw NormalizationFailure("url_verification without a challenge")
            }
            var json = Array(#"{"challenge":"#.utf8)
            JSONString.appendQuoted(challenge, to: &json)
            json.append(UInt8(ascii: "}"))
            return .handshake(HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: json))
        case "event_callback":
            guard let eventType = GroupA.string(["event", "type"], in: root, of: body), !eventType.isEmpty else {
                throw NormalizationFailure("event_callback without event.type")
            }
            let subtype = GroupA.string(["event", "subtype"], in: root, of: body)
            let id = GroupA.string(["event_id"], in: root, of: body) ?? Payload.bodyHash(body)
            let time = GroupA.integer(["event_time"], in: root, of: body).map { $0 * 1000 }
            let subject = GroupA.string(["event", "channel"], in: root, of: body)
                ?? GroupA.string(["event", "channel", "id"], in: root, of: body)
                ?? GroupA.string(["event", "item", "channel"], in: root, of: body)
                ?? GroupA.string(["event", "user"], in: root, of: body)
                ?? GroupA.string(["event", "user", "id"], in: root, of: body)
            return .events([NormalizedEvent(type: subtype.map { "\(eventType).\($0)" } ?? eventType, providerEventID: id, time: time,
                                            subject: subject, data: Array(body[root]))], acknowledgement: nil)
        default:
            // app_rate_limited and anything newer: the envelope's own type, no event id.
            guard !type.isEmpty else { throw NormalizationFailure("body has no type") }
            let id = GroupA.string(["event_id"], in: root, of: body) ?? Payload.bodyHash(body)
            return .events([NormalizedEvent(type: type, providerEventID: id, time: nil,
                                            subject: GroupA.string(["team_id"], in: root, of: body), data: Array(body[root]))],
                           acknowledgement: nil)
        }
    }

    /// Slash commands (`command=/deploy&text=…`, type `slash_command`) and interactivity (`payload=<JSON>`, typed by the
    /// payload's `type`: `block_actions`, `view_submission`, `shortcut`, …). `trigger_id` is unique per invocation.
    static func form(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        guard let pairs = try? FormURLEncoded.parse(request.body) else { throw NormalizationFailure("malformed form body") }
        let payloads = pairs.filter { $0.name == "payload" }
        if payloads.count > 1 { throw NormalizationFailure("form body has more than one payload field") }
        if let payload = payloads.first {
            let json = Array(payload.value.utf8)
            let root = try GroupA.rootObject(json)
            guard let type = GroupA.string(["type"], in: root, of: json), !type.isEmpty else {
                throw NormalizationFailure("interactivity payload has no type")
            }
            let id = GroupA.string(["trigger_id"], in: root, of: json) ?? Payload.bodyHash(request.body)
            let subject = GroupA.string(["channel", "id"], in: root, of: json) ?? GroupA.string(["user", "id"], in: root, of: json)
            return .events([NormalizedEvent(type: type, providerEventID: id, time: nil, subject: subject, data: Array(json[root]))],
                           acknowledgement: GroupA.emptyOK)
        }
        func value(_ name: String) -> String? { pairs.first { $0.name == name }.map(\.value) }
        guard value("command") != nil else { throw NormalizationFailure("form body is neither a slash command nor interactivity") }
        let id = value("trigger_id") ?? Payload.bodyHash(request.body)
        return .events([NormalizedEvent(type: "slash_command", providerEventID: id, time: nil, subject: value("channel_id"),
                                        data: FormURLEncoded.jsonObject(pairs))], acknowledgement: GroupA.emptyOK)
    }
}

extension SlackPreset: SamplingPreset {
    public static let sampleEventTypes = ["message", "app_mention", "reaction_added", "url_verification", "slash_command"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let seconds = request.now / 1000
        let micros = String(request.now % 1000 * 1000)
        let ts = "\(seconds)." + String(repeating: "0", count: 6 - micros.count) + micros
        var contentType = "application/json"
        let body: String
        switch type {
        case "url_verification":
            body = #"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"\#(request.nonce)","type":"url_verification"}"#
        case "slash_command":
            contentType = "application/x-www-form-urlencoded"
            body = "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&enterprise_id=E0001&channel_id=C2147483705"
                + "&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Fweather&text=94070+Gr%C3%BC%C3%9Fe"
                + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=\(request.nonce).98765"
                + "&api_app_id=A123456"
        default:
            let event: String
            switch type {
            case "reaction_added":
                event = #"{"type":"reaction_added","user":"U123ABC456","reaction":"thumbsup","item_user":"U222222222","#
                    + #""item":{"type":"message","channel":"C123ABC456","ts":"\#(ts)"},"event_ts":"\#(ts)"}"#
            case "app_mention":
                event = #"{"type":"app_mention","user":"U061F7AUR","text":"<@U0LAN0Z89> gr\u00fc\u00dfe!","ts":"\#(ts)","#
                    + #""channel":"C123ABC456","event_ts":"\#(ts)"}"#
            default:
                event = #"{"type":"message","channel":"C123ABC456","user":"U123ABC456","text":"Hallo K\u00f6ln \ud83d\ude80","#
                    + #""ts":"\#(ts)","event_ts":"\#(ts)","channel_type":"channel"}"#
            }
            body = #"{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":\#(event),"#
                + #""type":"event_callback","event_id":"Ev\#(request.nonce.uppercased())","event_time":\#(seconds),"#
                + #""authorizations":[{"enterprise_id":null,"team_id":"T123ABC456","user_id":"U123ABC456","is_bot":false}]}"#
        }
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: "v0:", "\(seconds)", ":", bytes))
        return SampleWebhook(headers: [("Content-Type", contentType), ("X-Slack-Request-Timestamp", "\(seconds)"),
                                       ("X-Slack-Signature", "v0=" + mac)], body: bytes)
    }
}
