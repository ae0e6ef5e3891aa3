import HTTPServer

/// Mailgun: the signature is **in the body**, `{"signature":{"timestamp","token","signature"},"event-data":{…}}`;
/// `signature` is hex HMAC-SHA256 over `timestamp + token` (no separator) with the HTTP webhook signing key.
/// Subaccount events also carry `parent-signature`, the same computed with the primary account's key: either may
/// match any configured secret. Legacy webhooks and routes send the three fields as form fields (urlencoded is read;
/// multipart is refused with 400). The body itself is not signed, so each token is remembered with a digest of its body
/// for the tolerance window: a captured signature cannot carry another body. Tolerance default 15 minutes, both ways
/// (Mailgun's SDK `max_age_seconds=900`).
public enum MailgunPreset: ProviderPreset {
    public static let name = "mailgun"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(900)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source,
                                     "mailgun needs at least one secret (Sending → Webhooks → HTTP webhook signing key)") else {
            return nil
        }
        return Factory(secrets: settings.secrets, tolerance: settings.tolerance ?? defaultTolerance, ledger: GroupDTokenLedger())
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let tolerance: Duration
        let ledger: GroupDTokenLedger
        func makeProvider(context: ProviderContext) -> any Provider {
            MailgunProvider(secrets: secrets, tolerance: tolerance, ledger: ledger)
        }
    }
}

final class MailgunProvider: Provider {
    private let keys: [HMACKey]
    private let toleranceSeconds: Int64
    private let ledger: GroupDTokenLedger
    private let clock: () -> Int64

    init(secrets: [Secret], tolerance: Duration, ledger: GroupDTokenLedger = GroupDTokenLedger(),
         clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        keys = GroupD.literalKeys(secrets)
        toleranceSeconds = tolerance.components.seconds
        self.ledger = ledger
        self.clock = clock
    }

    /// The signed fields, wherever the body format keeps them.
    struct SignatureFields {
        var timestamp: String?
        var token: String?
        var signatures: [String] = []
    }

    enum BodyFormat { case json, form }

    static func bodyFormat(_ request: WebhookRequest) throws(VerificationFailure) -> BodyFormat {
        switch request.mediaType {
        case "application/x-www-form-urlencoded": return .form
        case "multipart/form-data":
            throw VerificationFailure("unsupported_body", "multipart webhooks are not supported; use Mailgun's JSON webhooks",
                                      status: 400)
        default: return .json
        }
    }

