import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

/// One `hookrelay serve` with a source per group B provider; for each: `hookrelay send` → 200 and the expected
/// envelope, a tampered request → 401, and the provider's handshake.
private let providers = ["twilio", "square", "hubspot", "mandrill", "mailchimp", "typeform", "woocommerce", "xero", "quickbooks",
                         "klaviyo"]
private let urlSigning: Set<String> = ["twilio", "square", "hubspot", "mandrill"]

/// Each provider's secret, reaching the server only through its environment.
private let secrets: [String: String] = Dictionary(uniqueKeysWithValues: providers.map {
    ($0, "\($0)-e2e-\(UUID().uuidString.prefix(8))")
})

private func variable(_ provider: String) -> String { "HOOKRELAY_E2E_\(provider.uppercased())_SECRET" }

private struct GroupBFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private final class GroupBServer {
    let directory: TemporaryDirectory
    let server: HookrelayProcess
    let port: Int
    var data: String { directory.file("data") }

    init() throws {
        directory = try TemporaryDirectory("hookrelay-group-b")
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try unusedPort()
            let sources = providers.map { name in
                let url = urlSigning.contains(name) ? #", "publicURL": "http://127.0.0.1:\#(port)/hooks/\#(name)""# : ""
                return #"{ "name": "\#(name)", "provider": "\#(name)", "secrets": ["env:\#(variable(name))"]\#(url) }"#
            }
            let routes = try writeRoutes(#"{ "sources": [\#(sources.joined(separator: ",\n"))] }"#, in: directory)
            let server = try HookrelayProcess(["serve", "--routes", routes, "--data", directory.file("data"),
                                               "--listen", "127.0.0.1:\(port)", "--threads", "2"],
                                              directory: directory.path,
                                              environment: Dictionary(uniqueKeysWithValues: secrets.map { (variable($0.key), $0.value) }))
            do {
                self.port = try server.listeningPort()
                self.server = server
                return
            } catch {
                server.signal(SIGKILL)
                lastError = error
            }
        }
        directory.remove()
        throw lastError ?? GroupBFailure("serve did not start")
    }

    func stop() {
        server.signal(SIGTERM)
        let status = server.waitForExit()
        #expect(status == 0, "serve output:\n\(server.output)")
        for secret in secrets.values { #expect(!server.output.contains(secret), "a secret appears in the log") }
        directory.remove()
    }

    func url(_ provider: String) -> String { "http://127.0.0.1:\(port)/hooks/\(provider)" }

    func send(_ path: String, method: String = "POST", body: [UInt8] = [], headers: [(String, String)] = []) throws -> TestResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method == "POST" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        let connection = try TestConnection(port: port)
        try connection.send(Array((head + "\r\n").utf8) + body)
        return try connection.readResponse(isHead: method == "HEAD")
    }

    /// `hookrelay send <provider>` with the source's secret, from the environment.
    func sendSample(_ provider: String) throws -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment[variable(provider)] = secrets[provider]
        return try runProgram(buildProductsDirectory + "/hookrelay",
                              ["send", provider, "--secret", "env:\(variable(provider))", "--url", url(provider)],
                              environment: environment)
    }

    /// A signed sample made in process, for requests `hookrelay send` does not make (tampered, handshakes).
    func sample(_ provider: String, type: String? = nil, secret: String? = nil) throws -> SampleWebhook {
        let preset = try #require(ProviderRegistry.preset(named: provider) as? any SamplingPreset.Type)
        return try preset.sample(SampleRequest(secret: Secret(secret ?? secrets[provider]!), eventType: type, url: url(provider),
                                               now: Int64(Date().timeIntervalSince1970 * 1000),
                                               nonce: String(UUID().uuidString.filter(\.isHexDigit).lowercased().prefix(24))))
    }

    func post(_ provider: String, _ sample: SampleWebhook, body: [UInt8]? = nil, query: String? = nil) throws -> TestResponse {
        let query = query ?? sample.query
        return try send("/hooks/\(provider)" + (query.map { "?" + $0 } ?? ""), body: body ?? sample.body,
                        headers: sample.headers.map { ($0.name, $0.value) })
    }

    /// `hookrelay events --json` lines, parsed.
    func events() throws -> [[String: Any]] {
        let (status, output) = try runProgram(buildProductsDirectory + "/hookrelay", ["events", "--data", data, "--json", "--limit", "200"])
        #expect(status == 0, "\(output)")
        return try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }
}

