import HTTPServer

/// Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`,
/// a space-separated list of `v1,<base64 HMAC-SHA256>` and `v1a,<base64 Ed25519>` over `"{id}.{timestamp}.{raw body}"`.
///
/// Secrets: `whsec_` + base64 (the HMAC key is the decoded bytes; a secret without the prefix is decoded as base64
/// too, as the reference libraries do) and `whpk_` + base64 of a raw Ed25519 public key (`v1a`); `publicKey` may
/// hold one more `whpk_` key. Any configured key may match (rotation). Tolerance 5 minutes both ways, as the
/// reference libraries.
public enum StandardWebhooksPreset: ProviderPreset {
    public static let name = "standard-webhooks"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(300)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard let keys = StandardWebhooksKeys.decode(settings, source: source, decoder: &decoder, preset: name) else { return nil }
        return Factory(keys: keys, tolerance: settings.tolerance ?? defaultTolerance)
    }

    struct Factory: ProviderFactory {
        let keys: StandardWebhooksKeys
        let tolerance: Duration
        func makeProvider(context: ProviderContext) -> any Provider {
            StandardWebhooksProvider(keys: keys, headers: .standard, tolerance: tolerance)
        }
    }
}

/// Where a Standard Webhooks sender puts its three values: `webhook-*`, or Svix's `svix-*` (with `webhook-*` as the
/// fallback, as Svix's libraries read them).
struct StandardWebhooksHeaders: Sendable {
    let id: [String]
    let timestamp: [String]
    let signature: [String]

    static let standard = StandardWebhooksHeaders(id: ["webhook-id"], timestamp: ["webhook-timestamp"], signature: ["webhook-signature"])
    static let svix = StandardWebhooksHeaders(id: ["svix-id", "webhook-id"], timestamp: ["svix-timestamp", "webhook-timestamp"],
                                              signature: ["svix-signature", "webhook-signature"])

    /// The first present header among `names`, with its name.
    static func first(_ names: [String], in headers: HTTPHeaders) -> (name: String, value: String)? {
        for name in names { if let value = headers[name] { return (name, value) } }
        return nil
    }
}

/// The verification keys of a Standard Webhooks source: HMAC keys (`whsec_`) and Ed25519 public keys (`whpk_`).
struct StandardWebhooksKeys: Sendable {
    var hmacKeys: [[UInt8]] = []
    var publicKeys: [PublicKey] = []

    var count: Int { hmacKeys.count + publicKeys.count }

    /// One secret: `whsec_…` (or bare base64) is an HMAC key, `whpk_…` an Ed25519 public key. Returns why not.
    mutating func add(secret bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("whsk_") {
            return "a whsk_ key is the sender's private key; configure its whpk_ public key"
        }
        if text.hasPrefix("whpk_") { return add(publicKey: text) }
        let encoded = text.hasPrefix("whsec_") ? text.dropFirst(6) : Substring(text)
        guard let key = Base64.decode(encoded, padding: .optional), !key.isEmpty else {
            return "not a whsec_ secret: expected whsec_ followed by base64"
        }
        hmacKeys.append(key)
        return nil
    }

    /// A `whpk_` + base64 Ed25519 public key, or a PEM one. Returns why not.
    mutating func add(publicKey text: String) -> String? {
        do {
            if text.hasPrefix("whpk_") {
                guard let raw = Base64.decode(text.dropFirst(5), padding: .optional) else { return "whpk_ key is not base64" }
                publicKeys.append(try PublicKey(ed25519RawBytes: raw))
            } else {
                let key = try PublicKey(pem: Array(text.utf8))
                guard key.kind == .ed25519 else { return "expected an Ed25519 public key, found \(key.kind)" }
                publicKeys.append(key)
            }
            return nil
        } catch {
            return "not an Ed25519 public key (whpk_ + base64 of 32 bytes, or PEM): \(error)"
        }
    }

    /// The keys of a source's `secrets` and `publicKey`, reporting problems at their positions; nil when invalid.
    static func decode(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder, preset: String,
                       requireAny: Bool = true) -> StandardWebhooksKeys? {
        var keys = StandardWebhooksKeys()
        var valid = true
        let nodes = source["secrets"]?.arrayValue ?? []
        for (index, secret) in settings.secrets.enumerated() {
            guard let problem = keys.add(secret: secret.bytes) else { continue }
            valid = false
            let position = nodes.count == settings.secrets.count ? nodes[index].position : source.position
            decoder.error(problem, at: position, path: source.path.appending("secrets").appending(index: index))
        }
        if let text = settings.publicKey {
            if let problem = keys.add(publicKey: text) {
                valid = false
                decoder.error(problem, at: source["publicKey"]?.position ?? source.position, path: source.path.appending("publicKey"))
            }
        }
        if requireAny && keys.count == 0 && valid {
            guard decoder.requireSecrets(settings, of: source,
                                         "\(preset) needs at least one secret (the endpoint's whsec_… signing secret) or a whpk_ publicKey")
            else { return nil }
        }
        return valid ? keys : nil
    }
}

