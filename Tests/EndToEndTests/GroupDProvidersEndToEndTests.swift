import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

/// One `hookrelay serve` with a source per group D provider (mailgun, telegram, adyen, asana, dropbox, pipedrive,
/// salesforce, teams, okta, msgraph, x). For each: `hookrelay send <provider>` (the built binary) is stored and listed
/// with the expected envelope, a forged request gets 401, and the provider's handshake is answered.
private struct GroupDSource {
    var name: String
    /// The secret `hookrelay send` signs with (literal), and the one the server gets through its environment.
    var secret: String
    /// A secret of the same form that the source does not have.
    var wrongSecret: String
    /// Extra source keys (JSON members).
    var extra: String = ""
    /// The envelope type of the preset's default sample.
    var type: String
    /// What the answer to a stored sample starts with.
    var answer: String = "200 {\"id\":"
}

private let run = String(UUID().uuidString.prefix(8))

private let sources: [GroupDSource] = [
    GroupDSource(name: "mailgun", secret: "key-e2e-mailgun-\(run)", wrongSecret: "key-e2e-other", type: "mailgun.delivered"),
    GroupDSource(name: "telegram", secret: "e2e_telegram_\(run)", wrongSecret: "e2e_telegram_other", type: "telegram.message"),
    GroupDSource(name: "adyen", secret: "7B3F9A2C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F70\(Hex.encode(Array(run.utf8)))",
                 wrongSecret: "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", type: "adyen.AUTHORISATION",
                 answer: "200 [accepted]"),
    GroupDSource(name: "asana", secret: "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012\(run)", wrongSecret: "asana-other-secret",
                 type: "asana.task.changed"),
    GroupDSource(name: "dropbox", secret: "e2e-dropbox-\(run)", wrongSecret: "e2e-dropbox-other", type: "dropbox.list_folder"),
    GroupDSource(name: "pipedrive", secret: "hookrelay:e2e-\(run)", wrongSecret: "hookrelay:guess", type: "pipedrive.change.deal"),
    GroupDSource(name: "salesforce", secret: "00D5w000004qGTOEA2", wrongSecret: "00D000000000062EAA",
                 extra: #", "organizationId": "00D5w000004qGTOEA2", "allowIPs": ["127.0.0.0/8"]"#, type: "salesforce.Opportunity",
                 answer: "200 <?xml"),
    GroupDSource(name: "teams", secret: Base64.encode(Array("e2e teams token \(run)".utf8)), wrongSecret: Base64.encode(Array("other".utf8)),
                 extra: #", "replyText": "Stored by hookrelay""#, type: "teams.message",
                 answer: #"200 {"type":"message","text":"Stored by hookrelay"}"#),
    GroupDSource(name: "okta", secret: "e2e-okta-\(run)", wrongSecret: "e2e-okta-other", type: "okta.user.lifecycle.create"),
    GroupDSource(name: "msgraph", secret: "e2e-client-state-\(run)", wrongSecret: "e2e-client-state-other", type: "msgraph.created",
                 answer: "202 "),
    GroupDSource(name: "x", secret: "e2e-consumer-secret-\(run)", wrongSecret: "e2e-consumer-other", type: "x.tweet_create"),
]

/// The environment variable that carries a source's secret to `serve`.
private func variable(_ source: GroupDSource) -> String { "HOOKRELAY_E2E_GROUPD_\(source.name.uppercased())" }

private func routesJSON() -> String {
    let items = sources.map { source in
        let secrets = source.name == "salesforce" || source.name == "asana" ? "" : #", "secrets": ["env:\#(variable(source))"]"#
        return #"    { "name": "\#(source.name)", "provider": "\#(source.name)"\#(secrets)\#(source.extra) }"#
    }
    return "{\n  \"sources\": [\n" + items.joined(separator: ",\n") + "\n  ]\n}\n"
}

private final class GroupDServer {
    let directory: TemporaryDirectory
    let server: HookrelayProcess
    let port: Int
    var data: String { directory.file("data") }

    init() throws {
        directory = try TemporaryDirectory("hookrelay-groupd")
        let routes = try writeRoutes(routesJSON(), in: directory)
        var environment: [String: String] = [:]
        for source in sources { environment[variable(source)] = source.secret }
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
        for source in sources where source.name != "salesforce" {
            #expect(!server.output.contains(source.secret), "\(source.name)'s secret never appears in the log")
        }
        directory.remove()
    }

    func send(_ path: String, method: String = "POST", body: [UInt8] = [], headers: [(String, String)] = []) throws -> TestResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        let connection = try TestConnection(port: port)
        try connection.send(Array((head + "\r\n").utf8) + body)
        return try connection.readResponse()
    }

    /// `hookrelay send <provider>` against this server.
    func hookrelaySend(_ source: GroupDSource) throws -> (status: Int32, output: String) {
        try runProgram(buildProductsDirectory + "/hookrelay", ["send", source.name, "--secret", source.secret,
                                                               "--url", "http://127.0.0.1:\(port)/hooks/\(source.name)"])
    }

    /// `hookrelay events --json`, parsed.
    func events() throws -> [[String: Any]] {
        let (status, output) = try runProgram(buildProductsDirectory + "/hookrelay", ["events", "--data", data, "--json", "--limit", "1000"])
        #expect(status == 0, "\(output)")
        return try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
    }
}

