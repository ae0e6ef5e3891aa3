import HTTPServer

/// Meta (Facebook Messenger, Instagram, WhatsApp Cloud API, Graph webhooks): `X-Hub-Signature-256: sha256=<hex>` —
/// HMAC-SHA256 of the raw body with the App Secret. Meta signs the bytes it sends, which escape non-ASCII as lowercase
/// `\u00e4`, so only the raw bytes verify. No timestamp. Subscribing sends an unsigned
/// `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`, answered with `C` when `T` is the source's
/// `verifyToken` (403 otherwise). A POST batches updates in `entry[]`; each `changes[]` / `messaging[]` / `standby[]`
/// item becomes one event whose data is that item's bytes (unless `split` is false).
public enum MetaPreset: ProviderPreset {
    public static let name = "meta"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard GroupA.configure(settings, source: source, decoder: &decoder, hint: "the app's App Secret", signsTimestamp: false) else {
            return nil
        }
        if settings.verifyToken == nil && source["verifyToken"] == nil {
            decoder.warning("meta without verifyToken refuses the GET subscription handshake (hub.verify_token)",
                            at: source.position, path: source.path.appending("verifyToken"))
        }
        return Factory(secrets: settings.secrets, verifyToken: settings.verifyToken, split: settings.split)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let verifyToken: Secret?
        let split: Bool
        func makeProvider(context: ProviderContext) -> any Provider {
            MetaProvider(secrets: secrets, verifyToken: verifyToken, split: split)
        }
    }
}

final class MetaProvider: Provider {
    private let keys: [HMACKey]
    private let verifyToken: Secret?
    private let split: Bool

    init(secrets: [Secret], verifyToken: Secret?, split: Bool) {
        keys = GroupA.keys(secrets, .sha256)
        self.verifyToken = verifyToken
        self.split = split
    }

    var allowedMethods: [String] { ["GET", "POST"] }