/// The Standard Webhooks check itself, shared by `standard-webhooks`, `svix` and `gitlab`.
struct StandardWebhooksVerifier {
    /// More signatures than this in one header is refused before any is checked (each `v1a` costs a verification).
    static let maxSignatures = 16

    let headers: StandardWebhooksHeaders
    let hmacKeys: [HMACKey]
    let publicKeys: [PublicKey]
    let toleranceSeconds: Int64
    let clock: () -> Int64

    init(keys: StandardWebhooksKeys, headers: StandardWebhooksHeaders, tolerance: Duration, clock: @escaping () -> Int64) {
        self.headers = headers
        hmacKeys = keys.hmacKeys.map { try! HMACKey(algorithm: .sha256, key: $0) }  // non-empty keys never fail
        publicKeys = keys.publicKeys
        toleranceSeconds = tolerance.components.seconds
        self.clock = clock
    }

    /// Whether the request carries a Standard Webhooks signature header at all.
    func isPresent(in request: WebhookRequest) -> Bool {
        StandardWebhooksHeaders.first(headers.signature, in: request.headers) != nil
    }

    /// Checks the signatures, then the timestamp; returns the verified message id.
    @discardableResult
    func verify(_ request: WebhookRequest) throws(VerificationFailure) -> String {
        guard let (_, id) = StandardWebhooksHeaders.first(headers.id, in: request.headers) else { throw .missingHeader(headers.id[0]) }
        guard let (timestampName, timestamp) = StandardWebhooksHeaders.first(headers.timestamp, in: request.headers) else {
            throw .missingHeader(headers.timestamp[0])
        }
        guard let (signatureName, header) = StandardWebhooksHeaders.first(headers.signature, in: request.headers) else {
            throw .missingHeader(headers.signature[0])
        }
        guard !id.isEmpty else { throw .malformedHeader(headers.id[0]) }
        guard let t = asciiDecimal(timestamp.utf8, maxDigits: 18) else {
            throw .malformedHeader(timestampName)
        }
        var macs: [[UInt8]] = []
        var ed25519: [[UInt8]] = []
        let entries = header.split(separator: " ")
        guard entries.count <= Self.maxSignatures else { throw .malformedHeader(signatureName) }
        for entry in entries {
            let parts = entry.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }  // not version,signature: never matches
            switch parts[0] {
            case "v1": macs.append(Base64.decode(parts[1]) ?? [])  // malformed: present, never matches
            case "v1a": ed25519.append(Base64.decode(parts[1]) ?? [])
            default: break  // other versions are ignored, as the reference libraries do
            }
        }
        guard !macs.isEmpty || !ed25519.isEmpty else {
            throw VerificationFailure("missing_signature", "no v1 or v1a signature in \(signatureName)")
        }
        var matched = false
        if !macs.isEmpty {
            for key in hmacKeys {
                let expected = key.authenticationCode(for: id, ".", timestamp, ".", request.body)
                for mac in macs where constantTimeEquals(expected, mac) { matched = true }
            }
        }
        if !matched && !ed25519.isEmpty {
            search: for key in publicKeys {
                for signature in ed25519 where signature.count == 64 {
                    if key.verifyEd25519(signature: signature, message: id, ".", timestamp, ".", request.body) {
                        matched = true
                        break search
                    }
                }
            }
        }
        guard matched else { throw .noMatch(secrets: hmacKeys.count + publicKeys.count) }
        let skew = clock() - t
        if skew > toleranceSeconds { throw .timestampOutsideTolerance(by: skew - toleranceSeconds) }
        if -skew > toleranceSeconds { throw .timestampOutsideTolerance(by: -skew - toleranceSeconds) }
        return id
    }

    /// The timestamp header's value (verified requests only), unix seconds.
    func timestamp(of request: WebhookRequest) -> Int64? {
        StandardWebhooksHeaders.first(headers.timestamp, in: request.headers).flatMap { Int64($0.value) }
    }

    /// Signs a sample: `v1,…` with a `whsec_` secret, `v1a,…` with a `whsk_` key (base64 of the 32-byte seed, or of
    /// the 64-byte seed + public key).
    static func sign(id: String, timestamp: Int64, body: [UInt8], secret: Secret) throws(SampleError) -> String {
        let message = Array("\(id).\(timestamp).".utf8) + body
        let text = secret.text
        if text.hasPrefix("whsk_") {
            guard let raw = Base64.decode(text.dropFirst(5), padding: .optional), raw.count == 32 || raw.count == 64 else {
                throw SampleError("a whsk_ key is base64 of a 32-byte Ed25519 seed (or 64 bytes: seed and public key)")
            }
            do {
                return "v1a," + Base64.encode(try SampleSigningKey(ed25519Seed: raw.prefix(32)).sign(message))
            } catch {
                throw SampleError("unusable whsk_ key: \(error)")
            }
        }
        let encoded = text.hasPrefix("whsec_") ? text.dropFirst(6) : Substring(text)
        guard let key = Base64.decode(encoded, padding: .optional), !key.isEmpty,
              let hmac = try? HMACKey(algorithm: .sha256, key: key) else {
            throw SampleError("the secret must be whsec_ followed by base64 (or a whsk_ Ed25519 key)")
        }
        return "v1," + Base64.encode(hmac.authenticationCode(for: message))
    }
}

