import HTTPServer

/// GitLab: the classic `X-Gitlab-Token` (the webhook's secret token echoed in plain text, compared in constant time),
/// and GitLab's newer signing token, which signs the Standard Webhooks way (`webhook-id` = `Idempotency-Key`,
/// `webhook-timestamp`, `webhook-signature: v1,<base64>`).
///
/// Secrets that start with `whsec_` are signing tokens; any other secret is a secret token. A request that carries
/// `webhook-signature` must verify against a signing token when one is configured; otherwise its `X-Gitlab-Token` must
/// equal one of the secret tokens. Signed requests get the Standard Webhooks tolerance (5 minutes both ways).
public enum GitLabPreset: ProviderPreset {
    public static let name = "gitlab"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source,
                                     "gitlab needs at least one secret: the webhook's secret token, or its whsec_… signing token") else {
            return nil
        }
        var tokens: [[UInt8]] = []
        var keys = StandardWebhooksKeys()
        let nodes = source["secrets"]?.arrayValue ?? []
        for (index, secret) in settings.secrets.enumerated() {
            guard secret.bytes.starts(with: "whsec_".utf8) else {
                tokens.append(secret.bytes)
                continue
            }
            if let problem = keys.add(secret: secret.bytes) {
                let position = nodes.count == settings.secrets.count ? nodes[index].position : source.position
                decoder.error(problem, at: position, path: source.path.appending("secrets").appending(index: index))
                return nil
            }
        }
        return Factory(keys: keys, tokens: tokens, tolerance: settings.tolerance ?? StandardWebhooksPreset.defaultTolerance)
    }

    struct Factory: ProviderFactory {
        let keys: StandardWebhooksKeys
        let tokens: [[UInt8]]
        let tolerance: Duration
        func makeProvider(context: ProviderContext) -> any Provider { GitLabProvider(keys: keys, tokens: tokens, tolerance: tolerance) }
    }
}

final class GitLabProvider: Provider {
    private let verifier: StandardWebhooksVerifier
    /// SHA-256 of each secret token: comparing digests keeps the comparison independent of the tokens' lengths.
    private let tokenDigests: [[UInt8]]

    init(keys: StandardWebhooksKeys, tokens: [[UInt8]], tolerance: Duration, clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        verifier = StandardWebhooksVerifier(keys: keys, headers: .standard, tolerance: tolerance, clock: clock)
        tokenDigests = tokens.map { Digest.hash(.sha256, $0) }
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        if verifier.isPresent(in: request) && !verifier.hmacKeys.isEmpty {
            try verifier.verify(request)
            return
        }
        guard !tokenDigests.isEmpty else { throw .missingHeader("webhook-signature") }
        guard let token = request.headers.valueBytes("X-Gitlab-Token") else { throw .missingHeader("X-Gitlab-Token") }
        let digest = Digest.hash(.sha256, token)
        var matched = false
        for candidate in tokenDigests where constantTimeEquals(candidate, digest) { matched = true }
        guard matched else {
            throw VerificationFailure("bad_signature", tokenDigests.count == 1 ? "token does not match"
                                                                                : "token does not match any of \(tokenDigests.count) tokens")
        }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let body = request.body
        guard let kind = Payload.string(["object_kind"], in: body) ?? Payload.string(["event_name"], in: body)
                ?? request.headers["X-Gitlab-Event"].map(Self.kind(ofEventHeader:)) else {
            throw NormalizationFailure("event has no object_kind")
        }
        var type = kind
        if let action = Payload.string(["object_attributes", "action"], in: body), !action.isEmpty { type += "." + action }
        let id = request.headers["Idempotency-Key"] ?? request.headers["webhook-id"] ?? request.headers["X-Gitlab-Event-UUID"]
            ?? Payload.bodyHash(body)
        let time = (Payload.string(["object_attributes", "updated_at"], in: body)
                    ?? Payload.string(["object_attributes", "created_at"], in: body)).flatMap(Self.milliseconds)
        var subject = Payload.string(["project", "path_with_namespace"], in: body)
        if let project = subject, let iid = Payload.identifier(["object_attributes", "iid"], in: body) {
            switch kind {
            case "merge_request": subject = "\(project)!\(iid)"
            case "issue", "work_item": subject = "\(project)#\(iid)"
            default: break
            }
        }
        return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: subject, data: body)], acknowledgement: nil)
    }

    /// `Merge Request Hook` → `merge_request`, for bodies without `object_kind`.
    static func kind(ofEventHeader header: String) -> String {
        var words = header.split(separator: " ").map { $0.lowercased() }
        if words.last == "hook" { words.removeLast() }
        return words.joined(separator: "_")
    }

    /// GitLab writes times as RFC 3339 (`2025-01-31T10:00:00Z`, `…+01:00`) or, in older payloads, `2013-12-03 17:23:34 UTC`.
    static func milliseconds(_ text: String) -> Int64? {
        if let ms = EventFields.milliseconds(rfc3339: text) { return ms }
        guard text.hasSuffix(" UTC") else { return nil }
        return RFC3339.parse(String(text.dropLast(4)) + "Z")?.milliseconds
    }
}

