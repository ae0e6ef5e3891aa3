import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

/// Group A presets end to end: one `hookrelay serve` with a source per provider; for each, `hookrelay send <provider>`
/// (the built binary) → 200 and the expected envelope in `hookrelay events --json`, a tampered request → 401, and the
/// provider's handshake answered. Secrets reach the server and `send` only through the environment.
private let providers = ["github", "meta", "shopify", "slack", "zoom", "calendly", "razorpay", "linear", "intercom", "bitbucket", "jira"]

private let secrets: [String: String] = Dictionary(uniqueKeysWithValues: providers.map {
    ($0, "\($0)-e2e-secret-\(UUID().uuidString.prefix(8))")
})
private let metaVerifyToken = "meta-verify-\(UUID().uuidString.prefix(8))"

private func variable(_ provider: String) -> String { "HOOKRELAY_E2E_A_\(provider.uppercased())" }

private let environment: [String: String] = {
    var environment = ProcessInfo.processInfo.environment
    for (provider, secret) in secrets { environment[variable(provider)] = secret }
    environment["HOOKRELAY_E2E_A_META_VERIFY"] = metaVerifyToken
    return environment
}()

private let routesJSON: String = {
    let sources = providers.map { provider in
        let extra = provider == "meta" ? #", "verifyToken": "env:HOOKRELAY_E2E_A_META_VERIFY""# : ""
        return #"    { "name": "\#(provider)", "provider": "\#(provider)", "secrets": ["env:\#(variable(provider))"]\#(extra) }"#
    }
    return "{\n  \"sources\": [\n" + sources.joined(separator: ",\n") + "\n  ]\n}\n"
}()

/// The envelope type of each preset's default sample.
private let expectedTypes = [
    "github": "github.issues.opened", "meta": "meta.whatsapp_business_account.messages", "shopify": "shopify.orders/create",
    "slack": "slack.message", "zoom": "zoom.meeting.started", "calendly": "calendly.invitee.created",
    "razorpay": "razorpay.payment.captured", "linear": "linear.Issue.create", "intercom": "intercom.conversation.user.created",
    "bitbucket": "bitbucket.repo:push", "jira": "jira.jira:issue_created",
]

private final class GroupAServer {
    let directory: TemporaryDirectory
    let server: HookrelayProcess
    let port: Int
    var data: String { directory.file("data") }

    init() throws {
        directory = try TemporaryDirectory("hookrelay-group-a")
        let routes = try writeRoutes(routesJSON, in: directory)
        server = try HookrelayProcess(["serve", "--routes", routes, "--data", directory.file("data"), "--listen", "127.0.0.1:0",
                                       "--threads", "2"], directory: directory.path, environment: environment)
        do {
            port = try server.listeningPort()
        } catch {
            server.signal(SIGKILL)
            directory.remove()
            throw error
        }
    }

    func stop() {
        server.signal(SIGTERM)
        let status = server.waitForExit()
        #expect(status == 0, "serve output:\n\(server.output)")
        for secret in Array(secrets.values) + [metaVerifyToken] {
            #expect(!server.output.contains(secret), "a secret never appears in the log")
        }
        directory.remove()
    }

    func url(_ source: String) -> String { "http://127.0.0.1:\(port)/hooks/\(source)" }

    /// `hookrelay send <provider> --secret env:… --url …`: exit status and the printed answer.
    func send(_ provider: String, event: String? = nil) throws -> (status: Int32, output: String) {
        var arguments = ["send", provider, "--secret", "env:\(variable(provider))", "--url", url(provider)]
        if let event { arguments += ["--event", event] }
        return try runProgram(buildProductsDirectory + "/hookrelay", arguments, environment: environment)
    }

    func post(_ path: String, method: String = "POST", body: [UInt8] = [], headers: [(String, String)] = []) throws -> TestResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method != "GET" { head += "Content-Length: \(body.count)\r\n" }
        let connection = try TestConnection(port: port)
        try connection.send(Array((head + "\r\n").utf8) + body)
        return try connection.readResponse()
    }

    /// `hookrelay events --json`, parsed.
    func events() throws -> [[String: Any]] {
        let (status, output) = try runProgram(buildProductsDirectory + "/hookrelay", ["events", "--data", data, "--json", "--limit", "200"])
        #expect(status == 0, "\(output)")
        return try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }
}

/// A preset's own signed sample, made in-process (to tamper with, or to send twice).
private func sample(_ provider: String, event: String? = nil, nonce: String = UUID().uuidString) throws -> SampleWebhook {
    let preset = try #require(ProviderRegistry.preset(named: provider) as? any SamplingPreset.Type)
    return try preset.sample(SampleRequest(secret: Secret(secrets[provider]!), eventType: event, url: "http://127.0.0.1/hooks/\(provider)",
                                           now: Int64(Date().timeIntervalSince1970 * 1000),
                                           nonce: nonce.replacingOccurrences(of: "-", with: "").lowercased()))
}