/// Events of Standard Webhooks senders: the verified `webhook-id`, the payload's `type`, its `timestamp` (RFC 3339, or
/// a number of seconds or milliseconds; else `created_at`, else the header timestamp) and `data.id` (Resend:
/// `data.email_id`). Non-JSON bodies are kept as a JSON string.
enum StandardWebhooksEvents {
    static func normalize(_ request: WebhookRequest, id: String, headerTimestamp: Int64?) throws(NormalizationFailure) -> ProviderOutcome {
        let (data, isJSON) = try EventFields.data(request.body)
        let body = isJSON ? request.body : []
        let type = Payload.string(["type"], in: body) ?? Payload.string(["event_type"], in: body) ?? "webhook"
        let time = EventFields.time(["timestamp"], in: body) ?? EventFields.rfc3339(["created_at"], in: body)
            ?? headerTimestamp.map { $0 * 1000 }
        let subject = Payload.identifier(["data", "id"], in: body) ?? Payload.identifier(["data", "email_id"], in: body)
        return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: subject, data: data)], acknowledgement: nil)
    }

    /// A sample event body, as a Standard Webhooks sender would post it.
    static func sampleBody(type: String, nonce: String, now: Int64) -> [UInt8] {
        let object = type.split(separator: ".").first.map(String.init) ?? "object"
        return Array("""
        {"type":"\(type)","timestamp":"\(RFC3339.string(fromUnixMilliseconds: now))","data":{"id":"\(object)_\(nonce)",\
        "object":"\(object)","email":"ada@example.com","name":"Ada Lovelace"}}
        """.utf8)
    }
}

final class StandardWebhooksProvider: Provider {
    private let verifier: StandardWebhooksVerifier

    init(keys: StandardWebhooksKeys, headers: StandardWebhooksHeaders, tolerance: Duration,
         clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        verifier = StandardWebhooksVerifier(keys: keys, headers: headers, tolerance: tolerance, clock: clock)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try verifier.verify(request)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        guard let (_, id) = StandardWebhooksHeaders.first(verifier.headers.id, in: request.headers) else {
            throw NormalizationFailure("missing \(verifier.headers.id[0]) header")
        }
        return try StandardWebhooksEvents.normalize(request, id: id, headerTimestamp: verifier.timestamp(of: request))
    }
}

extension StandardWebhooksPreset: SamplingPreset {
    public static let sampleEventTypes = ["contact.created", "invoice.paid", "user.deleted"]

    /// Signed with `--secret whsec_…` (`v1`) or `--secret whsk_…` (`v1a`, Ed25519).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let body = StandardWebhooksEvents.sampleBody(type: request.eventType ?? sampleEventTypes[0], nonce: request.nonce, now: request.now)
        let id = "msg_\(request.nonce)"
        let timestamp = request.now / 1000
        let signature = try StandardWebhooksVerifier.sign(id: id, timestamp: timestamp, body: body, secret: request.secret)
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("webhook-id", id),
                                       ("webhook-timestamp", "\(timestamp)"), ("webhook-signature", signature)], body: body)
    }
}
