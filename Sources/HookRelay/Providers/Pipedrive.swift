import HTTPServer

/// Pipedrive: no signature. A webhook can carry HTTP Basic credentials (`http_auth_user` / `http_auth_password`),
/// sent as `Authorization: Basic …` on every delivery; each secret is `user:password`, compared in constant time
/// (several during rotation). Webhooks v2 (`meta.action` create/change/delete, `meta.entity`) and v1
/// (`meta.action` added/updated/…, `meta.object`, `event` `updated.deal`) are both read; the type is
/// `<action>.<object>` as in Pipedrive's own event names (`change.deal`, `updated.deal`).
public enum PipedrivePreset: ProviderPreset {
    public static let name = "pipedrive"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source,
                                     "pipedrive needs at least one secret, \"user:password\": the webhook's HTTP auth credentials") else {
            return nil
        }
        var valid = true
        for (index, secret) in settings.secrets.enumerated() {
            guard let colon = secret.bytes.firstIndex(of: 0x3A), colon > 0 else {
                GroupD.reportSecret("a pipedrive secret is \"user:password\" (the webhook's http_auth_user and http_auth_password)",
                                    index: index, of: settings, in: source, decoder: &decoder)
                valid = false
                continue
            }
        }
        return valid ? Factory(credentials: settings.secrets.map(\.bytes)) : nil
    }

    struct Factory: ProviderFactory {
        let credentials: [[UInt8]]
        func makeProvider(context: ProviderContext) -> any Provider { PipedriveProvider(credentials: credentials) }
    }
}

final class PipedriveProvider: Provider {
    private let credentials: [[UInt8]]

    init(credentials: [[UInt8]]) {
        self.credentials = credentials
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers.valueBytes("Authorization") else { throw .missingHeader("Authorization") }
        let parts = header.split(separator: 0x20, maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, String(decoding: parts[0], as: UTF8.self).lowercased() == "basic",
              let presented = Base64.decode(parts[1]) else {
            throw .malformedHeader("Authorization")
        }
        guard GroupD.matchesAny(presented, credentials) else {
            throw VerificationFailure("bad_signature", credentials.count == 1 ? "credentials do not match"
                                          : "credentials do not match any of \(credentials.count) secrets")
        }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let event: NormalizedEvent? = request.body.withUnsafeBytes { bytes in
            guard let meta = RawJSON.range(of: ["meta"], in: bytes), RawJSON.kind(at: meta, in: bytes) == .object,
                  let action = GroupD.identifier(["action"], inValueAt: meta, in: bytes) else { return nil }
            let entityID = GroupD.identifier(["entity_id"], inValueAt: meta, in: bytes)
            let metaID = GroupD.identifier(["id"], inValueAt: meta, in: bytes)
            if let entity = GroupD.identifier(["entity"], inValueAt: meta, in: bytes) {
                // v2: meta.id identifies the event; entity_id the record.
                let time = RawJSON.range(of: ["timestamp"], inValueAt: meta, in: bytes).flatMap { GroupD.milliseconds(at: $0, in: bytes) }
                let id = metaID.flatMap { $0 == entityID ? nil : $0 }
                    ?? "\(entity):\(entityID ?? ""):\(action):\(time.map(String.init) ?? Payload.bodyHash(request.body))"
                return NormalizedEvent(type: "\(action).\(entity)", providerEventID: id, time: time, subject: entityID, data: request.body)
            }
            // v1: meta.id is the record's id; no event id, so one is derived from what identifies the change.
            let object = GroupD.identifier(["object"], inValueAt: meta, in: bytes) ?? "object"
            let micro = GroupD.identifier(["timestamp_micro"], inValueAt: meta, in: bytes)
            let time = RawJSON.range(of: ["timestamp"], inValueAt: meta, in: bytes).flatMap { GroupD.milliseconds(at: $0, in: bytes) }
            let stamp = micro ?? time.map(String.init) ?? Payload.bodyHash(request.body)
            let type = RawJSON.range(of: ["event"], in: bytes).flatMap { RawJSON.string(at: $0, in: bytes) } ?? "\(action).\(object)"
            return NormalizedEvent(type: type, providerEventID: "\(object):\(metaID ?? ""):\(action):\(stamp)", time: time,
                                   subject: metaID, data: request.body)
        }
        guard let event else { throw NormalizationFailure("body has no meta.action") }
        return .events([event], acknowledgement: nil)
    }
}

extension PipedrivePreset: SamplingPreset {
    public static let sampleEventTypes = ["change.deal", "create.deal", "delete.deal", "create.person", "change.organization"]

    /// The secret is `user:password`, the webhook's HTTP auth credentials; the sample is a webhooks v2 delivery.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        guard request.secret.bytes.contains(0x3A) else { throw SampleError("the secret is \"user:password\"") }
        let parts = type.split(separator: ".")
        let (action, entity) = (String(parts[0]), String(parts[1]))
        let recordID = 1000 + Int(Digest.hash(.sha256, request.nonce).prefix(2).reduce(0) { $0 << 8 | Int($1) })
        let time = RFC3339.string(fromUnixMilliseconds: request.now)
        let uuid = uuidText(request.nonce)
        let data: String
        switch entity {
        case "deal": data = #"{"id": \#(recordID), "title": "Example deal", "value": 4200, "currency": "EUR", "status": "open", "stage_id": 2, "#
            + #""pipeline_id": 1, "owner_id": 18487521, "person_id": 3, "org_id": 2, "update_time": "\#(time)"}"#
        case "person": data = #"{"id": \#(recordID), "name": "Alice Example", "emails": [{"value": "alice@example.com", "primary": true}], "#
            + #""owner_id": 18487521}"#
        default: data = #"{"id": \#(recordID), "name": "Example Ltd", "owner_id": 18487521}"#
        }
        let previous = action == "change" ? #"{"stage_id": 1}"# : "null"
        let body = """
        {"data": \(action == "delete" ? "null" : data), "previous": \(action == "delete" ? data : previous), "meta": {"action": "\(action)", \
        "entity": "\(entity)", "entity_id": "\(recordID)", "id": "\(uuid)", "correlation_id": "\(uuidText(request.nonce + "c"))", \
        "company_id": "12882925", "user_id": "18487521", "webhook_id": "99", "webhook_owner_id": "18487521", "host": "example.pipedrive.com", \
        "timestamp": "\(time)", "version": "2.0", "change_source": "app", "is_bulk_edit": false, "attempt": 1, "type": "general", \
        "permitted_user_ids": ["18487521"]}}
        """
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("Authorization", "Basic " + Base64.encode(request.secret.bytes))],
                             body: Array(body.utf8))
    }

    /// A UUID-shaped id derived from `seed`.
    static func uuidText(_ seed: String) -> String {
        let hex = Hex.encode(Digest.hash(.sha256, seed).prefix(16))
        let h = Array(hex)
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-" + String(h[20..<32])
    }
}