/// A sample of `source`'s preset signed with `secret` (in-process, the same code `hookrelay send` runs).
private func sample(_ source: GroupDSource, secret: String) throws -> SampleWebhook {
    let preset = try #require(ProviderRegistry.preset(named: source.name) as? any SamplingPreset.Type)
    return try preset.sample(SampleRequest(secret: Secret(secret), url: "http://127.0.0.1/hooks/\(source.name)",
                                           now: Int64(Date().timeIntervalSince1970 * 1000),
                                           nonce: String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24))))
}

@Suite(.timeLimit(.minutes(2)))
struct GroupDProvidersEndToEndTests {
    @Test func storesEachProvidersSignedSampleRefusesForgeriesAndAnswersHandshakes() throws {
        let server = try GroupDServer()
        defer { server.stop() }

        // Handshakes first: Asana's establishes the secret its sample is signed with.
        let asana = try #require(sources.first { $0.name == "asana" })
        let established = try server.send("/hooks/asana", headers: [("X-Hook-Secret", asana.secret)])
        #expect(established.status == 200)
        #expect(established.header("X-Hook-Secret") == asana.secret)
        let secretFile = server.data + "/sources/asana/" + AsanaPreset.secretFileName
        var info = stat()
        #expect(stat(secretFile, &info) == 0 && info.st_mode & 0o777 == 0o600, "stored privately under the data directory")
        #expect(try server.send("/hooks/asana", headers: [("X-Hook-Secret", asana.wrongSecret)]).status == 403)

        let challenge = try server.send("/hooks/dropbox?challenge=e2e-\(run)", method: "GET")
        #expect(challenge.status == 200 && challenge.text == "e2e-\(run)")
        #expect(challenge.header("X-Content-Type-Options") == "nosniff")

        let x = try #require(sources.first { $0.name == "x" })
        let crc = try server.send("/hooks/x?crc_token=e2e-\(run)", method: "GET")
        let key = try HMACKey(algorithm: .sha256, key: Array(x.secret.utf8))
        #expect(crc.status == 200)
        #expect(crc.text == #"{"response_token":"sha256=\#(Base64.encode(key.authenticationCode(for: "e2e-\(run)")))"}"#)

        let okta = try #require(sources.first { $0.name == "okta" })
        let verification = try server.send("/hooks/okta", method: "GET", headers: [("X-Okta-Verification-Challenge", "e2e-\(run)"),
                                                                                   ("Authorization", okta.secret)])
        #expect(verification.status == 200 && verification.text == #"{"verification":"e2e-\#(run)"}"#)
        #expect(try server.send("/hooks/okta", method: "GET", headers: [("X-Okta-Verification-Challenge", "x")]).status == 401)

        let validation = try server.send("/hooks/msgraph?validationToken=Validation%3A+e2e+\(run)", headers: [("Content-Type", "text/plain")])
        #expect(validation.status == 200 && validation.text == "Validation: e2e \(run)")
        #expect(validation.header("Content-Type")?.hasPrefix("text/plain") == true)

        // Each provider: the signed sample is stored; a forged one is refused.
        for source in sources {
            let (status, output) = try server.hookrelaySend(source)
            #expect(status == 0, "\(source.name): \(output)")
            #expect(output.hasPrefix(source.answer), "\(source.name) answered: \(output)")
            if source.name == "salesforce" { #expect(output.contains("<Ack>true</Ack>")) }

            let forged = try sample(source, secret: source.wrongSecret)
            let refused = try server.send("/hooks/\(source.name)", body: forged.body, headers: forged.headers)
            #expect(refused.status == 401, "\(source.name) forged: \(refused.status) \(refused.text)")
            for secret in [source.secret, source.wrongSecret] where source.name != "salesforce" {
                #expect(!refused.text.contains(secret), "\(source.name): the answer never echoes a secret")
            }
        }
        // Tampered bodies, for the schemes that sign the body.
        for name in ["asana", "dropbox", "teams", "x", "adyen"] {
            let source = try #require(sources.first { $0.name == name })
            let signed = try sample(source, secret: source.secret)
            var text = String(decoding: signed.body, as: UTF8.self)
            if name == "adyen" {
                text = text.replacingOccurrences(of: #""value": 1130"#, with: #""value": 1"#)
            } else {
                let last = try #require(text.lastIndex { $0.isNumber })
                text.replaceSubrange(last...last, with: text[last] == "7" ? "8" : "7")
            }
            let tampered = try server.send("/hooks/\(name)", body: Array(text.utf8), headers: signed.headers)
            #expect(tampered.status == 401, "\(name) tampered: \(tampered.status) \(tampered.text)")
        }

        let listed = try server.events()
        for source in sources {
            let envelopes = listed.filter { $0["source"] as? String == "/hooks/\(source.name)" }
            #expect(envelopes.count == 1, "\(source.name): exactly the sent sample is stored, \(envelopes.count) found")
            guard let envelope = envelopes.first else { continue }
            #expect(envelope["type"] as? String == source.type, "\(source.name)")
            #expect(envelope["provider"] as? String == source.name)
            #expect(envelope["specversion"] as? String == "1.0")
            #expect((envelope["providereventid"] as? String)?.isEmpty == false, "\(source.name)")
            #expect(envelope["data"] != nil, "\(source.name)")
            #expect((envelope["subject"] as? String)?.isEmpty == false, "\(source.name) has a subject")
        }
    }
}
