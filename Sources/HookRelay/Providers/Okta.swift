import HTTPServer

/// Okta event hooks: no signature. The hook is configured with a header (usually `Authorization`) and a static
/// secret value that Okta sends on every request, the one-time verification included; hookrelay compares the whole
/// value in constant time (`header` option, default `Authorization`; several secrets during rotation). Verification:
/// `GET` with `X-Okta-Verification-Challenge: V` ⇒ `{"verification":"V"}`, answered only when the header secret
/// matches. Deliveries batch System Log events in `data.events[]`; each becomes an envelope.
public enum OktaPreset: ProviderPreset {
    public static let name = "okta"
    public static let optionKeys = ["header"]
    static let defaultHeader = "Authorization"
    static let challengeHeader = "X-Okta-Verification-Challenge"

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let header = decoder.optional("header", in: source, as: .nonEmptyString, default: defaultHeader)
        guard decoder.requireSecrets(settings, of: source,
                                     "okta needs at least one secret (the value of the event hook's authentication header)") else {
            return nil
        }
        return Factory(header: header, tokens: settings.secrets.map(\.bytes), split: settings.split)
    }

    struct Factory: ProviderFactory {
        let header: String
        let tokens: [[UInt8]]
        let split: Bool
        func makeProvider(context: ProviderContext) -> any Provider { OktaProvider(header: header, tokens: tokens, split: split) }
    }
}

final class OktaProvider: Provider {
    private let header: String
    private let tokens: [[UInt8]]
    private let split: Bool

    init(header: String = OktaPreset.defaultHeader, tokens: [[UInt8]], split: Bool = true) {
        self.header = header
        self.tokens = tokens
        self.split = split
    }

    var allowedMethods: [String] { ["GET", "POST"] }

    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        guard request.method == "GET" else { return nil }
        do {
            try verify(request)
        } catch {
            return .text(error.status, error.reason)
        }
        guard let challenge = request.headers[OktaPreset.challengeHeader] else {
            return .text(400, "missing \(OktaPreset.challengeHeader) header")
        }
        guard GroupD.isEchoable(challenge) else { return .text(400, "malformed \(OktaPreset.challengeHeader) header") }
        return GroupD.jsonObject(200, "verification", challenge)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let value = request.headers.valueBytes(header) else { throw .missingHeader(header) }
        guard GroupD.matchesAny(value, tokens) else {
            throw VerificationFailure("bad_signature", tokens.count == 1 ? "\(header) does not match"
                                          : "\(header) does not match any of \(tokens.count) secrets")
        }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let events: [NormalizedEvent]? = request.body.withUnsafeBytes { bytes in
            guard let list = RawJSON.range(of: ["data", "events"], in: bytes), let elements = RawJSON.elements(ofArrayAt: list, in: bytes) else {
                return nil
            }
            var events: [NormalizedEvent] = []
            for element in elements {
                let item = Array(bytes[element])
                let subject = GroupD.identifier(["target", 0, "id"], inValueAt: element, in: bytes)
                    ?? GroupD.identifier(["actor", "id"], inValueAt: element, in: bytes)
                events.append(NormalizedEvent(
                    type: GroupD.identifier(["eventType"], inValueAt: element, in: bytes) ?? "event",
                    providerEventID: GroupD.identifier(["uuid"], inValueAt: element, in: bytes) ?? Payload.bodyHash(item),
                    time: RawJSON.range(of: ["published"], inValueAt: element, in: bytes).flatMap { GroupD.milliseconds(at: $0, in: bytes) },
                    subject: subject, data: item))
            }
            return events
        }
        guard let events else { throw NormalizationFailure("body has no data.events array") }
        guard split else {
            let type = Payload.string(["eventType"], in: request.body) ?? "com.okta.event_hook"
            let id = Payload.string(["eventId"], in: request.body) ?? Payload.bodyHash(request.body)
            return .events([NormalizedEvent(type: type, providerEventID: id, time: GroupD.milliseconds(["eventTime"], in: request.body),
                                            subject: nil, data: request.body)], acknowledgement: nil)
        }
        return .events(events, acknowledgement: nil)
    }
}

extension OktaPreset: SamplingPreset {
    public static let sampleEventTypes = ["user.lifecycle.create", "user.session.start", "user.lifecycle.deactivate",
                                          "group.user_membership.add"]

    /// The secret is the hook's authentication header value; the sample sends it as `Authorization`.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        guard !request.secret.bytes.isEmpty, request.secret.bytes.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw SampleError("the secret must be non-empty, without control characters")
        }
        let type = request.eventType ?? sampleEventTypes[0]
        let time = RFC3339.string(fromUnixMilliseconds: request.now)
        let uuid = PipedrivePreset.uuidText(request.nonce)
        let eventID = PipedrivePreset.uuidText(request.nonce + "hook")
        let body = """
        {"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1", \
        "source": "https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3", "eventId": "\(eventID)", \
        "data": {"events": [{"uuid": "\(uuid)", "published": "\(time)", "eventType": "\(type)", "version": "0", \
        "displayMessage": "Create Okta user", "severity": "INFO", "client": {"userAgent": {"rawUserAgent": "Mozilla/5.0", \
        "os": "Mac OS X", "browser": "CHROME"}, "zone": "null", "device": "Computer", "id": null, "ipAddress": "198.51.100.7"}, \
        "actor": {"id": "00u1qw1mqitPHM8AJ0g7", "type": "User", "alternateId": "admin@example.com", "displayName": "Admin Example"}, \
        "outcome": {"result": "SUCCESS", "reason": null}, "target": [{"id": "00u1s8ccyoYCTfvPV0g7", "type": "User", \
        "alternateId": "alice@example.com", "displayName": "Alice Example"}], "transaction": {"type": "WEB", \
        "id": "Xy1dGPg9e4p2Vb1ZwQm0RQAAC2M"}, "authenticationContext": {"externalSessionId": "102nZHzd6OHSfGG51vsoc22gw"}}]}, \
        "eventTime": "\(time)", "contentType": "application/json"}
        """
        return SampleWebhook(headers: [("Content-Type", "application/json"), (defaultHeader, request.secret.text)], body: Array(body.utf8))
    }
}
