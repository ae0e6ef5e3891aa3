import HTTPServer

/// Xero: `x-xero-signature` = base64 HMAC-SHA256(webhook key, raw body). Deliveries batch `events[]`. Intent to
/// Receive: when a subscription is created or re-enabled Xero posts correctly and incorrectly signed payloads with an
/// empty `events` array and expects 200 (no body) for the first and 401 for the others, within 5 s — which is what
/// verification failures answer. Every accepted delivery is answered 200 with no body, as Xero asks.
public enum XeroPreset: ProviderPreset {
    public static let name = "xero"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        decoder.secretsAndSplitFactory(XeroProvider.self, settings, of: source, "xero needs at least one secret: the app's webhook key")
    }
}

final class XeroProvider: SecretsAndSplitProvider {
    private let keys: [HMACKey]
    private let split: Bool

    init(secrets: [Secret], split: Bool = true) {
        keys = GroupB.keys(secrets, .sha256)
        self.split = split
    }

    static let header = "x-xero-signature"

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try GroupB.verifyBodySignature(request, header: Self.header, keys: keys, .sha256)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        try Payload.validateJSON(body)
        guard let items = GroupB.elements(at: ["events"], in: body) else { throw NormalizationFailure("body has no events array") }
        let events = items.map { range -> NormalizedEvent in
            func field(_ name: String) -> String? { GroupB.identifier([.key(name)], in: body, item: range) }
            let category = field("eventCategory") ?? "EVENT"
            let type = field("eventType") ?? "UNKNOWN"
            let date = field("eventDateUtc")
            // No event id: tenant, resource, change and time identify one (retries repeat all four).
            let id = [field("tenantId") ?? "", category, field("resourceId") ?? "", type, date ?? ""].joined(separator: ":")
            return NormalizedEvent(type: "\(category).\(type)", providerEventID: id, time: date.flatMap(GroupB.milliseconds(iso:)),
                                   subject: field("resourceId"), data: Array(body[range]))
        }
        return .events(GroupB.assemble(events, split: split, batch: body), acknowledgement: GroupB.emptyOK)
    }
}

extension XeroPreset: SamplingPreset {
    public static let sampleEventTypes = ["INVOICE.UPDATE", "INVOICE.CREATE", "CONTACT.CREATE", "intent-to-receive"]

    /// A batch of one event (or an Intent to Receive payload), signed with the webhook key.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let body: String
        if type == "intent-to-receive" {
            body = #"{"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"\#(request.nonce.uppercased())"}"#
        } else {
            let parts = type.split(separator: ".")
            let category = String(parts.first ?? "INVOICE"), change = String(parts.last ?? "UPDATE")
            let resource = GroupB.uuid(request.nonce)
            let date = String(RFC3339.string(fromUnixMilliseconds: request.now).dropLast())  // Xero writes no zone
            body = """
                {"events":[{"resourceUrl":"https://api.xero.com/api.xro/2.0/\(category.capitalized)s/\(resource)",\
                "resourceId":"\(resource)","eventDateUtc":"\(date)","eventType":"\(change)","eventCategory":"\(category)",\
                "tenantId":"c2cc9b6e-9458-4c7d-93cc-f02b81b0594f","tenantType":"ORGANISATION"}],\
                "lastEventSequence":1,"firstEventSequence":1,"entropy":"\(request.nonce.uppercased())"}
                """
        }
        let bytes = Array(body.utf8)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        return SampleWebhook(headers: [("Content-Type", "application/json; charset=utf-8"),
                                       ("x-xero-signature", Base64.encode(key.authenticationCode(for: bytes)))], body: bytes)
    }
}
