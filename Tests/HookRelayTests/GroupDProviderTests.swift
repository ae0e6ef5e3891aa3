import Foundation
import Glibc
import HTTPServer
@testable import HookRelay
import Testing

// Group D presets: mailgun, telegram, adyen, asana, dropbox, pipedrive, salesforce, teams, okta, msgraph, x.

/// One `Vectors/<provider>.json` file, made by `scripts/vectors/make_groupd_vectors.py`.
private struct GroupDVectors: Decodable {
    struct Expectation: Decodable {
        var valid: Bool
        var code: String?
        var status: Int?
    }

    struct Case: Decodable {
        var name: String
        var secrets: [String]
        var method: String
        var target: String?
        var headers: [[String]]
        var body: String
        var now: Int64
        var options: [String: String]?
        var published: String?
        var expect: Expectation
    }

    struct CRC: Decodable {
        var secret: String
        var token: String
        var response_token: String
    }

    var provider: String
    var tolerance: Int64?
    var crc: CRC?
    var cases: [Case]

    static func load(_ provider: String) throws -> GroupDVectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(provider).json")
        return try JSONDecoder().decode(GroupDVectors.self, from: Data(contentsOf: url))
    }
}

private let groupDProviders = ["mailgun", "telegram", "adyen", "asana", "dropbox", "pipedrive", "salesforce", "teams", "okta", "msgraph", "x"]

