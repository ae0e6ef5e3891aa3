import HTTPServer

/// Mailchimp Marketing (audience) webhooks carry no signature: the secret goes in the webhook URL's query
/// (`?secret=…`, parameter name set by `secretParameter`) and is compared in constant time with the configured
/// secrets. Mailchimp checks a new webhook with a GET to the URL: answered 200 without looking at the secret (it
/// stores nothing, and whether Mailchimp keeps the query on that check is not documented). Events are
/// forms with PHP-style keys (`type=subscribe&fired_at=…&data[email]=…`), stored as a JSON object with those keys.
public enum MailchimpPreset: ProviderPreset {
    public static let name = "mailchimp"
    public static let optionKeys = ["secretParameter"]

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let parameter = decoder.optional("secretParameter", in: source, as: .nonEmptyString, default: "secret")
        guard decoder.requireSecrets(settings, of: source,
                                     "mailchimp needs at least one secret: the value of the webhook URL's ?\(parameter)= parameter")
        else { return nil }
        return Factory(secrets: settings.secrets, parameter: parameter)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let parameter: String
        func makeProvider(context: ProviderContext) -> any Provider { MailchimpProvider(secrets: secrets, parameter: parameter) }
    }
}

final class MailchimpProvider: Provider {
    private let secrets: [Secret]
    private let parameter: String

    init(secrets: [Secret], parameter: String = "secret") {
        self.secrets = secrets
        self.parameter = parameter
    }

    var allowedMethods: [String] { ["POST", "GET"] }

    /// The GET check Mailchimp makes when a webhook is saved.
    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        request.method == "GET" ? GroupB.emptyOK : nil
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let given = GroupB.queryValue(parameter, in: request.query) else {
            throw VerificationFailure("missing_signature", "missing ?\(parameter)= in the URL")
        }
        var matched = false
        for secret in secrets where constantTimeEquals(secret.bytes, Array(given.utf8)) { matched = true }
        guard matched else { throw VerificationFailure("bad_signature", "URL secret does not match") }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        guard let pairs = try? FormURLEncoded.parse(request.body) else { throw NormalizationFailure("malformed form body") }
        func field(_ name: String) -> String? { pairs.first { $0.name == name }.map(\.value).flatMap { $0.isEmpty ? nil : $0 } }
        guard let type = field("type") else { throw NormalizationFailure("form has no type") }
        // fired_at is `2009-03-26 21:35:57`, in UTC.
        let time = field("fired_at").flatMap(GroupB.milliseconds(iso:))
        let subject = field("data[id]") ?? field("data[new_id]") ?? field("data[email]")
        return .events([NormalizedEvent(type: type, providerEventID: Payload.bodyHash(request.body), time: time, subject: subject,
                                        data: FormURLEncoded.jsonObject(pairs))], acknowledgement: nil)
    }
}

extension MailchimpPreset: SamplingPreset {
    public static let sampleEventTypes = ["subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign"]

    /// An audience event, authenticated by the secret in the URL (added to `--url` as `?secret=`).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let firedAt = String(RFC3339.string(fromUnixSeconds: request.now / 1000).dropLast().map { $0 == "T" ? " " : $0 })
        let pairs: [(String, String)] = [
            ("type", type), ("fired_at", firedAt), ("data[id]", String(request.nonce.prefix(10))),
            ("data[list_id]", "a6b5da1054"), ("data[email]", "zoe+\(request.nonce.prefix(6))@example.com"),
            ("data[email_type]", "html"), ("data[merges][EMAIL]", "zoe@example.com"), ("data[merges][FNAME]", "Zoë"),
            ("data[merges][LNAME]", "Müller"), ("data[ip_opt]", "10.20.10.30"),
        ]
        let body = pairs.map { "\(GroupB.formEncode($0.0))=\(GroupB.formEncode($0.1))" }.joined(separator: "&")
        return SampleWebhook(headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8),
                             query: "secret=" + GroupB.formEncode(request.secret.text))
    }
}
