import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(2)))
struct SecretHygieneTests {
    @Test func noSecretOrSignatureAppearsInLogsOrCLIOutputAcrossAFullScenario() throws {
        func random(_ prefix: String) -> String { prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }
        let stripeSecret = random("whsec_stripe")
        let n8nKey = random("n8nkey")
        let bearer = random("bearer")
        let password = random("pass")
        let signingKey = Data(UUID().uuidString.utf8).base64EncodedString()
        let signingSecret = "whsec_" + signingKey
        let adminToken = random("admin")
        let secrets = [stripeSecret, n8nKey, bearer, password, signingSecret, signingKey, adminToken]

        // The n8n receiver's error page echoes the request's headers, its auth header included.
        let n8n = try TestSink(status: 500, echoingHeaders: true), trigger = try TestSink(status: 200), basic = try TestSink(status: 410)
        let routes = """
            {
              "sources": [ { "name": "stripe", "provider": "stripe", "secrets": ["env:S_STRIPE"] } ],
              "destinations": [
                { "name": "n8n", "kind": "n8n", "url": "\(n8n.url("/webhook/billing"))", "auth": { "header": "X-N8N-Key", "value": "env:S_N8N" },
                  "retry": { "schedule": ["0s", "1h"] } },
                { "name": "internal", "kind": "http", "url": "\(trigger.url())", "auth": { "bearer": "env:S_BEARER" },
                  "signingSecret": "env:S_SIGNING" },
                { "name": "basic", "kind": "http", "url": "\(basic.url())", "auth": { "username": "relay", "password": "env:S_PASSWORD" },
                  "signingSecret": "env:S_SIGNING", "retry": { "schedule": ["0s"] } }
              ],
              "routes": [ { "name": "all", "from": ["stripe"], "to": ["n8n", "internal", "basic"] } ]
            }
            """
        let environment = ["S_STRIPE": stripeSecret, "S_N8N": n8nKey, "S_BEARER": bearer, "S_PASSWORD": password,
                           "S_SIGNING": signingSecret, "HOOKRELAY_ADMIN_TOKEN": adminToken]
        let server = try OpsServer(routesJSON: routes, environment: environment, arguments: ["--log-level", "trace", "--log-format", "json"])

        var signatures: [String] = []
        func sign(_ body: [UInt8], secret: String = stripeSecret, at time: Int64 = Int64(Date().timeIntervalSince1970)) throws -> String {
            let mac = Hex.encode(try HMACKey(algorithm: .sha256, key: Array(secret.utf8)).authenticationCode(for: "\(time)", ".", body))
            signatures.append(mac)
            return "t=\(time),v1=\(mac)"
        }
        func body(_ id: String) -> [UInt8] {
            Array(#"{"id":"\#(id)","object":"event","created":1767225590,"type":"invoice.paid","data":{"object":{"id":"in_1"}}}"#.utf8)
        }
        for i in 1...3 { #expect(try server.postStripe(body("evt_s\(i)"), signature: try sign(body("evt_s\(i)"))).status == 200) }
        var tampered = body("evt_s4")
        let valid = try sign(tampered)
        tampered[tampered.firstRange(of: Array("in_1".utf8))!.lowerBound] = UInt8(ascii: "X")
        #expect(try server.postStripe(tampered, signature: valid).status == 401)
        #expect(try server.postStripe(body("evt_s5"), signature: try sign(body("evt_s5"), secret: "whsec_wrong")).status == 401)
        #expect(try server.postStripe(body("evt_s6"), signature: try sign(body("evt_s6"), at: 1_000_000_000)).status == 401)
        #expect(try server.post("/hooks/stripe", body: body("evt_s7")).status == 401)

        #expect(try eventually { try server.statusCounts() == [.retrying: 3, .delivered: 3, .dead: 3] }, "\(server.describeStatuses())")
        let echoed = try server.deliveries(DeliveryFilter(destination: "n8n")).compactMap(\.lastError)
        #expect(echoed.count == 3 && echoed.allSatisfy { $0.contains("X-N8N-Key: [redacted]") }, "the echo was recorded, scrubbed")
        var adminOutput = ""
        for delivery in try server.deliveries(DeliveryFilter(destination: "n8n")) {
            let detail = try server.admin("GET", "/api/deliveries/\(delivery.id)", token: adminToken).text
            #expect(detail.contains("X-N8N-Key: [redacted]"), "the stored response head is scrubbed too")
            adminOutput += detail
        }
        n8n.status = 200
        basic.status = 200
        var cliOutput = ""
        func cli(_ arguments: [String]) throws {
            let (status, output) = try server.cli(arguments, environment: ["HOOKRELAY_ADMIN_TOKEN": adminToken])
            #expect(status == 0, "\(arguments): \(output)")
            cliOutput += output
        }
        try cli(["replay", "--data", server.data, "--status", "failed", "--dry-run"])
        try cli(["replay", "--data", server.data, "--status", "failed"])
        #expect(try eventually { try server.statusCounts() == [.delivered: 9] }, "\(server.describeStatuses())")
        try cli(["events", "--data", server.data])
        try cli(["events", "--data", server.data, "--json"])
        try cli(["deliveries", "--data", server.data])
        try cli(["deliveries", "--data", server.data, "--json"])
        try cli(["check", "--routes", server.routes])
        #expect(cliOutput.contains("requeued 6 deliveries"), "\(cliOutput)")
        adminOutput += try ["/api/deliveries?limit=100", "/api/destinations", "/metrics"].map { path in
            try server.admin("GET", path, token: adminToken).text
        }.joined()

        // What hookrelay computed and sent: each signature, and each auth header value, as the receivers saw them.
        let received = n8n.requests + trigger.requests + basic.requests
        for request in received {
            signatures += request.headers.values("webhook-signature").flatMap { $0.split(separator: " ").map { String($0.dropFirst(3)) } }
        }
        let authValues = received.flatMap { $0.headers.values("Authorization") + $0.headers.values("X-N8N-Key") }
        #expect(n8n.requests.allSatisfy { $0.headers["X-N8N-Key"] == n8nKey }, "the secrets were really used")
        #expect(trigger.requests.allSatisfy { $0.headers["Authorization"] == "Bearer \(bearer)" && $0.headers["webhook-signature"] != nil })
        #expect(basic.requests.allSatisfy { $0.headers["Authorization"]?.hasPrefix("Basic ") == true })
        #expect(signatures.count >= 6 + 6, "stripe signatures and webhook-signatures collected: \(signatures.count)")

        let log = server.stop()
        #expect(log.contains(#""msg":"verification failed""#) && log.contains(#""msg":"delivery dead""#) && log.contains(#""msg":"deliveries requeued""#))
        #expect(log.contains(#""level":"trace","msg":"webhook received""#) && log.contains(#""level":"trace","msg":"sending""#), "trace is on")
        for line in log.split(separator: "\n") where line.hasPrefix("{") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "every log line is JSON: \(line)")
        }
        for (name, text) in [("log", log), ("CLI output", cliOutput)] {
            let leaks = (secret: secrets.filter { text.contains($0) }.count, signature: signatures.filter { text.contains($0) }.count,
                         auth: authValues.filter { text.contains($0) }.count)
            #expect(leaks == (0, 0, 0), "secrets, signatures and auth header values found in the \(name): \(leaks)")
        }
        #expect(secrets.filter { adminOutput.contains($0) }.isEmpty, "a secret appears in an admin API answer")
    }
}