/// The provider a vector case describes, configured with its secrets, options and clock.
private func makeProvider(_ name: String, secrets: [String], options: [String: String] = [:], now: Int64 = 1_767_225_600,
                          tolerance: Int64 = 900) throws -> any Provider {
    let bytes = secrets.map { Array($0.utf8) }
    switch name {
    case "mailgun": return MailgunProvider(secrets: secrets.map { Secret($0) }, tolerance: .seconds(tolerance), clock: { now })
    case "telegram": return TelegramProvider(tokens: bytes)
    case "adyen": return AdyenProvider(keys: try secrets.map { try #require(Hex.decode($0)) })
    case "asana": return AsanaProvider(configured: bytes, store: AsanaSecretStore())
    case "dropbox": return DropboxProvider(secrets: secrets.map { Secret($0) })
    case "pipedrive": return PipedriveProvider(credentials: bytes)
    case "salesforce": return SalesforceProvider(organizationIDs: secrets)
    case "teams": return TeamsProvider(keys: try secrets.map { try #require(Base64.decode($0)) })
    case "okta": return OktaProvider(header: options["header"] ?? "Authorization", tokens: bytes)
    case "msgraph": return MicrosoftGraphProvider(clientStates: bytes)
    case "x": return XProvider(secrets: secrets.map { Secret($0) })
    default: throw TestFailure("unknown provider \(name)")
    }
}

private func groupDRequest(_ body: [UInt8], headers: [(String, String)] = [], method: String = "POST", target: String = "/hooks/source",
                           receivedAt: Int64 = 1_767_225_600_000) -> WebhookRequest {
    WebhookRequest(method: method, target: target, headers: HTTPHeaders([("Host", "hooks.example.com")] + headers), body: body,
                   clientAddress: "127.0.0.1", receivedAt: receivedAt, publicURL: "https://hooks.example.com" + target)
}

private func failure(of provider: any Provider, _ request: WebhookRequest) -> VerificationFailure? {
    do {
        try provider.verify(request)
        return nil
    } catch {
        return error
    }
}

private func outcome(_ provider: any Provider, _ request: WebhookRequest) throws -> (events: [NormalizedEvent], ack: HTTPResponse?) {
    guard case .events(let events, let ack) = try provider.interpret(request) else { throw TestFailure("not events") }
    return (events, ack)
}

private func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

private func configure(_ preset: any ProviderPreset.Type, _ json: String, secrets: [String] = [], split: Bool = true)
    throws -> (factory: (any ProviderFactory)?, diagnostics: [ConfigDiagnostic]) {
    let object = try #require(ConfigObject(try JSONValue.parse(json), at: JSONPath.root.appending("sources").appending(index: 0)))
    let settings = SourceSettings(name: "source", provider: preset.name, secrets: secrets.map { Secret($0) }, split: split)
    var decoder = ConfigDecoder(file: "routes/groupd.json")
    decoder.checkKeys(of: object, allowed: RouteConfig.sourceKeys + preset.optionKeys)
    let factory = preset.configure(settings, source: object, decoder: &decoder)
    return (decoder.hasErrors ? nil : factory, decoder.diagnostics)
}

private func configErrors(_ preset: any ProviderPreset.Type, _ json: String = "{}", secrets: [String] = []) throws -> [String] {
    try configure(preset, json, secrets: secrets).diagnostics.filter(\.isError).map(\.message)
}

@Suite struct GroupDVectorTests {
    @Test(arguments: groupDProviders)
    func agreesWithEveryVector(provider name: String) throws {
        let vectors = try GroupDVectors.load(name)
        #expect(vectors.provider == name)
        #expect(vectors.cases.count >= 6, "valid, tampered, wrong secret, missing header, rotation at least")
        #expect(vectors.cases.contains { $0.expect.valid } && vectors.cases.contains { !$0.expect.valid })
        for vector in vectors.cases {
            let provider = try makeProvider(name, secrets: vector.secrets, options: vector.options ?? [:], now: vector.now,
                                            tolerance: vectors.tolerance ?? 900)
            let headers = vector.headers.map { ($0[0], $0[1]) }
            let request = groupDRequest(Array(vector.body.utf8), headers: headers, method: vector.method,
                                        target: vector.target ?? "/hooks/\(name)")
            let failure = failure(of: provider, request)
            #expect((failure == nil) == vector.expect.valid, "\(name) / \(vector.name): \(failure?.reason ?? "accepted")")
            if let code = vector.expect.code { #expect(failure?.code == code, "\(name) / \(vector.name): \(failure?.reason ?? "")") }
            if let status = vector.expect.status { #expect(failure?.status == status, "\(name) / \(vector.name)") }
            if let failure {
                #expect(failure.reason.count < 100, "\(name) / \(vector.name): a short reason")
                for secret in vector.secrets where secret.count >= 8 {
                    #expect(!failure.reason.contains(secret), "\(name) / \(vector.name): the reason echoes a secret")
                }
                for (_, value) in headers where value.count >= 16 {
                    #expect(!failure.reason.contains(value), "\(name) / \(vector.name): the reason echoes a header value")
                }
            }
            if vector.expect.valid && name != "mailgun" {
                // Every accepted vector also normalizes (mailgun's form vector has no event-data, it is read as a form).
                #expect(throws: Never.self, "\(name) / \(vector.name)") { _ = try provider.interpret(request) }
            }
        }
    }

    @Test func includesThePublishedExamples() throws {
        let published = try groupDProviders.flatMap { try GroupDVectors.load($0).cases.filter { $0.published != nil }.map(\.name) }
        #expect(published.count >= 3, "Adyen's documented example, Odoo's Adyen payload, the Dropbox vector")
        let crc = try #require(try GroupDVectors.load("x").crc)
        let provider = try makeProvider("x", secrets: [crc.secret])
        let answer = try #require(provider.unsignedHandshake(groupDRequest([], method: "GET", target: "/hooks/x?crc_token=\(crc.token)")))
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self) == #"{"response_token":"\#(crc.response_token)"}"#)
    }
}

@Suite struct GroupDSampleTests {
    /// A secret in the form each preset's `--secret` takes.
    static let secrets: [String: String] = [
        "mailgun": "key-sample-mailgun", "telegram": "sample_secret-token",
        "adyen": "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
        "asana": "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81", "dropbox": "sample-app-secret",
        "pipedrive": "hookrelay:sample-password", "salesforce": "00D5w000004qGTOEA2", "teams": Base64.encode(Array("sample teams token!".utf8)),
        "okta": "sample-okta-secret", "msgraph": "sample \"client\" state", "x": "sample-consumer-secret",
    ]

    @Test(arguments: groupDProviders)
    func signsEverySampleTheWayItsProviderVerifies(provider name: String) throws {
        let preset = try #require(ProviderRegistry.preset(named: name) as? any SamplingPreset.Type)
        let secret = try #require(Self.secrets[name])
        for type in preset.sampleEventTypes {
            let sample = try preset.sample(SampleRequest(secret: Secret(secret), eventType: type, url: "http://127.0.0.1/hooks/\(name)",
                                                         now: 1_767_225_600_123, nonce: "0123456789abcdef01234567"))
            let provider = try makeProvider(name, secrets: [secret], now: 1_767_225_600)
            let request = groupDRequest(sample.body, headers: sample.headers)
            #expect(failure(of: provider, request) == nil, "\(name) \(type): \(failure(of: provider, request)?.reason ?? "")")
            let (events, _) = try outcome(provider, request)
            #expect(events.count == 1, "\(name) \(type)")
            let event = try #require(events.first)
            #expect(event.type == type, "\(name): the sample's type is the normalized type")
            #expect(!event.providerEventID.isEmpty)
            #expect((try? JSONSerialization.jsonObject(with: Data(event.data), options: [.fragmentsAllowed])) != nil, "\(name): data is JSON")
            if let time = event.time { #expect(abs(time - 1_767_225_600_123) < 86_400_000, "\(name) \(type): time near now") }
        }
        #expect(throws: SampleError.self) {
            _ = try preset.sample(SampleRequest(secret: Secret(""), url: "http://127.0.0.1/", now: 0, nonce: "n"))
        }
    }
}

@Suite struct GroupDHandshakeTests {
    @Test func echoesDropboxsChallengeAsPlainTextThatIsNeverSniffed() throws {
        let provider = try makeProvider("dropbox", secrets: ["s"])
        #expect(provider.allowedMethods == ["GET", "POST"])
        let answer = try #require(provider.unsignedHandshake(groupDRequest([], method: "GET", target: "/hooks/dropbox?challenge=abc%20123+x")))
        #expect(answer.status == 200)
        #expect(answer.body == Array("abc 123 x".utf8))
        #expect(answer.headers["Content-Type"]?.hasPrefix("text/plain") == true)
        #expect(answer.headers["X-Content-Type-Options"] == "nosniff")
        #expect(provider.unsignedHandshake(groupDRequest([], method: "GET", target: "/hooks/dropbox"))?.status == 400)
        #expect(provider.unsignedHandshake(groupDRequest([], method: "GET", target: "/hooks/dropbox?challenge=a%0Ab"))?.status == 400)
        #expect(provider.unsignedHandshake(groupDRequest([], target: "/hooks/dropbox?challenge=abc")) == nil, "POSTs are notifications")
    }

    @Test func answersXsCRCWithTheFirstSecret() throws {
        let provider = try makeProvider("x", secrets: ["current", "previous"])
        let answer = try #require(provider.unsignedHandshake(groupDRequest([], method: "GET", target: "/hooks/x?crc_token=t%2B1")))
        let key = try HMACKey(algorithm: .sha256, key: Array("current".utf8))
        #expect(try jsonObject(answer.body)["response_token"] as? String == "sha256=" + Base64.encode(key.authenticationCode(for: "t+1")))
        #expect(answer.headers["Content-Type"] == "application/json")
        #expect(provider.unsignedHandshake(groupDRequest([], method: "GET", target: "/hooks/x"))?.status == 400)
    }

    @Test func answersOktasVerificationOnlyWithTheHookSecret() throws {
        let provider = try makeProvider("okta", secrets: ["okta-secret"])
        let challenge = ("X-Okta-Verification-Challenge", "Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg\"x")
        let answer = try #require(provider.unsignedHandshake(groupDRequest([], headers: [challenge, ("Authorization", "okta-secret")],
                                                                           method: "GET")))
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self) == #"{"verification":"Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg\"x"}"#)
        #expect(provider.unsignedHandshake(groupDRequest([], headers: [challenge], method: "GET"))?.status == 401)
        #expect(provider.unsignedHandshake(groupDRequest([], headers: [challenge, ("Authorization", "guess")], method: "GET"))?.status == 401)
        #expect(provider.unsignedHandshake(groupDRequest([], headers: [("Authorization", "okta-secret")], method: "GET"))?.status == 400)
        #expect(provider.unsignedHandshake(groupDRequest([], headers: [challenge, ("Authorization", "okta-secret")])) == nil)
    }

    @Test func echoesGraphsDecodedValidationTokenOnPOST() throws {
        let provider = try makeProvider("msgraph", secrets: ["state"])
        let target = "/hooks/msgraph?validationToken=Validation%3A+Testing+client+application+reachability+for+subscription"
        let answer = try #require(provider.unsignedHandshake(groupDRequest([], headers: [("Content-Type", "text/plain")], target: target)))
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self) == "Validation: Testing client application reachability for subscription")
        #expect(answer.headers["Content-Type"]?.hasPrefix("text/plain") == true)
        #expect(provider.unsignedHandshake(groupDRequest(Array(#"{"value":[]}"#.utf8))) == nil)
    }

    // MARK: Asana

    private func handshake(_ provider: any Provider, _ secret: String) -> HTTPResponse? {
        provider.unsignedHandshake(groupDRequest([], headers: [("X-Hook-Secret", secret)]))
    }

    private func signedBatch(_ secret: String) throws -> WebhookRequest {
        let body = Array(#"{"events":[]}"#.utf8)
        let signature = Hex.encode(try HMACKey(algorithm: .sha256, key: Array(secret.utf8)).authenticationCode(for: body))
        return groupDRequest(body, headers: [("X-Hook-Signature", signature)])
    }

    @Test func establishesAsanasSecretOncePersistsItPrivatelyAndKeepsItAcrossRestarts() throws {
        let directory = try TemporaryDirectoryForGroupD()
        defer { directory.remove() }
        let state = directory.path + "/data/sources/asana"
        let factory = try #require(try configure(AsanaPreset.self, "{}").factory)
        let loop1 = factory.makeProvider(context: ProviderContext(stateDirectory: state))
        let loop2 = factory.makeProvider(context: ProviderContext(stateDirectory: state))
        let secret = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"

        #expect(failure(of: loop1, try signedBatch(secret))?.code == "missing_secret", "no secret before the handshake")
        let answer = try #require(handshake(loop1, secret))
        #expect(answer.status == 200)
        #expect(answer.headers["X-Hook-Secret"] == secret)
        #expect(failure(of: loop2, try signedBatch(secret)) == nil, "every loop's provider sees the secret")
        #expect(handshake(loop2, secret)?.status == 200, "a retried handshake is echoed again")
        #expect(handshake(loop2, "another-secret-0000")?.status == 403, "a second handshake cannot replace the secret")
        #expect(failure(of: loop1, try signedBatch("another-secret-0000"))?.code == "bad_signature")

        var info = stat()
        #expect(stat(state + "/" + AsanaPreset.secretFileName, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "the secret file is private")
        #expect(stat(state, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700, "in a private directory")
        #expect(try String(contentsOfFile: state + "/" + AsanaPreset.secretFileName, encoding: .utf8) == secret)
        #expect(try FileManager.default.contentsOfDirectory(atPath: state) == [AsanaPreset.secretFileName], "no temporary file left")

        // A restart (or reload): a new factory reads the stored secret.
        let restarted = try #require(try configure(AsanaPreset.self, "{}").factory).makeProvider(context: ProviderContext(stateDirectory: state))
        #expect(failure(of: restarted, try signedBatch(secret)) == nil)
        #expect(handshake(restarted, "yet-another-secret-1")?.status == 403)

        // The operator removes the file to accept a new webhook's handshake.
        unlink(state + "/" + AsanaPreset.secretFileName)
        let reset = try #require(try configure(AsanaPreset.self, "{}").factory).makeProvider(context: ProviderContext(stateDirectory: state))
        #expect(handshake(reset, "yet-another-secret-1")?.status == 200)
        #expect(failure(of: reset, try signedBatch(secret))?.code == "bad_signature")
    }

    @Test func pinnedAsanaSecretsRefuseNewHandshakes() throws {
        let factory = try #require(try configure(AsanaPreset.self, "{}", secrets: ["pinned-secret-1"]).factory)
        let provider = factory.makeProvider(context: ProviderContext())
        #expect(handshake(provider, "pinned-secret-1")?.status == 200)
        #expect(handshake(provider, "someone-elses-1")?.status == 403)
        #expect(handshake(provider, "bad secret")?.status == 400, "not echoable in a header")
        #expect(provider.unsignedHandshake(try signedBatch("pinned-secret-1")) == nil, "signed requests are events")
    }

    @Test func reportsAnUnwritableAsanaStateDirectoryInsteadOfAnsweringTheHandshake() throws {
        let directory = try TemporaryDirectoryForGroupD()
        defer { directory.remove() }
        let blocker = directory.path + "/file"
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data()))
        let factory = try #require(try configure(AsanaPreset.self, "{}").factory)
        let provider = factory.makeProvider(context: ProviderContext(stateDirectory: blocker + "/sources/asana"))
        let answer = try #require(handshake(provider, "b537207f20cbfa02"))
        #expect(answer.status == 503)
        #expect(!String(decoding: answer.body, as: UTF8.self).contains("b537207f20cbfa02"))
    }
}

