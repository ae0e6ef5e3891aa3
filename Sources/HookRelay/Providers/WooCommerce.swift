import HTTPServer

/// WooCommerce: `X-WC-Webhook-Signature` = base64 HMAC-SHA256(secret, raw body), where WooCommerce keys the HMAC with
/// its stored secret after `wp_specialchars_decode(…, ENT_QUOTES)` — so each configured secret is tried as given and,
/// when it holds HTML entities (`&amp;` …, as the REST API shows a stored secret), decoded the same way. When a
/// webhook is created WooCommerce posts an unsigned `webhook_id=<N>` form and marks the webhook failing unless the
/// answer is exactly 200: that ping is answered 200 and nothing is stored. No timestamp; no retries.
public enum WooCommercePreset: ProviderPreset {
    public static let name = "woocommerce"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source, "woocommerce needs at least one secret: the webhook's Secret") else { return nil }
        return Factory(secrets: settings.secrets)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        func makeProvider(context: ProviderContext) -> any Provider { WooCommerceProvider(secrets: secrets) }
    }
}

final class WooCommerceProvider: Provider {
    private let keys: [HMACKey]
    private let secretCount: Int

    init(secrets: [Secret]) {
        var keyBytes: [[UInt8]] = []
        for secret in secrets {
            keyBytes.append(secret.bytes)
            let decoded = Array(Self.specialCharsDecode(secret.text).utf8)
            if decoded != secret.bytes { keyBytes.append(decoded) }
        }
        keys = keyBytes.compactMap { try? HMACKey(algorithm: .sha256, key: $0) }
        secretCount = secrets.count
    }

    static let header = "X-WC-Webhook-Signature"

    /// WordPress's `wp_specialchars_decode($text, ENT_QUOTES)`: `&amp; &lt; &gt; &quot;`, the decimal forms of
    /// `& < > " '` (`&#38; &#060; &#62; &#034; &#039;`, any leading zeros) and the hex forms of `& " '` only
    /// (`&#x26; &#x22; &#x27;`, any case) are decoded, in one pass; nothing else is touched (not `&apos;`, not `&#x3C;`).
    static func specialCharsDecode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let named: [Substring: Character] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\""]
        let decimal: [UInt32: Character] = [38: "&", 60: "<", 62: ">", 34: "\"", 39: "'"]
        let hex: [UInt32: Character] = [0x26: "&", 0x22: "\"", 0x27: "'"]
        var output = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            output += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semicolon = after.prefix(10).firstIndex(of: ";") {
                let entity = after[..<semicolon]
                var decoded: Character?
                let digits = entity.dropFirst(entity.hasPrefix("#x") || entity.hasPrefix("#X") ? 2 : 1)
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    decoded = digits.allSatisfy(\.isHexDigit) ? UInt32(digits, radix: 16).flatMap { hex[$0] } : nil
                } else if entity.hasPrefix("#") {
                    decoded = digits.allSatisfy({ $0.isASCII && $0.isNumber }) ? UInt32(digits).flatMap { decimal[$0] } : nil
                } else {
                    decoded = named[entity]
                }
                if let decoded {
                    output.append(decoded)
                    rest = after[after.index(after: semicolon)...]
                    continue
                }
            }
            output += "&"
            rest = after
        }
        return output + rest
    }

    /// The creation ping: a POST without a signature whose whole body is `webhook_id=<digits>`.
    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        guard request.method == "POST", !request.headers.contains(Self.header) else { return nil }
        let prefix = Array("webhook_id=".utf8)
        guard request.body.count > prefix.count, request.body.count <= prefix.count + 20, request.body.starts(with: prefix),
              request.body[prefix.count...].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return GroupB.emptyOK
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let value = request.headers[Self.header] else { throw .missingHeader(Self.header) }
        guard let signature = GroupB.base64Signature(value, .sha256) else { throw .malformedHeader(Self.header) }
        guard GroupB.matches(signature, keys: keys, { $0.append(request.body) }) else { throw .noMatch(secrets: secretCount) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        try Payload.validateJSON(body)
        let type = request.headers["X-WC-Webhook-Topic"].flatMap { $0.isEmpty ? nil : $0 } ?? "webhook"
        // WooCommerce never retries; the delivery id is new per delivery, which is what a dedupe key can be here.
        let id = request.headers["X-WC-Webhook-Delivery-ID"].flatMap { $0.isEmpty ? nil : $0 } ?? Payload.bodyHash(body)
        let time = (Payload.string(["date_modified_gmt"], in: body) ?? Payload.string(["date_created_gmt"], in: body))
            .flatMap(GroupB.milliseconds(iso:))
        return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: Payload.identifier(["id"], in: body),
                                        data: body)], acknowledgement: nil)
    }
}

extension WooCommercePreset: SamplingPreset {
    public static let sampleEventTypes = ["order.updated", "order.created", "product.updated", "customer.created"]

    /// A resource event signed as WooCommerce does (the secret entity-decoded first).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let resource = String(type.split(separator: ".").first ?? "order")
        let id = request.now % 100_000 + 100
        let date = String(RFC3339.string(fromUnixSeconds: request.now / 1000).dropLast())  // WooCommerce writes no zone
        let body = """
            {"id":\(id),"parent_id":0,"status":"processing","currency":"EUR","date_created":"\(date)","date_created_gmt":"\(date)",\
            "date_modified":"\(date)","date_modified_gmt":"\(date)","total":"29.90","billing":{"first_name":"Zoë","city":"Köln"},\
            "meta_data":[],"line_items":[{"id":1,"name":"Mug “hookrelay”","quantity":1}]}
            """
        let bytes = Array(body.utf8)
        let key: HMACKey
        do {
            key = try HMACKey(algorithm: .sha256, key: Array(WooCommerceProvider.specialCharsDecode(request.secret.text).utf8))
        } catch {
            throw SampleError("unusable secret")
        }
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("X-WC-Webhook-Source", "https://shop.example.com/"),
                                       ("X-WC-Webhook-Topic", type), ("X-WC-Webhook-Resource", resource),
                                       ("X-WC-Webhook-Event", String(type.split(separator: ".").last ?? "updated")),
                                       ("X-WC-Webhook-Signature", Base64.encode(key.authenticationCode(for: bytes))),
                                       ("X-WC-Webhook-ID", "7"), ("X-WC-Webhook-Delivery-ID", request.nonce)], body: bytes)
    }
}