    static func signatureFields(_ request: WebhookRequest) throws(VerificationFailure) -> SignatureFields {
        var fields = SignatureFields()
        switch try bodyFormat(request) {
        case .form:
            guard let pairs = try? FormURLEncoded.parse(request.body) else {
                throw VerificationFailure("malformed_body", "malformed form body", status: 400)
            }
            fields.timestamp = pairs.first { $0.name == "timestamp" }?.value
            fields.token = pairs.first { $0.name == "token" }?.value
            fields.signatures = pairs.filter { $0.name == "signature" }.prefix(1).map(\.value)
        case .json:
            do throws(NormalizationFailure) { try Payload.validateJSON(request.body) } catch {
                throw VerificationFailure("malformed_body", error.reason, status: 400)
            }
            request.body.withUnsafeBytes { bytes in
                guard let signature = RawJSON.range(of: ["signature"], in: bytes), RawJSON.kind(at: signature, in: bytes) == .object else {
                    return
                }
                fields.timestamp = GroupD.identifier(["timestamp"], inValueAt: signature, in: bytes)
                fields.token = RawJSON.range(of: ["token"], inValueAt: signature, in: bytes).flatMap { RawJSON.string(at: $0, in: bytes) }
                for name in ["signature", "parent-signature"] {
                    if let range = RawJSON.range(of: [.key(name)], inValueAt: signature, in: bytes),
                       let text = RawJSON.string(at: range, in: bytes) {
                        fields.signatures.append(text)
                    }
                }
            }
        }
        return fields
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        let fields = try Self.signatureFields(request)
        guard !fields.signatures.isEmpty else { throw VerificationFailure("missing_signature", "no Mailgun signature in the body") }
        guard let timestamp = fields.timestamp, let token = fields.token, !token.isEmpty,
              let t = Int64(timestamp), !timestamp.isEmpty, timestamp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw VerificationFailure("malformed_signature", "malformed Mailgun signature (timestamp, token)")
        }
        let presented = fields.signatures.map { Hex.decode($0) ?? [] }  // malformed: present, never matches
        var matched = false
        for key in keys {
            for signature in presented where key.isValidAuthenticationCode(signature, for: timestamp, token) { matched = true }
        }
        guard matched else { throw .noMatch(secrets: keys.count) }
        let now = clock()
        let skew = abs(now - t)
        if skew > toleranceSeconds { throw .timestampOutsideTolerance(by: skew - toleranceSeconds) }
        let digest = Digest.hash(.sha256, request.body)
        guard ledger.admit(token: token, bodyDigest: digest, now: now, expiresAt: t + toleranceSeconds + 60) else {
            throw VerificationFailure("replayed_token", "token already used with a different body")
        }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let format: BodyFormat
        do { format = try Self.bodyFormat(request) } catch { throw NormalizationFailure(error.reason) }
        switch format {
        case .json:
            try Payload.validateJSON(request.body)
            let event: NormalizedEvent? = request.body.withUnsafeBytes { bytes in
                guard let data = RawJSON.range(of: ["event-data"], in: bytes), RawJSON.kind(at: data, in: bytes) == .object,
                      let type = RawJSON.range(of: ["event"], inValueAt: data, in: bytes).flatMap({ RawJSON.string(at: $0, in: bytes) })
                else { return nil }
                let id = GroupD.identifier(["id"], inValueAt: data, in: bytes)
                let time = RawJSON.range(of: ["timestamp"], inValueAt: data, in: bytes).flatMap { GroupD.milliseconds(at: $0, in: bytes) }
                let subject = GroupD.identifier(["message", "headers", "message-id"], inValueAt: data, in: bytes)
                    ?? GroupD.identifier(["recipient"], inValueAt: data, in: bytes)
                return NormalizedEvent(type: type, providerEventID: id ?? Payload.bodyHash(Array(bytes[data])), time: time,
                                       subject: subject, data: Array(bytes[data]))
            }
            guard let event else { throw NormalizationFailure("body has no event-data with an event") }
            return .events([event], acknowledgement: nil)
        case .form:
            guard let pairs = try? FormURLEncoded.parse(request.body) else { throw NormalizationFailure("malformed form body") }
            func field(_ names: String...) -> String? {
                for name in names { if let value = pairs.first(where: { $0.name == name })?.value, !value.isEmpty { return value } }
                return nil
            }
            let type = field("event") ?? "inbound"
            let messageID = field("Message-Id", "message-id")
            let id = messageID.map { "\($0):\(type)" } ?? Payload.bodyHash(request.body)
            let time = field("timestamp").flatMap { Int64($0) }.map { $0 * 1000 }
            return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: field("recipient") ?? messageID,
                                            data: FormURLEncoded.jsonObject(pairs))], acknowledgement: nil)
        }
    }
}

extension MailgunPreset: SamplingPreset {
    public static let sampleEventTypes = ["delivered", "opened", "clicked", "failed", "complained", "unsubscribed", "accepted"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let seconds = request.now / 1000
        let timestamp = "\(seconds)"
        let token = String(Hex.encode(Digest.hash(.sha256, "mailgun-token-", request.nonce)).prefix(50))
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        let signature = Hex.encode(key.authenticationCode(for: timestamp, token))
        let severity = type == "failed" ? #","severity": "permanent","reason": "bounce""# : ""
        let body = """
        {
          "signature": {
            "timestamp": "\(timestamp)",
            "token": "\(token)",
            "signature": "\(signature)"
          },
          "event-data": {
            "id": "\(request.nonce.prefix(22))",
            "event": "\(type)",
            "timestamp": \(seconds).\(threeDigits(request.now % 1000))\(severity),
            "log-level": "\(type == "failed" ? "error" : "info")",
            "recipient": "alice@example.com",
            "recipient-domain": "example.com",
            "tags": ["receipt"],
            "user-variables": {"order": "A-1042"},
            "envelope": {"sender": "bob@mg.example.com", "transport": "smtp", "targets": "alice@example.com"},
            "message": {
              "headers": {
                "to": "Alice <alice@example.com>",
                "message-id": "\(request.nonce)@mg.example.com",
                "from": "Example Shop <bob@mg.example.com>",
                "subject": "Your receipt"
              },
              "size": 4213
            },
            "flags": {"is-routed": false, "is-authenticated": true, "is-system-test": false, "is-test-mode": false}
          }
        }
        """
        return SampleWebhook(headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}

/// `n` as three digits with leading zeros (`7` → `007`), for millisecond fractions.
private func threeDigits(_ n: Int64) -> String {
    let digits = "\(n)"
    return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
}
