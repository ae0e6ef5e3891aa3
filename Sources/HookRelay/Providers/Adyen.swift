import HTTPServer

/// Adyen. Standard (payment) webhooks sign **each item** in the body: `notificationItems[].NotificationRequestItem
/// .additionalData.hmacSignature` = base64 HMAC-SHA256 over
/// `pspReference:originalReference:merchantAccountCode:merchantReference:amount.value:amount.currency:eventCode:success`
/// (missing fields as empty strings) with the HMAC key **hex-decoded**; every item must verify. Balance Platform and
/// Management webhooks instead send `HmacSignature: <base64 HMAC-SHA256 of the raw body>` with the same kind of key.
/// Answers `[accepted]`.
public enum AdyenPreset: ProviderPreset {
    public static let name = "adyen"
    public static let optionKeys: [String] = []
    static let signatureHeader = "HmacSignature"

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source,
                                     "adyen needs at least one secret (the webhook's HMAC key, hex, from Developers → Webhooks)") else {
            return nil
        }
        var keys: [[UInt8]] = []
        for (index, secret) in settings.secrets.enumerated() {
            guard let key = Hex.decode(secret.bytes), !key.isEmpty else {
                GroupD.reportSecret("Adyen's HMAC key is hexadecimal (for example 64 hex digits)", index: index, of: settings,
                                    in: source, decoder: &decoder)
                continue
            }
            keys.append(key)
        }
        guard keys.count == settings.secrets.count else { return nil }
        return Factory(keys: keys, split: settings.split)
    }

    struct Factory: ProviderFactory {
        let keys: [[UInt8]]
        let split: Bool
        func makeProvider(context: ProviderContext) -> any Provider { AdyenProvider(keys: keys, split: split) }
    }

    /// `[accepted]`, the body Adyen's documentation asks for (any 2xx is accepted today).
    static let accepted = HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: Array("[accepted]".utf8))

    /// The signed string of one `NotificationRequestItem` (the object at `item`).
    static func signedString(ofItemAt item: Range<Int>, in bytes: UnsafeRawBufferPointer) -> String {
        func text(_ path: [RawJSON.PathComponent]) -> String {
            guard let range = RawJSON.range(of: path, inValueAt: item, in: bytes) else { return "" }
            switch RawJSON.scalar(at: range, in: bytes) {
            case .string(let value): return value
            case .number(let number): return number.text
            case .bool(let flag): return flag ? "true" : "false"
            default: return ""
            }
        }
        return [text(["pspReference"]), text(["originalReference"]), text(["merchantAccountCode"]), text(["merchantReference"]),
                text(["amount", "value"]), text(["amount", "currency"]), text(["eventCode"]), text(["success"])].joined(separator: ":")
    }
}

final class AdyenProvider: Provider {
    private let keys: [HMACKey]
    private let split: Bool

    init(keys: [[UInt8]], split: Bool = true) {
        self.keys = keys.compactMap { try? HMACKey(algorithm: .sha256, key: $0) }
        self.split = split
    }

    private func matches(_ signature: [UInt8], _ message: some MessageBytes) -> Bool {
        var matched = false
        for key in keys where key.isValidAuthenticationCode(signature, for: message) { matched = true }
        return matched
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        if let header = request.headers[AdyenPreset.signatureHeader] {
            guard let signature = Base64.decode(header), signature.count == 32 else {
                throw .malformedHeader(AdyenPreset.signatureHeader)
            }
            guard matches(signature, request.body) else { throw .noMatch(secrets: keys.count) }
            return
        }
        do throws(NormalizationFailure) { try Payload.validateJSON(request.body) } catch {
            throw VerificationFailure("malformed_body", error.reason, status: 400)
        }
        let failure: VerificationFailure? = request.body.withUnsafeBytes { bytes in
            guard let items = RawJSON.range(of: ["notificationItems"], in: bytes), let elements = RawJSON.elements(ofArrayAt: items, in: bytes)
            else {
                return VerificationFailure("missing_signature", "no notificationItems and no HmacSignature header")
            }
            var count = 0
            for element in elements {
                count += 1
                guard let item = RawJSON.range(of: ["NotificationRequestItem"], inValueAt: element, in: bytes) else {
                    return VerificationFailure("malformed_body", "notification item \(count) has no NotificationRequestItem", status: 400)
                }
                guard let range = RawJSON.range(of: ["additionalData", "hmacSignature"], inValueAt: item, in: bytes),
                      let text = RawJSON.string(at: range, in: bytes) else {
                    return VerificationFailure("missing_signature", "notification item \(count) has no additionalData.hmacSignature")
                }
                let signature = Base64.decode(text) ?? []
                guard matches(signature, AdyenPreset.signedString(ofItemAt: item, in: bytes)) else {
                    let base = VerificationFailure.noMatch(secrets: keys.count)
                    return VerificationFailure(base.code, "notification item \(count): \(base.reason)")
                }
            }
            return count == 0 ? VerificationFailure("missing_signature", "notificationItems is empty") : nil
        }
        if let failure { throw failure }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let events: [NormalizedEvent]? = request.body.withUnsafeBytes { bytes in
            guard let items = RawJSON.range(of: ["notificationItems"], in: bytes), let elements = RawJSON.elements(ofArrayAt: items, in: bytes)
            else { return platformEvent(bytes, body: request.body).map { [$0] } }
            var events: [NormalizedEvent] = []
            for element in elements {
                guard let item = RawJSON.range(of: ["NotificationRequestItem"], inValueAt: element, in: bytes),
                      let eventCode = GroupD.identifier(["eventCode"], inValueAt: item, in: bytes) else { return nil }
                let psp = GroupD.identifier(["pspReference"], inValueAt: item, in: bytes) ?? ""
                let success = GroupD.identifier(["success"], inValueAt: item, in: bytes)
                    ?? RawJSON.range(of: ["success"], inValueAt: item, in: bytes).flatMap { RawJSON.bool(at: $0, in: bytes) }.map { "\($0)" }
                    ?? ""
                let original = GroupD.identifier(["originalReference"], inValueAt: item, in: bytes).flatMap { $0.isEmpty ? nil : $0 }
                let time = RawJSON.range(of: ["eventDate"], inValueAt: item, in: bytes).flatMap { GroupD.milliseconds(at: $0, in: bytes) }
                events.append(NormalizedEvent(type: eventCode, providerEventID: "\(psp):\(eventCode):\(success)", time: time,
                                              subject: original ?? (psp.isEmpty ? nil : psp), data: Array(bytes[item])))
            }
            return events
        }
        guard var events, !events.isEmpty else {
            throw NormalizationFailure("body has neither notificationItems with an eventCode nor a platform webhook type")
        }
        if !split && events.count > 1 {
            events = [NormalizedEvent(type: events[0].type, providerEventID: events.map(\.providerEventID).joined(separator: ","),
                                      time: events[0].time, subject: events[0].subject, data: request.body)]
        }
        return .events(events, acknowledgement: AdyenPreset.accepted)
    }

