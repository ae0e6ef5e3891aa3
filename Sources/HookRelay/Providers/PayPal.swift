import HTTPServer

/// PayPal REST webhooks: `PAYPAL-TRANSMISSION-SIG` is base64 of an RSA `SHA256withRSA` signature over
/// `"{PAYPAL-TRANSMISSION-ID}|{PAYPAL-TRANSMISSION-TIME}|{webhook id}|{CRC-32 of the raw body, unsigned decimal}"`.
///
/// PayPal names the signing certificate in `PAYPAL-CERT-URL` for receivers to download; hookrelay makes no network
/// calls and never trusts a key named by the request, so the operator configures the certificate: `publicKey` is its
/// PEM (or `file:PATH`), and `webhookId` (required) is the id PayPal gave the webhook registration. PayPal states no
/// tolerance, so none applies unless `tolerance` is set (against `PAYPAL-TRANSMISSION-TIME`).
public enum PayPalPreset: ProviderPreset {
    public static let name = "paypal"
    public static let optionKeys = ["webhookId"]

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let webhookID = decoder.required("webhookId", in: source, as: .nonEmptyString)
        if let webhookID, !webhookID.utf8.allSatisfy({ ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }) {
            decoder.error("webhookId is letters and digits (the webhook's ID in the PayPal developer dashboard)",
                          at: source["webhookId"]?.position ?? source.position, path: source.path.appending("webhookId"))
            return nil
        }
        let position = source["publicKey"]?.position ?? source.position
        let path = source.path.appending("publicKey")
        guard let text = settings.publicKey else {
            decoder.error("paypal needs publicKey: PayPal's signing certificate (PEM, or file:PATH), as PAYPAL-CERT-URL serves it",
                          at: position, path: path)
            return nil
        }
        guard let bytes = KeyMaterial.resolve(text, relativeTo: decoder.file) else {
            decoder.error("cannot read the publicKey file", at: position, path: path)
            return nil
        }
        let key: PublicKey
        do {
            key = try PublicKey(pem: bytes)
        } catch {
            decoder.error("publicKey is not a PEM certificate or public key: \(error)", at: position, path: path)
            return nil
        }
        guard case .rsa(let bits) = key.kind, bits >= 2048 else {
            decoder.error("publicKey must be an RSA key of at least 2048 bits, found \(key.kind)", at: position, path: path)
            return nil
        }
        guard let webhookID else { return nil }
        return Factory(key: key, webhookID: webhookID, tolerance: settings.tolerance)
    }

    struct Factory: ProviderFactory {
        let key: PublicKey
        let webhookID: String
        let tolerance: Duration?
        func makeProvider(context: ProviderContext) -> any Provider { PayPalProvider(key: key, webhookID: webhookID, tolerance: tolerance) }
    }
}

final class PayPalProvider: Provider {
    static let idHeader = "PAYPAL-TRANSMISSION-ID"
    static let timeHeader = "PAYPAL-TRANSMISSION-TIME"
    static let signatureHeader = "PAYPAL-TRANSMISSION-SIG"
    static let algorithmHeader = "PAYPAL-AUTH-ALGO"

    private let key: PublicKey
    private let webhookID: String
    private let toleranceSeconds: Int64?
    private let clock: () -> Int64

