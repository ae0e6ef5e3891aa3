import HTTPServer

/// Microsoft Teams outgoing webhook: `Authorization: HMAC <base64 HMAC-SHA256(key, raw body)>` where the key is the
/// security token shown when the webhook is created, **base64-decoded**. The body is a Bot Framework activity; Teams
/// waits (about 5 s) for a reply message to post in the thread: hookrelay answers `{"type":"message","text":…}`
/// with `replyText` (default `Received.`) once the event is stored.
public enum TeamsPreset: ProviderPreset {
    public static let name = "teams"
    public static let optionKeys = ["replyText"]
    static let defaultReply = "Received."

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source,
                                     "teams needs at least one secret (the security token shown when the outgoing webhook was created)") else {
            return nil
        }
        let reply = decoder.optional("replyText", in: source, as: .string, default: defaultReply)
        var keys: [[UInt8]] = []
        for (index, secret) in settings.secrets.enumerated() {
            guard let key = Base64.decode(secret.bytes), !key.isEmpty else {
                GroupD.reportSecret("the Teams security token is base64 (copy it exactly as shown)", index: index, of: settings,
                                    in: source, decoder: &decoder)
                continue
            }
            keys.append(key)
        }
        guard keys.count == settings.secrets.count else { return nil }
        return Factory(keys: keys, reply: reply)
    }

    struct Factory: ProviderFactory {
        let keys: [[UInt8]]
        let reply: String
        func makeProvider(context: ProviderContext) -> any Provider { TeamsProvider(keys: keys, reply: reply) }
    }

    /// The reply activity Teams posts in the thread.
    static func replyMessage(_ text: String) -> HTTPResponse {
        var body = Array(#"{"type":"message","text":"#.utf8)
        JSONString.appendQuoted(text, to: &body)
        body.append(0x7D)
        return HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }
}

final class TeamsProvider: Provider {
    private let keys: [HMACKey]
    private let reply: HTTPResponse

    init(keys: [[UInt8]], reply: String = TeamsPreset.defaultReply) {
        self.keys = keys.compactMap { try? HMACKey(algorithm: .sha256, key: $0) }
        self.reply = TeamsPreset.replyMessage(reply)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers["Authorization"] else { throw .missingHeader("Authorization") }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "HMAC", let signature = Base64.decode(parts[1]), signature.count == 32 else {
            throw .malformedHeader("Authorization")
        }
        try GroupD.requireMatch(signature, keys: keys, request.body)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        guard let type = Payload.string(["type"], in: request.body) else { throw NormalizationFailure("activity has no type") }
        let id = Payload.identifier(["id"], in: request.body) ?? Payload.bodyHash(request.body)
        let time = GroupD.milliseconds(["timestamp"], in: request.body)
        let subject = Payload.string(["conversation", "id"], in: request.body)
        return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: subject, data: request.body)],
                       acknowledgement: reply)
    }
}

extension TeamsPreset: SamplingPreset {
    public static let sampleEventTypes = ["message"]

    /// The secret is the security token exactly as Teams shows it (base64).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        guard let keyBytes = Base64.decode(request.secret.bytes), !keyBytes.isEmpty,
              let key = try? HMACKey(algorithm: .sha256, key: keyBytes) else {
            throw SampleError("the secret is the Teams security token (base64)")
        }
        let time = RFC3339.string(fromUnixMilliseconds: request.now)
        let id = String(request.now) + String(request.nonce.prefix(4))
        let body = """
        {"type": "message", "id": "\(id)", "timestamp": "\(time)", "localTimestamp": "\(time)", \
        "serviceUrl": "https://smba.trafficmanager.net/emea/", "channelId": "msteams", \
        "from": {"id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw", \
        "name": "Alice Example", "aadObjectId": "f4e4b7d2-3d1a-4c6b-9a2f-1c2d3e4f5a6b"}, \
        "conversation": {"isGroup": true, "id": "19:0f1e2d3c4b5a69788796a5b4c3d2e1f0@thread.skype;messageid=\(id)", "name": null}, \
        "recipient": null, "textFormat": "plain", "attachmentLayout": null, "membersAdded": [], "membersRemoved": [], \
        "topicName": null, "historyDisclosed": null, "locale": "en-US", \
        "text": "<at>hookrelay</at> deploy status", "speak": null, "inputHint": null, "summary": null, "suggestedActions": null, \
        "attachments": [{"contentType": "text/html", "contentUrl": null, "content": "<div><span itemscope=\\"\\" \
        itemtype=\\"http://schema.skype.com/Mention\\" itemid=\\"0\\">hookrelay</span> deploy status</div>", "name": null, \
        "thumbnailUrl": null}], "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"}], \
        "channelData": {"teamsChannelId": "19:0f1e2d3c4b5a69788796a5b4c3d2e1f0@thread.skype", \
        "teamsTeamId": "19:a1b2c3d4e5f60718293a4b5c6d7e8f90@thread.skype", "channel": {"id": "19:0f1e2d3c4b5a69788796a5b4c3d2e1f0@thread.skype"}, \
        "team": {"id": "19:a1b2c3d4e5f60718293a4b5c6d7e8f90@thread.skype"}, "tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"}}, \
        "action": null, "replyToId": null, "value": null, "name": null, "relatesTo": null, "code": null}
        """
        let bytes = Array(body.utf8)
        return SampleWebhook(headers: [("Content-Type", "application/json; charset=utf-8"),
                                       ("Authorization", "HMAC " + Base64.encode(key.authenticationCode(for: bytes)))], body: bytes)
    }
}
