import HTTPServer

/// Jira (Cloud admin webhooks with a secret, and Data Center): `X-Hub-Signature: sha256=<hex>` — HMAC-SHA256 of the
/// raw body with the webhook's secret (WebSub `method=signature` format). Webhooks registered by Connect or OAuth apps
/// are not signed this way and are refused. No timestamp, no handshake.
public enum JiraPreset: ProviderPreset {
    public static let name = "jira"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(JiraProvider.self, settings, source: source, decoder: &decoder, hint: "the webhook's Secret")
    }
}

final class JiraProvider: GroupA.SecretsProvider {
    private let signature: GroupA.BodySignature

    init(secrets: [Secret]) {
        signature = GroupA.BodySignature(header: "X-Hub-Signature", encoding: .hex(prefix: "sha256="), secrets: secrets, digest: .sha256)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try signature.verify(request)
    }

    /// Type `webhookEvent` (`jira:issue_created`, `comment_created`), id `X-Atlassian-Webhook-Identifier` (unchanged
    /// across retries), time `timestamp` (ms), subject the issue key (else the issue id, project key, sprint or version).
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let event = GroupA.string(["webhookEvent"], in: root, of: body), !event.isEmpty else {
            throw NormalizationFailure("body has no webhookEvent")
        }
        let id = request.headers["X-Atlassian-Webhook-Identifier"].flatMap { $0.isEmpty ? nil : $0 } ?? Payload.bodyHash(body)
        let time = GroupA.integer(["timestamp"], in: root, of: body)
        let subject = GroupA.string(["issue", "key"], in: root, of: body)
            ?? GroupA.identifier(["issue", "id"], in: root, of: body)
            ?? GroupA.string(["project", "key"], in: root, of: body)
            ?? GroupA.identifier(["sprint", "id"], in: root, of: body).map { "sprint/\($0)" }
            ?? GroupA.identifier(["version", "id"], in: root, of: body).map { "version/\($0)" }
        return .events([NormalizedEvent(type: event, providerEventID: id, time: time, subject: subject, data: Array(body[root]))],
                       acknowledgement: nil)
    }
}

extension JiraPreset: SamplingPreset {
    public static let sampleEventTypes = ["jira:issue_created", "jira:issue_updated", "comment_created", "jira:issue_deleted"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let event = request.eventType ?? sampleEventTypes[0]
        let issueID = 10_000 + request.now % 90_000
        let key = "PROJ-\(request.now % 1000)"
        let user = #"{"accountId":"5b10a2844c20165700ede21g","displayName":"J\u00fcrgen M\u00fcller","active":true}"#
        var extra = ""
        if event == "jira:issue_updated" {
            extra = #","issue_event_type_name":"issue_generic","changelog":{"id":"\#(issueID)1","items":[{"field":"status","#
                + #""fromString":"To Do","toString":"In Progress"}]}"#
        } else if event == "comment_created" {
            extra = #","comment":{"id":"\#(issueID)2","body":"Gr\u00fc\u00dfe","author":\#(user),"#
                + #""created":"\#(RFC3339.string(fromUnixMilliseconds: request.now))"}"#
        } else if event == "jira:issue_created" {
            extra = #","issue_event_type_name":"issue_created""#
        }
        let body = #"{"timestamp":\#(request.now),"webhookEvent":"\#(event)","user":\#(user),"#
            + #""issue":{"id":"\#(issueID)","key":"\#(key)","self":"https://example.atlassian.net/rest/api/2/issue/\#(issueID)","#
            + #""fields":{"summary":"Sample \#(request.nonce)","issuetype":{"name":"Task"},"project":{"key":"PROJ"},"#
            + #""status":{"name":"To Do"}}}\#(extra)}"#
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json; charset=utf-8"), ("X-Hub-Signature", "sha256=" + mac),
                                       ("X-Atlassian-Webhook-Identifier", request.nonce),
                                       ("X-Atlassian-Webhook-Flow", "Primary")], body: bytes)
    }
}
