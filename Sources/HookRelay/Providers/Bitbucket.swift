import HTTPServer

/// Bitbucket (Cloud, and Data Center): `X-Hub-Signature: sha256=<hex>` — HMAC-SHA256 of the raw body with the
/// webhook's secret (sent only when the webhook has one; note the header name GitHub uses for SHA-1). No timestamp.
/// Data Center's "Test connection" (`diagnostics:ping`) is answered 200 and not stored.
public enum BitbucketPreset: ProviderPreset {
    public static let name = "bitbucket"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(BitbucketProvider.self, settings, source: source, decoder: &decoder, hint: "the webhook's Secret")
    }
}

final class BitbucketProvider: GroupA.SecretsProvider {
    private let signature: GroupA.BodySignature

    init(secrets: [Secret]) {
        signature = GroupA.BodySignature(header: "X-Hub-Signature", encoding: .hex(prefix: "sha256="), secrets: secrets, digest: .sha256)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try signature.verify(request)
    }

    /// Type `X-Event-Key` (`repo:push`, `pullrequest:created`; Data Center: also the body's `eventKey`), id
    /// `X-Request-UUID` (Cloud) or `X-Request-Id` (Data Center), time the body's `date` (Data Center) else receipt,
    /// subject `workspace/repo` (Data Center: `PROJECT/repo`) with `#<id>` for pull requests and issues.
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let key = request.headers["X-Event-Key"].flatMap({ $0.isEmpty ? nil : $0 }) ?? GroupA.string(["eventKey"], in: root, of: body) else {
            throw NormalizationFailure("missing X-Event-Key header")
        }
        if key == "diagnostics:ping" { return .handshake(GroupA.pong) }
        let id = request.headers["X-Request-UUID"].flatMap { $0.isEmpty ? nil : $0 }
            ?? request.headers["X-Request-Id"].flatMap { $0.isEmpty ? nil : $0 } ?? Payload.bodyHash(body)
        let time = GroupA.rfc3339(["date"], in: root, of: body)
        var repository = GroupA.string(["repository", "full_name"], in: root, of: body)
        if repository == nil, let project = GroupA.string(["repository", "project", "key"], in: root, of: body),
           let slug = GroupA.string(["repository", "slug"], in: root, of: body) {
            repository = "\(project)/\(slug)"
        }
        let number = GroupA.identifier(["pullrequest", "id"], in: root, of: body)
            ?? GroupA.identifier(["pullRequest", "id"], in: root, of: body)
            ?? GroupA.identifier(["issue", "id"], in: root, of: body)
        let subject = repository.map { repository in number.map { "\(repository)#\($0)" } ?? repository }
        return .events([NormalizedEvent(type: key, providerEventID: id, time: time, subject: subject, data: Array(body[root]))],
                       acknowledgement: nil)
    }
}

extension BitbucketPreset: SamplingPreset {
    public static let sampleEventTypes = ["repo:push", "pullrequest:created", "pullrequest:fulfilled", "issue:created"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let key = request.eventType ?? sampleEventTypes[0]
        let number = 1 + Int(request.now % 500)
        let created = RFC3339.string(fromUnixMilliseconds: request.now)
        let common = #""repository":{"type":"repository","full_name":"team_name/repo_name","name":"repo_name","#
            + #""uuid":"{\#(GroupA.sampleUUID("repo"))}","is_private":true},"#
            + #""actor":{"type":"user","display_name":"J\u00fcrgen M\u00fcller","uuid":"{\#(GroupA.sampleUUID("actor"))}"}"#
        let body: String
        switch key {
        case "pullrequest:created", "pullrequest:fulfilled":
            body = #"{"pullrequest":{"id":\#(number),"title":"Sample \#(request.nonce)","#
                + #""state":"\#(key == "pullrequest:fulfilled" ? "MERGED" : "OPEN")","created_on":"\#(created)"},\#(common)}"#
        case "issue:created":
            body = #"{"issue":{"id":\#(number),"title":"Sample \#(request.nonce)","state":"new","created_on":"\#(created)"},\#(common)}"#
        default:
            body = #"{"push":{"changes":[{"new":{"type":"branch","name":"main","target":{"type":"commit","#
                + #""hash":"\#(Hex.encode(Digest.hash(.sha1, request.nonce)))","message":"Gr\u00fc\u00dfe\n","date":"\#(created)"}},"#
                + #""old":null,"created":true,"forced":false,"closed":false}]},\#(common)}"#
        }
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("User-Agent", "Bitbucket-Webhooks/2.0"),
                                       ("X-Event-Key", key), ("X-Hook-UUID", GroupA.sampleUUID("hook")),
                                       ("X-Request-UUID", GroupA.sampleUUID(request.nonce)), ("X-Attempt-Number", "1"),
                                       ("X-Hub-Signature", "sha256=" + mac)], body: bytes)
    }
}
