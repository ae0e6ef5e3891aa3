import HTTPServer

/// Svix (and the services that send through it: Clerk, Resend, …): Standard Webhooks under the names `svix-id`,
/// `svix-timestamp` and `svix-signature`, falling back to `webhook-*` header by header as Svix's libraries do. Same
/// secrets (`whsec_…`, `whpk_…`), same 5-minute tolerance both ways.
public enum SvixPreset: ProviderPreset {
    public static let name = "svix"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard let keys = StandardWebhooksKeys.decode(settings, source: source, decoder: &decoder, preset: name) else { return nil }
        return Factory(keys: keys, tolerance: settings.tolerance ?? StandardWebhooksPreset.defaultTolerance)
    }

    struct Factory: ProviderFactory {
        let keys: StandardWebhooksKeys
        let tolerance: Duration
        func makeProvider(context: ProviderContext) -> any Provider {
            StandardWebhooksProvider(keys: keys, headers: .svix, tolerance: tolerance)
        }
    }
}

extension SvixPreset: SamplingPreset {
    public static let sampleEventTypes = ["user.created", "email.delivered", "session.created", "user.deleted"]

    /// Signed with `--secret whsec_…` (the endpoint's signing secret), or `whsk_…` for `v1a`.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let body: [UInt8]
        if type.hasPrefix("email.") {  // Resend's shape
            body = Array("""
            {"type":"\(type)","created_at":"\(RFC3339.string(fromUnixMilliseconds: request.now))","data":{\
            "email_id":"\(request.nonce)","from":"Acme <onboarding@example.com>","to":["ada@example.com"],\
            "subject":"Welcome"}}
            """.utf8)
        } else {  // Clerk's shape: timestamp in milliseconds
            body = Array("""
            {"data":{"id":"user_\(request.nonce)","object":"user","first_name":"Ada","last_name":"Lovelace",\
            "email_addresses":[{"email_address":"ada@example.com"}]},"instance_id":"ins_sample","object":"event",\
            "timestamp":\(request.now),"type":"\(type)"}
            """.utf8)
        }
        let id = "msg_\(request.nonce)"
        let timestamp = request.now / 1000
        let signature = try StandardWebhooksVerifier.sign(id: id, timestamp: timestamp, body: body, secret: request.secret)
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("svix-id", id), ("svix-timestamp", "\(timestamp)"),
                                       ("svix-signature", signature)], body: body)
    }
}
