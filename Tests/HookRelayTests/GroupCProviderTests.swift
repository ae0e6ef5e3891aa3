import Foundation
import HTTPServer
@testable import HookRelay
import Testing

/// `Vectors/<provider>.json` for the group C presets, made by `scripts/vectors/make_groupc_vectors.py` (with the
/// providers' SDKs where they ship one) and carrying the providers' published examples.
struct GroupCVectors: Decodable {
    struct Expectation: Decodable {
        var valid: Bool
        var code: String?
        var reason: String?
    }

    struct Verdict: Decodable {
        var valid: Bool
    }

    struct Normalized: Decodable {
        var type: String
        var id: String?
        var time: Int64?
        var subject: String?
    }

    /// One normalized event, or (batches) several.
    enum NormalizedEvents: Decodable {
        case one(Normalized)
        case many([Normalized])

        init(from decoder: any Decoder) throws {
            if let many = try? [Normalized](from: decoder) { self = .many(many) } else { self = .one(try Normalized(from: decoder)) }
        }

        var events: [Normalized] {
            switch self {
            case .one(let event): [event]
            case .many(let events): events
            }
        }
    }

    struct Case: Decodable {
        var name: String
        var headers: [[String]]
        var body: String
        var now: Int64
        var secrets: [String]?
        var publicKey: String?
        var webhookId: String?
        var tolerance: Int64?
        var sdk: Verdict?
        var expect: Expectation
        var deviation: String?
        var published: String?
        var handshake: String?
        var normalized: NormalizedEvents?
    }

    var provider: String
    var source: String
    var tolerance: Int64?
    var whsk: String?
    var privateKey: String?
    var privateKeySeed: String?
    var certificate: String?
    var cases: [Case]

    static let providers = ["standard-webhooks", "svix", "gitlab", "paddle", "zendesk", "twitch", "sendgrid", "discord", "plaid", "paypal"]

    static func load(_ provider: String) throws -> GroupCVectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(provider).json")
        return try JSONDecoder().decode(GroupCVectors.self, from: Data(contentsOf: url))
    }
}

struct GroupCConfigFailed: Error, CustomStringConvertible {
    var description: String
}

/// Runs `preset.configure` on a source as the route loader would: `secrets` resolved (the file lists as many
/// references), `publicKey`, `tolerance` and any other members of `extra` in the object.
func configureGroupC(_ preset: any ProviderPreset.Type, secrets: [String] = [], publicKey: String? = nil,
                     tolerance: Duration? = nil, split: Bool = true, extra: [String: Any] = [:],
                     file: String = "routes/groupc.json") throws -> (factory: (any ProviderFactory)?, diagnostics: [ConfigDiagnostic]) {
    var object: [String: Any] = ["name": preset.name, "provider": preset.name]
    if !secrets.isEmpty { object["secrets"] = secrets.indices.map { "env:SECRET_\($0)" } }
    if let publicKey { object["publicKey"] = publicKey }
    for (key, value) in extra { object[key] = value }
    let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    let node = try JSONValue.parse(Array(json))
    guard let source = ConfigObject(node, at: JSONPath.root.appending("sources").appending(index: 0)) else {
        throw GroupCConfigFailed(description: "not an object")
    }
    let settings = SourceSettings(name: preset.name, provider: preset.name, secrets: secrets.map { Secret($0) }, publicKey: publicKey,
                                  tolerance: tolerance, split: split)
    var decoder = ConfigDecoder(file: file)
    decoder.checkKeys(of: source, allowed: RouteConfig.sourceKeys + preset.optionKeys)
    let factory = preset.configure(settings, source: source, decoder: &decoder)
    return (decoder.hasErrors ? nil : factory, decoder.diagnostics)
}

/// The errors `configure` reports.
func groupCConfigErrors(_ preset: any ProviderPreset.Type, secrets: [String] = [], publicKey: String? = nil,
                        extra: [String: Any] = [:], file: String = "routes/groupc.json") throws -> [String] {
    try configureGroupC(preset, secrets: secrets, publicKey: publicKey, extra: extra, file: file).diagnostics.filter(\.isError).map(\.message)
}

var groupCPresets: [String: any ProviderPreset.Type] {
    [
    "standard-webhooks": StandardWebhooksPreset.self, "svix": SvixPreset.self, "gitlab": GitLabPreset.self, "paddle": PaddlePreset.self,
    "zendesk": ZendeskPreset.self, "twitch": TwitchPreset.self, "sendgrid": SendGridPreset.self, "discord": DiscordPreset.self,
    "plaid": PlaidPreset.self, "paypal": PayPalPreset.self,
    ]
}