/// The body with its first decimal digit changed: still JSON or a form, no longer what was signed.
private func tampered(_ body: [UInt8]) -> [UInt8] {
    var copy = body
    if let index = copy.firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) { copy[index] = copy[index] == 0x39 ? 0x30 : copy[index] + 1 }
    return copy
}

@Suite(.timeLimit(.minutes(2)))
struct GroupBProvidersEndToEndTests {
    @Test func everyGroupBProviderEndToEnd() throws {
        let server = try GroupBServer()
        defer { server.stop() }

        // hookrelay send → 200, for every provider.
        for provider in providers {
            let (status, output) = try server.sendSample(provider)
            #expect(status == 0, "\(provider): \(output)")
            #expect(output.hasPrefix("200"), "\(provider): \(output)")
            if provider == "twilio" { #expect(output.contains(#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#), "\(output)") }
            if provider == "xero" { #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "200", "Xero wants no body: \(output)") }
        }

        // Tampered requests → 401.
        for provider in providers {
            let sample = try server.sample(provider)
            let response = provider == "mailchimp"
                ? try server.post(provider, sample, query: "secret=guess")
                : try server.post(provider, sample, body: tampered(sample.body))
            #expect(response.status == 401, "\(provider): \(response.status) \(response.text)")
            #expect(!response.text.contains(secrets[provider]!))
        }

        // Handshakes.
        let head = try server.send("/hooks/mandrill", method: "HEAD")
        #expect(head.status == 200, "Mandrill's HEAD check")
        let mailchimpCheck = try server.send("/hooks/mailchimp?secret=\(secrets["mailchimp"]!)", method: "GET")
        #expect(mailchimpCheck.status == 200, "Mailchimp's GET check: \(mailchimpCheck.text)")
        #expect(try server.send("/hooks/mailchimp", method: "GET").status == 200, "the check stores nothing and needs no secret")
        let ping = try server.send("/hooks/woocommerce", body: Array("webhook_id=42".utf8),
                                   headers: [("Content-Type", "application/x-www-form-urlencoded")])
        #expect(ping.status == 200, "WooCommerce's creation ping: \(ping.text)")
        let intent = try server.sample("xero", type: "intent-to-receive")
        let accepted = try server.post("xero", intent)
        #expect(accepted.status == 200 && accepted.body.isEmpty, "Xero ITR, correctly signed")
        let refused = try server.post("xero", try server.sample("xero", type: "intent-to-receive", secret: "not-the-webhook-key"))
        #expect(refused.status == 401, "Xero ITR, incorrectly signed")
        #expect(try server.send("/hooks/twilio", method: "PUT").status == 405)

        // The envelopes: one per `send` (handshakes and refusals store nothing).
        let events = try server.events()
        let bySource = Dictionary(grouping: events) { ($0["source"] as? String ?? "").replacingOccurrences(of: "/hooks/", with: "") }
        #expect(events.count == providers.count, "\(events.map { $0["type"] ?? "" })")
        let expectedTypes = ["twilio": "twilio.message.received", "square": "square.payment.updated",
                             "hubspot": "hubspot.contact.creation", "mandrill": "mandrill.send", "mailchimp": "mailchimp.subscribe",
                             "typeform": "typeform.form_response", "woocommerce": "woocommerce.order.updated",
                             "xero": "xero.INVOICE.UPDATE", "quickbooks": "quickbooks.Customer.Create",
                             "klaviyo": "klaviyo.event:klaviyo.opened_email"]
        for provider in providers {
            let envelope = try #require(bySource[provider]?.first, "\(provider): no event")
            #expect(envelope["type"] as? String == expectedTypes[provider], "\(provider)")
            #expect(envelope["provider"] as? String == provider)
            #expect(envelope["specversion"] as? String == "1.0")
            #expect(!(envelope["providereventid"] as? String ?? "").isEmpty, "\(provider)")
            #expect(envelope["data"] is [String: Any], "\(provider): data is an object")
            #expect((envelope["time"] as? String)?.hasSuffix("Z") == true, "\(provider)")
            if provider != "mailchimp" { #expect(envelope["subject"] is String, "\(provider): a subject") }
        }
        let twilio = try #require(bySource["twilio"]?.first?["data"] as? [String: Any])
        #expect(twilio["Body"] as? String == "Hello from hookrelay ✓ & co", "the form became an object, decoded")
        let quickbooks = try #require(bySource["quickbooks"]?.first?["data"] as? [String: Any])
        #expect(quickbooks["realmId"] is String)
    }
}
