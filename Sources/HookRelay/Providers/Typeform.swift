import HTTPServer

/// Typeform: `Typeform-Signature: sha256=<base64>` = base64 HMAC-SHA256(the webhook's secret, raw body) — base64 despite
/// the GitHub-like prefix. No timestamp.
public enum TypeformPreset: ProviderPreset {
    public static let name = "typeform"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source, "typeform needs at least one secret: the webhook's secret") else { return nil }
        return Factory(secrets: settings.secrets)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        func makeProvider(context: ProviderContext) -> any Provider { TypeformProvider(secrets: secrets) }
    }
}

final class TypeformProvider: Provider {
    private let keys: [HMACKey]

    init(secrets: [Secret]) {
        keys = GroupB.keys(secrets, .sha256)
    }

    static let header = "Typeform-Signature"

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try GroupB.verifyBodySignature(request, header: Self.header, prefix: "sha256=", keys: keys, .sha256)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let body = request.body
        guard let type = Payload.string(["event_type"], in: body) else { throw NormalizationFailure("event has no event_type") }
        let id = Payload.string(["event_id"], in: body) ?? Payload.bodyHash(body)
        let time = Payload.string(["form_response", "submitted_at"], in: body).flatMap(GroupB.milliseconds(iso:))
        let subject = Payload.string(["form_response", "token"], in: body)
        return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: subject, data: body)], acknowledgement: nil)
    }
}

extension TypeformPreset: SamplingPreset {
    public static let sampleEventTypes = ["form_response"]

    /// A form response signed with the webhook secret.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let submitted = RFC3339.string(fromUnixSeconds: request.now / 1000)
        let body = """
            {"event_id":"01H\(request.nonce.uppercased().prefix(23))","event_type":"form_response","form_response":\
            {"form_id":"lT4Z3j","token":"\(request.nonce)","landed_at":"\(submitted)","submitted_at":"\(submitted)",\
            "definition":{"id":"lT4Z3j","title":"Feedback","fields":[{"id":"DlXFaesGBpoF","title":"How was it?","type":"long_text",\
            "ref":"readable_ref_long_text"}]},"answers":[{"type":"text","text":"Très bien 👍","field":{"id":"DlXFaesGBpoF",\
            "type":"long_text","ref":"readable_ref_long_text"}}]}}
            """
        let bytes = Array(body.utf8)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        return SampleWebhook(headers: [("Content-Type", "application/json"),
                                       ("Typeform-Signature", "sha256=" + Base64.encode(key.authenticationCode(for: bytes)))],
                             body: bytes)
    }
}
