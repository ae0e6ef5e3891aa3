import HTTPServer

/// Plaid: `Plaid-Verification` is a JWT signed ES256 (its header's `alg` must be exactly `ES256`) whose claims carry
/// `iat` and `request_body_sha256`, the hex SHA-256 of the raw body (compared in constant time). `iat` must be within
/// 5 minutes, as Plaid's guide says (both ways).
///
/// Plaid serves its keys through an authenticated API call (`/webhook_verification_key/get` with the JWT's `kid`);
/// hookrelay makes no network calls, so the operator configures them: `publicKey` is one JWK, a JWK set
/// (`{"keys":[…]}`) or `file:PATH` to either. A key with a `kid` only verifies JWTs naming that `kid`; a key without
/// one verifies any. When Plaid rotates its key, add the new JWK before the old one expires.
public enum PlaidPreset: ProviderPreset {
    public static let name = "plaid"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(300)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let position = source["publicKey"]?.position ?? source.position
        let path = source.path.appending("publicKey")
        guard let text = settings.publicKey else {
            decoder.error("plaid needs publicKey: Plaid's webhook verification key as a JWK (or {\"keys\":[…]}, or file:PATH)",
                          at: position, path: path)
            return nil
        }
        guard let bytes = KeyMaterial.resolve(text, relativeTo: decoder.file) else {
            decoder.error("cannot read the publicKey file", at: position, path: path)
            return nil
        }
        switch PlaidKeys.parse(bytes) {
        case .success(let keys):
            for key in keys where key.isExpired {
                decoder.warning("the JWK \(key.kid ?? "without kid") has expired_at set: Plaid no longer signs with it", at: position, path: path)
            }
            return Factory(keys: keys, tolerance: settings.tolerance ?? defaultTolerance)
        case .failure(let error):
            decoder.error(error.message, at: position, path: path)
            return nil
        }
    }

    struct Factory: ProviderFactory {
        let keys: [PlaidKeys.Key]
        let tolerance: Duration
        func makeProvider(context: ProviderContext) -> any Provider { PlaidProvider(keys: keys, tolerance: tolerance) }
    }
}

/// Plaid's verification keys, read from a JWK or a JWK set.
enum PlaidKeys {
    struct Key: Sendable {
        let kid: String?
        let key: PublicKey
        let isExpired: Bool
    }

    static func parse(_ bytes: [UInt8]) -> Result<[Key], ConfigValueError> {
        guard (try? Payload.validateJSON(bytes)) != nil else { return .failure(ConfigValueError("publicKey is not a JSON Web Key (JSON)")) }
        var objects: [[UInt8]] = []
        bytes.withUnsafeBytes { buffer in
            if let set = RawJSON.range(of: ["keys"], in: buffer), let elements = RawJSON.elements(ofArrayAt: set, in: buffer) {
                objects = elements.map { Array(buffer[$0]) }
            } else {
                objects = [bytes]
            }
        }
        guard !objects.isEmpty else { return .failure(ConfigValueError("publicKey has an empty keys array")) }
        var keys: [Key] = []
        for object in objects {
            do {
                let key = try PublicKey(jwk: object)
                let expired = object.withUnsafeBytes { buffer in
                    RawJSON.range(of: ["expired_at"], in: buffer).map { !RawJSON.isNull(at: $0, in: buffer) } ?? false
                }
                keys.append(Key(kid: Payload.string(["kid"], in: object), key: key, isExpired: expired))
            } catch {
                return .failure(ConfigValueError("publicKey: \(error)"))
            }
        }
        return .success(keys)
    }
}

final class PlaidProvider: Provider {
    static let header = "Plaid-Verification"
    /// A Plaid JWT is about 400 bytes; anything far larger is refused before it is decoded.
    static let maxTokenLength = 4096

    private let keys: [PlaidKeys.Key]
    private let toleranceSeconds: Int64
    private let clock: () -> Int64

