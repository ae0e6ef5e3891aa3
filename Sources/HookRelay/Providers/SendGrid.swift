import HTTPServer

/// SendGrid's signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` = base64 of a DER ECDSA P-256 / SHA-256
/// signature over `X-Twilio-Email-Event-Webhook-Timestamp` + raw body, checked with the verification key from Mail
/// Settings (`publicKey`: base64 DER SubjectPublicKeyInfo as SendGrid shows it; PEM accepted). SendGrid states no
/// tolerance and its SDKs check none, so none applies unless `tolerance` is set.
///
/// The body is a JSON array of events: one envelope per event (`sg_event_id`, `event`, `timestamp`, `sg_message_id`),
/// each with that event's exact bytes, unless `split` is false.
public enum SendGridPreset: ProviderPreset {
    public static let name = "sendgrid"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let position = source["publicKey"]?.position ?? source.position
        let path = source.path.appending("publicKey")
        guard let text = settings.publicKey else {
            decoder.error("sendgrid needs publicKey: the Event Webhook's verification key (base64, from Mail Settings)", at: position, path: path)
            return nil
        }
        guard let bytes = KeyMaterial.resolve(text, relativeTo: decoder.file) else {
            decoder.error("cannot read the publicKey file", at: position, path: path)
            return nil
        }
        let key: PublicKey
        do {
            if KeyMaterial.isPEM(bytes) {
                key = try PublicKey(pem: bytes)
            } else {
                guard let der = Base64.decode(KeyMaterial.trimmedWhitespace(String(decoding: bytes, as: UTF8.self)), padding: .optional) else {
                    decoder.error("publicKey is not base64 (SendGrid's verification key is base64 DER)", at: position, path: path)
                    return nil
                }
                key = try PublicKey(der: der)
            }
        } catch {
            decoder.error("publicKey is not a public key: \(error)", at: position, path: path)
            return nil
        }
        guard key.kind == .ec(curve: "P-256") else {
            decoder.error("publicKey must be an EC P-256 key, found \(key.kind)", at: position, path: path)
            return nil
        }
        return Factory(key: key, tolerance: settings.tolerance, split: settings.split)
    }

    struct Factory: ProviderFactory {
        let key: PublicKey
        let tolerance: Duration?
        let split: Bool
        func makeProvider(context: ProviderContext) -> any Provider { SendGridProvider(key: key, tolerance: tolerance, split: split) }
    }
}

final class SendGridProvider: Provider {
    static let signatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
    static let timestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"

    private let key: PublicKey
    private let tolerance: OptionalTolerance
    private let split: Bool

    init(key: PublicKey, tolerance: Duration?, split: Bool = true, clock: @escaping () -> Int64 = { WallClock.unixSeconds() }) {
        self.key = key
        self.tolerance = OptionalTolerance(tolerance, clock: clock)
        self.split = split
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers[Self.signatureHeader] else { throw .missingHeader(Self.signatureHeader) }
        guard let timestamp = request.headers.valueBytes(Self.timestampHeader) else { throw .missingHeader(Self.timestampHeader) }
        guard let signature = Base64.decode(header), !signature.isEmpty, signature.count <= 80 else {
            throw .malformedHeader(Self.signatureHeader)
        }
        guard key.verifyECDSA(signature: signature, message: timestamp, request.body) else { throw .noMatch(secrets: 1) }
        try tolerance.check(timestamp, header: Self.timestampHeader)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let body = request.body
        let items: [[UInt8]] = body.withUnsafeBytes { buffer in
            guard let whole = RawJSON.valueRange(in: buffer), RawJSON.kind(at: whole, in: buffer) == .array,
                  let elements = RawJSON.elements(ofArrayAt: whole, in: buffer) else { return [body] }
            return elements.map { Array(buffer[$0]) }
        }
        guard split else {
            let type = items.count == 1 ? Payload.string(["event"], in: items[0]) ?? "batch" : "batch"
            return .events([NormalizedEvent(type: type, providerEventID: Payload.bodyHash(body), data: body)], acknowledgement: nil)
        }
        let events = items.map { item in
            NormalizedEvent(type: Payload.string(["event"], in: item) ?? "event",
                            providerEventID: Payload.string(["sg_event_id"], in: item) ?? Payload.bodyHash(item),
                            time: Payload.integer(["timestamp"], in: item).map { $0 &* 1000 },
                            subject: Payload.string(["sg_message_id"], in: item), data: item)
        }
        return .events(events, acknowledgement: nil)
    }
}

extension SendGridPreset: SamplingPreset {
    public static let sampleEventTypes = ["delivered", "open", "click", "bounce", "processed"]

    /// Signed with `--secret`: a PEM EC P-256 private key whose public key (`openssl ec -pubout -outform DER | base64`)
    /// is the source's `publicKey`. SendGrid never hands out its private key: this is for testing the path.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let ts = request.now / 1000
        let message = "\(request.nonce.prefix(22)).filterdrecv-5645d9c87f-78xgx-1-6520-0"
        func event(_ kind: String, _ suffix: String, _ time: Int64) -> String {
            #"{"email":"ada@example.com","event":"\#(kind)","sg_event_id":"\#(request.nonce)-\#(suffix)","sg_message_id":"\#(message)","smtp-id":"<\#(request.nonce)@example.com>","timestamp":\#(time)}"#
        }
        // A batch, as SendGrid posts: the sampled event after the message was processed, ending with CRLF.
        let body = Array("[\(event("processed", "p", ts - 2)),\(event(type, "e", ts))]\r\n".utf8)
        let key = try KeyMaterial.signingKey(request.secret, ed25519: false)
        guard key.isP256 else { throw SampleError("the secret must be an EC P-256 private key (PEM)") }
        let signature: [UInt8]
        do { signature = try key.sign(Array("\(ts)".utf8) + body) } catch { throw SampleError("signing failed: \(error)") }
        return SampleWebhook(headers: [("Content-Type", "application/json"), (SendGridProvider.signatureHeader, Base64.encode(signature)),
                                       (SendGridProvider.timestampHeader, "\(ts)")], body: body)
    }
}
