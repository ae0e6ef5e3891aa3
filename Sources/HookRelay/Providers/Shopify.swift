import HTTPServer

/// Shopify: `X-Shopify-Hmac-Sha256: <base64>` — HMAC-SHA256 of the raw body with the app's client secret. After a
/// secret rotation Shopify may keep signing with the old secret for up to an hour: list both. No timestamp, no
/// handshake; bad signatures get 401 (Shopify's mandatory compliance webhooks require it).
public enum ShopifyPreset: ProviderPreset {
    public static let name = "shopify"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(ShopifyProvider.self, settings, source: source, decoder: &decoder, hint: "the app's client secret")
    }
}

final class ShopifyProvider: GroupA.SecretsProvider {
    private let signature: GroupA.BodySignature

    init(secrets: [Secret]) {
        signature = GroupA.BodySignature(header: "X-Shopify-Hmac-Sha256", encoding: .base64, secrets: secrets, digest: .sha256)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try signature.verify(request)
    }

    /// Type `X-Shopify-Topic` (`orders/create`), id `X-Shopify-Webhook-Id` (the same on every retry of one delivery;
    /// `X-Shopify-Event-Id` is shared by the webhooks of different topics one event causes, so it cannot dedupe),
    /// time `X-Shopify-Triggered-At`, subject the resource's `admin_graphql_api_id` or `id`.
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let topic = request.headers["X-Shopify-Topic"], !topic.isEmpty else {
            throw NormalizationFailure("missing X-Shopify-Topic header")
        }
        let id = request.headers["X-Shopify-Webhook-Id"].flatMap { $0.isEmpty ? nil : $0 } ?? Payload.bodyHash(body)
        let time = request.headers["X-Shopify-Triggered-At"].flatMap { RFC3339.parse($0)?.milliseconds }
        let subject = GroupA.string(["admin_graphql_api_id"], in: root, of: body) ?? GroupA.identifier(["id"], in: root, of: body)
        return .events([NormalizedEvent(type: topic, providerEventID: id, time: time, subject: subject, data: Array(body[root]))],
                       acknowledgement: nil)
    }
}

extension ShopifyPreset: SamplingPreset {
    public static let sampleEventTypes = ["orders/create", "products/update", "customers/create", "app/uninstalled"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let topic = request.eventType ?? sampleEventTypes[0]
        let resource = topic.split(separator: "/").first.map(String.init) ?? "orders"
        let number = 820_982_911_946_154_508 + (request.now % 1_000_000)
        let body: String
        switch resource {
        case "app":
            body = #"{"id":548380009,"name":"John Smith Test Store","email":"j.smith@example.com","domain":"shop.example.com","#
                + #""myshopify_domain":"john-smith-test-store.myshopify.com"}"#
        case "products":
            body = #"{"admin_graphql_api_id":"gid://shopify/Product/\#(number)","id":\#(number),"title":"Zürich Mug","#
                + #""vendor":"hookrelay","status":"active","variants":[{"id":1,"price":"19.00","sku":"MUG-\#(request.nonce.prefix(6))"}]}"#
        case "customers":
            body = #"{"admin_graphql_api_id":"gid://shopify/Customer/\#(number)","id":\#(number),"email":"jurgen@example.com","#
                + #""first_name":"Jürgen","last_name":"Müller","state":"enabled"}"#
        default:
            body = ##"{"admin_graphql_api_id":"gid://shopify/Order/\##(number)","id":\##(number),"name":"#1001","##
                + #""email":"jurgen@example.com","currency":"EUR","total_price":"42.00","financial_status":"paid","#
                + #""note":"sample \#(request.nonce)","line_items":[{"id":1,"title":"Zürich Mug","quantity":2,"price":"21.00"}]}"#
        }
        let bytes = Array(body.utf8)
        let mac = Base64.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: bytes))
        let triggeredAt = RFC3339.string(fromUnixMilliseconds: request.now)
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("X-Shopify-Topic", topic),
                                       ("X-Shopify-Hmac-Sha256", mac), ("X-Shopify-Shop-Domain", "john-smith-test-store.myshopify.com"),
                                       ("X-Shopify-API-Version", "2025-07"), ("X-Shopify-Webhook-Id", GroupA.sampleUUID(request.nonce)),
                                       ("X-Shopify-Event-Id", GroupA.sampleUUID(request.nonce + "event")),
                                       ("X-Shopify-Triggered-At", triggeredAt)], body: bytes)
    }
}