    init(keys: [PlaidKeys.Key], tolerance: Duration, clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        self.keys = keys
        toleranceSeconds = tolerance.components.seconds
        self.clock = clock
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let token = request.headers.valueBytes(Self.header) else { throw .missingHeader(Self.header) }
        let parts = token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard token.count <= Self.maxTokenLength, parts.count == 3,
              let headerJSON = Base64URL.decode(parts[0]), (try? Payload.validateJSON(headerJSON)) != nil,
              let claimsJSON = Base64URL.decode(parts[1]), (try? Payload.validateJSON(claimsJSON)) != nil,
              let signature = Base64URL.decode(parts[2]) else {
            throw .malformedHeader(Self.header)
        }
        guard Payload.string(["alg"], in: headerJSON) == "ES256" else {
            throw VerificationFailure("malformed_signature", "Plaid-Verification is not signed ES256")
        }
        let kid = Payload.string(["kid"], in: headerJSON)
        let candidates = keys.filter { $0.kid == nil || $0.kid == kid }
        guard !candidates.isEmpty else { throw VerificationFailure("bad_signature", "no configured key has this key id") }
        let signingInput = token[token.startIndex..<parts[1].endIndex]
        guard candidates.contains(where: { $0.key.verifyECDSA(rawSignature: signature, message: signingInput) }) else {
            throw .noMatch(secrets: candidates.count)
        }
        guard let claimed = Payload.string(["request_body_sha256"], in: claimsJSON), let claimedHash = Hex.decode(claimed) else {
            throw VerificationFailure("malformed_signature", "Plaid-Verification has no request_body_sha256")
        }
        guard constantTimeEquals(Digest.hash(.sha256, request.body), claimedHash) else {
            throw VerificationFailure("bad_signature", "body does not match request_body_sha256")
        }
        guard let issuedAt = Payload.integer(["iat"], in: claimsJSON) else {
            throw VerificationFailure("malformed_signature", "Plaid-Verification has no iat")
        }
        let skew = abs(clock() - issuedAt)
        if skew > toleranceSeconds { throw .timestampOutsideTolerance(by: skew - toleranceSeconds) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let body = request.body
        guard let webhookType = Payload.string(["webhook_type"], in: body), let code = Payload.string(["webhook_code"], in: body) else {
            throw NormalizationFailure("webhook has no webhook_type and webhook_code")
        }
        // Plaid's webhooks carry no id: a retry sends the same body, so its hash is the dedupe key. The time is the JWT's iat.
        let subject = Payload.string(["item_id"], in: body) ?? Payload.string(["account_id"], in: body)
            ?? Payload.string(["identity_verification_id"], in: body)
        return .events([NormalizedEvent(type: "\(webhookType).\(code)", providerEventID: Payload.bodyHash(body),
                                        time: Self.issuedAt(request).map { $0 * 1000 }, subject: subject, data: body)],
                       acknowledgement: nil)
    }

    /// The `iat` of a (verified) request's JWT.
    static func issuedAt(_ request: WebhookRequest) -> Int64? {
        guard let token = request.headers.valueBytes(header) else { return nil }
        let parts = token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, let claims = Base64URL.decode(parts[1]) else { return nil }
        return Payload.integer(["iat"], in: claims)
    }
}

extension PlaidPreset: SamplingPreset {
    public static let sampleEventTypes = ["TRANSACTIONS.SYNC_UPDATES_AVAILABLE", "ITEM.ERROR", "ITEM.PENDING_EXPIRATION", "AUTH.DEFAULT_UPDATE"]

    /// Signed ES256 with `--secret`: a PEM EC P-256 private key. The JWT names `kid` `hookrelay-sample`: configure the
    /// matching public JWK without a `kid`, or with that one. Plaid never hands out its key: this is for testing.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let webhookType = type.prefix { $0 != "." }
        let code = type.drop { $0 != "." }.dropFirst()
        let body = Array("""
        {
          "environment": "sandbox",
          "error": null,
          "historical_update_complete": true,
          "initial_update_complete": true,
          "item_id": "item_\(request.nonce)",
          "webhook_code": "\(code)",
          "webhook_type": "\(webhookType)"
        }
        """.utf8)
        let key = try KeyMaterial.signingKey(request.secret, ed25519: false)
        guard key.isP256 else { throw SampleError("the secret must be an EC P-256 private key (PEM)") }
        let header = Base64URL.encode(Array(#"{"alg":"ES256","kid":"hookrelay-sample","typ":"JWT"}"#.utf8))
        let claims = Base64URL.encode(Array(#"{"iat":\#(request.now / 1000),"request_body_sha256":"\#(Hex.encode(Digest.hash(.sha256, body)))"}"#.utf8))
        let signingInput = "\(header).\(claims)"
        let signature: [UInt8]
        do {
            guard let raw = SampleSigningKey.rawECDSASignature(fromDER: try key.sign(Array(signingInput.utf8))) else {
                throw SampleError("signing failed")
            }
            signature = raw
        } catch {
            throw SampleError("signing failed: \(error)")
        }
        return SampleWebhook(headers: [("Content-Type", "application/json"),
                                       (PlaidProvider.header, signingInput + "." + Base64URL.encode(signature))], body: body)
    }
}