/// A configured provider whose clock reads `now` (unix seconds).
func makeGroupCProvider(_ provider: String, secrets: [String] = [], publicKey: String? = nil, webhookID: String? = nil,
                        tolerance: Duration? = nil, split: Bool = true, now: Int64) throws -> any Provider {
    let preset = try #require(groupCPresets[provider])
    let (factory, diagnostics) = try configureGroupC(preset, secrets: secrets, publicKey: publicKey, tolerance: tolerance, split: split,
                                                     extra: webhookID.map { ["webhookId": $0] } ?? [:])
    guard let factory else { throw GroupCConfigFailed(description: diagnostics.map(\.description).joined(separator: "\n")) }
    let clock: () -> Int64 = { now }
    switch factory {
    case let f as StandardWebhooksPreset.Factory:
        return StandardWebhooksProvider(keys: f.keys, headers: .standard, tolerance: f.tolerance, clock: clock)
    case let f as SvixPreset.Factory:
        return StandardWebhooksProvider(keys: f.keys, headers: .svix, tolerance: f.tolerance, clock: clock)
    case let f as GitLabPreset.Factory:
        return GitLabProvider(keys: f.keys, tokens: f.tokens, tolerance: f.tolerance, clock: clock)
    case let f as PaddlePreset.Factory:
        return PaddleProvider(secrets: f.secrets, tolerance: f.tolerance, clock: clock)
    case let f as ZendeskPreset.Factory:
        return ZendeskProvider(secrets: f.secrets, tolerance: f.tolerance, fields: f.fields, clock: clock)
    case let f as TwitchPreset.Factory:
        return TwitchProvider(secrets: f.secrets, tolerance: f.tolerance, clock: { now * 1000 })
    case let f as SendGridPreset.Factory:
        return SendGridProvider(key: f.key, tolerance: f.tolerance, split: f.split, clock: clock)
    case let f as DiscordPreset.Factory:
        return DiscordProvider(key: f.key, tolerance: f.tolerance, clock: clock)
    case let f as PlaidPreset.Factory:
        return PlaidProvider(keys: f.keys, tolerance: f.tolerance, clock: clock)
    case let f as PayPalPreset.Factory:
        return PayPalProvider(key: f.key, webhookID: f.webhookID, tolerance: f.tolerance, clock: clock)
    default:
        throw GroupCConfigFailed(description: "unknown factory \(factory)")
    }
}

func groupCRequest(_ provider: String, headers: [(String, String)], body: [UInt8], method: String = "POST",
                   query: String? = nil) -> WebhookRequest {
    let target = "/hooks/\(provider)" + (query.map { "?" + $0 } ?? "")
    return WebhookRequest(method: method, target: target, headers: HTTPHeaders([("Host", "hooks.example.com"), ("Content-Type", "application/json")] + headers),
                          body: body, clientAddress: "127.0.0.1", receivedAt: 1_767_225_600_000,
                          publicURL: "https://hooks.example.com" + target)
}

func groupCVerification(_ provider: any Provider, _ request: WebhookRequest) -> VerificationFailure? {
    do {
        try provider.verify(request)
        return nil
    } catch {
        return error
    }
}

func groupCEvents(_ outcome: ProviderOutcome) throws -> (events: [NormalizedEvent], acknowledgement: HTTPResponse?) {
    guard case .events(let events, let acknowledgement) = outcome else { throw TestFailure("not events: \(outcome)") }
    return (events, acknowledgement)
}

private extension GroupCVectors.Case {
    var requestHeaders: [(String, String)] { headers.map { ($0[0], $0[1]) } }

    func provider(in file: GroupCVectors) throws -> any Provider {
        try makeGroupCProvider(file.provider, secrets: secrets ?? [], publicKey: publicKey, webhookID: webhookId,
                               tolerance: tolerance.map { .seconds($0) }, now: now)
    }

    func request(in file: GroupCVectors) -> WebhookRequest {
        groupCRequest(file.provider, headers: requestHeaders, body: Array(body.utf8))
    }
}

@Suite struct GroupCProviderTests {
    // MARK: Vectors