    init(key: PublicKey, webhookID: String, tolerance: Duration?, clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        self.key = key
        self.webhookID = webhookID
        toleranceSeconds = tolerance?.components.seconds
        self.clock = clock
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let id = request.headers.valueBytes(Self.idHeader) else { throw .missingHeader(Self.idHeader) }
        guard let time = request.headers.valueBytes(Self.timeHeader) else { throw .missingHeader(Self.timeHeader) }
        guard let header = request.headers[Self.signatureHeader] else { throw .missingHeader(Self.signatureHeader) }
        if let algorithm = request.headers[Self.algorithmHeader], algorithm != "SHA256withRSA" {
            throw VerificationFailure("malformed_signature", "unsupported PAYPAL-AUTH-ALGO")
        }
        guard let signature = Base64.decode(header), !signature.isEmpty, signature.count <= 1024 else {
            throw .malformedHeader(Self.signatureHeader)
        }
        let crc = "\(CRC32.checksum(request.body))"
        guard key.verifyRSA(signature: signature, message: id, "|", time, "|", webhookID, "|", crc) else { throw .noMatch(secrets: 1) }
        guard let toleranceSeconds else { return }
        guard let sent = EventFields.milliseconds(rfc3339: String(decoding: time, as: UTF8.self)) else { throw .malformedHeader(Self.timeHeader) }
        let skew = abs(clock() - sent / 1000)
        if skew > toleranceSeconds { throw .timestampOutsideTolerance(by: skew - toleranceSeconds) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let body = request.body
        guard let id = Payload.string(["id"], in: body) else { throw NormalizationFailure("event has no id") }
        guard let type = Payload.string(["event_type"], in: body) else { throw NormalizationFailure("event has no event_type") }
        return .events([NormalizedEvent(type: type, providerEventID: id, time: EventFields.rfc3339(["create_time"], in: body),
                                        subject: Payload.identifier(["resource", "id"], in: body), data: body)],
                       acknowledgement: nil)
    }
}

extension PayPalPreset: SamplingPreset {
    public static let sampleEventTypes = ["PAYMENT.CAPTURE.COMPLETED", "CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.REFUNDED",
                                          "BILLING.SUBSCRIPTION.ACTIVATED"]

    /// Signed with `--secret`: a PEM RSA private key whose certificate is the source's `publicKey`. The webhook id
    /// signed is taken from a `Webhook-Id: <id>` line before the PEM block (default `HOOKRELAYSAMPLE`). PayPal never
    /// hands out its key: this is for testing the path.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let time = RFC3339.string(fromUnixSeconds: request.now / 1000)
        let resourceType = type.hasPrefix("CHECKOUT") ? "checkout-order" : type.hasPrefix("BILLING") ? "subscription" : "capture"
        let resourceID = String(request.nonce.uppercased().prefix(17))
        let body = Array("""
        {"id":"WH-\(request.nonce.uppercased().prefix(17))-\(request.nonce.uppercased().suffix(7))","event_version":"1.0",\
        "create_time":"\(time)","resource_type":"\(resourceType)","resource_version":"2.0","event_type":"\(type)",\
        "summary":"Payment completed for EUR 23.80 EUR","resource":{"id":"\(resourceID)","status":"COMPLETED",\
        "amount":{"currency_code":"EUR","value":"23.80"},"final_capture":true,"create_time":"\(time)","update_time":"\(time)"},\
        "links":[{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-\(resourceID)","rel":"self","method":"GET"}]}
        """.utf8)
        let key = try KeyMaterial.signingKey(request.secret, ed25519: false)
        guard key.isRSA else { throw SampleError("the secret must be an RSA private key (PEM)") }
        let webhookID = Self.sampleWebhookID(in: request.secret.text)
        let transmissionID = "\(request.nonce.prefix(8))-\(request.nonce.dropFirst(8).prefix(4))-11ee-\(request.nonce.dropFirst(12).prefix(4))-\(request.nonce.suffix(12))"
        let message = "\(transmissionID)|\(time)|\(webhookID)|\(CRC32.checksum(body))"
        let signature: [UInt8]
        do { signature = try key.sign(Array(message.utf8)) } catch { throw SampleError("signing failed: \(error)") }
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("PAYPAL-AUTH-ALGO", "SHA256withRSA"),
                                       ("PAYPAL-CERT-URL", "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-hookrelay-sample"),
                                       ("PAYPAL-TRANSMISSION-ID", transmissionID), ("PAYPAL-TRANSMISSION-TIME", time),
                                       ("PAYPAL-TRANSMISSION-SIG", Base64.encode(signature))],
                             body: body)
    }

    static let defaultSampleWebhookID = "HOOKRELAYSAMPLE"

    /// The id on a `Webhook-Id:` line of the sample key file, else ``defaultSampleWebhookID``.
    static func sampleWebhookID(in text: String) -> String {
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "webhook-id" {
                let id = parts[1].trimmingASCIISpaces()
                if !id.isEmpty { return String(id) }
            }
        }
        return defaultSampleWebhookID
    }
}
