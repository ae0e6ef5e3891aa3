import HTTPServer

/// Discord's HTTP interactions endpoint and webhook events: `X-Signature-Ed25519` (hex) over `X-Signature-Timestamp`
/// + raw body, checked with the application's public key (`publicKey`, hex, from the Developer Portal). A bad or
/// missing signature gets 401, which Discord tests for when the URL is saved and at random afterwards. Discord states
/// no tolerance, so none applies unless `tolerance` is set.
///
/// Interactions: PING (`type` 1) is answered `{"type":1}`; commands and autocompletes are acknowledged with a
/// deferred response (`{"type":5}`, or `{"type":8,…}` with no choices for autocomplete), components and modals with
/// `{"type":6}`, so the routed workflow answers later through the interaction's webhook. Webhook events: PING
/// (`type` 0) and events are answered 204.
public enum DiscordPreset: ProviderPreset {
    public static let name = "discord"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let position = source["publicKey"]?.position ?? source.position
        let path = source.path.appending("publicKey")
        guard let text = settings.publicKey else {
            decoder.error("discord needs publicKey: the application's public key (hex) from the Developer Portal", at: position, path: path)
            return nil
        }
        guard let raw = Hex.decode(text), raw.count == 32, let key = try? PublicKey(ed25519RawBytes: raw) else {
            decoder.error("publicKey must be 64 hex digits (Discord's application public key)", at: position, path: path)
            return nil
        }
        return Factory(key: key, tolerance: settings.tolerance)
    }

    struct Factory: ProviderFactory {
        let key: PublicKey
        let tolerance: Duration?
        func makeProvider(context: ProviderContext) -> any Provider { DiscordProvider(key: key, tolerance: tolerance) }
    }
}

final class DiscordProvider: Provider {
    static let signatureHeader = "X-Signature-Ed25519"
    static let timestampHeader = "X-Signature-Timestamp"
    /// Discord's epoch (2015-01-01T00:00:00Z) in unix milliseconds: snowflakes count from it.
    static let epoch: Int64 = 1_420_070_400_000

    private let key: PublicKey
    private let tolerance: OptionalTolerance

