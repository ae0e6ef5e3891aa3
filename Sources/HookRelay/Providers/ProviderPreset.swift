public import HTTPServer

/// A source's settings after validation, with secrets resolved. Keys as in DESIGN.md §5.
public struct SourceSettings: Sendable {
    /// The URL segment: `/hooks/<name>`.
    public var name: String
    /// The preset name (`stripe`, `hmac`, `none`, …).
    public var provider: String
    /// Several during rotation; any one may match.
    public var secrets: [Secret]
    /// Asymmetric providers' public key, in the provider's own encoding.
    public var publicKey: String?
    /// The URL exactly as the provider calls it (URL-signing providers).
    public var publicURL: String?
    /// Meta's GET handshake token.
    public var verifyToken: Secret?
    /// Timestamp tolerance; nil: the preset's default.
    public var tolerance: Duration?
    /// Split batches into one envelope per item (default true).
    public var split: Bool
    /// A lower body limit than the server's, in bytes.
    public var maxBody: Int?
    /// Client addresses allowed to post (empty: all).
    public var allowIPs: [CIDR]

    public init(name: String, provider: String, secrets: [Secret] = [], publicKey: String? = nil, publicURL: String? = nil,
                verifyToken: Secret? = nil, tolerance: Duration? = nil, split: Bool = true, maxBody: Int? = nil,
                allowIPs: [CIDR] = []) {
        self.name = name
        self.provider = provider
        self.secrets = secrets
        self.publicKey = publicKey
        self.publicURL = publicURL
        self.verifyToken = verifyToken
        self.tolerance = tolerance
        self.split = split
        self.maxBody = maxBody
        self.allowIPs = allowIPs
    }
}

/// What a provider may use beyond its settings.
public struct ProviderContext: Sendable {
    /// A directory (created 0700 on first use by whoever writes) where the source may keep state across restarts, e.g.
    /// a secret that arrives in a handshake (Asana's `X-Hook-Secret`): `<data>/sources/<source name>`. Nil when the
    /// server has no data directory (tests, `check`).
    public var stateDirectory: String?

    public init(stateDirectory: String? = nil) {
        self.stateDirectory = stateDirectory
    }
}

/// Makes a source's ``Provider`` once per event loop (each gets its own keyed HMAC contexts).
public protocol ProviderFactory: Sendable {
    func makeProvider(context: ProviderContext) -> any Provider
}

/// A provider preset: its name, the extra source keys it takes, and how it validates a source into a factory.
public protocol ProviderPreset {
    /// The `provider` value in route files.
    static var name: String { get }
    /// Source keys beyond the common ones (`name provider secrets publicKey publicURL verifyToken tolerance split maxBody allowIPs`).
    static var optionKeys: [String] { get }
    /// Checks `settings` and the preset's own keys in `source`, reporting problems to `decoder`; nil when invalid.
    static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)?
}

extension ConfigDecoder {
    /// Whether `settings` has secrets. When it has none, reports `message` at the source's `secrets` (at the source
    /// itself when the key is absent), unless secrets were listed but did not resolve: those are already reported.
    mutating func requireSecrets(_ settings: SourceSettings, of source: ConfigObject, _ message: String) -> Bool {
        guard settings.secrets.isEmpty else { return true }
        let node = source["secrets"]
        if node == nil || node?.arrayValue?.isEmpty == true {
            error(message, at: node?.position ?? source.position, path: source.path.appending("secrets"))
        }
        return false
    }
}

/// Every preset, by name. Adding a provider: one file with a ``ProviderPreset`` and one line here.
public enum ProviderRegistry {
    public static var presets: [any ProviderPreset.Type] {
        [
        StripePreset.self,
        GenericHMACPreset.self,
        UnsignedPreset.self,
        // group C
        StandardWebhooksPreset.self,
        SvixPreset.self,
        GitLabPreset.self,
        PaddlePreset.self,
        ZendeskPreset.self,
        TwitchPreset.self,
        SendGridPreset.self,
        DiscordPreset.self,
        PlaidPreset.self,
        PayPalPreset.self,
        // end group C
        // group B
        TwilioPreset.self, SquarePreset.self, HubSpotPreset.self, MandrillPreset.self, MailchimpPreset.self,
        TypeformPreset.self, WooCommercePreset.self, XeroPreset.self, QuickBooksPreset.self, KlaviyoPreset.self,
        // end group B
        // group A
        GitHubPreset.self,
        MetaPreset.self,
        ShopifyPreset.self,
        SlackPreset.self,
        ZoomPreset.self,
        CalendlyPreset.self,
        RazorpayPreset.self,
        LinearPreset.self,
        IntercomPreset.self,
        BitbucketPreset.self,
        JiraPreset.self,
        // end group A
        // group D
        MailgunPreset.self, TelegramPreset.self, AdyenPreset.self, AsanaPreset.self, DropboxPreset.self, PipedrivePreset.self,
        SalesforcePreset.self, TeamsPreset.self, OktaPreset.self, MicrosoftGraphPreset.self, XPreset.self,
        ]
    }

    public static func preset(named name: String) -> (any ProviderPreset.Type)? {
        presets.first { $0.name == name }
    }

    public static var names: [String] { presets.map { $0.name } }
}
