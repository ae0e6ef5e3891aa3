import Glibc
import HTTPServer
import Synchronization

/// Asana. Creating a webhook makes Asana POST a handshake carrying `X-Hook-Secret: S` (no body signature); the
/// endpoint answers 200 echoing the same header, and every later request is signed `X-Hook-Signature: <hex
/// HMAC-SHA256(S, raw body)>`. hookrelay stores S under the source's state directory (`asana-hook-secret`, mode 0600
/// in a 0700 directory, never logged) so it survives restarts.
///
/// Trust model: Asana's handshake is unauthenticated (Asana does not sign it and sends no credential; its secrets do
/// not rotate), so whoever completes it first owns the source. hookrelay therefore accepts a handshake secret only
/// when the source has none: no stored secret and no `secrets` in the route file. The same secret again (a retried
/// handshake) is echoed; a different one is refused with 403. To register a new webhook on the source (after deleting
/// the old one in Asana), delete the stored file and reload (SIGHUP) or restart. `secrets` pins known secrets
/// instead (then no handshake can add one). Batches (`events[]`) are split; an empty batch is a heartbeat.
public enum AsanaPreset: ProviderPreset {
    public static let name = "asana"
    public static let optionKeys: [String] = []
    static let secretHeader = "X-Hook-Secret"
    static let signatureHeader = "X-Hook-Signature"
    /// The file in the source's state directory that holds the handshake secret.
    public static let secretFileName = "asana-hook-secret"

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        var valid = true
        for (index, secret) in settings.secrets.enumerated() where !isValidHookSecret(secret.bytes) {
            GroupD.reportSecret("an Asana X-Hook-Secret is 1-512 visible ASCII characters", index: index, of: settings, in: source,
                                decoder: &decoder)
            valid = false
        }
        return valid ? Factory(configured: settings.secrets.map(\.bytes), split: settings.split, store: AsanaSecretStore()) : nil
    }

    /// Whether `bytes` can be an `X-Hook-Secret` (and be echoed in a header safely): visible ASCII, bounded.
    static func isValidHookSecret(_ bytes: some Collection<UInt8>) -> Bool {
        (1...512).contains(bytes.count) && bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    struct Factory: ProviderFactory {
        let configured: [[UInt8]]
        let split: Bool
        let store: AsanaSecretStore
        func makeProvider(context: ProviderContext) -> any Provider {
            store.bind(directory: context.stateDirectory)
            return AsanaProvider(configured: configured, store: store, split: split)
        }
    }
}

/// A source's established `X-Hook-Secret`, shared by its providers on every event loop and kept in a file in the
/// source's state directory (in memory only when there is none, as in tests and `check`).
final class AsanaSecretStore: Sendable {
    enum Outcome: Equatable {
        /// The secret is now the source's (stored durably before this returns).
        case established
        /// The source already has exactly this secret.
        case known
        /// The source has another secret.
        case refused
        /// Storing failed; the handshake must not be answered.
        case failed(String)
    }

    private struct State {
        var directory: String?
        var isLoaded = false
        var secret: [UInt8]?
        var loadError: String?
        var version = 0
    }

    private let state = Mutex(State())

    /// Uses `directory` (the first non-nil one given) for the secret file.
    func bind(directory: String?) {
        state.withLock { state in
            guard state.directory == nil, let directory else { return }
            state.directory = directory
            state.isLoaded = false
        }
    }

    /// The stored secret and a version that changes whenever it does; reads the file on first use.
    func current() -> (secret: [UInt8]?, version: Int) {
        state.withLock { state in
            Self.load(&state)
            return (state.secret, state.version)
        }
    }

    /// Why the stored secret could not be read, if it could not.
    var loadError: String? {
        state.withLock { state in
            Self.load(&state)
            return state.loadError
        }
    }

    /// Makes `candidate` the source's secret if it has none; see ``Outcome``.
    func establish(_ candidate: [UInt8], allowNew: Bool) -> Outcome {
        state.withLock { state in
            Self.load(&state)
            if let secret = state.secret { return constantTimeEquals(secret, candidate) ? .known : .refused }
            if state.loadError != nil { return .failed("the stored webhook secret cannot be read") }
            guard allowNew else { return .refused }
            if let directory = state.directory {
                switch GroupDSecretFile.create(in: directory, name: AsanaPreset.secretFileName, contents: candidate) {
                case .success: break
                case .exists:
                    // Stored meanwhile (another process): take what is there.
                    state.isLoaded = false
                    Self.load(&state)
                    guard let secret = state.secret else { return .failed("the stored webhook secret cannot be read") }
                    return constantTimeEquals(secret, candidate) ? .known : .refused
                case .failure(let reason): return .failed(reason)
                }
            }
            state.secret = candidate
            state.version += 1
            return .established
        }
    }

    private static func load(_ state: inout State) {
        guard !state.isLoaded else { return }
        state.isLoaded = true
        guard let directory = state.directory else { return }
        switch GroupDSecretFile.read(in: directory, name: AsanaPreset.secretFileName) {
        case .success(let bytes?) where AsanaPreset.isValidHookSecret(bytes):
            state.secret = bytes
            state.loadError = nil
        case .success(.some):
            state.loadError = "the stored webhook secret is malformed"
        case .success(nil):
            state.loadError = nil
        case .failure(let reason):
            state.loadError = reason.description
        }
        state.version += 1
    }
}