    init(key: PublicKey, tolerance: Duration?, clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        self.key = key
        self.tolerance = OptionalTolerance(tolerance, clock: clock)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers[Self.signatureHeader] else { throw .missingHeader(Self.signatureHeader) }
        guard let timestamp = request.headers.valueBytes(Self.timestampHeader) else { throw .missingHeader(Self.timestampHeader) }
        guard let signature = Hex.decode(header), signature.count == 64 else { throw .malformedHeader(Self.signatureHeader) }
        guard key.verifyEd25519(signature: signature, message: timestamp, request.body) else { throw .noMatch(secrets: 1) }
        try tolerance.check(timestamp, header: Self.timestampHeader)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let body = request.body
        guard let kind = Payload.integer(["type"], in: body) else { throw NormalizationFailure("payload has no type") }
        let isWebhookEvent = Payload.string(["event", "type"], in: body) != nil
        switch kind {
        case 0:  // webhook events PING
            return .handshake(Self.noContent)
        case 1 where isWebhookEvent:
            return .events([webhookEvent(body)], acknowledgement: Self.noContent)
        case 1:  // interactions PING
            return .handshake(.json(200, #"{"type":1}"#))
        default:
            return .events([interaction(body, kind: kind)], acknowledgement: Self.acknowledgement(forInteractionType: kind))
        }
    }

    static var noContent: HTTPResponse {
        HTTPResponse(status: 204, headers: HTTPHeaders([("Content-Type", "application/json")]))
    }

    /// The deferred answer Discord needs within 3 seconds, so the workflow can follow up through the interaction token.
    static func acknowledgement(forInteractionType kind: Int64) -> HTTPResponse {
        switch kind {
        case 3, 5: .json(200, #"{"type":6}"#)  // DEFERRED_UPDATE_MESSAGE
        case 4: .json(200, #"{"type":8,"data":{"choices":[]}}"#)  // APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
        default: .json(200, #"{"type":5}"#)  // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        }
    }

    static let interactionNames: [Int64: String] = [2: "application_command", 3: "message_component",
                                                    4: "application_command_autocomplete", 5: "modal_submit"]

    /// `application_command.<name>`, `message_component.<custom_id>`, …; id the snowflake, time from it.
    private func interaction(_ body: [UInt8], kind: Int64) -> NormalizedEvent {
        var type = Self.interactionNames[kind] ?? "interaction_\(kind)"
        if let name = Payload.string(["data", "name"], in: body) ?? Payload.string(["data", "custom_id"], in: body) {
            type += "." + name
        }
        let id = Payload.identifier(["id"], in: body)
        let subject = Payload.identifier(["guild_id"], in: body) ?? Payload.identifier(["channel_id"], in: body)
            ?? Payload.identifier(["member", "user", "id"], in: body) ?? Payload.identifier(["user", "id"], in: body)
        return NormalizedEvent(type: type, providerEventID: id ?? Payload.bodyHash(body), time: id.flatMap(Self.snowflakeTime),
                               subject: subject, data: body)
    }

    /// A webhook event: `APPLICATION_AUTHORIZED` and so on; no id (a hash of the body), time `event.timestamp`.
    private func webhookEvent(_ body: [UInt8]) -> NormalizedEvent {
        let type = Payload.string(["event", "type"], in: body) ?? "event"
        let subject = Payload.identifier(["event", "data", "guild", "id"], in: body) ?? Payload.identifier(["event", "data", "user", "id"], in: body)
            ?? Payload.identifier(["application_id"], in: body)
        return NormalizedEvent(type: type, providerEventID: Payload.bodyHash(body), time: EventFields.rfc3339(["event", "timestamp"], in: body),
                               subject: subject, data: body)
    }

    /// Unix milliseconds a snowflake encodes (its top 42 bits count milliseconds from Discord's epoch).
    static func snowflakeTime(_ id: String) -> Int64? {
        guard let value = UInt64(id), value > 0 else { return nil }
        return Int64(value >> 22) + epoch
    }
}

extension DiscordPreset: SamplingPreset {
    public static let sampleEventTypes = ["application_command", "message_component", "ping", "APPLICATION_AUTHORIZED"]

    /// Signed with `--secret`: an Ed25519 private key (32-byte seed in hex or base64, or PEM) whose public key is the
    /// source's `publicKey`. Discord never hands out its key: this is for testing the path.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let kind = request.eventType ?? sampleEventTypes[0]
        let snowflake = String((UInt64(max(0, request.now - DiscordProvider.epoch)) << 22) | UInt64(request.now % 4096))
        let user = #"{"id":"80351110224678912","username":"ada","global_name":"Ada"}"#
        let body: String
        switch kind {
        case "ping":
            body = #"{"application_id":"1111111111111111111","id":"\#(snowflake)","token":"sample","type":1,"user":\#(user),"version":1}"#
        case "APPLICATION_AUTHORIZED":
            body = #"{"version":1,"application_id":"1111111111111111111","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"\#(RFC3339.string(fromUnixMilliseconds: request.now).dropLast())","data":{"integration_type":0,"scopes":["applications.commands"],"user":\#(user),"guild":{"id":"290926798626357999","name":"Acme"}}}}"#
        case "message_component":
            body = #"{"application_id":"1111111111111111111","channel_id":"645027906669510667","data":{"component_type":2,"custom_id":"approve"},"guild_id":"290926798626357999","id":"\#(snowflake)","member":{"user":\#(user)},"token":"sample-\#(request.nonce)","type":3,"version":1}"#
        default:
            body = #"{"application_id":"1111111111111111111","channel_id":"645027906669510667","data":{"id":"771825006014889984","name":"deploy","options":[{"name":"env","type":3,"value":"staging"}],"type":1},"guild_id":"290926798626357999","id":"\#(snowflake)","member":{"user":\#(user)},"token":"sample-\#(request.nonce)","type":2,"version":1}"#
        }
        let bytes = Array(body.utf8)
        let timestamp = "\(request.now / 1000)"
        let key = try KeyMaterial.signingKey(request.secret, ed25519: true)
        guard key.isEd25519 else { throw SampleError("the secret must be an Ed25519 private key") }
        let signature: [UInt8]
        do { signature = try key.sign(Array(timestamp.utf8) + bytes) } catch { throw SampleError("signing failed: \(error)") }
        return SampleWebhook(headers: [("Content-Type", "application/json"), (DiscordProvider.signatureHeader, Hex.encode(signature)),
                                       (DiscordProvider.timestampHeader, timestamp)], body: bytes)
    }
}
