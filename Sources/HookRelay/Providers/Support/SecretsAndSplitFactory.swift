/// A provider made from its source's secrets and `split` setting alone (QuickBooks, Xero, Twilio, Mandrill, Dropbox, X).
protocol SecretsAndSplitProvider: Provider {
    init(secrets: [Secret], split: Bool)
}

/// Makes a ``SecretsAndSplitProvider`` per event loop.
struct SecretsAndSplitFactory<Made: SecretsAndSplitProvider>: ProviderFactory {
    let secrets: [Secret]
    let split: Bool

    init(_ settings: SourceSettings) {
        secrets = settings.secrets
        split = settings.split
    }

    func makeProvider(context: ProviderContext) -> any Provider { Made(secrets: secrets, split: split) }
}

extension ConfigDecoder {
    /// The factory of a preset whose source needs only secrets: nil, with `message` reported as
    /// ``requireSecrets(_:of:_:)`` does, when it has none.
    mutating func secretsAndSplitFactory<Made: SecretsAndSplitProvider>(_ provider: Made.Type, _ settings: SourceSettings,
                                                                        of source: ConfigObject,
                                                                        _ message: String) -> (any ProviderFactory)? {
        guard requireSecrets(settings, of: source, message) else { return nil }
        return SecretsAndSplitFactory<Made>(settings)
    }
}
