import HTTPServer

/// Telegram Bot API: no signature; the `secret_token` given to `setWebhook` comes back in
/// `X-Telegram-Bot-Api-Secret-Token` on every update (compared in constant time; several during rotation). The body is
/// one `Update`; its type is the one optional field present (`message`, `callback_query`, …).
public enum TelegramPreset: ProviderPreset {
    public static let name = "telegram"
    public static let optionKeys: [String] = []
    static let header = "X-Telegram-Bot-Api-Secret-Token"

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source,
                                     "telegram needs at least one secret (the secret_token passed to setWebhook)") else {
            return nil
        }
        var valid = true
        for (index, secret) in settings.secrets.enumerated() where !isValidSecretToken(secret.bytes) {
            GroupD.reportSecret("Telegram's secret_token is 1-256 characters A-Z a-z 0-9 _ - (not the bot token)", index: index,
                                of: settings, in: source, decoder: &decoder)
            valid = false
        }
        return valid ? Factory(tokens: settings.secrets.map(\.bytes)) : nil
    }

    /// The `secret_token` charset `setWebhook` accepts.
    static func isValidSecretToken(_ bytes: [UInt8]) -> Bool {
        (1...256).contains(bytes.count) && bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F || byte == 0x2D
        }
    }

    struct Factory: ProviderFactory {
        let tokens: [[UInt8]]
        func makeProvider(context: ProviderContext) -> any Provider { TelegramProvider(tokens: tokens) }
    }
}

final class TelegramProvider: Provider {
    private let tokens: [[UInt8]]

    init(tokens: [[UInt8]]) {
        self.tokens = tokens
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let token = request.headers.valueBytes(TelegramPreset.header) else { throw .missingHeader(TelegramPreset.header) }
        guard GroupD.matchesAny(token, tokens) else {
            throw VerificationFailure("bad_signature", tokens.count == 1 ? "secret token does not match"
                                          : "secret token does not match any of \(tokens.count) secrets")
        }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let event: NormalizedEvent? = request.body.withUnsafeBytes { bytes in
            guard let root = RawJSON.valueRange(in: bytes), let members = RawJSON.members(ofObjectAt: root, in: bytes) else { return nil }
            var updateID: String?
            var kind: (name: String, value: Range<Int>)?
            for member in members {
                let name = member.key(in: bytes)
                if name == "update_id" {
                    updateID = RawJSON.number(at: member.valueRange, in: bytes)?.int64Value.map(String.init)
                } else if kind == nil, RawJSON.kind(at: member.valueRange, in: bytes) == .object {
                    kind = (name, member.valueRange)
                }
            }
            guard let updateID, let kind else { return nil }
            let time = RawJSON.range(of: ["date"], inValueAt: kind.value, in: bytes)
                .flatMap { RawJSON.number(at: $0, in: bytes)?.int64Value }.map { $0 * 1000 }
            let subject = GroupD.identifier(["chat", "id"], inValueAt: kind.value, in: bytes)
                ?? GroupD.identifier(["message", "chat", "id"], inValueAt: kind.value, in: bytes)
                ?? GroupD.identifier(["from", "id"], inValueAt: kind.value, in: bytes)
                ?? GroupD.identifier(["user", "id"], inValueAt: kind.value, in: bytes)
            return NormalizedEvent(type: kind.name, providerEventID: updateID, time: time, subject: subject, data: request.body)
        }
        guard let event else { throw NormalizationFailure("body is not a Telegram Update (update_id and one update field)") }
        return .events([event], acknowledgement: nil)
    }
}

extension TelegramPreset: SamplingPreset {
    public static let sampleEventTypes = ["message", "edited_message", "callback_query", "channel_post"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        guard isValidSecretToken(request.secret.bytes) else {
            throw SampleError("the secret is Telegram's secret_token: 1-256 characters A-Z a-z 0-9 _ -")
        }
        let seconds = request.now / 1000
        // A stable-looking, unique update_id from the nonce (Telegram's are positive and increasing).
        let updateID = 100_000_000 + Int64(Digest.hash(.sha256, request.nonce).prefix(4).reduce(0) { $0 << 8 | Int($1) } % 800_000_000)
        let message = """
        {"message_id": \(updateID % 100_000), "from": {"id": 424242424, "is_bot": false, "first_name": "Alice", "username": "alice", \
        "language_code": "en"}, "chat": {"id": 424242424, "first_name": "Alice", "username": "alice", "type": "private"}, \
        "date": \(seconds), "text": "/status order A-1042", "entities": [{"offset": 0, "length": 7, "type": "bot_command"}]}
        """
        let inner: String
        switch type {
        case "callback_query":
            inner = #"{"id": "\#(request.nonce.prefix(16))", "from": {"id": 424242424, "is_bot": false, "first_name": "Alice"}, "#
                + #""message": \#(message), "chat_instance": "-5938475630291", "data": "confirm:A-1042"}"#
        case "edited_message":
            inner = String(message.dropLast()) + ", \"edit_date\": \(seconds)}"
        case "channel_post":
            inner = """
            {"message_id": 77, "sender_chat": {"id": -1001234567890, "title": "Example News", "type": "channel"}, \
            "chat": {"id": -1001234567890, "title": "Example News", "type": "channel"}, "date": \(seconds), "text": "Release 2.4 is out"}
            """
        default:
            inner = message
        }
        let body = "{\"update_id\": \(updateID), \"\(type)\": \(inner)}"
        return SampleWebhook(headers: [("Content-Type", "application/json"), (header, request.secret.text)], body: Array(body.utf8))
    }
}