    /// The GET subscription handshake. Meta sends a number as `hub.challenge`; anything but a short token of URL-safe
    /// characters is refused rather than echoed.
    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        guard request.method == "GET" else { return nil }
        guard let query = request.query, let pairs = try? FormURLEncoded.parse(Array(query.utf8)) else {
            return .text(400, "not a subscription handshake")
        }
        func value(_ name: String) -> String? {
            let values = pairs.filter { $0.name == name }
            return values.count == 1 ? values[0].value : nil
        }
        guard value("hub.mode") == "subscribe", let token = value("hub.verify_token"), let challenge = value("hub.challenge") else {
            return .text(400, "not a subscription handshake")
        }
        guard let verifyToken, constantTimeEquals(verifyToken.bytes, Array(token.utf8)) else {
            return .text(403, "verify token does not match")
        }
        guard (1...256).contains(challenge.utf8.count),
              challenge.utf8.allSatisfy({ byte in
                  (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D || byte == 0x5F || byte == 0x2E
              }) else {
            return .text(400, "unexpected hub.challenge")
        }
        var response = HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
                                    body: Array(challenge.utf8))
        response.headers.append(name: "X-Content-Type-Options", value: "nosniff")
        return response
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        let value = try GroupA.header("X-Hub-Signature-256", in: request)
        guard let mac = GroupA.hexMAC(value, prefix: "sha256=", length: 32) else { throw .malformedHeader("X-Hub-Signature-256") }
        try GroupA.requireMatch(keys, mac, request.body)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let object = GroupA.string(["object"], in: root, of: body), !object.isEmpty else {
            throw NormalizationFailure("body has no object")
        }
        let entries: [Range<Int>]? = body.withUnsafeBytes { bytes in
            RawJSON.range(of: ["entry"], inValueAt: root, in: bytes).flatMap { RawJSON.elements(ofArrayAt: $0, in: bytes).map(Array.init) }
        }
        guard let entries else { throw NormalizationFailure("body has no entry array") }
        var events: [NormalizedEvent] = []
        for entry in entries {
            events += try Self.events(inEntry: entry, object: object, of: body)
        }
        guard !split, !events.isEmpty else { return .events(events, acknowledgement: nil) }
        // One event for the whole delivery: the shared type and subject when every item agrees.
        let types = Set(events.map(\.type)), subjects = Set(events.map { $0.subject ?? "" })
        return .events([NormalizedEvent(type: types.count == 1 ? events[0].type : object, providerEventID: Payload.bodyHash(body),
                                        time: events[0].time, subject: subjects.count == 1 ? events[0].subject : nil,
                                        data: Array(body[root]))], acknowledgement: nil)
    }

    /// The events of one `entry[]` element: one per `changes[]`, `messaging[]` and `standby[]` item, or the entry
    /// itself when it has none of them (so nothing Meta sends is dropped).
    static func events(inEntry entry: Range<Int>, object: String, of body: [UInt8]) throws(NormalizationFailure) -> [NormalizedEvent] {
        guard body.withUnsafeBytes({ RawJSON.kind(at: entry, in: $0) }) == .object else {
            throw NormalizationFailure("entry item is not an object")
        }
        let entryID = GroupA.identifier(["id"], in: entry, of: body)
        let entryTime = GroupA.integer(["time"], in: entry, of: body).map(GroupA.milliseconds(fromSecondsOrMilliseconds:))
        var events: [NormalizedEvent] = []
        for list in ["changes", "messaging", "standby"] {
            let items: [Range<Int>] = body.withUnsafeBytes { bytes in
                RawJSON.range(of: [.key(list)], inValueAt: entry, in: bytes)
                    .flatMap { RawJSON.elements(ofArrayAt: $0, in: bytes).map(Array.init) } ?? []
            }
            for item in items {
                guard body.withUnsafeBytes({ RawJSON.kind(at: item, in: $0) }) == .object else {
                    throw NormalizationFailure("\(list) item is not an object")
                }
                let event = list == "changes"
                    ? change(item, object: object, entryID: entryID, entryTime: entryTime, of: body)
                    : messaging(item, list: list, object: object, entryID: entryID, entryTime: entryTime, of: body)
                events.append(event)
            }
        }
        if events.isEmpty {
            events.append(NormalizedEvent(type: object, providerEventID: derivedID(entryID, entryTime, item: entry, of: body),
                                          time: entryTime, subject: entryID, data: Array(body[entry])))
        }
        return events
    }

    /// A `changes[]` item (`{"field":…,"value":…}`). WhatsApp message and status ids (`wamid…`, status ids with the
    /// status, since one message's sent/delivered/read share its id) are the event id; other changes carry none, so
    /// the id is a hash of the entry id, its time and the item's bytes (stable across Meta's retries).
    static func change(_ item: Range<Int>, object: String, entryID: String?, entryTime: Int64?, of body: [UInt8]) -> NormalizedEvent {
        let field = GroupA.string(["field"], in: item, of: body) ?? "change"
        var ids: [String] = []
        var time: Int64?
        for (list, withStatus) in [("messages", false), ("statuses", true)] {
            let elements: [Range<Int>] = body.withUnsafeBytes { bytes in
                RawJSON.range(of: ["value", .key(list)], inValueAt: item, in: bytes)
                    .flatMap { RawJSON.elements(ofArrayAt: $0, in: bytes).map(Array.init) } ?? []
            }
            for element in elements {
                guard let id = GroupA.string(["id"], in: element, of: body) else { continue }
                let status = withStatus ? GroupA.string(["status"], in: element, of: body) : nil
                ids.append(status.map { "\(id):\($0)" } ?? id)
                if time == nil { time = GroupA.integer(["timestamp"], in: element, of: body).map { $0 * 1000 } }
            }
        }
        let id = ids.isEmpty ? derivedID(entryID, entryTime, item: item, of: body) : ids.joined(separator: ",")
        return NormalizedEvent(type: "\(object).\(field)", providerEventID: id, time: time ?? entryTime, subject: entryID,
                               data: Array(body[item]))
    }

    /// A `messaging[]` or `standby[]` item: typed by the webhook field it belongs to (`message` → `messages`, echoes →
    /// `message_echoes`, `postback` → `messaging_postbacks`, …), its id the message's `mid` where there is one.
    static func messaging(_ item: Range<Int>, list: String, object: String, entryID: String?, entryTime: Int64?,
                          of body: [UInt8]) -> NormalizedEvent {
        let key: String? = body.withUnsafeBytes { bytes in
            RawJSON.members(ofObjectAt: item, in: bytes)?.lazy.map { $0.key(in: bytes) }
                .first { !["sender", "recipient", "timestamp"].contains($0) }
        }
        var field = key.map { messagingFields[$0] ?? $0 } ?? list
        if key == "message", body.withUnsafeBytes({ bytes in
            RawJSON.range(of: ["message", "is_echo"], inValueAt: item, in: bytes).map { Array(bytes[$0]) == Array("true".utf8) }
        }) == true, object == "page" {
            field = "message_echoes"
        }
        if list == "standby" { field = "standby" }
        let time = GroupA.integer(["timestamp"], in: item, of: body).map(GroupA.milliseconds(fromSecondsOrMilliseconds:)) ?? entryTime
        let mid = key.flatMap { GroupA.string([.key($0), "mid"], in: item, of: body) }
        let id: String
        if let mid, key == "message" || key == "message_edit" {
            id = key == "message" ? mid : "\(mid):edit:\(time ?? 0)"
        } else {
            id = derivedID(entryID, entryTime, item: item, of: body)
        }
        return NormalizedEvent(type: "\(object).\(field)", providerEventID: id, time: time, subject: entryID, data: Array(body[item]))
    }

    /// The Messenger/Instagram webhook field for the event key of a `messaging[]` item.
    static let messagingFields = [
        "message": "messages", "delivery": "message_deliveries", "read": "message_reads", "reaction": "message_reactions",
        "message_edit": "message_edits", "postback": "messaging_postbacks", "optin": "messaging_optins",
        "referral": "messaging_referrals", "account_linking": "messaging_account_linking",
        "policy_enforcement": "messaging_policy_enforcement", "game_play": "messaging_game_plays",
        "pass_thread_control": "messaging_handovers", "take_thread_control": "messaging_handovers",
        "request_thread_control": "messaging_handovers", "app_roles": "messaging_handovers",
        "checkout_update": "messaging_checkout_updates", "payment": "messaging_payments",
        "pre_checkout": "messaging_pre_checkouts", "messaging_feedback": "messaging_feedback",
    ]

    /// `sha256:<hex>` of the entry id, its time and the item's bytes: the dedupe key of items without an id.
    static func derivedID(_ entryID: String?, _ entryTime: Int64?, item: Range<Int>, of body: [UInt8]) -> String {
        "sha256:" + Hex.encode(Digest.hash(.sha256, entryID ?? "", "\u{0}", entryTime.map(String.init) ?? "", "\u{0}", body[item]))
    }
}