@Suite(.timeLimit(.minutes(1)))
struct GroupAProvidersEndToEndTests {
    @Test func everyGroupAProviderVerifiesNormalizesAndAnswersItsHandshake() throws {
        let server = try GroupAServer()
        defer { server.stop() }
        let started = Date()

        // 1. `hookrelay send` → 200 {"id":…} for every provider.
        for provider in providers {
            let (status, output) = try server.send(provider)
            #expect(status == 0, "\(provider): \(output)")
            #expect(output.hasPrefix("200 {\"id\":\""), "\(provider): \(output)")
        }

        // 2. A tampered request (one byte appended to a correctly signed body) → 401, with a reason and nothing else.
        for provider in providers {
            let signed = try sample(provider)
            let response = try server.post("/hooks/\(provider)", body: signed.body + [0x20], headers: signed.headers)
            #expect(response.status == 401, "\(provider): \(response.status) \(response.text)")
            #expect(response.text.hasPrefix("signature does not match"), "\(provider): \(response.text)")
            #expect(!response.text.contains(secrets[provider]!))
            let unsigned = try server.post("/hooks/\(provider)", body: signed.body, headers: [("Content-Type", "application/json")])
            #expect(unsigned.status == 401 && unsigned.text.hasPrefix("missing "), "\(provider): \(unsigned.text)")
        }

        // 3. Handshakes: answered as each provider requires, nothing stored.
        let metaGET = try server.post("/hooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=\(metaVerifyToken)", method: "GET")
        #expect(metaGET.status == 200 && metaGET.text == "1158201444", "\(metaGET.status) \(metaGET.text)")
        let metaWrong = try server.post("/hooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess", method: "GET")
        #expect(metaWrong.status == 403)
        #expect(try server.post("/hooks/github", method: "GET").status == 405, "only Meta takes a GET")

        let slack = try server.send("slack", event: "url_verification")
        #expect(slack.status == 0 && slack.output.range(of: #"^200 \{"challenge":"[0-9a-f]+"\}"#, options: .regularExpression) != nil,
                "\(slack.output)")
        let zoomSample = try sample("zoom", event: "endpoint.url_validation", nonce: "plaintoken0001")
        let zoom = try server.post("/hooks/zoom", body: zoomSample.body, headers: zoomSample.headers)
        let key = try HMACKey(algorithm: .sha256, key: Array(secrets["zoom"]!.utf8))
        #expect(zoom.status == 200)
        #expect(zoom.text == #"{"plainToken":"plaintoken0001","encryptedToken":"\#(Hex.encode(key.authenticationCode(for: "plaintoken0001")))"}"#,
                "\(zoom.text)")
        for (provider, event) in [("github", "ping"), ("intercom", "ping")] {
            let (status, output) = try server.send(provider, event: event)
            #expect(status == 0 && output.hasPrefix(#"200 {"ping":"ok"}"#), "\(provider): \(output)")
        }

        // 4. A batch: one Meta delivery with two entries is two events; sent again, it adds nothing.
        let batch = Array(#"""
            {"object":"page","entry":[{"id":"PAGE_E2E","time":1767225590000,"messaging":[{"sender":{"id":"U1"},"recipient":{"id":"PAGE_E2E"},"timestamp":1767225590000,"message":{"mid":"m_e2e_1","text":"Gr\u00fc\u00dfe"}}]},{"id":"PAGE_E2E","time":1767225591000,"messaging":[{"sender":{"id":"U1"},"recipient":{"id":"PAGE_E2E"},"timestamp":1767225591000,"message":{"mid":"m_e2e_2","text":"\ud83d\ude80"}}]}]}
            """#.utf8)
        let batchMAC = Hex.encode(try HMACKey(algorithm: .sha256, key: Array(secrets["meta"]!.utf8)).authenticationCode(for: batch))
        for _ in 0..<2 {
            let answer = try server.post("/hooks/meta", body: batch, headers: [("Content-Type", "application/json"),
                                                                               ("X-Hub-Signature-256", "sha256=" + batchMAC)])
            #expect(answer.status == 200 && answer.text.hasPrefix(#"{"ids":["#), "\(answer.text)")
        }

        // 5. The store: one envelope per send, the batch's two, and nothing for refused requests or handshakes.
        let events = try server.events()
        let bySource = Dictionary(grouping: events) { ($0["source"] as? String) ?? "" }
        for provider in providers {
            let stored = bySource["/hooks/\(provider)"] ?? []
            let expectedCount = provider == "meta" ? 3 : 1
            #expect(stored.count == expectedCount, "\(provider): \(stored.count) events")
            guard let envelope = stored.first(where: { $0["type"] as? String == expectedTypes[provider] }) else {
                Issue.record("\(provider): no \(expectedTypes[provider]!) envelope in \(stored.map { $0["type"] ?? "?" })")
                continue
            }
            #expect(envelope["specversion"] as? String == "1.0")
            #expect(envelope["provider"] as? String == provider)
            #expect((envelope["providereventid"] as? String)?.isEmpty == false, "\(provider)")
            #expect((envelope["subject"] as? String)?.isEmpty == false, "\(provider): a subject")
            #expect(envelope["data"] is [String: Any], "\(provider): data is the JSON payload")
            #expect(envelope["status"] as? String == "stored", "\(provider): no routes")
        }
        let messages = (bySource["/hooks/meta"] ?? []).filter { $0["type"] as? String == "meta.page.messages" }
        #expect(Set(messages.compactMap { $0["providereventid"] as? String }) == ["m_e2e_1", "m_e2e_2"])
        #expect(messages.allSatisfy { $0["subject"] as? String == "PAGE_E2E" })
        #expect(Set(messages.compactMap { $0["time"] as? String }) == ["2025-12-31T23:59:50Z", "2025-12-31T23:59:51Z"])
        let texts = messages.compactMap { (($0["data"] as? [String: Any])?["message"] as? [String: Any])?["text"] as? String }
        #expect(Set(texts) == ["Grüße", "🚀"])
        #expect(Date().timeIntervalSince(started) < 30, "the whole run stays well under 30 s")
    }
}