    /// A Balance Platform / Management webhook: `{"type":…,"data":{…},"environment":…,"timestamp"|"createdAt":…}`.
    private func platformEvent(_ bytes: UnsafeRawBufferPointer, body: [UInt8]) -> NormalizedEvent? {
        guard let type = RawJSON.range(of: ["type"], in: bytes).flatMap({ RawJSON.string(at: $0, in: bytes) }) else { return nil }
        let time = (RawJSON.range(of: ["timestamp"], in: bytes) ?? RawJSON.range(of: ["createdAt"], in: bytes))
            .flatMap { GroupD.milliseconds(at: $0, in: bytes) }
        let subject = RawJSON.range(of: ["data"], in: bytes).flatMap { data in
            GroupD.identifier(["id"], inValueAt: data, in: bytes) ?? GroupD.identifier(["merchantId"], inValueAt: data, in: bytes)
        }
        return NormalizedEvent(type: type, providerEventID: Payload.bodyHash(body), time: time, subject: subject, data: body)
    }
}

extension AdyenPreset: SamplingPreset {
    public static let sampleEventTypes = ["AUTHORISATION", "CAPTURE", "REFUND", "CANCELLATION", "CHARGEBACK",
                                          "balancePlatform.accountHolder.updated"]

    /// The secret is the webhook's HMAC key in hex, as configured.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        guard let keyBytes = Hex.decode(request.secret.bytes), !keyBytes.isEmpty,
              let key = try? HMACKey(algorithm: .sha256, key: keyBytes) else {
            throw SampleError("the secret is Adyen's HMAC key in hexadecimal")
        }
        let date = RFC3339.string(fromUnixSeconds: request.now / 1000)
        if type.contains(".") {
            let body = """
            {"data": {"balancePlatform": "YOUR_BALANCE_PLATFORM", "accountHolder": {"id": "AH\(request.nonce.prefix(16).uppercased())", \
            "status": "active", "legalEntityId": "LE00000000000000000000001"}, "id": "AH\(request.nonce.prefix(16).uppercased())"}, \
            "environment": "test", "timestamp": "\(date)", "type": "\(type)"}
            """
            let bytes = Array(body.utf8)
            return SampleWebhook(headers: [("Content-Type", "application/json"),
                                           (signatureHeader, Base64.encode(key.authenticationCode(for: bytes)))], body: bytes)
        }
        let digits = Digest.hash(.sha256, request.nonce).prefix(8).map { String($0 % 10) }.joined()
        let psp = "88\(digits)1234"
        let original = type == "AUTHORISATION" ? "" : "77\(digits)4321"
        let reference = "order-\(request.nonce.prefix(8))"
        let signed = [psp, original, "ExampleShopECOM", reference, "1130", "EUR", type, "true"].joined(separator: ":")
        let signature = Base64.encode(key.authenticationCode(for: signed))
        var item = #"{"additionalData": {"hmacSignature": "\#(signature)", "authCode": "058392", "cardSummary": "1111"}, "#
            + #""amount": {"currency": "EUR", "value": 1130}, "eventCode": "\#(type)", "eventDate": "\#(date)", "#
            + #""merchantAccountCode": "ExampleShopECOM", "merchantReference": "\#(reference)", "#
        if !original.isEmpty { item += #""originalReference": "\#(original)", "# }
        item += #""paymentMethod": "visa", "pspReference": "\#(psp)", "reason": "058392:1111:03/2030", "success": "true"}"#
        let body = #"{"live": "false", "notificationItems": [{"NotificationRequestItem": \#(item)}]}"#
        return SampleWebhook(headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}
