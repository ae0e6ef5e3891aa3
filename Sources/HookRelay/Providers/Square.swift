import HTTPServer

/// Square: `x-square-hmacsha256-signature` = base64 HMAC-SHA256(subscription signature key, notification URL + raw
/// body); older subscriptions send `x-square-signature` = base64 HMAC-SHA1 of the same string. The key is used as the
/// literal text Square shows. The URL is the subscription's notification URL exactly (a trailing slash matters), so
/// `publicURL` is required. No timestamp.
public enum SquarePreset: ProviderPreset {
    public static let name = "square"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let hasSecrets = decoder.requireSecrets(settings, of: source,
                                                "square needs at least one secret: the subscription's signature key")
        let url = GroupB.requirePublicURL(settings, of: source, decoder: &decoder,
                                          "square signs the notification URL: set publicURL to it exactly as in the subscription")
        guard hasSecrets, url != nil else { return nil }
        return Factory(secrets: settings.secrets)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        func makeProvider(context: ProviderContext) -> any Provider { SquareProvider(secrets: secrets) }
    }
}

final class SquareProvider: Provider {
    private let sha256Keys: [HMACKey]
    private let sha1Keys: [HMACKey]

    init(secrets: [Secret]) {
        sha256Keys = GroupB.keys(secrets, .sha256)
        sha1Keys = GroupB.keys(secrets, .sha1)
    }

    static let header = "x-square-hmacsha256-signature"
    static let legacyHeader = "x-square-signature"

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        let algorithm: DigestAlgorithm
        let name: String
        if request.headers.contains(Self.header) {
            (algorithm, name) = (.sha256, Self.header)
        } else if request.headers.contains(Self.legacyHeader) {
            (algorithm, name) = (.sha1, Self.legacyHeader)
        } else {
            throw .missingHeader(Self.header)
        }
        guard let signature = GroupB.base64Signature(request.headers[name]!, algorithm) else { throw .malformedHeader(name) }
        let keys = algorithm == .sha256 ? sha256Keys : sha1Keys
        guard GroupB.matches(signature, keys: keys, { message in
            message.append(request.publicURL)
            message.append(request.body)
        }) else { throw .noMatch(secrets: keys.count) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        guard let type = Payload.string(["type"], in: request.body) else { throw NormalizationFailure("event has no type") }
        let id = Payload.string(["event_id"], in: request.body) ?? Payload.bodyHash(request.body)
        let time = Payload.string(["created_at"], in: request.body).flatMap(GroupB.milliseconds(iso:))
        let subject = Payload.identifier(["data", "id"], in: request.body)
        return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: subject, data: request.body)],
                       acknowledgement: nil)
    }
}

extension SquarePreset: SamplingPreset {
    public static let sampleEventTypes = ["payment.updated", "payment.created", "customer.created"]

    /// A notification signed with the subscription key over `--url` + body.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let objectType = String(type.split(separator: ".").first ?? "payment")
        let created = RFC3339.string(fromUnixMilliseconds: request.now)
        let body = """
            {"merchant_id":"ML8M1AQ1GQG2K","type":"\(type)","event_id":"\(GroupB.uuid(request.nonce))",\
            "created_at":"\(created)","data":{"type":"\(objectType)","id":"\(objectType.prefix(3))_\(request.nonce)",\
            "object":{"\(objectType)":{"id":"\(objectType.prefix(3))_\(request.nonce)","amount_money":{"amount":2500,"currency":"USD"},\
            "status":"COMPLETED","note":"Café ☕","created_at":"\(created)"}}}}
            """
        let bytes = Array(body.utf8)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        let signature = key.authenticationCode(for: request.url, bytes)
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("x-square-hmacsha256-signature", Base64.encode(signature)),
                                       ("square-environment", "Sandbox"), ("square-retry-number", "0")], body: bytes)
    }
}
