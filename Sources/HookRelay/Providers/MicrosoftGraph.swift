import HTTPServer

/// Microsoft Graph change notifications (`msgraph`). Creating or renewing a subscription makes Graph POST
/// `?validationToken=<token>` (no body, unsigned); the endpoint echoes the URL-decoded token as `text/plain` within
/// 10 s. Notifications are not signed: each item of the batch `value[]` carries the subscription's `clientState`,
/// which must equal one of the source's secrets (constant time), for **every** item. Lifecycle notifications
/// (`lifecycleEvent`) are read the same way. Rich notifications' `validationTokens` (JWTs) are not checked. Answers
/// 202 once stored (Graph retries anything but 2xx for up to 4 hours).
public enum MicrosoftGraphPreset: ProviderPreset {
    public static let name = "msgraph"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source,
                                     "msgraph needs at least one secret (the clientState given when creating the subscription)") else {
            return nil
        }
        var valid = true
        for (index, secret) in settings.secrets.enumerated() where secret.bytes.count > 255 {
            GroupD.reportSecret("a Graph clientState is at most 255 characters", index: index, of: settings, in: source, decoder: &decoder)
            valid = false
        }
        return valid ? Factory(clientStates: settings.secrets.map(\.bytes), split: settings.split) : nil
    }

    struct Factory: ProviderFactory {
        let clientStates: [[UInt8]]
        let split: Bool
        func makeProvider(context: ProviderContext) -> any Provider { MicrosoftGraphProvider(clientStates: clientStates, split: split) }
    }

    static let accepted = HTTPResponse(status: 202)
}

final class MicrosoftGraphProvider: Provider {
    private let clientStates: [[UInt8]]
    private let split: Bool

    init(clientStates: [[UInt8]], split: Bool = true) {
        self.clientStates = clientStates
        self.split = split
    }

    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        guard request.query?.contains("validationToken=") == true, let token = GroupD.queryValue("validationToken", in: request) else {
            return nil
        }
        guard GroupD.isEchoable(token) else { return .text(400, "malformed validationToken") }
        return GroupD.plainEcho(token)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        do throws(NormalizationFailure) { try Payload.validateJSON(request.body) } catch {
            throw VerificationFailure("malformed_body", error.reason, status: 400)
        }
        let failure: VerificationFailure? = request.body.withUnsafeBytes { bytes in
            guard let list = RawJSON.range(of: ["value"], in: bytes), let elements = RawJSON.elements(ofArrayAt: list, in: bytes) else {
                return VerificationFailure("malformed_body", "body has no value array", status: 400)
            }
            var index = 0
            for element in elements {
                index += 1
                guard let range = RawJSON.range(of: ["clientState"], inValueAt: element, in: bytes),
                      let clientState = RawJSON.string(at: range, in: bytes) else {
                    return VerificationFailure("missing_signature", "notification \(index) has no clientState")
                }
                guard GroupD.matchesAny(clientState, clientStates) else {
                    return VerificationFailure("bad_signature", "notification \(index): clientState does not match")
                }
            }
            return nil
        }
        if let failure { throw failure }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let events: [NormalizedEvent]? = request.body.withUnsafeBytes { bytes in
            guard let list = RawJSON.range(of: ["value"], in: bytes), let elements = RawJSON.elements(ofArrayAt: list, in: bytes) else {
                return nil
            }
            var events: [NormalizedEvent] = []
            for element in elements {
                let item = Array(bytes[element])
                let type = GroupD.identifier(["changeType"], inValueAt: element, in: bytes)
                    ?? GroupD.identifier(["lifecycleEvent"], inValueAt: element, in: bytes) ?? "notification"
                let subscription = GroupD.identifier(["subscriptionId"], inValueAt: element, in: bytes) ?? ""
                let id = GroupD.identifier(["id"], inValueAt: element, in: bytes) ?? "\(subscription):\(Payload.bodyHash(item))"
                let subject = GroupD.identifier(["resourceData", "id"], inValueAt: element, in: bytes)
                    ?? GroupD.identifier(["resource"], inValueAt: element, in: bytes)
                events.append(NormalizedEvent(type: type, providerEventID: id, time: nil, subject: subject, data: item))
            }
            return events
        }
        guard let events else { throw NormalizationFailure("body has no value array") }
        if !split && !events.isEmpty {
            let type = Set(events.map(\.type)).count == 1 ? events[0].type : "batch"
            return .events([NormalizedEvent(type: type, providerEventID: Payload.bodyHash(request.body), time: nil,
                                            subject: events.count == 1 ? events[0].subject : nil, data: request.body)],
                           acknowledgement: MicrosoftGraphPreset.accepted)
        }
        return .events(events, acknowledgement: MicrosoftGraphPreset.accepted)
    }
}

extension MicrosoftGraphPreset: SamplingPreset {
    public static let sampleEventTypes = ["created", "updated", "deleted", "reauthorizationRequired"]

    /// The secret is the subscription's `clientState`.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        guard !request.secret.bytes.isEmpty, request.secret.bytes.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw SampleError("the secret must be non-empty, without control characters")
        }
        let type = request.eventType ?? sampleEventTypes[0]
        let subscription = PipedrivePreset.uuidText(request.nonce + "subscription")
        let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
        let expiry = RFC3339.string(fromUnixSeconds: request.now / 1000 + 3 * 86_400)
        var clientState: [UInt8] = []
        JSONString.appendQuoted(request.secret.text, to: &clientState)
        let state = String(decoding: clientState, as: UTF8.self)
        let messageID = "AAMkAGUwNjQ4ZjIxAAA" + Base64URL.encode(Digest.hash(.sha256, request.nonce).prefix(12))
        let item: String
        if type == "reauthorizationRequired" {
            item = #"{"subscriptionId": "\#(subscription)", "subscriptionExpirationDateTime": "\#(expiry)", "tenantId": "\#(tenant)", "#
                + #""clientState": \#(state), "lifecycleEvent": "reauthorizationRequired"}"#
        } else {
            item = #"{"id": "\#(PipedrivePreset.uuidText(request.nonce))", "subscriptionId": "\#(subscription)", "#
                + #""subscriptionExpirationDateTime": "\#(expiry)", "clientState": \#(state), "changeType": "\#(type)", "#
                + #""resource": "Users/f4e4b7d2-3d1a-4c6b-9a2f-1c2d3e4f5a6b/Messages/\#(messageID)", "tenantId": "\#(tenant)", "#
                + ##""resourceData": {"@odata.type": "#Microsoft.Graph.Message", "##
                + #""@odata.id": "Users/f4e4b7d2-3d1a-4c6b-9a2f-1c2d3e4f5a6b/Messages/\#(messageID)", "#
                + #""@odata.etag": "W/\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\"", "id": "\#(messageID)"}}"#
        }
        let body = #"{"value": [\#(item)]}"#
        return SampleWebhook(headers: [("Content-Type", "application/json; charset=utf-8")], body: Array(body.utf8))
    }
}
