import HTTPServer

/// Razorpay: `X-Razorpay-Signature: <hex>` — HMAC-SHA256 of the raw body with the webhook secret. After changing the
/// secret, retries of older events are still signed with the old one (Razorpay's docs): list both. No timestamp, no
/// handshake. `x-razorpay-event-id` is unique per event and repeated on retries: the dedupe key.
public enum RazorpayPreset: ProviderPreset {
    public static let name = "razorpay"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(RazorpayProvider.self, settings, source: source, decoder: &decoder, hint: "the webhook's secret")
    }
}

final class RazorpayProvider: GroupA.SecretsProvider {
    private let signature: GroupA.BodySignature

    init(secrets: [Secret]) {
        signature = GroupA.BodySignature(header: "X-Razorpay-Signature", encoding: .hex(prefix: ""), secrets: secrets, digest: .sha256)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try signature.verify(request)
    }

    /// Type `event` (`payment.captured`), time `created_at` (s), subject the id of the first entity the event
    /// `contains` (`payload.payment.entity.id`, `pay_…`).
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let event = GroupA.string(["event"], in: root, of: body), !event.isEmpty else {
            throw NormalizationFailure("body has no event")
        }
        let id = request.headers["X-Razorpay-Event-Id"].flatMap { $0.isEmpty ? nil : $0 } ?? Payload.bodyHash(body)
        let time = GroupA.integer(["created_at"], in: root, of: body).map { $0 * 1000 }
        var subject: String?
        if let first = GroupA.string(["contains", 0], in: root, of: body) {
            subject = GroupA.string(["payload", .key(first), "entity", "id"], in: root, of: body)
        }
        if subject == nil {
            subject = body.withUnsafeBytes { bytes -> String? in
                guard let payload = RawJSON.range(of: ["payload"], inValueAt: root, in: bytes),
                      let members = RawJSON.members(ofObjectAt: payload, in: bytes) else { return nil }
                for member in members {
                    if let id = RawJSON.range(of: ["entity", "id"], inValueAt: member.valueRange, in: bytes)
                        .flatMap({ RawJSON.string(at: $0, in: bytes) }) { return id }
                }
                return nil
            }
        }
        return .events([NormalizedEvent(type: event, providerEventID: id, time: time, subject: subject, data: Array(body[root]))],
                       acknowledgement: nil)
    }
}

extension RazorpayPreset: SamplingPreset {
    public static let sampleEventTypes = ["payment.captured", "payment.failed", "order.paid", "refund.processed"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let seconds = request.now / 1000
        let suffix = String(request.nonce.prefix(14))
        let payment = #"{"entity":{"id":"pay_\#(suffix)","entity":"payment","amount":50000,"currency":"INR","#
            + #""status":"\#(type == "payment.failed" ? "failed" : "captured")","order_id":"order_\#(suffix)","method":"upi","#
            + #""captured":\#(type != "payment.failed"),"description":"Sample \#(request.nonce)","email":"gaurav.kumar@example.com","#
            + #""contact":"+919876543210","notes":{"city":"Bengalur\u016b"},"created_at":\#(seconds)}}"#
        let contains: String
        let payload: String
        switch type {
        case "order.paid":
            contains = #"["payment","order"]"#
            payload = #"{"payment":\#(payment),"order":{"entity":{"id":"order_\#(suffix)","entity":"order","amount":50000,"#
                + #""amount_paid":50000,"amount_due":0,"currency":"INR","status":"paid","created_at":\#(seconds)}}}"#
        case "refund.processed":
            contains = #"["refund","payment"]"#
            payload = #"{"refund":{"entity":{"id":"rfnd_\#(suffix)","entity":"refund","amount":50000,"currency":"INR","#
                + #""payment_id":"pay_\#(suffix)","status":"processed","created_at":\#(seconds)}},"payment":\#(payment)}"#
        default:
            contains = #"["payment"]"#
            payload = #"{"payment":\#(payment)}"#
        }
        let body = #"{"entity":"event","account_id":"acc_BFQ7uQEaa7j2z7","event":"\#(type)","contains":\#(contains),"#
            + #""payload":\#(payload),"created_at":\#(seconds)}"#
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("X-Razorpay-Signature", mac),
                                       ("X-Razorpay-Event-Id", "E" + String(request.nonce.prefix(13)).uppercased())], body: bytes)
    }
}
