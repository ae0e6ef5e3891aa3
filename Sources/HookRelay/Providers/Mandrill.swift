import HTTPServer

/// Mandrill (Mailchimp Transactional): `X-Mandrill-Signature` = base64 HMAC-SHA1(webhook key, webhook URL exactly as
/// entered + every POST variable as `key + value`, sorted by key). Deliveries are forms with one field,
/// `mandrill_events`, a JSON array of events (one envelope each; sync events for allow/deny lists included). Adding a
/// webhook sends a HEAD request (answered 200); only if that fails, an empty batch signed with the key `test-webhook`.
/// No timestamp.
public enum MandrillPreset: ProviderPreset {
    public static let name = "mandrill"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let hasSecrets = decoder.requireSecrets(settings, of: source, "mandrill needs at least one secret: the webhook's key")
        let url = GroupB.requirePublicURL(settings, of: source, decoder: &decoder,
                                          "mandrill signs the webhook URL: set publicURL to it exactly as entered in Mandrill")
        guard hasSecrets, url != nil else { return nil }
        return SecretsAndSplitFactory<MandrillProvider>(settings)
    }
}

final class MandrillProvider: SecretsAndSplitProvider {
    private let keys: [HMACKey]
    private let split: Bool

    init(secrets: [Secret], split: Bool = true) {
        keys = GroupB.keys(secrets, .sha1)
        self.split = split
    }

    var allowedMethods: [String] { ["POST", "HEAD"] }

    static let header = "X-Mandrill-Signature"

    /// The URL check Mandrill makes when a webhook is added.
    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        request.method == "HEAD" ? GroupB.emptyOK : nil
    }

    /// POST variables as PHP sees them (a repeated key keeps its last value), sorted by key.
    static func signedParameters(_ pairs: [(name: String, value: String)]) -> [(String, String)] {
        var last: [String: String] = [:]
        for (name, value) in pairs { last[name] = value }
        return last.sorted { GroupB.codePointLess($0.key, $1.key) }.map { ($0.key, $0.value) }
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let value = request.headers[Self.header] else { throw .missingHeader(Self.header) }
        guard let signature = GroupB.base64Signature(value, .sha1) else { throw .malformedHeader(Self.header) }
        guard let pairs = try? FormURLEncoded.parse(request.body) else {
            throw VerificationFailure("malformed_body", "malformed form body", status: 400)
        }
        let parameters = Self.signedParameters(pairs)
        guard GroupB.matches(signature, keys: keys, { message in
            message.append(request.publicURL)
            for (name, value) in parameters {
                message.append(name)
                message.append(value)
            }
        }) else { throw .noMatch(secrets: keys.count) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        guard let pairs = try? FormURLEncoded.parse(request.body) else { throw NormalizationFailure("malformed form body") }
        guard let events = pairs.last(where: { $0.name == "mandrill_events" })?.value else {
            throw NormalizationFailure("form has no mandrill_events")
        }
        let batch = Array(events.utf8)
        try Payload.validateJSON(batch)
        guard GroupB.topLevelKind(batch) == .array, let items = GroupB.elements(at: [], in: batch) else {
            throw NormalizationFailure("mandrill_events is not an array")
        }
        return .events(GroupB.assemble(items.map { Self.event(batch, range: $0) }, split: split, batch: batch), acknowledgement: nil)
    }

    /// One event: message events (`event`, `_id` = message id, `ts`, `msg`) or sync events (`type` + `action`).
    static func event(_ batch: [UInt8], range: Range<Int>) -> NormalizedEvent {
        func field(_ path: [RawJSON.PathComponent]) -> String? { GroupB.identifier(path, in: batch, item: range) }
        let item = Array(batch[range])
        let type = field(["event"]) ?? [field(["type"]), field(["action"])].compactMap { $0 }.joined(separator: ".")
        let ts = GroupB.integer(["ts"], in: batch, item: range)
        let message = field(["_id"]) ?? field(["msg", "_id"])
        // A message has many events (opens, clicks): the id is message + event + time, else the item's hash.
        let id = message.map { "\($0):\(type):\(ts.map(String.init) ?? "")" } ?? Payload.bodyHash(item)
        return NormalizedEvent(type: type.isEmpty ? "event" : type, providerEventID: id, time: ts.map { $0 * 1000 },
                               subject: message ?? field(["entry", "email"]) ?? field(["reject", "email"]), data: item)
    }
}

extension MandrillPreset: SamplingPreset {
    public static let sampleEventTypes = ["send", "open", "click", "hard_bounce", "inbound"]

    /// A batch of one event, signed with the webhook key over `--url` + `mandrill_events` + its value.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let ts = request.now / 1000
        let events = """
            [{"event":"\(type)","_id":"\(request.nonce)","ts":\(ts),"msg":{"ts":\(ts),"subject":"Bestellbestätigung ✓",\
            "email":"zoe@example.com","sender":"shop@example.com","tags":["orders"],"state":"sent","metadata":{"user_id":111},\
            "_id":"\(request.nonce)","_version":"exampleaaaaaaaaaaaaaaa"}}]
            """
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha1, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        let signature = key.authenticationCode(for: request.url, "mandrill_events", events)
        return SampleWebhook(headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                       ("X-Mandrill-Signature", Base64.encode(signature))],
                             body: Array(("mandrill_events=" + GroupB.formEncode(events)).utf8))
    }
}