    @Test(arguments: GroupCVectors.providers)
    func agreesWithEveryVector(_ name: String) throws {
        let file = try GroupCVectors.load(name)
        #expect(file.provider == name)
        #expect(file.cases.count >= 10, "\(name): valid, tampered, wrong key, missing header, rotation… at least")
        #expect(file.cases.contains { $0.expect.valid } && file.cases.contains { !$0.expect.valid })
        for vector in file.cases {
            let failure = groupCVerification(try vector.provider(in: file), vector.request(in: file))
            #expect((failure == nil) == vector.expect.valid, "\(name) / \(vector.name): \(failure?.reason ?? "accepted")")
            if let sdk = vector.sdk, vector.deviation == nil {
                #expect(sdk.valid == vector.expect.valid, "\(name) / \(vector.name): hookrelay must agree with the SDK")
            }
            if let code = vector.expect.code { #expect(failure?.code == code, "\(name) / \(vector.name): \(failure?.reason ?? "")") }
            if let reason = vector.expect.reason { #expect(failure?.reason == reason, "\(name) / \(vector.name)") }
            if let failure { #expect(failure.status == 401, "\(name) / \(vector.name)") }
        }
    }

    @Test func carriesThePublishedExamples() throws {
        var published: [String: Int] = [:]
        for name in GroupCVectors.providers {
            published[name] = try GroupCVectors.load(name).cases.filter { $0.published != nil }.count
        }
        // The providers that publish a signed example: each is in its file (Zendesk's old one as a documented mismatch).
        for name in ["standard-webhooks", "svix", "sendgrid", "plaid", "paypal", "zendesk"] {
            #expect(published[name, default: 0] >= 1, "\(name)")
        }
    }

    @Test(arguments: GroupCVectors.providers)
    func appliesThePresetsDefaultTolerance(_ name: String) throws {
        let file = try GroupCVectors.load(name)
        let vector = try #require(file.cases.first { $0.expect.valid && $0.tolerance == nil })
        let (factory, _) = try configureGroupC(try #require(groupCPresets[name]), secrets: vector.secrets ?? [], publicKey: vector.publicKey,
                                               extra: vector.webhookId.map { ["webhookId": $0] } ?? [:])
        let tolerance: Duration? = switch try #require(factory) {
        case let f as StandardWebhooksPreset.Factory: f.tolerance
        case let f as SvixPreset.Factory: f.tolerance
        case let f as GitLabPreset.Factory: f.tolerance
        case let f as PaddlePreset.Factory: f.tolerance
        case let f as ZendeskPreset.Factory: f.tolerance
        case let f as TwitchPreset.Factory: f.tolerance
        case let f as SendGridPreset.Factory: f.tolerance
        case let f as DiscordPreset.Factory: f.tolerance
        case let f as PlaidPreset.Factory: f.tolerance
        case let f as PayPalPreset.Factory: f.tolerance
        default: nil
        }
        #expect(tolerance?.components.seconds == file.tolerance, "\(name): the file states the provider's own default")
    }

    @Test(arguments: GroupCVectors.providers)
    func failureReasonsNeverEchoASecretOrASignature(_ name: String) throws {
        let file = try GroupCVectors.load(name)
        for vector in file.cases where !vector.expect.valid {
            let failure = try #require(groupCVerification(try vector.provider(in: file), vector.request(in: file)), "\(vector.name)")
            var forbidden = (vector.secrets ?? []).filter { $0.count >= 8 }
            for header in vector.headers where header[1].count >= 16 && !header[0].lowercased().contains("cert-url") {
                forbidden.append(header[1])
                forbidden += header[1].split(whereSeparator: { " ,;=.".contains($0) }).map(String.init).filter { $0.count >= 16 }
            }
            for text in forbidden {
                #expect(!failure.reason.contains(text), "\(name) / \(vector.name): the reason echoes a secret or signature")
            }
            #expect(failure.reason.count < 80, "\(name) / \(vector.name): a short reason")
        }
    }

    @Test(arguments: GroupCVectors.providers)
    func normalizesTheVectorsEvents(_ name: String) throws {
        let file = try GroupCVectors.load(name)
        for vector in file.cases {
            guard let expected = vector.normalized?.events else { continue }
            let provider = try vector.provider(in: file)
            let request = vector.request(in: file)
            #expect(groupCVerification(provider, request) == nil, "\(vector.name)")
            let (events, _) = try groupCEvents(try provider.interpret(request))
            #expect(events.count == expected.count, "\(name) / \(vector.name)")
            for (event, want) in zip(events, expected) {
                #expect(event.type == want.type, "\(name) / \(vector.name)")
                if let id = want.id { #expect(event.providerEventID == id, "\(name) / \(vector.name)") }
                #expect(event.time == want.time, "\(name) / \(vector.name)")
                #expect(event.subject == want.subject, "\(name) / \(vector.name)")
            }
            if name != "sendgrid" { #expect(events[0].data == Array(vector.body.utf8), "\(name): data is the body, byte for byte") }
        }
    }

    // MARK: Handshakes

    @Test func answersTwitchsChallengeWithTheRawChallengeAsPlainText() throws {
        let file = try GroupCVectors.load("twitch")
        let vector = try #require(file.cases.first { $0.handshake != nil })
        let provider = try vector.provider(in: file)
        let request = vector.request(in: file)
        #expect(groupCVerification(provider, request) == nil)
        guard case .handshake(let answer) = try provider.interpret(request) else { throw TestFailure("not a handshake") }
        #expect(answer.status == 200)
        #expect(answer.headers["Content-Type"] == "text/plain")
        #expect(answer.body == Array(try #require(vector.handshake).utf8), "exactly the challenge, no newline")
    }

    @Test func storesTwitchRevocationsAsEvents() throws {
        let provider = TwitchProvider(secrets: [Secret("s3cRe7-hookrelay-twitch")], tolerance: .seconds(600))
        let body = Array(#"{"subscription":{"id":"f1c2a387","status":"authorization_revoked","type":"channel.follow","version":"2","condition":{"broadcaster_user_id":"1337"}}}"#.utf8)
        let request = groupCRequest("twitch", headers: [("Twitch-Eventsub-Message-Type", "revocation"), ("Twitch-Eventsub-Message-Id", "m-1"),
                                                        ("Twitch-Eventsub-Message-Timestamp", "2026-01-01T00:00:00.123456789Z")], body: body)
        let (events, acknowledgement) = try groupCEvents(try provider.interpret(request))
        #expect(acknowledgement == nil)
        #expect(events == [NormalizedEvent(type: "revocation", providerEventID: "m-1", time: 1_767_225_600_123, subject: "f1c2a387", data: body)])
    }

    @Test func answersDiscordPingsAndDefersInteractions() throws {
        let file = try GroupCVectors.load("discord")
        let ping = try #require(file.cases.first { $0.handshake != nil })
        let provider = try ping.provider(in: file)
        guard case .handshake(let pong) = try provider.interpret(ping.request(in: file)) else { throw TestFailure("not a handshake") }
        #expect(pong.status == 200)
        #expect(pong.body == Array(#"{"type":1}"#.utf8))
        #expect(pong.headers["Content-Type"] == "application/json")

        func answer(_ json: String) throws -> HTTPResponse? {
            try groupCEvents(try provider.interpret(groupCRequest("discord", headers: [], body: Array(json.utf8)))).acknowledgement
        }
        #expect(try answer(#"{"id":"1","type":2,"data":{"name":"deploy"}}"#).map { String(decoding: $0.body, as: UTF8.self) } == #"{"type":5}"#)
        #expect(try answer(#"{"id":"1","type":3,"data":{"custom_id":"ok"}}"#).map { String(decoding: $0.body, as: UTF8.self) } == #"{"type":6}"#)
        #expect(try answer(#"{"id":"1","type":4,"data":{"name":"deploy"}}"#).map { String(decoding: $0.body, as: UTF8.self) }
                == #"{"type":8,"data":{"choices":[]}}"#)
        #expect(try answer(#"{"id":"1","type":5,"data":{"custom_id":"form"}}"#).map { String(decoding: $0.body, as: UTF8.self) } == #"{"type":6}"#)

        // Webhook events: PING is type 0, events are type 1 with an event object; both get an empty 204.
        guard case .handshake(let noContent) = try provider.interpret(groupCRequest("discord", headers: [], body: Array(#"{"version":1,"application_id":"9","type":0}"#.utf8))) else {
            throw TestFailure("not a handshake")
        }
        #expect(noContent.status == 204 && noContent.body.isEmpty && noContent.headers["Content-Type"] == "application/json")
        let authorized = Array(#"{"version":1,"application_id":"9","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2024-10-18T14:42:53.064834","data":{"user":{"id":"80351110224678912"}}}}"#.utf8)
        let (events, acknowledgement) = try groupCEvents(try provider.interpret(groupCRequest("discord", headers: [], body: authorized)))
        #expect(acknowledgement?.status == 204)
        #expect(events == [NormalizedEvent(type: "APPLICATION_AUTHORIZED", providerEventID: Payload.bodyHash(authorized), time: 1_729_262_573_064,
                                           subject: "80351110224678912", data: authorized)])
    }

    @Test func readsTheTimeOfADiscordSnowflake() {
        #expect(DiscordProvider.snowflakeTime("175928847299117063") == 1_462_015_105_796)  // Discord's documented example
        #expect(DiscordProvider.snowflakeTime("not a number") == nil)
    }

    // MARK: Normalization

    @Test func splitsASendGridBatchIntoItsItemsBytes() throws {
        let file = try GroupCVectors.load("sendgrid")
        let vector = try #require(file.cases.first { $0.name == "valid batch of three" })
        let body = Array(vector.body.utf8)
        let split = try groupCEvents(try vector.provider(in: file).interpret(vector.request(in: file))).events
        #expect(split.count == 3)
        let texts = split.map { String(decoding: $0.data, as: UTF8.self) }
        #expect(texts[0].hasPrefix(#"{"email":"ada@example.com","event":"processed""#) && texts[0].hasSuffix("}"))
        #expect(texts[2] == #"{"email":"bob@example.com","event":"open","timestamp":1767225599,"useragent":"Mozilla/5.0"}"#)
        for event in split { #expect(body.firstRange(of: event.data) != nil, "each item is a slice of the body") }
        #expect(split[2].providerEventID == Payload.bodyHash(split[2].data), "an item without sg_event_id: a hash of its bytes")

        let kept = try makeGroupCProvider("sendgrid", publicKey: vector.publicKey, split: false, now: vector.now)
        let whole = try groupCEvents(try kept.interpret(vector.request(in: file))).events
        #expect(whole == [NormalizedEvent(type: "batch", providerEventID: Payload.bodyHash(body), data: body)])
    }

    @Test func acceptsAnEmptySendGridBatch() throws {
        let file = try GroupCVectors.load("sendgrid")
        let provider = try makeGroupCProvider("sendgrid", publicKey: file.cases[0].publicKey, now: 0)
        #expect(try groupCEvents(try provider.interpret(groupCRequest("sendgrid", headers: [], body: Array("[]\r\n".utf8)))).events.isEmpty)
    }

    @Test func namesStandardWebhooksEventsFromThePayload() throws {
        let provider = try makeGroupCProvider("svix", secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], now: 0)
        func event(_ json: String, headers: [(String, String)] = [("svix-id", "msg_1"), ("svix-timestamp", "1767225600")]) throws -> NormalizedEvent {
            try #require(try groupCEvents(try provider.interpret(groupCRequest("svix", headers: headers, body: Array(json.utf8)))).events.first)
        }
        // Clerk: timestamp in milliseconds.
        let clerk = try event(#"{"data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","object":"user"},"object":"event","timestamp":1654012591835,"type":"user.created"}"#)
        #expect(clerk.type == "user.created" && clerk.providerEventID == "msg_1" && clerk.time == 1_654_012_591_835)
        #expect(clerk.subject == "user_29w83sxmDNGwOuEthce5gg56FcC")
        // Resend: created_at and data.email_id.
        let resend = try event(#"{"type":"email.delivered","created_at":"2024-02-22T23:41:12.126Z","data":{"email_id":"56761188-7520-42d8-8898-ff6fc54ce618"}}"#)
        #expect(resend.type == "email.delivered" && resend.time == 1_708_645_272_126 && resend.subject == "56761188-7520-42d8-8898-ff6fc54ce618")
        // No type and no time: webhook, and the header's timestamp; webhook-id read when svix-id is absent.
        let bare = try event(#"{"hello":"world"}"#, headers: [("webhook-id", "msg_2"), ("webhook-timestamp", "1767225600")])
        #expect(bare.type == "webhook" && bare.providerEventID == "msg_2" && bare.time == 1_767_225_600_000 && bare.subject == nil)
        // A text body is kept as a JSON string.
        #expect(try event("plain text").data == Array(#""plain text""#.utf8))
    }

    @Test func normalizesGitLabEventsAndTheirTimes() throws {
        let provider = try makeGroupCProvider("gitlab", secrets: ["t0ken-value"], now: 0)
        func event(_ json: String, headers: [(String, String)] = []) throws -> NormalizedEvent {
            try #require(try groupCEvents(try provider.interpret(groupCRequest("gitlab", headers: headers, body: Array(json.utf8)))).events.first)
        }
        let issue = try event(#"{"object_kind":"issue","project":{"path_with_namespace":"acme/app"},"object_attributes":{"iid":23,"action":"close","updated_at":"2013-12-03 17:23:34 UTC"}}"#,
                              headers: [("X-Gitlab-Event-UUID", "uuid-1")])
        #expect(issue.type == "issue.close" && issue.subject == "acme/app#23" && issue.providerEventID == "uuid-1")
        #expect(issue.time == 1_386_091_414_000)
        let push = try event(#"{"object_kind":"push","project":{"path_with_namespace":"acme/app"}}"#,
                             headers: [("Idempotency-Key", "idem-1"), ("X-Gitlab-Event-UUID", "uuid-2")])
        #expect(push.type == "push" && push.subject == "acme/app" && push.providerEventID == "idem-1" && push.time == nil)
        let system = try event(#"{"event_name":"project_create","path_with_namespace":"acme/new"}"#)
        #expect(system.type == "project_create" && system.providerEventID == Payload.bodyHash(Array(#"{"event_name":"project_create","path_with_namespace":"acme/new"}"#.utf8)))
        #expect(try event(#"{"ref":"main"}"#, headers: [("X-Gitlab-Event", "Tag Push Hook")]).type == "tag_push")
        #expect(GitLabProvider.kind(ofEventHeader: "Merge Request Hook") == "merge_request")
    }

    @Test func readsZendeskEventAndTriggerWebhooks() throws {
        let provider = try makeGroupCProvider("zendesk", secrets: ["zendesk-secret"], now: 0)
        #expect(provider.allowedMethods == ["POST", "PUT", "PATCH", "GET", "DELETE"])
        let trigger = Array(#"{"ticket":{"id":35436,"status":"open"}}"#.utf8)
        let triggered = try groupCEvents(try provider.interpret(groupCRequest("zendesk", headers: [("X-Zendesk-Webhook-Invocation-Id", "8350205582")], body: trigger))).events
        #expect(triggered == [NormalizedEvent(type: "webhook", providerEventID: "8350205582", data: trigger)])
        let get = try groupCEvents(try provider.interpret(groupCRequest("zendesk", headers: [], body: [], method: "GET",
                                                                         query: "ticket_id=35436&status=open"))).events
        #expect(get.count == 1)
        #expect(get.first?.data == Array(#"{"ticket_id":"35436","status":"open"}"#.utf8))
        #expect(get.first?.providerEventID.hasPrefix("sha256:") == true)
    }

    @Test func namesPlaidEventsByTypeAndCodeWithABodyHashId() throws {
        let file = try GroupCVectors.load("plaid")
        let vector = try #require(file.cases.first { $0.name == "valid" })
        let event = try #require(try groupCEvents(try vector.provider(in: file).interpret(vector.request(in: file))).events.first)
        #expect(event.providerEventID == Payload.bodyHash(Array(vector.body.utf8)), "Plaid sends no id; a retry repeats the body")
    }

    @Test func computesCRC32() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    // MARK: Samples: the signing run in reverse

    private func roundTrip(_ name: String, secret: String, secrets: [String] = [], publicKey: String? = nil, webhookID: String? = nil,
                           eventTypes: [String]? = nil, bodyIsSigned: Bool = true) throws {
        let preset = try #require(groupCPresets[name] as? any SamplingPreset.Type)
        let now: Int64 = 1_767_225_600_000
        for type in eventTypes ?? preset.sampleEventTypes {
            let sample = try preset.sample(SampleRequest(secret: Secret(secret), eventType: type, url: "https://hooks.example.com/hooks/\(name)",
                                                         now: now, nonce: "0123456789abcdef01234567"))
            let provider = try makeGroupCProvider(name, secrets: secrets, publicKey: publicKey, webhookID: webhookID, now: now / 1000)
            let request = groupCRequest(name, headers: sample.headers.map { ($0.name, $0.value) }, body: sample.body)
            #expect(groupCVerification(provider, request) == nil, "\(name) \(type): the sample verifies")
            var tampered = sample.body
            tampered[tampered.count / 2] ^= 0x01
            let tamperedFailure = groupCVerification(provider, groupCRequest(name, headers: sample.headers.map { ($0.name, $0.value) }, body: tampered))
            #expect((tamperedFailure != nil) == bodyIsSigned, "\(name) \(type): a tampered sample does not verify (a plain token signs nothing)")
            _ = try provider.interpret(request)
        }
    }

    @Test func signsSamplesTheProvidersVerifiersAccept() throws {
        let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        try roundTrip("standard-webhooks", secret: whsec, secrets: [whsec])
        try roundTrip("svix", secret: whsec, secrets: [whsec])
        let sw = try GroupCVectors.load("standard-webhooks")
        let whpk = try #require(sw.cases.first { $0.name.hasPrefix("v1a signed") }?.secrets?.first)
        try roundTrip("standard-webhooks", secret: try #require(sw.whsk), secrets: [whpk])
        try roundTrip("gitlab", secret: "plain-token-1234", secrets: ["plain-token-1234"], bodyIsSigned: false)
        try roundTrip("gitlab", secret: whsec, secrets: [whsec])
        try roundTrip("paddle", secret: "pdl_ntfset_01sample", secrets: ["pdl_ntfset_01sample"])
        try roundTrip("zendesk", secret: "zendesk-signing-secret", secrets: ["zendesk-signing-secret"])
        try roundTrip("twitch", secret: "twitch-secret-123", secrets: ["twitch-secret-123"])
        let sendgrid = try GroupCVectors.load("sendgrid")
        let sendgridKey = try #require(sendgrid.cases.first { $0.name == "valid batch of three" }?.publicKey)
        try roundTrip("sendgrid", secret: try #require(sendgrid.privateKey), publicKey: sendgridKey)
        let discord = try GroupCVectors.load("discord")
        try roundTrip("discord", secret: try #require(discord.privateKeySeed), publicKey: discord.cases[0].publicKey)
        let plaid = try GroupCVectors.load("plaid")
        let jwk = try #require(plaid.cases.first { $0.name == "valid" }?.publicKey)
        let anyKid = jwk.replacingOccurrences(of: #","kid":"bfbd5111-8e33-4643-8ced-b2e642a72f3c""#, with: "")
        try roundTrip("plaid", secret: try #require(plaid.privateKey), publicKey: anyKid)
        let sampleKid = jwk.replacingOccurrences(of: "bfbd5111-8e33-4643-8ced-b2e642a72f3c", with: "hookrelay-sample")
        try roundTrip("plaid", secret: try #require(plaid.privateKey), publicKey: sampleKid, eventTypes: ["ITEM.ERROR"])
        let paypal = try GroupCVectors.load("paypal")
        try roundTrip("paypal", secret: try #require(paypal.privateKey), publicKey: paypal.certificate, webhookID: "HOOKRELAYSAMPLE")
        try roundTrip("paypal", secret: "Webhook-Id: 1JE4291016473214C\n" + (paypal.privateKey ?? ""), publicKey: paypal.certificate,
                      webhookID: "1JE4291016473214C", eventTypes: ["CHECKOUT.ORDER.APPROVED"])
    }

    @Test func samplesHandshakesTheProvidersAnswer() throws {
        let sample = try TwitchPreset.sample(SampleRequest(secret: Secret("twitch-secret-123"), eventType: "webhook_callback_verification",
                                                           url: "https://x/hooks/twitch", now: 1_767_225_600_000, nonce: "abc"))
        let provider = try makeGroupCProvider("twitch", secrets: ["twitch-secret-123"], now: 1_767_225_600)
        let request = groupCRequest("twitch", headers: sample.headers.map { ($0.name, $0.value) }, body: sample.body)
        #expect(groupCVerification(provider, request) == nil)
        guard case .handshake(let answer) = try provider.interpret(request) else { throw TestFailure("not a handshake") }
        #expect(String(decoding: answer.body, as: UTF8.self) == "pogchamp-kappa-abc")
    }

    @Test func refusesSampleSecretsThatAreNotTheRightKind() throws {
        func error(_ preset: any SamplingPreset.Type, _ secret: String) -> String? {
            do {
                _ = try preset.sample(SampleRequest(secret: Secret(secret), url: "http://x", now: 0, nonce: "n"))
                return nil
            } catch {
                return error.description
            }
        }
        #expect(error(DiscordPreset.self, "not a key")?.contains("Ed25519") == true)
        #expect(error(SendGridPreset.self, "not a key")?.contains("PEM") == true)
        let discord = try GroupCVectors.load("discord")
        #expect(error(SendGridPreset.self, discord.privateKeySeed ?? "") != nil)
        #expect(error(StandardWebhooksPreset.self, "whsk_c2hvcnQ=")?.contains("32-byte") == true)
        #expect(error(StandardWebhooksPreset.self, "whsec_!!!") != nil)
    }

    // MARK: Configuration

    @Test func refusesInvalidConfiguration() throws {
        #expect(try groupCConfigErrors(StandardWebhooksPreset.self).first?.contains("needs at least one secret") == true)
        #expect(try groupCConfigErrors(StandardWebhooksPreset.self, secrets: ["whsec_!!!"]).first?.hasPrefix("not a whsec_ secret") == true)
        #expect(try groupCConfigErrors(SvixPreset.self, secrets: ["whsk_" + String(repeating: "A", count: 44)]).first?.contains("private key") == true)
        #expect(try groupCConfigErrors(StandardWebhooksPreset.self, publicKey: "whpk_AAAA").first?.hasPrefix("not an Ed25519 public key") == true)
        #expect(try groupCConfigErrors(GitLabPreset.self).first?.hasPrefix("gitlab needs at least one secret") == true)
        #expect(try groupCConfigErrors(PaddlePreset.self).first?.hasPrefix("paddle needs at least one secret") == true)
        #expect(try groupCConfigErrors(ZendeskPreset.self).first?.hasPrefix("zendesk needs at least one secret") == true)
        #expect(try groupCConfigErrors(TwitchPreset.self).first?.hasPrefix("twitch needs at least one secret") == true)
        #expect(try groupCConfigErrors(SendGridPreset.self).first?.hasPrefix("sendgrid needs publicKey") == true)
        #expect(try groupCConfigErrors(SendGridPreset.self, publicKey: "%%%").first?.hasPrefix("publicKey is not base64") == true)
        #expect(try groupCConfigErrors(SendGridPreset.self, publicKey: "AAAA").first?.hasPrefix("publicKey is not a public key") == true)
        #expect(try groupCConfigErrors(DiscordPreset.self).first?.hasPrefix("discord needs publicKey") == true)
        #expect(try groupCConfigErrors(DiscordPreset.self, publicKey: "abcd").first?.hasPrefix("publicKey must be 64 hex digits") == true)
        #expect(try groupCConfigErrors(PlaidPreset.self).first?.hasPrefix("plaid needs publicKey") == true)
        #expect(try groupCConfigErrors(PlaidPreset.self, publicKey: "{}").first?.hasPrefix("publicKey: ") == true)
        #expect(try groupCConfigErrors(PlaidPreset.self, publicKey: "not json").first == "publicKey is not a JSON Web Key (JSON)")
        let paypal = try GroupCVectors.load("paypal")
        #expect(try groupCConfigErrors(PayPalPreset.self, publicKey: paypal.certificate) == [#"missing required key "webhookId""#])
        #expect(try groupCConfigErrors(PayPalPreset.self, extra: ["webhookId": "1JE4291016473214C"]).first?.hasPrefix("paypal needs publicKey") == true)
        #expect(try groupCConfigErrors(PayPalPreset.self, publicKey: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                                       extra: ["webhookId": "1JE4291016473214C"]).first?.hasPrefix("publicKey is not a PEM") == true)
        #expect(try groupCConfigErrors(PayPalPreset.self, publicKey: paypal.certificate, extra: ["webhookId": "bad id!"]).first?
            .hasPrefix("webhookId is letters and digits") == true)
        // An EC key where RSA is needed, an RSA key where P-256 is.
        let sendgrid = try GroupCVectors.load("sendgrid")
        let ecDER = try #require(sendgrid.cases.first { $0.name == "valid batch of three" }?.publicKey)
        #expect(try groupCConfigErrors(PayPalPreset.self, publicKey: "-----BEGIN PUBLIC KEY-----\n\(ecDER)\n-----END PUBLIC KEY-----",
                                       extra: ["webhookId": "1JE4291016473214C"]).first?.hasPrefix("publicKey must be an RSA key") == true)
        #expect(try groupCConfigErrors(SendGridPreset.self, publicKey: paypal.certificate).first?.hasPrefix("publicKey must be an EC P-256 key") == true)
        #expect(try configureGroupC(TwitchPreset.self, secrets: ["short"]).diagnostics.first?.message.contains("10 to 100") == true)
    }

    @Test func readsKeyFilesRelativeToTheRouteFile() throws {
        let directory = NSTemporaryDirectory() + "groupc-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/keys", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paypal = try GroupCVectors.load("paypal")
        try Data((paypal.certificate ?? "").utf8).write(to: URL(fileURLWithPath: directory + "/keys/paypal.pem"))
        let routeFile = directory + "/routes.json"
        #expect(try groupCConfigErrors(PayPalPreset.self, publicKey: "file:keys/paypal.pem", extra: ["webhookId": "1JE4291016473214C"],
                                       file: routeFile).isEmpty)
        #expect(try groupCConfigErrors(PayPalPreset.self, publicKey: "file:\(directory)/keys/paypal.pem",
                                       extra: ["webhookId": "1JE4291016473214C"], file: routeFile).isEmpty)
        #expect(try groupCConfigErrors(PayPalPreset.self, publicKey: "file:keys/missing.pem", extra: ["webhookId": "1JE4291016473214C"],
                                       file: routeFile) == ["cannot read the publicKey file"])
        let plaid = try GroupCVectors.load("plaid")
        let set = try #require(plaid.cases.first { $0.name == "valid with a JWK set" }?.publicKey)
        try Data(set.utf8).write(to: URL(fileURLWithPath: directory + "/keys/plaid.json"))
        #expect(try groupCConfigErrors(PlaidPreset.self, publicKey: "file:keys/plaid.json", file: routeFile).isEmpty)
    }

    @Test func warnsAboutAnExpiredPlaidKey() throws {
        let plaid = try GroupCVectors.load("plaid")
        let jwk = try #require(plaid.cases.first { $0.name == "valid" }?.publicKey).replacingOccurrences(of: #""expired_at":null"#, with: #""expired_at":1767225600"#)
        let diagnostics = try configureGroupC(PlaidPreset.self, publicKey: jwk).diagnostics
        #expect(diagnostics.count == 1 && !diagnostics[0].isError && diagnostics[0].message.contains("expired_at"))
    }

    @Test func registersEveryGroupCPreset() {
        for name in GroupCVectors.providers { #expect(ProviderRegistry.preset(named: name) != nil, "\(name)") }
        #expect(ProviderRegistry.preset(named: "paypal")?.optionKeys == ["webhookId"])
    }
}
