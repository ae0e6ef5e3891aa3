import HTTPServer

/// Dropbox. Registering the webhook URI makes Dropbox `GET ?challenge=<random>`; the endpoint echoes it as
/// `text/plain` with `X-Content-Type-Options: nosniff` (Dropbox's advice against reflected XSS). Notifications are
/// POSTs signed `X-Dropbox-Signature: <hex HMAC-SHA256(app secret, raw body)>`. A notification only says "these
/// accounts changed" (`list_folder.accounts[]`, legacy `delta.users[]`): it has no id, type or time, and Dropbox sends
/// byte-identical bodies for separate changes, so each account becomes an envelope whose id is the account plus the
/// receive time (a body hash would drop later, identical notifications as duplicates).
public enum DropboxPreset: ProviderPreset {
    public static let name = "dropbox"
    public static let optionKeys: [String] = []
    static let signatureHeader = "X-Dropbox-Signature"

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        decoder.secretsAndSplitFactory(DropboxProvider.self, settings, of: source,
                                       "dropbox needs at least one secret (the app secret, App Console → Settings)")
    }
}

final class DropboxProvider: SecretsAndSplitProvider {
    private let keys: [HMACKey]
    private let split: Bool

    init(secrets: [Secret], split: Bool = true) {
        keys = GroupD.literalKeys(secrets)
        self.split = split
    }

    var allowedMethods: [String] { ["GET", "POST"] }

    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        GroupD.answerChallenge("challenge", in: request) { GroupD.plainEcho($0) }
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers.valueBytes(DropboxPreset.signatureHeader) else { throw .missingHeader(DropboxPreset.signatureHeader) }
        guard let signature = Hex.decode(header), signature.count == 32 else { throw .malformedHeader(DropboxPreset.signatureHeader) }
        try GroupD.requireMatch(signature, keys: keys, request.body)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let receivedAt = request.receivedAt
        let events: [NormalizedEvent] = request.body.withUnsafeBytes { bytes in
            var events: [NormalizedEvent] = []
            for (type, path) in [("list_folder", ["list_folder", "accounts"]), ("delta", ["delta", "users"])] as [(String, [RawJSON.PathComponent])] {
                guard events.isEmpty, let list = RawJSON.range(of: path, in: bytes),
                      let elements = RawJSON.elements(ofArrayAt: list, in: bytes) else { continue }
                for element in elements {
                    guard let account = RawJSON.string(at: element, in: bytes) ?? RawJSON.number(at: element, in: bytes)?.text else { continue }
                    events.append(NormalizedEvent(type: type, providerEventID: "\(account)@\(receivedAt)", time: nil, subject: account,
                                                  data: Array(bytes[element])))
                }
            }
            return events
        }
        guard !events.isEmpty else { throw NormalizationFailure("notification lists no accounts (list_folder.accounts)") }
        guard split else {
            return .events([NormalizedEvent(type: events[0].type, providerEventID: "notification@\(receivedAt)", time: nil,
                                            subject: events.count == 1 ? events[0].subject : nil, data: request.body)],
                           acknowledgement: nil)
        }
        return .events(events, acknowledgement: nil)
    }
}

extension DropboxPreset: SamplingPreset {
    public static let sampleEventTypes = ["list_folder"]

    /// The secret is the app secret.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        guard let key = try? HMACKey(algorithm: .sha256, key: request.secret.bytes) else { throw SampleError("unusable secret") }
        let account = "dbid:AAH" + Base64URL.encode(Digest.hash(.sha256, request.nonce).prefix(21))
        let user = 100_000 + Int(Digest.hash(.sha256, request.nonce).prefix(3).reduce(0) { $0 << 8 | Int($1) })
        let body = #"{"list_folder": {"accounts": ["\#(account)"]}, "delta": {"users": [\#(user)]}}"#
        let bytes = Array(body.utf8)
        return SampleWebhook(headers: [("Content-Type", "application/json"), (signatureHeader, Hex.encode(key.authenticationCode(for: bytes)))],
                             body: bytes)
    }
}
