import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

private let stripeSecret = "whsec_admin_\(UUID().uuidString.prefix(8))"

private func stripeBody(_ id: String, type: String) -> [UInt8] {
    Array(#"{"id":"\#(id)","object":"event","created":1767225590,"type":"\#(type)","data":{"object":{"id":"in_\#(id)"}}}"#.utf8)
}

private func stripeSignature(_ body: [UInt8], secret: String = stripeSecret) throws -> String {
    let t = Int64(Date().timeIntervalSince1970)
    let key = try HMACKey(algorithm: .sha256, key: Array(secret.utf8))
    return "t=\(t),v1=\(Hex.encode(key.authenticationCode(for: "\(t)", ".", body)))"
}

/// `stripe` routes invoice.paid to `ok` (answers 200) and invoice.payment_failed to `gone` (answers 410); other
/// types are stored only. `open` is unsigned and goes to `ok`.
private func adminRoutes(ok: TestSink, gone: TestSink) -> String {
    """
    {
      "sources": [
        { "name": "stripe", "provider": "stripe", "secrets": ["env:HOOKRELAY_ADMIN_TEST_STRIPE"] },
        { "name": "open", "provider": "none" }
      ],
      "destinations": [
        { "name": "ok", "kind": "http", "url": "\(ok.url())" },
        { "name": "gone", "kind": "http", "url": "\(gone.url())" }
      ],
      "routes": [
        { "name": "paid", "from": ["stripe"], "to": ["ok"], "when": { "type": ["invoice.paid"] } },
        { "name": "failed", "from": ["stripe"], "to": ["gone"], "when": { "type": ["invoice.payment_failed"] } },
        { "name": "open", "from": ["open"], "to": ["ok"] }
      ]
    }
    """
}

private let stripeEnvironment = ["HOOKRELAY_ADMIN_TEST_STRIPE": stripeSecret]

extension OpsServer {
    func postStripe(_ body: [UInt8], signature: String? = nil) throws -> TestResponse {
        try post("/hooks/stripe", body: body, headers: [("Content-Type", "application/json"),
                                                        ("Stripe-Signature", try signature ?? stripeSignature(body))])
    }
}

@Suite(.timeLimit(.minutes(2)))
struct AdminAPITests {
    @Test func requiresTheBearerTokenWhenOneIsSet() throws {
        let ok = try TestSink(status: 200), gone = try TestSink(status: 410)
        let token = "admin-token-\(UUID().uuidString)"
        let server = try OpsServer(routesJSON: adminRoutes(ok: ok, gone: gone),
                                   environment: stripeEnvironment.merging(["HOOKRELAY_ADMIN_TOKEN": token]) { $1 })
        for path in ["/api/events", "/metrics", "/healthz", "/api/deliveries/1", "/nope"] {
            let missing = try server.admin("GET", path)
            #expect(missing.status == 401, "\(path)")
            #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(path)")
            let wrong = try server.admin("GET", path, token: token + "x")
            #expect(wrong.status == 401, "\(path)")
            #expect(wrong.header("WWW-Authenticate")?.contains(#"error="invalid_token""#) == true)
            #expect(!wrong.text.contains(token))
        }
        #expect(try server.admin("GET", "/api/events", token: String(token.dropLast())).status == 401, "a prefix is not the token")
        #expect(try server.admin("POST", "/api/replay", body: #"{"status":"dead"}"#).status == 401, "replay needs it too")
        #expect(try server.admin("GET", "/api/events", token: token).status == 200)
        #expect(try server.admin("GET", "/metrics", token: token).status == 200)
        let lower = try send(port: server.adminPort, "GET", "/healthz", headers: [("Authorization", "bearer \(token)")])
        #expect(lower.status == 200, "the scheme is case-insensitive")
        let basic = try send(port: server.adminPort, "GET", "/healthz", headers: [("Authorization", "Basic \(token)")])
        #expect(basic.status == 401)
        // The CLI passes the token from its environment.
        let (status, output) = try server.cli(["replay", "--data", server.data, "--status", "dead", "--dry-run"],
                                              environment: ["HOOKRELAY_ADMIN_TOKEN": token])
        #expect(status == 0 && output.contains("would requeue 0 deliveries"), "\(output)")
        let (refused, refusedOutput) = try server.cli(["replay", "--data", server.data, "--status", "dead", "--dry-run"])
        #expect(refused == 1, "\(refusedOutput)")
        #expect(refusedOutput.contains("HOOKRELAY_ADMIN_TOKEN"))
        let log = server.stop()
        #expect(log.contains(#"msg="admin request unauthorized" reason=missing_token"#))
        #expect(!log.contains(token), "the token never appears in the log")
    }

    @Test func refusesANonLoopbackAdminAddressWithoutAToken() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeMinimalRoutes(in: directory)
        let binary = buildProductsDirectory + "/hookrelay"
        var environment = ProcessInfo.processInfo.environment
        environment["HOOKRELAY_ADMIN_TOKEN"] = nil
        for admin in ["0.0.0.0:0", "[::]:0"] {
            let (status, output) = try runProgram(binary, ["serve", "--listen", "127.0.0.1:0", "--data", "data", "--admin", admin],
                                                  environment: environment, currentDirectory: directory.path)
            #expect(status == 1, "\(admin): \(output)")
            #expect(output.contains("Error: the admin API would listen on"), "\(output)")
            #expect(output.contains("HOOKRELAY_ADMIN_TOKEN"))
            #expect(!output.contains("msg=listening"))
        }
        environment["HOOKRELAY_ADMIN_TOKEN"] = ""
        let (empty, emptyOutput) = try runProgram(binary, ["serve", "--listen", "127.0.0.1:0", "--data", "data", "--admin", "0.0.0.0:0"],
                                                  environment: environment, currentDirectory: directory.path)
        #expect(empty == 1, "an empty token is no token: \(emptyOutput)")

        // With a token it starts, and requires it.
        let token = "t-\(UUID().uuidString)"
        let server = try HookrelayProcess(["serve", "--listen", "127.0.0.1:0", "--data", "data", "--admin", "0.0.0.0:0"],
                                          directory: directory.path, environment: ["HOOKRELAY_ADMIN_TOKEN": token])
        let adminPort = try server.adminPort()
        #expect(try send(port: adminPort, "GET", "/healthz").status == 401)
        #expect(try send(port: adminPort, "GET", "/healthz", headers: [("Authorization", "Bearer \(token)")]).status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)

        // A busy admin port is an error, not a shared port.
        let first = try HookrelayProcess(["serve", "--listen", "127.0.0.1:0", "--data", "one"], directory: directory.path,
                                         environment: ["HOOKRELAY_ADMIN_TOKEN": ""])
        let busy = try first.adminPort()
        let (clash, clashOutput) = try runProgram(binary, ["serve", "--listen", "127.0.0.1:0", "--data", "two", "--admin", "127.0.0.1:\(busy)"],
                                                  environment: environment, currentDirectory: directory.path)
        #expect(clash == 1, "\(clashOutput)")
        #expect(clashOutput.contains("Error: admin API: bind 127.0.0.1:\(busy) failed"), "\(clashOutput)")
        first.signal(SIGTERM)
        #expect(first.waitForExit() == 0)

        let (off, offOutput) = try runProgram(binary, ["serve", "--admin", "nonsense"], environment: environment,
                                              currentDirectory: directory.path)
        #expect(off == 64, "\(offOutput)")
    }

    @Test func countsAKnownSequenceExactlyInMetrics() throws {
        let ok = try TestSink(status: 200), gone = try TestSink(status: 410)
        let server = try OpsServer(routesJSON: adminRoutes(ok: ok, gone: gone), environment: stripeEnvironment)
        // 3 accepted (one delivered, one dead, one routed nowhere), 2 with bad signatures, 1 to an unknown source.
        #expect(try server.postStripe(stripeBody("evt_m1", type: "invoice.paid")).status == 200)
        #expect(try server.postStripe(stripeBody("evt_m2", type: "invoice.payment_failed")).status == 200)
        #expect(try server.postStripe(stripeBody("evt_m3", type: "charge.succeeded")).status == 200)
        let forged = stripeBody("evt_m4", type: "invoice.paid")
        #expect(try server.postStripe(forged, signature: try stripeSignature(forged, secret: "whsec_wrong")).status == 401)
        #expect(try server.postStripe(forged, signature: try stripeSignature(stripeBody("evt_m5", type: "invoice.paid"))).status == 401)
        #expect(try server.post("/hooks/nope", body: Array("{}".utf8)).status == 404)
        // Two the HTTP layer answers itself, before any handler: no Host (400), and a body over the limit (413).
        for (head, status) in [("POST /hooks/stripe HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400),
                               ("POST /hooks/stripe HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n", 413)] {
            let connection = try TestConnection(port: server.port)
            try connection.send(head)
            #expect(try connection.readResponse().status == status)
        }
        #expect(try eventually { try server.statusCounts() == [.delivered: 1, .dead: 1] }, "\(server.describeStatuses())")

        let metrics = try server.admin("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = metrics.text
        let expected: [(String, Double)] = [
            (#"hookrelay_ingress_requests_total{source="stripe",status="200"}"#, 3),
            (#"hookrelay_ingress_requests_total{source="stripe",status="401"}"#, 2),
            (#"hookrelay_ingress_requests_total{source="(unknown)",status="404"}"#, 1),
            (#"hookrelay_verification_failures_total{source="stripe",reason="bad_signature"}"#, 2),
            (#"hookrelay_http_rejections_total{status="400"}"#, 1),
            (#"hookrelay_http_rejections_total{status="413"}"#, 1),
            (#"hookrelay_deliveries_total{destination="ok",outcome="delivered"}"#, 1),
            (#"hookrelay_deliveries_total{destination="gone",outcome="dead"}"#, 1),
            (#"hookrelay_delivery_duration_seconds_count{destination="ok"}"#, 1),
            (#"hookrelay_delivery_duration_seconds_count{destination="gone"}"#, 1),
            (#"hookrelay_queue_depth{state="pending"}"#, 0),
            (#"hookrelay_queue_depth{state="retrying"}"#, 0),
            (#"hookrelay_queue_depth{state="delivered"}"#, 1),
            (#"hookrelay_queue_depth{state="dead"}"#, 1),
            (#"hookrelay_circuit_state{destination="ok"}"#, 0),
            (#"hookrelay_circuit_state{destination="gone"}"#, 0),
            (#"hookrelay_destination_paused{destination="ok"}"#, 0),
            (#"hookrelay_build_info{version="\#(hookrelayVersion)"}"#, 1),
        ]
        for (series, value) in expected {
            #expect(metricValue(text, series) == value, "\(series) in:\n\(text)")
        }
        #expect(!text.contains(#"outcome="retry""#), "no attempt was retried")
        #expect(!text.contains("hookrelay_verification_failures_total{source=\"stripe\",reason=\"missing_signature\"}"))
        let commits = try #require(metricValue(text, "hookrelay_store_commit_seconds_count"))
        #expect(commits >= 3, "at least one commit per accepted request")
        #expect(metricValue(text, "hookrelay_store_commit_batch_size_count") == commits)
        #expect(metricValue(text, #"hookrelay_store_commit_seconds_bucket{le="+Inf"}"#) == commits)
        for family in ["hookrelay_ingress_requests_total counter", "hookrelay_store_commit_seconds histogram",
                       "hookrelay_delivery_duration_seconds histogram", "hookrelay_queue_depth gauge", "hookrelay_circuit_state gauge"] {
            #expect(text.contains("# TYPE \(family)\n"), "\(family)")
        }
        server.stop()
    }

    @Test func pausedDestinationsWaitWithoutBurningAttemptsUntilResumed() throws {
        let ok = try TestSink(status: 200), gone = try TestSink(status: 410)
        let server = try OpsServer(routesJSON: adminRoutes(ok: ok, gone: gone), environment: stripeEnvironment)
        let pause = try server.admin("POST", "/api/destinations/ok/pause")
        #expect(pause.status == 200)
        #expect(pause.text == #"{"destination":"ok","paused":true,"changed":true}"#)
        #expect(try server.admin("POST", "/api/destinations/ok/pause").text.contains(#""changed":false"#))
        #expect(try server.admin("POST", "/api/destinations/nope/pause").status == 404)
        #expect(try server.admin("GET", "/api/destinations/ok/pause").status == 405)

        for i in 1...3 { #expect(try server.post("/hooks/open", body: Array(#"{"n":\#(i)}"#.utf8)).status == 200) }
        #expect(try server.postStripe(stripeBody("evt_p1", type: "invoice.payment_failed")).status == 200)
        #expect(gone.waitForRequests(1), "other destinations keep going")
        usleep(1_500_000)
        #expect(ok.count == 0, "nothing is sent to a paused destination")
        let waiting = try server.deliveries(DeliveryFilter(destination: "ok"))
        #expect(waiting.count == 3 && waiting.allSatisfy { $0.status == .pending && $0.attempts == 0 }, "waiting, not burned")
        let destinations = try server.adminJSON("/api/destinations")["destinations"] as? [[String: Any]]
        #expect(destinations?.first { $0["name"] as? String == "ok" }?["paused"] as? Bool == true)
        #expect(metricValue(try server.admin("GET", "/metrics").text, #"hookrelay_destination_paused{destination="ok"}"#) == 1)

        let started = Date()
        #expect(try server.admin("POST", "/api/destinations/ok/resume").text == #"{"destination":"ok","paused":false,"changed":true}"#)
        #expect(ok.waitForRequests(3, timeout: 5), "resumed work goes out at once")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try eventually { try server.deliveries(DeliveryFilter(destination: "ok")).allSatisfy { $0.status == .delivered && $0.attempts == 1 } })
        let log = server.stop()
        #expect(log.contains(#"msg="destination paused" destination=ok"#))
        #expect(log.contains(#"msg="destination resumed" destination=ok"#))
    }

    @Test func listsAndShowsEventsAndDeliveriesAndReplaysOne() throws {
        let ok = try TestSink(status: 200), gone = try TestSink(status: 410)
        let server = try OpsServer(routesJSON: adminRoutes(ok: ok, gone: gone), environment: stripeEnvironment)
        let paid = stripeBody("evt_l1", type: "invoice.paid")
        let paidAnswer = try #require(try JSONSerialization.jsonObject(with: Data(try server.postStripe(paid).body)) as? [String: Any])
        let paidID = try #require(paidAnswer["id"] as? String)
        #expect(try server.postStripe(stripeBody("evt_l2", type: "invoice.payment_failed")).status == 200)
        #expect(try server.post("/hooks/open", body: Array("plain words".utf8), headers: [("Content-Type", "text/plain"),
                                                                                        ("Authorization", "Basic c2VjcmV0")]).status == 200)
        #expect(try eventually { try server.statusCounts() == [.delivered: 2, .dead: 1] }, "\(server.describeStatuses())")

        let events = try #require(try server.adminJSON("/api/events")["events"] as? [[String: Any]])
        #expect(events.count == 3)
        #expect(events.first?["source"] as? String == "/hooks/open", "newest first")
        let stripeOnly = try #require(try server.adminJSON("/api/events?source=stripe&type=invoice.*")["events"] as? [[String: Any]])
        #expect(stripeOnly.map { $0["type"] as? String } == ["stripe.invoice.payment_failed", "stripe.invoice.paid"])
        #expect(stripeOnly.map { $0["status"] as? String } == ["dead", "delivered"])
        #expect((try server.adminJSON("/api/events?type=stripe.invoice.paid&limit=5")["events"] as? [Any])?.count == 1)
        #expect((try server.adminJSON("/api/events?since=2099-01-01T00:00:00Z")["events"] as? [Any])?.count == 0)
        #expect((try server.adminJSON("/api/events?since=1h&limit=2")["events"] as? [Any])?.count == 2)

        let detail = try server.adminJSON("/api/events/\(paidID)")
        #expect((detail["event"] as? [String: Any])?["id"] as? String == paidID)
        #expect(detail["status"] as? String == "delivered")
        let request = try #require(detail["request"] as? [String: Any])
        #expect(request["body"] as? String == String(decoding: paid, as: UTF8.self))
        #expect(request["bodyEncoding"] as? String == "utf8")
        let headers = try #require(request["headers"] as? [[String]])
        #expect(headers.contains { $0.first == "Stripe-Signature" })
        let deliveries = try #require(detail["deliveries"] as? [[String: Any]])
        #expect(deliveries.count == 1)
        let attempts = try #require(deliveries.first?["attempts"] as? [[String: Any]])
        #expect(attempts.first?["statusCode"] as? Int == 200)
        #expect(attempts.first?["responseHead"] as? String == "sink says 200")

        let openEvent = try #require(events.first?["id"] as? String)
        let openRequest = try #require(try server.adminJSON("/api/events/\(openEvent)")["request"] as? [String: Any])
        #expect(openRequest["bodyEncoding"] as? String == "utf8")
        #expect(openRequest["body"] as? String == "plain words")
        let authorization = (openRequest["headers"] as? [[String]])?.first { $0.first == "Authorization" }
        #expect(authorization == ["Authorization", "[redacted]"], "credentials in stored headers are not shown")

        let dead = try #require(try server.adminJSON("/api/deliveries?status=dead")["deliveries"] as? [[String: Any]])
        #expect(dead.count == 1)
        #expect(dead.first?["destination"] as? String == "gone")
        #expect(dead.first?["attempts"] as? Int == 1)
        #expect(dead.first?["lastStatusCode"] as? Int == 410)
        #expect((dead.first?["lastError"] as? String)?.hasPrefix("HTTP 410") == true)
        #expect((try server.adminJSON("/api/deliveries?status=failed&source=open")["deliveries"] as? [Any])?.count == 0)
        #expect((try server.adminJSON("/api/deliveries?destination=ok")["deliveries"] as? [Any])?.count == 2)
        #expect((try server.adminJSON("/api/deliveries?event=\(paidID)")["deliveries"] as? [Any])?.count == 1)
        let deadID = try #require(dead.first?["id"] as? Int)
        let one = try server.adminJSON("/api/deliveries/\(deadID)")
        #expect((one["delivery"] as? [String: Any])?["status"] as? String == "dead")
        #expect((one["attempts"] as? [[String: Any]])?.map { $0["number"] as? Int } == [1])

        gone.status = 200
        let replayed = try server.admin("POST", "/api/deliveries/\(deadID)/replay")
        #expect(replayed.status == 200)
        #expect(replayed.text == #"{"count":1,"dryRun":false}"#)
        #expect(gone.waitForRequests(2, timeout: 5))
        #expect(try eventually { try server.statusCounts() == [.delivered: 3] })
        #expect(try server.admin("POST", "/api/replay", body: #"{"status":"failed","dryRun":true}"#).text == #"{"count":0,"dryRun":true}"#)

        // Refusals: short reasons, never a 500.
        let refusals: [(String, String, String?, Int)] = [
            ("GET", "/api/events/nope", nil, 404),
            ("GET", "/api/deliveries/999999", nil, 404),
            ("POST", "/api/deliveries/999999/replay", nil, 404),
            ("GET", "/api/deliveries/abc", nil, 404),
            ("GET", "/api/nope", nil, 404),
            ("GET", "/api/replay", nil, 405),
            ("DELETE", "/api/events", nil, 405),
            ("GET", "/api/events?limit=0", nil, 400),
            ("GET", "/api/events?colour=red", nil, 400),
            ("GET", "/api/deliveries?status=lost", nil, 400),
            ("GET", "/api/events?since=yesterday", nil, 400),
            ("POST", "/api/replay", "not json", 400),
            ("POST", "/api/replay", "{}", 400),
            ("POST", "/api/replay", #"{"status":"delivered"}"#, 400),
            ("POST", "/api/replay", #"{"status":"dead","destinaton":"gone"}"#, 400),
            ("POST", "/api/replay", #"{"destination":"gone"}"#, 400),
            ("POST", "/api/replay", #"{"ids":[1],"status":"dead"}"#, 400),
        ]
        for (method, path, body, status) in refusals {
            let response = try server.admin(method, path, body: body)
            #expect(response.status == status, "\(method) \(path) \(body ?? ""): \(response.status) \(response.text)")
            let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            #expect(object?["error"] is String, "\(method) \(path): \(response.text)")
        }
        #expect(try server.admin("GET", "/api/replay").header("Allow") == "POST")
        #expect(try server.admin("GET", "/readyz").text.contains(#""status":"ready""#))
        server.stop()
    }
}