extension MetaPreset: SamplingPreset {
    public static let sampleEventTypes = ["whatsapp_business_account.messages", "page.messages", "instagram.messages",
                                          "page.feed"]

    /// A one-entry delivery (WhatsApp text message, Messenger or Instagram message, or a Page feed change) with
    /// non-ASCII text escaped as Meta sends it, signed with `--secret` (the App Secret).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let seconds = request.now / 1000
        let body: String
        switch type {
        case "page.messages", "instagram.messages":
            let object = type.hasPrefix("page") ? "page" : "instagram"
            body = #"{"object":"\#(object)","entry":[{"id":"106541234567890","time":\#(request.now),"messaging":[{"sender":{"id":"6543210987654321"},"#
                + #""recipient":{"id":"106541234567890"},"timestamp":\#(request.now),"message":{"mid":"m_\#(request.nonce)","#
                + #""text":"Gr\u00fc\u00dfe aus K\u00f6ln \ud83d\ude80"}}]}]}"#
        case "page.feed":
            body = #"{"object":"page","entry":[{"id":"106541234567890","time":\#(seconds),"changes":[{"field":"feed","#
                + #""value":{"item":"comment","verb":"add","comment_id":"106541234567890_\#(request.nonce)","#
                + #""message":"Sch\u00f6n!","created_time":\#(seconds)}}]}]}"#
        default:
            body = #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"#
                + #""messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"#
                + #""contacts":[{"profile":{"name":"J\u00fcrgen"},"wa_id":"4915112345678"}],"messages":[{"from":"4915112345678","#
                + #""id":"wamid.\#(request.nonce)","timestamp":"\#(seconds)","text":{"body":"Hall\u00f6 \ud83d\udc4b"},"#
                + #""type":"text"}]},"field":"messages"}]}]}"#
        }
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: bytes))
        let legacy = Hex.encode(try GroupA.sampleKey(request.secret, .sha1).authenticationCode(for: bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("X-Hub-Signature", "sha1=" + legacy),
                                       ("X-Hub-Signature-256", "sha256=" + mac)], body: bytes)
    }
}
