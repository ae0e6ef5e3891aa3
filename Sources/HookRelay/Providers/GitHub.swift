import HTTPServer

/// GitHub: `X-Hub-Signature-256: sha256=<hex>` — HMAC-SHA256 of the raw body with the webhook secret. Hooks that
/// predate it (and old GitHub Enterprise Server) send only the legacy `X-Hub-Signature: sha1=<hex>` (HMAC-SHA1), which
/// is checked only when the SHA-256 header is absent. Bodies are JSON, or form-encoded with the JSON in one `payload`
/// field (a per-hook setting); the signature covers the raw body either way. No timestamp. The `ping` sent when a hook
/// is created is answered 200 and not stored.
public enum GitHubPreset: ProviderPreset {
    public static let name = "github"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(GitHubProvider.self, settings, source: source, decoder: &decoder, hint: "the webhook's secret")
    }
}

final class GitHubProvider: GroupA.SecretsProvider {
    private let signature: GroupA.BodySignature
    private let legacySignature: GroupA.BodySignature

    init(secrets: [Secret]) {
        signature = GroupA.BodySignature(header: "X-Hub-Signature-256", encoding: .hex(prefix: "sha256="), secrets: secrets, digest: .sha256)
        legacySignature = GroupA.BodySignature(header: "X-Hub-Signature", encoding: .hex(prefix: "sha1="), secrets: secrets, digest: .sha1)
    }

    /// The SHA-256 header when present, else the legacy SHA-1 one.
    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        if request.headers.contains(signature.header) {
            try signature.verify(request)
        } else if request.headers.contains(legacySignature.header) {
            try legacySignature.verify(request)
        } else {
            throw .missingHeader(signature.header)
        }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let json = try Self.payload(of: request)
        let root = try GroupA.rootObject(json)
        guard let event = request.headers["X-GitHub-Event"], !event.isEmpty else {
            throw NormalizationFailure("missing X-GitHub-Event header")
        }
        if event == "ping" { return .handshake(GroupA.pong) }
        let action = GroupA.string(["action"], in: root, of: json)
        let type = action.map { "\(event).\($0)" } ?? event
        // X-GitHub-Delivery identifies the event: redeliveries (manual or via the API) reuse it.
        let id = request.headers["X-GitHub-Delivery"].flatMap { $0.isEmpty ? nil : $0 } ?? Payload.bodyHash(request.body)
        return .events([NormalizedEvent(type: type, providerEventID: id, time: nil, subject: Self.subject(in: root, of: json),
                                        data: Array(json[root]))], acknowledgement: nil)
    }

    /// The JSON payload: the body, or the `payload` field of a form-encoded body.
    static func payload(of request: WebhookRequest) throws(NormalizationFailure) -> [UInt8] {
        guard request.mediaType == "application/x-www-form-urlencoded" else { return request.body }
        guard let pairs = try? FormURLEncoded.parse(request.body) else { throw NormalizationFailure("malformed form body") }
        let payloads = pairs.filter { $0.name == "payload" }
        guard payloads.count == 1, let payload = payloads.first else {
            throw NormalizationFailure("form body must have exactly one payload field")
        }
        return Array(payload.value.utf8)
    }

    /// `owner/repo`, with `#<number>` for issues, pull requests and discussions; else the organization, the
    /// installation or the sender.
    static func subject(in root: Range<Int>, of json: [UInt8]) -> String? {
        let number = GroupA.identifier(["issue", "number"], in: root, of: json)
            ?? GroupA.identifier(["pull_request", "number"], in: root, of: json)
            ?? GroupA.identifier(["discussion", "number"], in: root, of: json)
        if let repository = GroupA.string(["repository", "full_name"], in: root, of: json) {
            return number.map { "\(repository)#\($0)" } ?? repository
        }
        return GroupA.string(["organization", "login"], in: root, of: json)
            ?? GroupA.identifier(["installation", "id"], in: root, of: json).map { "installation/\($0)" }
            ?? GroupA.string(["sender", "login"], in: root, of: json)
    }
}

extension GitHubPreset: SamplingPreset {
    public static let sampleEventTypes = ["issues.opened", "push", "pull_request.opened", "ping"]

    /// A JSON delivery with both signature headers, as GitHub sends them.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let parts = type.split(separator: ".", maxSplits: 1).map(String.init)
        let event = parts[0]
        let number = 1000 + Int(request.now % 9000)
        let repository = #""repository":{"id":1296269,"name":"Hello-World","full_name":"octocat/Hello-World","private":false},"#
            + #""sender":{"login":"octocat","id":1,"type":"User"}"#
        let body: String
        switch event {
        case "ping":
            body = #"{"zen":"Keep it logically awesome.","hook_id":\#(number),"hook":{"type":"Repository","id":\#(number),"#
                + #""events":["issues","push"],"active":true},\#(repository)}"#
        case "push":
            body = #"{"ref":"refs/heads/main","before":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","#
                + #""after":"\#(Hex.encode(Digest.hash(.sha1, request.nonce)))","commits":[{"id":"\#(request.nonce)","#
                + #""message":"Grüße from hookrelay","author":{"name":"Mona Lisa Octocat","email":"octocat@github.com"}}],"#
                + #"\#(repository)}"#
        case "pull_request":
            body = #"{"action":"\#(parts.count > 1 ? parts[1] : "opened")","number":\#(number),"pull_request":{"id":\#(number)00,"#
                + #""number":\#(number),"title":"Sample \#(request.nonce)","state":"open"},\#(repository)}"#
        default:
            body = #"{"action":"\#(parts.count > 1 ? parts[1] : "opened")","issue":{"id":\#(number)00,"number":\#(number),"#
                + #""title":"Sample issue \#(request.nonce)","state":"open","body":"Grüße 🚀"},\#(repository)}"#
        }
        let bytes = Array(body.utf8)
        let sha256 = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: bytes))
        let sha1 = Hex.encode(try GroupA.sampleKey(request.secret, .sha1).authenticationCode(for: bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("User-Agent", "GitHub-Hookshot/hookrelay"),
                                       ("X-GitHub-Event", event), ("X-GitHub-Delivery", GroupA.sampleUUID(request.nonce)),
                                       ("X-GitHub-Hook-ID", "\(number)"),
                                       ("X-Hub-Signature", "sha1=" + sha1), ("X-Hub-Signature-256", "sha256=" + sha256)],
                             body: bytes)
    }
}