final class AsanaProvider: Provider {
    private let configured: [[UInt8]]
    private let store: AsanaSecretStore
    private let split: Bool
    private var keys: [HMACKey] = []
    private var keysVersion = -1

    init(configured: [[UInt8]], store: AsanaSecretStore, split: Bool = true) {
        self.configured = configured
        self.store = store
        self.split = split
    }

    /// The handshake: a POST with `X-Hook-Secret` and no `X-Hook-Signature`.
    func unsignedHandshake(_ request: WebhookRequest) -> HTTPResponse? {
        guard let candidate = request.headers.valueBytes(AsanaPreset.secretHeader),
              !request.headers.contains(AsanaPreset.signatureHeader) else { return nil }
        guard AsanaPreset.isValidHookSecret(candidate) else { return .text(400, "malformed X-Hook-Secret") }
        let secret = Array(candidate)
        let outcome: AsanaSecretStore.Outcome
        if GroupD.matchesAny(secret, configured) {
            outcome = .known
        } else {
            outcome = store.establish(secret, allowNew: configured.isEmpty)
        }
        switch outcome {
        case .established, .known:
            return HTTPResponse(status: 200, headers: HTTPHeaders([(AsanaPreset.secretHeader, String(decoding: secret, as: UTF8.self))]))
        case .refused:
            return .text(403, "handshake refused: this source already has a webhook secret")
        case .failed(let reason):
            var response = HTTPResponse.text(503, "handshake not completed: \(reason)")
            response.headers.append(name: "Retry-After", value: "5")
            return response
        }
    }

    private func currentKeys() -> [HMACKey] {
        let (stored, version) = store.current()
        if version != keysVersion {
            keys = (configured + (stored.map { [$0] } ?? [])).compactMap { try? HMACKey(algorithm: .sha256, key: $0) }
            keysVersion = version
        }
        return keys
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers.valueBytes(AsanaPreset.signatureHeader) else { throw .missingHeader(AsanaPreset.signatureHeader) }
        let keys = currentKeys()
        guard !keys.isEmpty else {
            if let problem = store.loadError { throw VerificationFailure("missing_secret", "no usable webhook secret: \(problem)", status: 503) }
            throw VerificationFailure("missing_secret", "no webhook secret yet: the X-Hook-Secret handshake has not happened")
        }
        guard let signature = Hex.decode(header), signature.count == 32 else { throw .malformedHeader(AsanaPreset.signatureHeader) }
        try GroupD.requireMatch(signature, keys: keys, request.body)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let events: [NormalizedEvent]? = request.body.withUnsafeBytes { bytes in
            guard let batch = RawJSON.range(of: ["events"], in: bytes), let elements = RawJSON.elements(ofArrayAt: batch, in: bytes) else {
                return nil
            }
            var events: [NormalizedEvent] = []
            for element in elements {
                let action = GroupD.identifier(["action"], inValueAt: element, in: bytes) ?? "event"
                let resourceType = GroupD.identifier(["resource", "resource_type"], inValueAt: element, in: bytes)
                let time = RawJSON.range(of: ["created_at"], inValueAt: element, in: bytes).flatMap { GroupD.milliseconds(at: $0, in: bytes) }
                let item = Array(bytes[element])
                events.append(NormalizedEvent(type: resourceType.map { "\($0).\(action)" } ?? action, providerEventID: Payload.bodyHash(item),
                                              time: time, subject: GroupD.identifier(["resource", "gid"], inValueAt: element, in: bytes),
                                              data: item))
            }
            return events
        }
        guard let events else { throw NormalizationFailure("body has no events array") }
        if !split && !events.isEmpty {
            let type = Set(events.map(\.type)).count == 1 ? events[0].type : "batch"
            return .events([NormalizedEvent(type: type, providerEventID: Payload.bodyHash(request.body), time: events[0].time,
                                            subject: events.count == 1 ? events[0].subject : nil, data: request.body)],
                           acknowledgement: nil)
        }
        return .events(events, acknowledgement: nil)
    }
}

extension AsanaPreset: SamplingPreset {
    public static let sampleEventTypes = ["task.changed", "task.added", "story.added", "project.changed", "task.deleted"]

    /// The secret is the webhook's `X-Hook-Secret` (the one the handshake established).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let parts = type.split(separator: ".")
        let (resourceType, action) = (String(parts[0]), String(parts[1]))
        guard let key = try? HMACKey(algorithm: .sha256, key: request.secret.bytes) else { throw SampleError("unusable secret") }
        let digits = Digest.hash(.sha256, request.nonce).prefix(6).map { String($0 % 10) }.joined()
        let created = RFC3339.string(fromUnixMilliseconds: request.now)
        let change = action == "changed" ? #", "change": {"field": "completed", "action": "changed"}"# : ""
        let parent = resourceType == "story" ? #"{"gid": "12027\#(digits)", "resource_type": "task", "resource_subtype": "default_task"}"# : "null"
        let body = """
        {"events": [{"user": {"gid": "1201234567890123", "resource_type": "user"}, "created_at": "\(created)", \
        "action": "\(action)", "resource": {"gid": "12045\(digits)", "resource_type": "\(resourceType)", \
        "resource_subtype": "\(resourceType == "story" ? "comment_added" : "default_\(resourceType)")"}, "parent": \(parent)\(change)}]}
        """
        let bytes = Array(body.utf8)
        return SampleWebhook(headers: [("Content-Type", "application/json; charset=UTF-8"),
                                       (signatureHeader, Hex.encode(key.authenticationCode(for: bytes)))], body: bytes)
    }
}
