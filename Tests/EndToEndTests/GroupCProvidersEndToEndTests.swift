import Foundation
import Glibc
@testable import HookRelay
import Testing
import TestSupport

/// The group C vectors' test keys (`Tests/HookRelayTests/Vectors`): throw-away keys made by the vector script.
private struct GroupCKeys: Decodable {
    struct Case: Decodable {
        var name: String
        var publicKey: String?
        var secrets: [String]?
    }

    var whsk: String?
    var privateKey: String?
    var privateKeySeed: String?
    var certificate: String?
    var cases: [Case]

    static func load(_ provider: String) throws -> GroupCKeys {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("HookRelayTests/Vectors/\(provider).json")
        return try JSONDecoder().decode(GroupCKeys.self, from: Data(contentsOf: url))
    }

    func publicKey(ofCase name: String) throws -> String { try #require(cases.first { $0.name == name }?.publicKey) }
}

/// One provider's sample: how `hookrelay send` is called and what its envelope must say.
private struct SampleExpectation {
    var source: String
    var provider: String
    /// The `--secret` value (literal or `file:`).
    var secret: String
    var event: String?
    /// Envelope types expected from this one send.
    var types: [String]
}

@Suite(.timeLimit(.minutes(2)))
struct GroupCProvidersEndToEndTests {
    @Test func everyGroupCPresetAcceptsItsSignedSampleRefusesATamperedOneAndAnswersItsHandshake() throws {
        let directory = try TemporaryDirectory("hookrelay-groupc")
        defer { directory.remove() }
        let whsec = "whsec_" + Base64.encode(Array("e2e-\(UUID().uuidString)".utf8).prefix(32))
        let gitlabToken = "gitlab-e2e-\(UUID().uuidString.prefix(8))"
        let paddleSecret = "pdl_ntfset_e2e_\(UUID().uuidString.prefix(8))"
        let zendeskSecret = "zendesk-e2e-\(UUID().uuidString.prefix(8))"
        let twitchSecret = "twitch-e2e-\(UUID().uuidString.prefix(8))"

        let sw = try GroupCKeys.load("standard-webhooks")
        let sendgrid = try GroupCKeys.load("sendgrid")
        let discord = try GroupCKeys.load("discord")
        let plaid = try GroupCKeys.load("plaid")
        let paypal = try GroupCKeys.load("paypal")
        let whpk = try #require(sw.cases.first { $0.name.hasPrefix("v1a signed") }?.secrets?.first)
        // Key files: the sources read public keys from files next to the routes; `send` reads private keys.
        let keys = directory.file("keys")
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        func write(_ text: String, _ name: String) throws -> String {
            try text.write(toFile: keys + "/" + name, atomically: true, encoding: .utf8)
            return keys + "/" + name
        }
        let plaidJWK = try plaid.publicKey(ofCase: "valid").replacingOccurrences(of: "bfbd5111-8e33-4643-8ced-b2e642a72f3c", with: "hookrelay-sample")
        _ = try write(plaidJWK, "plaid.jwk.json")
        _ = try write(try #require(paypal.certificate), "paypal.crt")
        let sendgridKey = try write(try #require(sendgrid.privateKey), "sendgrid.pem")
        let plaidKey = try write(try #require(plaid.privateKey), "plaid.pem")
        let paypalKey = try write("Webhook-Id: 1JE4291016473214C\n" + (paypal.privateKey ?? ""), "paypal.pem")

        let routes = try writeRoutes("""
            {
              "sources": [
                { "name": "stdwh", "provider": "standard-webhooks", "secrets": ["env:E2E_WHSEC", "\(whpk)"] },
                { "name": "svix", "provider": "svix", "secrets": ["env:E2E_WHSEC"] },
                { "name": "gitlab", "provider": "gitlab", "secrets": ["env:E2E_GITLAB_TOKEN", "env:E2E_WHSEC"] },
                { "name": "paddle", "provider": "paddle", "secrets": ["env:E2E_PADDLE"] },
                { "name": "zendesk", "provider": "zendesk", "secrets": ["env:E2E_ZENDESK"] },
                { "name": "twitch", "provider": "twitch", "secrets": ["env:E2E_TWITCH"] },
                { "name": "sendgrid", "provider": "sendgrid", "publicKey": "\(try sendgrid.publicKey(ofCase: "valid batch of three"))" },
                { "name": "discord", "provider": "discord", "publicKey": "\(try #require(discord.cases.first?.publicKey))" },
                { "name": "plaid", "provider": "plaid", "publicKey": "file:../keys/plaid.jwk.json" },
                { "name": "paypal", "provider": "paypal", "publicKey": "file:../keys/paypal.crt", "webhookId": "1JE4291016473214C" }
              ]
            }
            """, in: directory)
        let environment = ["E2E_WHSEC": whsec, "E2E_GITLAB_TOKEN": gitlabToken, "E2E_PADDLE": paddleSecret, "E2E_ZENDESK": zendeskSecret,
                           "E2E_TWITCH": twitchSecret]
        let data = directory.file("data")
        let server = try HookrelayProcess(["serve", "--routes", routes, "--data", data, "--listen", "127.0.0.1:0", "--threads", "2"],
                                          directory: directory.path, environment: environment)
        let port: Int
        do {
            port = try server.listeningPort()
        } catch {
            server.signal(SIGKILL)
            throw error
        }
        defer {
            server.signal(SIGTERM)
            #expect(server.waitForExit() == 0, "serve output:\n\(server.output)")
            for secret in environment.values { #expect(!server.output.contains(secret), "a secret in the log") }
        }
        let binary = buildProductsDirectory + "/hookrelay"

        func send(_ provider: String, to source: String, secret: String, event: String? = nil) throws -> (status: Int32, output: String) {
            var arguments = ["send", provider, "--secret", secret, "--url", "http://127.0.0.1:\(port)/hooks/\(source)"]
            if let event { arguments += ["--event", event] }
            return try runProgram(binary, arguments)
        }

        // 1. `hookrelay send` for each preset: 200 and stored.
        let samples = [
            SampleExpectation(source: "stdwh", provider: "standard-webhooks", secret: whsec, types: ["standard-webhooks.contact.created"]),
            SampleExpectation(source: "stdwh", provider: "standard-webhooks", secret: try #require(sw.whsk), event: "invoice.paid",
                              types: ["standard-webhooks.invoice.paid"]),
            SampleExpectation(source: "svix", provider: "svix", secret: whsec, types: ["svix.user.created"]),
            SampleExpectation(source: "gitlab", provider: "gitlab", secret: gitlabToken, types: ["gitlab.merge_request.open"]),
            SampleExpectation(source: "gitlab", provider: "gitlab", secret: whsec, event: "push", types: ["gitlab.push"]),
            SampleExpectation(source: "paddle", provider: "paddle", secret: paddleSecret, types: ["paddle.transaction.completed"]),
            SampleExpectation(source: "zendesk", provider: "zendesk", secret: zendeskSecret, types: ["zendesk.ticket.created"]),
            SampleExpectation(source: "twitch", provider: "twitch", secret: twitchSecret, types: ["twitch.channel.follow"]),
            SampleExpectation(source: "sendgrid", provider: "sendgrid", secret: "file:" + sendgridKey, types: ["sendgrid.processed", "sendgrid.delivered"]),
            SampleExpectation(source: "discord", provider: "discord", secret: try #require(discord.privateKeySeed),
                              types: ["discord.application_command.deploy"]),
            SampleExpectation(source: "plaid", provider: "plaid", secret: "file:" + plaidKey, types: ["plaid.TRANSACTIONS.SYNC_UPDATES_AVAILABLE"]),
            SampleExpectation(source: "paypal", provider: "paypal", secret: "file:" + paypalKey, types: ["paypal.PAYMENT.CAPTURE.COMPLETED"]),
        ]
        for sample in samples {
            let (status, output) = try send(sample.provider, to: sample.source, secret: sample.secret, event: sample.event)
            #expect(status == 0 && output.hasPrefix("200 "), "\(sample.provider) → \(sample.source): \(output)")
        }

        // 2. Handshakes: Twitch's challenge comes back as is; Discord's PING gets a PONG; neither is stored.
        let challenge = try send("twitch", to: "twitch", secret: twitchSecret, event: "webhook_callback_verification")
        #expect(challenge.status == 0 && challenge.output.hasPrefix("200 pogchamp-kappa-"), "\(challenge.output)")
        let ping = try send("discord", to: "discord", secret: try #require(discord.privateKeySeed), event: "ping")
        #expect(ping.status == 0 && ping.output.hasPrefix(#"200 {"type":1}"#), "\(ping.output)")
        let revocation = try send("twitch", to: "twitch", secret: twitchSecret, event: "revocation")
        #expect(revocation.status == 0, "\(revocation.output)")

        // 3. Tampered samples, and samples signed with the wrong key, get 401 and store nothing.
        func post(_ source: String, _ sample: SampleWebhook, tamper: Bool) throws -> TestResponse {
            var body = sample.body
            if tamper, let index = body.lastIndex(of: UInt8(ascii: "}")) { body.insert(UInt8(ascii: " "), at: index) }
            var head = "POST /hooks/\(source) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
            for (name, value) in sample.headers { head += "\(name): \(value)\r\n" }
            let connection = try TestConnection(port: port)
            try connection.send(Array((head + "\r\n").utf8) + body)
            return try connection.readResponse()
        }
        func sample(_ preset: any SamplingPreset.Type, _ secret: String) throws -> SampleWebhook {
            try preset.sample(SampleRequest(secret: Secret(secret), url: "http://127.0.0.1:\(port)/", now: Int64(Date().timeIntervalSince1970 * 1000),
                                            nonce: "tampered\(UUID().uuidString.prefix(8))"))
        }
        let tamperings: [(String, any SamplingPreset.Type, String)] = [
            ("stdwh", StandardWebhooksPreset.self, whsec), ("svix", SvixPreset.self, whsec), ("gitlab", GitLabPreset.self, whsec),
            ("paddle", PaddlePreset.self, paddleSecret), ("zendesk", ZendeskPreset.self, zendeskSecret), ("twitch", TwitchPreset.self, twitchSecret),
            ("sendgrid", SendGridPreset.self, try #require(sendgrid.privateKey)), ("discord", DiscordPreset.self, try #require(discord.privateKeySeed)),
            ("plaid", PlaidPreset.self, try #require(plaid.privateKey)), ("paypal", PayPalPreset.self, "Webhook-Id: 1JE4291016473214C\n" + (paypal.privateKey ?? "")),
        ]
        for (source, preset, secret) in tamperings {
            let response = try post(source, try sample(preset, secret), tamper: true)
            #expect(response.status == 401, "\(source): tampered → \(response.status) \(response.text)")
            #expect(!response.text.contains(secret.prefix(20)), "\(source)")
        }
        let wrongKey = try post("gitlab", try sample(GitLabPreset.self, "not-the-token"), tamper: false)
        #expect(wrongKey.status == 401 && wrongKey.text.hasPrefix("token does not match"), "\(wrongKey.text)")
        let probe = try post("discord", SampleWebhook(headers: [("Content-Type", "application/json"), ("X-Signature-Ed25519", String(repeating: "0", count: 128)),
                                                              ("X-Signature-Timestamp", "\(Int(Date().timeIntervalSince1970))")],
                                                      body: Array(#"{"type":1}"#.utf8)), tamper: false)
        #expect(probe.status == 401, "Discord's invalid-signature probe must get 401")

        // 4. The envelopes.
        let (status, output) = try runProgram(binary, ["events", "--data", data, "--json", "--limit", "100"])
        #expect(status == 0, "\(output)")
        let envelopes = try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let types = envelopes.compactMap { $0["type"] as? String }
        let expected = samples.flatMap(\.types) + ["twitch.revocation"]
        #expect(types.sorted() == expected.sorted(), "stored exactly the samples: \(types)")
        for envelope in envelopes {
            let type = envelope["type"] as? String ?? ""
            let provider = String(type.prefix { $0 != "." })
            #expect(envelope["provider"] as? String == provider, "\(type)")
            #expect((envelope["providereventid"] as? String)?.isEmpty == false, "\(type): a dedupe key")
            #expect((envelope["source"] as? String)?.hasPrefix("/hooks/") == true, "\(type)")
            #expect(envelope["data"] is [String: Any], "\(type): the payload as an object")
        }
        func envelope(_ type: String) throws -> [String: Any] { try #require(envelopes.first { $0["type"] as? String == type }, "\(type)") }
        #expect((try envelope("svix.user.created")["subject"] as? String)?.hasPrefix("user_") == true)
        #expect((try envelope("svix.user.created")["providereventid"] as? String)?.hasPrefix("msg_") == true)
        #expect((try envelope("paddle.transaction.completed")["subject"] as? String)?.hasPrefix("txn_") == true)
        #expect((try envelope("paddle.transaction.completed")["providereventid"] as? String)?.hasPrefix("evt_") == true)
        #expect((try envelope("zendesk.ticket.created")["subject"] as? String)?.hasPrefix("zen:ticket:") == true)
        #expect(try envelope("twitch.channel.follow")["subject"] as? String == "1337")
        #expect(try envelope("gitlab.merge_request.open")["subject"] as? String == "acme/hookrelay!7")
        #expect(try envelope("discord.application_command.deploy")["subject"] as? String == "290926798626357999")
        #expect((try envelope("plaid.TRANSACTIONS.SYNC_UPDATES_AVAILABLE")["providereventid"] as? String)?.hasPrefix("sha256:") == true)
        #expect((try envelope("paypal.PAYMENT.CAPTURE.COMPLETED")["providereventid"] as? String)?.hasPrefix("WH-") == true)
        let delivered = try envelope("sendgrid.delivered")
        #expect((delivered["data"] as? [String: Any])?["event"] as? String == "delivered", "one SendGrid item per envelope")
        #expect((delivered["source"] as? String) == "/hooks/sendgrid")
    }
}