/// A temporary directory (TestSupport's needs the `TestSupport` import, which this target already has).
private struct TemporaryDirectoryForGroupD {
    let path: String
    init() throws {
        var template = Array("\(NSTemporaryDirectory())/hookrelay-groupd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
        path = String(cString: made)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct GroupDNormalizationTests {
    @Test func mailgunReadsEventDataAndRefusesAReplayedTokenWithAnotherBody() throws {
        let vectors = try GroupDVectors.load("mailgun")
        let valid = try #require(vectors.cases.first { $0.name == "valid" })
        let tampered = try #require(vectors.cases.first { $0.name == "tampered body is not covered by the signature" })
        let ledger = GroupDTokenLedger()
        let loop1 = MailgunProvider(secrets: valid.secrets.map { Secret($0) }, tolerance: .seconds(900), ledger: ledger, clock: { valid.now })
        let loop2 = MailgunProvider(secrets: valid.secrets.map { Secret($0) }, tolerance: .seconds(900), ledger: ledger, clock: { valid.now })
        let request = groupDRequest(Array(valid.body.utf8), headers: [("Content-Type", "application/json")])
        #expect(failure(of: loop1, request) == nil)
        #expect(failure(of: loop2, request) == nil, "a retry of the same request passes (the store dedupes it)")
        let replay = failure(of: loop2, groupDRequest(Array(tampered.body.utf8), headers: [("Content-Type", "application/json")]))
        #expect(replay?.code == "replayed_token")

        let (events, ack) = try outcome(loop1, request)
        #expect(ack == nil)
        let event = try #require(events.first)
        #expect(event.type == "delivered")
        #expect(event.providerEventID == "CPgfbmQMTCKtHW6uIWtuVe")
        #expect(event.time == 1_767_225_590_123)
        #expect(event.subject == "20260101000000.1.ABCDEF@mg.example.com")
        let data = try jsonObject(event.data)
        #expect(data["event"] as? String == "delivered" && data["signature"] == nil, "data is event-data, spliced")
        #expect(String(decoding: event.data, as: UTF8.self).contains("Grüße €"))

        let form = try #require(vectors.cases.first { $0.name == "legacy form fields" })
        let formRequest = groupDRequest(Array(form.body.utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")])
        let formEvent = try #require(try outcome(loop1, formRequest).events.first)
        #expect(formEvent.type == "delivered")
        #expect(formEvent.providerEventID == "<1@mg.example.com>:delivered")
        #expect(formEvent.subject == "alice@example.com")
        #expect(try jsonObject(formEvent.data)["recipient"] as? String == "alice@example.com")
        let multipart = groupDRequest(Array("--x--".utf8), headers: [("Content-Type", "multipart/form-data; boundary=x")])
        #expect(failure(of: loop1, multipart)?.status == 400)
    }

    @Test func mailgunsLedgerForgetsExpiredTokensAndStaysBounded() {
        let ledger = GroupDTokenLedger(capacity: 3)
        #expect(ledger.admit(token: "a", bodyDigest: [1], now: 100, expiresAt: 200))
        #expect(!ledger.admit(token: "a", bodyDigest: [2], now: 150, expiresAt: 250))
        #expect(ledger.admit(token: "a", bodyDigest: [2], now: 201, expiresAt: 300), "expired: forgotten")
        for token in ["b", "c", "d", "e"] { #expect(ledger.admit(token: token, bodyDigest: [1], now: 202, expiresAt: 900)) }
        #expect(ledger.admit(token: "a", bodyDigest: [3], now: 203, expiresAt: 900), "evicted by capacity")
    }

    @Test func telegramTypesAnUpdateByItsField() throws {
        let provider = try makeProvider("telegram", secrets: ["t"])
        let body = #"{"update_id":918273645,"callback_query":{"id":"4382","from":{"id":4242,"is_bot":false},"message":{"message_id":7,"#
            + #""chat":{"id":-100123,"type":"group"},"date":1767225590},"data":"ok"}}"#
        let event = try #require(try outcome(provider, groupDRequest(Array(body.utf8))).events.first)
        #expect(event.type == "callback_query")
        #expect(event.providerEventID == "918273645")
        #expect(event.subject == "-100123")
        #expect(event.time == nil, "a callback query has no date of its own")
        #expect(event.data == Array(body.utf8))
        let message = #"{"update_id":1,"message":{"message_id":7,"chat":{"id":42},"date":1767225590,"text":"hi"}}"#
        let messageEvent = try #require(try outcome(provider, groupDRequest(Array(message.utf8))).events.first)
        #expect(messageEvent.time == 1_767_225_590_000)
        #expect(messageEvent.subject == "42")
        #expect(throws: NormalizationFailure.self) { _ = try provider.interpret(groupDRequest(Array(#"{"message":{}}"#.utf8))) }
    }

    @Test func adyenSplitsNotificationItemsAndAnswersAccepted() throws {
        let vectors = try GroupDVectors.load("adyen")
        let two = try #require(vectors.cases.first { $0.name == "valid: two items" })
        let provider = try makeProvider("adyen", secrets: two.secrets)
        let body = Array(two.body.utf8)
        let (events, ack) = try outcome(provider, groupDRequest(body))
        #expect(events.map(\.type) == ["AUTHORISATION", "CAPTURE"])
        #expect(events.map(\.providerEventID) == ["7914073381342284:AUTHORISATION:true", "8815310000000001:CAPTURE:true"])
        #expect(events.map(\.subject) == ["7914073381342284", "7914073381342284"], "a capture's subject is the payment")
        #expect(events[0].time == 1_767_225_600_000)
        for event in events {
            #expect(body.firstRange(of: event.data) != nil, "each item's data is a slice of the body")
            #expect(try jsonObject(event.data)["eventCode"] as? String == event.type)
        }
        #expect(ack?.status == 200)
        #expect(ack?.body == Array("[accepted]".utf8))

        let whole = AdyenProvider(keys: [try #require(Hex.decode(two.secrets[0]))], split: false)
        let unsplit = try outcome(whole, groupDRequest(body)).events
        #expect(unsplit.count == 1 && unsplit[0].data == body)

        let platform = try #require(vectors.cases.first { $0.name == "HmacSignature header (Balance Platform)" })
        let platformEvent = try #require(try outcome(provider, groupDRequest(Array(platform.body.utf8))).events.first)
        #expect(platformEvent.type == "balancePlatform.accountHolder.updated")
        #expect(platformEvent.subject == "AH3227C223222C5GKR23686TF")
        #expect(platformEvent.providerEventID.hasPrefix("sha256:"))
    }

    @Test func asanaSplitsEventsAndTreatsAnEmptyBatchAsAHeartbeat() throws {
        let provider = try makeProvider("asana", secrets: ["s"])
        let body = #"{"events":[{"action":"added","created_at":"2026-01-01T00:00:00.123Z","resource":{"gid":"1","resource_type":"task"}},"#
            + #"{"action":"changed","created_at":"2026-01-01T00:00:01Z","resource":{"gid":"2","resource_type":"story"},"parent":null}]}"#
        let split = try outcome(provider, groupDRequest(Array(body.utf8))).events
        #expect(split.map(\.type) == ["task.added", "story.changed"])
        #expect(split.map(\.subject) == ["1", "2"])
        #expect(split.map(\.time) == [1_767_225_600_123, 1_767_225_601_000])
        #expect(Set(split.map(\.providerEventID)).count == 2 && split.allSatisfy { $0.providerEventID.hasPrefix("sha256:") })
        #expect(try outcome(provider, groupDRequest(Array(#"{"events":[]}"#.utf8))).events.isEmpty)
    }

    @Test func dropboxFansOutAccountsWithReceiveTimeIds() throws {
        let provider = try makeProvider("dropbox", secrets: ["s"])
        let body = Array(#"{"list_folder": {"accounts": ["dbid:A", "dbid:B"]}, "delta": {"users": [1, 2]}}"#.utf8)
        let split = try outcome(provider, groupDRequest(body, receivedAt: 1_767_225_600_456)).events
        #expect(split.map(\.type) == ["list_folder", "list_folder"])
        #expect(split.map(\.subject) == ["dbid:A", "dbid:B"])
        #expect(split.map(\.providerEventID) == ["dbid:A@1767225600456", "dbid:B@1767225600456"])
        #expect(split[0].data == Array(#""dbid:A""#.utf8))
        let legacy = try outcome(provider, groupDRequest(Array(#"{"delta": {"users": [12345]}}"#.utf8))).events
        #expect(legacy.map(\.type) == ["delta"] && legacy.map(\.subject) == ["12345"])
    }

    @Test func pipedriveReadsV2AndV1Deliveries() throws {
        let provider = try makeProvider("pipedrive", secrets: ["u:p"])
        let v2 = try #require(try GroupDVectors.load("pipedrive").cases.first).body
        let event = try #require(try outcome(provider, groupDRequest(Array(v2.utf8))).events.first)
        #expect(event.type == "change.deal")
        #expect(event.providerEventID == "2ea6d5a0-8e8a-4a3b-9c7e-0d7c5b1f2a11")
        #expect(event.subject == "746")
        #expect(event.time == 1_767_225_600_000)
        let v1 = #"{"v":1,"meta":{"v":1,"action":"updated","object":"deal","id":123,"timestamp":1767225590,"#
            + #""timestamp_micro":1767225590384700,"webhook_id":"7"},"current":{"id":123},"previous":{},"event":"updated.deal","retry":0}"#
        let old = try #require(try outcome(provider, groupDRequest(Array(v1.utf8))).events.first)
        #expect(old.type == "updated.deal")
        #expect(old.providerEventID == "deal:123:updated:1767225590384700", "stable across retries (retry is not part of it)")
        #expect(old.subject == "123")
        #expect(old.time == 1_767_225_590_000)
    }

    @Test func salesforceSplitsNotificationsIntoJSONAndAcknowledgesInSOAP() throws {
        let provider = try makeProvider("salesforce", secrets: ["00D5w000004qGTOEA2"])
        let sample = try SalesforcePreset.sample(SampleRequest(secret: Secret("00D5w000004qGTOEA2"), eventType: "Account",
                                                               url: "http://x/", now: 1_767_225_600_000, nonce: "abc"))
        var xml = String(decoding: sample.body, as: UTF8.self)
        // Two notifications: the second a Contact.
        let second = "<Notification><Id>04l5w0000000002AAA</Id><sObject xsi:type=\"sf:Contact\" xmlns:sf=\"urn:sobject.enterprise.soap.sforce.com\">"
            + "<sf:Id>0035w000035gg9GAAQ</sf:Id><sf:Email>a@example.com</sf:Email></sObject></Notification>"
        xml = xml.replacingOccurrences(of: "</notifications>", with: second + "</notifications>")
        let request = groupDRequest(Array(xml.utf8), headers: [("Content-Type", "text/xml")])
        #expect(failure(of: provider, request) == nil)
        let (split, ack) = try outcome(provider, request)
        #expect(split.map(\.type) == ["Account", "Contact"])
        #expect(split.map(\.providerEventID) == ["04l5w0000" + split[0].providerEventID.dropFirst(9), "04l5w0000000002AAA"])
        #expect(split[0].time == 1_767_225_600_000, "LastModifiedDate")
        #expect(split[1].time == nil)
        let data = try jsonObject(split[0].data)
        #expect(data["organizationId"] as? String == "00D5w000004qGTOEA2")
        #expect(data["actionId"] as? String == "04k5w000000TSwMAAW")
        #expect(data.keys.contains("sessionId") && data["sessionId"] is NSNull)
        let notification = try #require(data["notification"] as? [String: Any])
        #expect(notification["sObjectType"] as? String == "Account")
        let fields = try #require(notification["sObject"] as? [String: Any])
        #expect(fields["Name"] as? String == "Example & Co")
        #expect(fields["Phone"] is NSNull)
        #expect(split[0].subject == fields["Id"] as? String)
        #expect(ack?.headers["Content-Type"]?.hasPrefix("text/xml") == true)
        let ackText = String(decoding: ack?.body ?? [], as: UTF8.self)
        #expect(ackText.contains("<Ack>true</Ack>"))

        let whole = SalesforceProvider(organizationIDs: ["00D5w000004qGTO"], split: false)
        #expect(failure(of: whole, request) == nil)
        let unsplit = try outcome(whole, request).events
        #expect(unsplit.count == 1 && unsplit[0].type == "notifications")
        #expect((try jsonObject(unsplit[0].data)["notifications"] as? [Any])?.count == 2)
    }

    @Test func salesforceRefusesUnsafeOrOversizedXML() throws {
        let provider = try makeProvider("salesforce", secrets: ["00D5w000004qGTOEA2"])
        func code(_ xml: String) -> VerificationFailure? { failure(of: provider, groupDRequest(Array(xml.utf8))) }
        let laughs = #"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>"#
        #expect(code(laughs)?.status == 400)
        let external = #"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#
        #expect(code(external)?.status == 400)
        #expect(code(external)?.reason.contains("passwd") == false)
        let deep = String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)
        #expect(code(deep)?.reason == "XML nested deeper than 32 elements")
        let many = "<soapenv:Envelope xmlns:soapenv=\"s\"><soapenv:Body><notifications><OrganizationId>00D5w000004qGTOEA2</OrganizationId>"
            + String(repeating: "<Notification><Id>1</Id><sObject/></Notification>", count: 101)
            + "</notifications></soapenv:Body></soapenv:Envelope>"
        #expect(code(many)?.reason == "more than 100 notifications")
        #expect(code("<a><b></a>")?.status == 400)
        #expect(code(String(repeating: " ", count: 4 * 1024 * 1024 + 1))?.status == 400)
    }

    @Test func teamsRepliesWithAMessageActivity() throws {
        let provider = TeamsProvider(keys: [[1, 2, 3]], reply: "Got it \"now\"")
        let body = Array(#"{"type":"message","id":"1767225590123","timestamp":"2026-01-01T00:00:00.1234567Z","conversation":{"id":"19:abc"}}"#.utf8)
        let (split, ack) = try outcome(provider, groupDRequest(body))
        let event = try #require(split.first)
        #expect(event.type == "message" && event.providerEventID == "1767225590123" && event.subject == "19:abc")
        #expect(event.time == 1_767_225_600_123)
        let reply = String(decoding: ack?.body ?? [], as: UTF8.self)
        #expect(reply == #"{"type":"message","text":"Got it \"now\""}"#)
    }

    @Test func oktaSplitsSystemLogEvents() throws {
        let provider = try makeProvider("okta", secrets: ["s"])
        let body = try #require(try GroupDVectors.load("okta").cases.first).body
        let event = try #require(try outcome(provider, groupDRequest(Array(body.utf8))).events.first)
        #expect(event.type == "user.lifecycle.create")
        #expect(event.providerEventID == "2a7c8a1f-2c4b-11f1-a4d8-b5b3d5a1e6f0")
        #expect(event.subject == "00u1s8ccyoYCTfvPV0g7")
        #expect(event.time == 1_767_225_600_000)
        let whole = OktaProvider(tokens: [[1]], split: false)
        let unsplit = try #require(try outcome(whole, groupDRequest(Array(body.utf8))).events.first)
        #expect(unsplit.type == "com.okta.event_hook" && unsplit.providerEventID == "b5a188b9-5ece-4636-b041-482ffda96311")
    }

    @Test func graphSplitsValueAndAnswers202() throws {
        let provider = try makeProvider("msgraph", secrets: ["hookrelay-client-state-4b7e"])
        let batch = try #require(try GroupDVectors.load("msgraph").cases.first { $0.name == "valid batch" }).body
        let (split, ack) = try outcome(provider, groupDRequest(Array(batch.utf8)))
        #expect(split.map(\.type) == ["created", "created"])
        #expect(split.map(\.providerEventID) == ["lsgTZMr9KwAAA0", "lsgTZMr9KwAAA1"])
        #expect(split.map(\.subject) == ["AAMkAGUw0", "AAMkAGUw1"])
        #expect(ack?.status == 202 && ack?.body.isEmpty == true)
        let lifecycle = #"{"value":[{"subscriptionId":"s-1","clientState":"c","lifecycleEvent":"missed","resource":"r"}]}"#
        let missed = try #require(try outcome(provider, groupDRequest(Array(lifecycle.utf8))).events.first)
        #expect(missed.type == "missed" && missed.providerEventID.hasPrefix("s-1:sha256:") && missed.subject == "r")
    }

    @Test func xSplitsEveryEventsArray() throws {
        let provider = try makeProvider("x", secrets: ["s"])
        let body = #"{"for_user_id":"2244994945","favorite_events":[{"id":"f1","timestamp_ms":1767225590123}],"#
            + #""follow_events":[{"type":"follow","created_timestamp":"1767225591000","source":{"id":"1"},"target":{"id":"2"}}],"#
            + #""users":{"1":{"id":"1"}}}"#
        let split = try outcome(provider, groupDRequest(Array(body.utf8))).events
        #expect(split.map(\.type) == ["favorite", "follow"])
        #expect(split[0].providerEventID == "favorite:f1")
        #expect(split[1].providerEventID.hasPrefix("follow:sha256:"))
        #expect(split.map(\.time) == [1_767_225_590_123, 1_767_225_591_000])
        #expect(split.allSatisfy { $0.subject == "2244994945" })
        let revoke = #"{"user_event":{"revoke":{"date_time":"2026-01-01T00:00:00Z","source":{"user_id":"1"}}}}"#
        #expect(try outcome(provider, groupDRequest(Array(revoke.utf8))).events.map(\.type) == ["user_event"])
    }
}

@Suite struct GroupDConfigurationTests {
    @Test func refusesSourcesMissingWhatTheSchemeNeeds() throws {
        #expect(try configErrors(MailgunPreset.self).first?.hasPrefix("mailgun needs at least one secret") == true)
        #expect(try configErrors(TelegramPreset.self, secrets: ["123456:ABC-bot-token"]).first?.contains("not the bot token") == true)
        #expect(try configErrors(AdyenPreset.self, secrets: ["not-hex"]).first?.hasPrefix("Adyen's HMAC key is hexadecimal") == true)
        #expect(try configErrors(AdyenPreset.self, secrets: ["0A1B"]).isEmpty)
        #expect(try configErrors(AsanaPreset.self).isEmpty, "asana takes its secret from the handshake")
        #expect(try configErrors(AsanaPreset.self, secrets: ["has space"]).count == 1)
        #expect(try configErrors(DropboxPreset.self).count == 1)
        #expect(try configErrors(PipedrivePreset.self, secrets: ["password-only"]).first?.contains("user:password") == true)
        #expect(try configErrors(TeamsPreset.self, secrets: ["not base64!"]).first?.contains("base64") == true)
        #expect(try configErrors(TeamsPreset.self, #"{"replyText": 3}"#, secrets: ["AQID"]).count == 1)
        #expect(try configErrors(OktaPreset.self, #"{"header": ""}"#, secrets: ["s"]).count == 1)
        #expect(try configErrors(MicrosoftGraphPreset.self, secrets: [String(repeating: "c", count: 256)]).count == 1)
        #expect(try configErrors(XPreset.self).count == 1)
    }

    @Test func salesforceNeedsAnOrganizationIdAndWarnsWithoutAllowIPs() throws {
        #expect(try configErrors(SalesforcePreset.self).first?.hasPrefix("salesforce needs organizationId") == true)
        #expect(try configErrors(SalesforcePreset.self, #"{"organizationId": "00D123"}"#).count == 1)
        #expect(try configErrors(SalesforcePreset.self, #"{"organizationId": ["00D5w000004qGTOEA2", 7]}"#).count == 1)
        #expect(try configErrors(SalesforcePreset.self, #"{"organizationId": "00D5w000004qGTOEA2"}"#, secrets: ["x"]).count == 1)
        let (factory, diagnostics) = try configure(SalesforcePreset.self, #"{"organizationId": ["00D5w000004qGTO", "00D000000000062EAA"]}"#)
        #expect(factory != nil)
        #expect(diagnostics.contains { !$0.isError && $0.message.contains("allowIPs") })
    }

    @Test func registersEveryGroupDPresetWithASample() {
        for name in groupDProviders {
            #expect(ProviderRegistry.preset(named: name) is any SamplingPreset.Type, "\(name)")
        }
    }
}