extension GitLabPreset: SamplingPreset {
    public static let sampleEventTypes = ["merge_request", "push", "issue"]

    /// With `--secret whsec_…` the sample is signed (signing token); any other secret is sent as `X-Gitlab-Token`.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let kind = request.eventType ?? sampleEventTypes[0]
        let now = RFC3339.string(fromUnixSeconds: request.now / 1000)
        let project = #""project":{"id":42,"name":"hookrelay","path_with_namespace":"acme/hookrelay","default_branch":"main","web_url":"https://gitlab.example.com/acme/hookrelay"}"#
        let user = #""user":{"id":7,"name":"Ada Lovelace","username":"ada"}"#
        let body: String
        let event: String
        switch kind {
        case "push":
            event = "Push Hook"
            body = #"{"object_kind":"push","event_name":"push","before":"0000000000000000000000000000000000000000","after":"\#(request.nonce)","ref":"refs/heads/main","user_name":"Ada Lovelace","project_id":42,\#(project),"commits":[{"id":"\#(request.nonce)","message":"Add sample","timestamp":"\#(now)"}],"total_commits_count":1}"#
        case "issue":
            event = "Issue Hook"
            body = #"{"object_kind":"issue","event_type":"issue",\#(user),\#(project),"object_attributes":{"id":1\#(request.nonce.filter(\.isNumber).prefix(6)),"iid":12,"title":"Sample issue","state":"opened","action":"open","created_at":"\#(now)","updated_at":"\#(now)"}}"#
        default:
            event = "Merge Request Hook"
            body = #"{"object_kind":"merge_request","event_type":"merge_request",\#(user),\#(project),"object_attributes":{"id":1\#(request.nonce.filter(\.isNumber).prefix(6)),"iid":7,"title":"Sample merge request","state":"opened","action":"open","source_branch":"feature","target_branch":"main","created_at":"\#(now)","updated_at":"\#(now)"}}"#
        }
        let bytes = Array(body.utf8)
        let uuid = request.nonce
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("User-Agent", "GitLab/18.0.0"),
                                                        ("X-Gitlab-Event", event), ("X-Gitlab-Event-UUID", uuid),
                                                        ("X-Gitlab-Instance", "https://gitlab.example.com"), ("Idempotency-Key", uuid)]
        if request.secret.bytes.starts(with: "whsec_".utf8) {
            let timestamp = request.now / 1000
            let signature = try StandardWebhooksVerifier.sign(id: uuid, timestamp: timestamp, body: bytes, secret: request.secret)
            headers += [("webhook-id", uuid), ("webhook-timestamp", "\(timestamp)"), ("webhook-signature", signature)]
        } else {
            headers.append(("X-Gitlab-Token", request.secret.text))
        }
        return SampleWebhook(headers: headers, body: bytes)
    }
}
