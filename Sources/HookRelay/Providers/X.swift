import HTTPServer

/// X (Twitter) Account Activity webhooks (`x`). The Challenge-Response Check: `GET ?crc_token=T` (at registration,
/// then periodically) ⇒ `{"response_token":"sha256=<base64 HMAC-SHA256(consumer secret, T)>"}`, answered with the
/// **first** secret (put the current consumer secret first while rotating). Deliveries are signed
/// `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, raw body)>` (any secret may match).
/// A delivery holds arrays named `<kind>_events` (`tweet_create_events`, `favorite_events`,
/// `direct_message_events`, …) for `for_user_id`; each element becomes an envelope of type `<kind>`.
public enum XPreset: ProviderPreset {
    public static let name = "x"
    public static let optionKeys: [String] = []
    static let signatureHeader = "x-twitter-webhooks-signature"

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        decoder.secretsAndSplitFactory(XProvider.self, settings, of: source,
                                       "x needs at least one secret (the app's consumer secret, \"API Key Secret\")")
    }

    /// `sha256=<base64>` of the CRC token under `key`.
    static func responseToken(_ token: String, key: HMACKey) -> String {
        "sha256=" + Base64.encode(key.authenticationCode(for: token))
    }
}

final class XProvider: SecretsAndSplitProvider {
    private let keys: [HMACKey]
    private let split: Bool

    init(secrets: [Secret], split: Bool = true) {
        keys = GroupD.literalKeys(secrets)
        self.split = split
    }

    var allowedMethods: [String] { ["GET", "POST"] }

    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        GroupD.answerChallenge("crc_token", in: request) { token in
            keys.first.map { GroupD.jsonObject(200, "response_token", XPreset.responseToken(token, key: $0)) }
        }
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers[XPreset.signatureHeader] else { throw .missingHeader(XPreset.signatureHeader) }
        guard header.hasPrefix("sha256="), let signature = Base64.decode(header.dropFirst(7)), signature.count == 32 else {
            throw .malformedHeader(XPreset.signatureHeader)
        }
        try GroupD.requireMatch(signature, keys: keys, request.body)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let events: [NormalizedEvent]? = request.body.withUnsafeBytes { bytes in
            guard let root = RawJSON.valueRange(in: bytes), let members = RawJSON.members(ofObjectAt: root, in: bytes) else { return nil }
            let user = GroupD.identifier(["for_user_id"], inValueAt: root, in: bytes)
            var events: [NormalizedEvent] = []
            var firstOther: String?
            for member in members {
                let name = member.key(in: bytes)
                guard name.hasSuffix("_events"), let elements = RawJSON.elements(ofArrayAt: member.valueRange, in: bytes) else {
                    if firstOther == nil && name != "for_user_id" && RawJSON.kind(at: member.valueRange, in: bytes) == .object {
                        firstOther = name
                    }
                    continue
                }
                let kind = String(name.dropLast("_events".count))
                for element in elements {
                    let item = Array(bytes[element])
                    let ownID = GroupD.identifier(["id_str"], inValueAt: element, in: bytes)
                        ?? GroupD.identifier(["id"], inValueAt: element, in: bytes)
                    let id = "\(kind):" + (ownID ?? Payload.bodyHash(item))
                    let time = ["timestamp_ms", "created_timestamp"].lazy.compactMap { field -> Int64? in
                        GroupD.identifier([.key(field)], inValueAt: element, in: bytes).flatMap { Int64($0) }
                    }.first
                    events.append(NormalizedEvent(type: kind, providerEventID: id, time: time, subject: user, data: item))
                }
            }
            if events.isEmpty, let firstOther {
                // user_event (revocations) and other single-object deliveries.
                events.append(NormalizedEvent(type: firstOther, providerEventID: Payload.bodyHash(request.body), subject: user, data: request.body))
            }
            return events
        }
        guard let events, !events.isEmpty else { throw NormalizationFailure("body has no *_events array") }
        guard split else {
            let type = Set(events.map(\.type)).count == 1 ? events[0].type : "activity"
            return .events([NormalizedEvent(type: type, providerEventID: Payload.bodyHash(request.body), time: events[0].time,
                                            subject: events[0].subject, data: request.body)], acknowledgement: nil)
        }
        return .events(events, acknowledgement: nil)
    }
}

extension XPreset: SamplingPreset {
    public static let sampleEventTypes = ["tweet_create", "favorite", "follow", "direct_message"]

    /// The secret is the app's consumer secret.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        guard let key = try? HMACKey(algorithm: .sha256, key: request.secret.bytes) else { throw SampleError("unusable secret") }
        let ms = request.now
        let snowflake = String((ms - 1_288_834_974_657) << 22 | Int64(Digest.hash(.sha256, request.nonce)[0]))
        let user = #"{"id": 2244994945, "id_str": "2244994945", "name": "Example Dev", "screen_name": "exampledev"}"#
        let other = #"{"id": 783214, "id_str": "783214", "name": "Alice", "screen_name": "alice"}"#
        let createdAt = "Wed Jan 01 00:00:00 +0000 2026"
        let item: String
        switch type {
        case "favorite":
            item = #"{"id": "\#(Hex.encode(Digest.hash(.sha256, request.nonce).prefix(16)))", "created_at": "\#(createdAt)", "#
                + #""timestamp_ms": \#(ms), "favorited_status": {"id_str": "1234567890123456789", "text": "Hello"}, "user": \#(other)}"#
        case "follow":
            item = #"{"type": "follow", "created_timestamp": "\#(ms)", "target": \#(user), "source": \#(other)}"#
        case "direct_message":
            item = #"{"type": "message_create", "id": "\#(snowflake)", "created_timestamp": "\#(ms)", "message_create": "#
                + #"{"target": {"recipient_id": "2244994945"}, "sender_id": "783214", "message_data": {"text": "Hi!", "entities": "#
                + #"{"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}}}"#
        default:
            item = #"{"created_at": "\#(createdAt)", "id": \#(snowflake), "id_str": "\#(snowflake)", "#
                + #""text": "@exampledev hello from hookrelay", "user": \#(other), "timestamp_ms": "\#(ms)"}"#
        }
        let body = #"{"for_user_id": "2244994945", "\#(type)_events": [\#(item)]}"#
        let bytes = Array(body.utf8)
        return SampleWebhook(headers: [("Content-Type", "application/json"),
                                       (signatureHeader, "sha256=" + Base64.encode(key.authenticationCode(for: bytes)))], body: bytes)
    }
}
