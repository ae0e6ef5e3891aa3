import HTTPServer

/// QuickBooks Online (Intuit): `intuit-signature` = base64 HMAC-SHA256(the app's Verifier Token, raw body). Two
/// payload shapes, both batched: legacy `{"eventNotifications":[{"realmId","dataChangeEvent":{"entities":[…]}}]}` (one
/// event per entity) and a CloudEvents 1.0 array (one event per element). No timestamp.
public enum QuickBooksPreset: ProviderPreset {
    public static let name = "quickbooks"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        decoder.secretsAndSplitFactory(QuickBooksProvider.self, settings, of: source,
                                       "quickbooks needs at least one secret: the app's webhooks Verifier Token")
    }
}

final class QuickBooksProvider: SecretsAndSplitProvider {
    private let keys: [HMACKey]
    private let split: Bool

    init(secrets: [Secret], split: Bool = true) {
        keys = GroupB.keys(secrets, .sha256)
        self.split = split
    }

    static let header = "intuit-signature"

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try GroupB.verifyBodySignature(request, header: Self.header, keys: keys, .sha256)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        try Payload.validateJSON(body)
        let events: [NormalizedEvent]
        if GroupB.topLevelKind(body) == .array {
            events = try Self.cloudEvents(body)
        } else if let notifications = GroupB.elements(at: ["eventNotifications"], in: body) {
            events = Self.legacyEvents(body, notifications: notifications)
        } else {
            throw NormalizationFailure("body is neither a CloudEvents array nor eventNotifications")
        }
        return .events(GroupB.assemble(events, split: split, batch: body), acknowledgement: nil)
    }

    /// `[{"specversion":"1.0","id","type":"qbo.customer.created.v1","time","intuitentityid","intuitaccountid",…}]`.
    static func cloudEvents(_ body: [UInt8]) throws(NormalizationFailure) -> [NormalizedEvent] {
        var events: [NormalizedEvent] = []
        for range in GroupB.elements(at: [], in: body) ?? [] {
            func field(_ name: String) -> String? { GroupB.identifier([.key(name)], in: body, item: range) }
            guard let id = field("id") else { throw NormalizationFailure("CloudEvent has no id") }
            guard let type = field("type") else { throw NormalizationFailure("CloudEvent has no type") }
            events.append(NormalizedEvent(type: type, providerEventID: id, time: field("time").flatMap(GroupB.milliseconds(iso:)),
                                          subject: field("intuitentityid"), data: Array(body[range])))
        }
        return events
    }

    /// One event per changed entity. Its data keeps the notification's shape around that one entity's exact bytes:
    /// `{"realmId":<as sent>,"dataChangeEvent":{"entities":[<entity>]}}`, so the company id stays with it.
    static func legacyEvents(_ body: [UInt8], notifications: [Range<Int>]) -> [NormalizedEvent] {
        var events: [NormalizedEvent] = []
        body.withUnsafeBytes { buffer in
            for notification in notifications {
                let realmRange = RawJSON.range(of: ["realmId"], inValueAt: notification, in: buffer)
                let realm = realmRange.flatMap { RawJSON.string(at: $0, in: buffer) ?? RawJSON.number(at: $0, in: buffer)?.text } ?? ""
                let realmBytes = realmRange.map { Array(body[$0]) } ?? Array("null".utf8)
                guard let entities = RawJSON.range(of: ["dataChangeEvent", "entities"], inValueAt: notification, in: buffer),
                      let items = RawJSON.elements(ofArrayAt: entities, in: buffer) else { continue }
                for entity in items {
                    func field(_ name: String) -> String? {
                        RawJSON.range(of: [.key(name)], inValueAt: entity, in: buffer).flatMap {
                            RawJSON.string(at: $0, in: buffer) ?? RawJSON.number(at: $0, in: buffer)?.text
                        }
                    }
                    let name = field("name") ?? "Entity", operation = field("operation") ?? "Change"
                    let updated = field("lastUpdated")
                    let subject = field("id")
                    let data = Array(#"{"realmId":"#.utf8) + realmBytes + Array(#","dataChangeEvent":{"entities":["#.utf8)
                        + Array(body[entity]) + Array("]}}".utf8)
                    events.append(NormalizedEvent(
                        type: "\(name).\(operation)",
                        providerEventID: [realm, name, subject ?? "", operation, updated ?? ""].joined(separator: ":"),
                        time: updated.flatMap(GroupB.milliseconds(iso:)), subject: subject, data: data))
                }
            }
        }
        return events
    }
}

extension QuickBooksPreset: SamplingPreset {
    public static let sampleEventTypes = ["Customer.Create", "Invoice.Update", "qbo.customer.created.v1"]

    /// A legacy notification (`Name.Operation`) or a CloudEvents array (`qbo.…`), signed with the Verifier Token.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let realm = "9341453\(request.now % 1_000_000)"
        let entityID = String(request.now % 100_000)
        let body: String
        if type.hasPrefix("qbo.") {
            body = """
                [{"specversion":"1.0","id":"\(GroupB.uuid(request.nonce))","source":"intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",\
                "type":"\(type)","datacontenttype":"application/json","time":"\(RFC3339.string(fromUnixMilliseconds: request.now))",\
                "intuitentityid":"\(entityID)","intuitaccountid":"\(realm)","data":{}}]
                """
        } else {
            let parts = type.split(separator: ".")
            body = """
                {"eventNotifications":[{"realmId":"\(realm)","dataChangeEvent":{"entities":[{"name":"\(parts.first ?? "Customer")",\
                "id":"\(entityID)","operation":"\(parts.last ?? "Create")","lastUpdated":"\(RFC3339.string(fromUnixMilliseconds: request.now))"}]}}]}
                """
        }
        let bytes = Array(body.utf8)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        return SampleWebhook(headers: [("Content-Type", "application/json"),
                                       ("intuit-signature", Base64.encode(key.authenticationCode(for: bytes)))], body: bytes)
    }
}
