import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

/// The secrets reach the server only through its environment, as `env:` references in the route file.
private let stripeSecret = "whsec_e2e_\(UUID().uuidString.prefix(8))"
private let formSecret = "form-secret-\(UUID().uuidString.prefix(8))"

private let routesJSON = """
    {
      "sources": [
        { "name": "stripe", "provider": "stripe", "secrets": ["env:HOOKRELAY_E2E_STRIPE_SECRET"] },
        { "name": "stripe-unrouted", "provider": "stripe", "secrets": ["env:HOOKRELAY_E2E_STRIPE_SECRET"] },
        { "name": "small", "provider": "none", "maxBody": 64 },
        { "name": "office", "provider": "none", "allowIPs": ["10.0.0.0/8", "192.0.2.7"] },
        { "name": "forms", "provider": "hmac", "secrets": ["env:HOOKRELAY_E2E_FORM_SECRET"], "header": "X-Signature",
          "prefix": "sha256=", "typeField": "event", "idField": "id" }
      ],
      "destinations": [
        { "name": "billing", "kind": "http", "url": "http://127.0.0.1:9/not-running" }
      ],
      "routes": [
        { "name": "invoices", "from": ["stripe"], "to": ["billing"], "when": { "type": ["invoice.*"] } }
      ]
    }
    """

/// Raw UTF-8 (Zürich, €, an emoji) and a JSON escape (`\u00e4`), which must reach the store untouched. Pretty-printed
/// with newlines, as Stripe sends it, unless `compact`.
private func stripeEvent(id: String, type: String = "invoice.payment_failed", created: Int = 1_767_225_590,
                         compact: Bool = false) -> [UInt8] {
    let pretty = """
        {
          "id": "\(id)",
          "object": "event",
          "created": \(created),
          "type": "\(type)",
          "data": { "object": { "id": "in_e2e_\(id.suffix(4))", "object": "invoice", "amount_due": 4200,
                                "customer_address": { "city": "Zürich" }, "description": "Gr\\u00e4tzer € 🚀" } }
        }
        """
    guard compact else { return Array(pretty.utf8) }
    return Array(pretty.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined().utf8)
}

private func stripeSignature(_ body: [UInt8], secret: String = stripeSecret, at time: Int64? = nil) throws -> String {
    let t = time ?? Int64(Date().timeIntervalSince1970)
    let key = try HMACKey(algorithm: .sha256, key: Array(secret.utf8))
    return "t=\(t),v1=\(Hex.encode(key.authenticationCode(for: "\(t)", ".", body)))"
}

/// A `hookrelay serve` on port 0 with the routes above and its own data directory.
private final class IngestServer {
    let directory: TemporaryDirectory
    let server: HookrelayProcess
    let port: Int
    var data: String { directory.file("data") }

    init() throws {
        directory = try TemporaryDirectory("hookrelay-ingest")
        let routes = try writeRoutes(routesJSON, in: directory)
        server = try HookrelayProcess(["serve", "--routes", routes, "--data", directory.file("data"), "--listen", "127.0.0.1:0",
                                       "--threads", "2"],
                                      directory: directory.path,
                                      environment: ["HOOKRELAY_E2E_STRIPE_SECRET": stripeSecret, "HOOKRELAY_E2E_FORM_SECRET": formSecret])
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
        #expect(!server.output.contains(stripeSecret), "the secret never appears in the log")
        #expect(!server.output.contains(formSecret))
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

    func postStripe(_ body: [UInt8], to source: String = "stripe", signature: String? = nil) throws -> TestResponse {
        try send("/hooks/\(source)", body: body, headers: [("Content-Type", "application/json; charset=utf-8"),
                                                           ("Stripe-Signature", try signature ?? stripeSignature(body))])
    }

    /// `hookrelay events --data DIR --json`: each line as text and parsed, newest first.
    func events() throws -> [(line: String, object: [String: Any])] {
        let (status, output) = try runProgram(buildProductsDirectory + "/hookrelay", ["events", "--data", data, "--json", "--limit", "100"])
        #expect(status == 0, "\(output)")
        return try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (String(line), try #require(object, "not an object: \(line)"))
        }
    }
}

/// The `id` of a `{"id":"…"}` answer.
private func acceptedID(_ response: TestResponse) throws -> String {
    try #require(response.status == 200, "answer: \(response.status) \(response.text)")
    let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
    return try #require(object?["id"] as? String, "answer: \(response.status) \(response.text)")
}

/// The bytes an encoded envelope carries as `data`: between `"data":` and the envelope's own (last) `,"provider":"`.
private func dataBytes(in envelope: [UInt8]) throws -> [UInt8] {
    let start = try #require(envelope.firstRange(of: Array(#","datacontenttype":"application/json","data":"#.utf8)))
    let marker = Array(#","provider":""#.utf8)
    let end = try #require(envelope.indices.reversed().first { envelope[$0...].starts(with: marker) })
    return Array(envelope[start.upperBound..<end])
}

private func dataBytes(in line: String) throws -> [UInt8] {
    try dataBytes(in: Array(line.utf8))
}

/// What `events --json` shows of a pretty-printed payload: its CR and LF (whitespace there) as spaces, on one line.
private func onOneLine(_ bytes: [UInt8]) -> [UInt8] {
    bytes.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
}

@Suite(.timeLimit(.minutes(2)))
struct IngestTests {
    @Test func storesASignedStripeEventAndListsItsEnvelope() throws {
        let server = try IngestServer()
        defer { server.stop() }
        let body = stripeEvent(id: "evt_e2e_0001")
        let response = try server.postStripe(body)
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        let id = try acceptedID(response)
        #expect(response.text == #"{"id":"\#(id)"}"#)

        let events = try server.events()
        #expect(events.count == 1)
        let (line, envelope) = try #require(events.first)
        #expect(envelope["specversion"] as? String == "1.0")
        #expect(envelope["id"] as? String == id)
        #expect(envelope["source"] as? String == "/hooks/stripe")
        #expect(envelope["type"] as? String == "stripe.invoice.payment_failed")
        #expect(envelope["provider"] as? String == "stripe")
        #expect(envelope["providereventid"] as? String == "evt_e2e_0001")
        #expect(envelope["subject"] as? String == "in_e2e_0001")
        #expect(envelope["time"] as? String == "2025-12-31T23:59:50Z", "time is the event's created")
        #expect(envelope["datacontenttype"] as? String == "application/json")
        // A route matched; its destination is a closed port, so the delivery is pending or already retrying.
        #expect(["pending", "retrying"].contains(envelope["status"] as? String ?? ""), "\(envelope["status"] ?? "nil")")
        #expect(try dataBytes(in: line) == onOneLine(body), "data is the sent body, its newlines shown as spaces")
        // In the store itself, the raw body and the envelope's data are the sent bytes exactly.
        let reader = try SQLiteStoreReader(dataDirectory: server.data)
        defer { reader.close() }
        let stored = try #require(try reader.event(id: id))
        #expect(stored.rawBody == body)
        #expect(try dataBytes(in: stored.envelope) == body, "data is the sent body, byte for byte")
        #expect(stored.providerEventID == "evt_e2e_0001")
        let data = try #require(envelope["data"] as? [String: Any])
        let object = try #require((data["data"] as? [String: Any])?["object"] as? [String: Any])
        #expect(object["description"] as? String == "Grätzer € 🚀")
        #expect((object["customer_address"] as? [String: Any])?["city"] as? String == "Zürich")
        let receivedAt = try #require(envelope["receivedat"] as? String)
        #expect(receivedAt.hasSuffix("Z") && receivedAt.hasPrefix("20"))
    }

    @Test func marksEventsNoRouteMatchesAsStored() throws {
        let server = try IngestServer()
        defer { server.stop() }
        let charge = stripeEvent(id: "evt_e2e_0002", type: "charge.succeeded")
        let chargeID = try acceptedID(try server.postStripe(charge))
        let unrouted = stripeEvent(id: "evt_e2e_0003", compact: true)
        #expect(!unrouted.contains(0x0A) && unrouted.contains(0xC3) && unrouted.firstRange(of: Array(#"\u00e4"#.utf8)) != nil)
        let unroutedID = try acceptedID(try server.postStripe(unrouted, to: "stripe-unrouted"))
        let events = try server.events()
        let byID = Dictionary(uniqueKeysWithValues: events.map { ($0.object["id"] as? String ?? "", $0) })
        #expect(events.count == 2)
        #expect(byID[chargeID]?.object["status"] as? String == "stored", "the route's when does not match charge.*")
        #expect(byID[chargeID]?.object["type"] as? String == "stripe.charge.succeeded")
        #expect(byID[unroutedID]?.object["status"] as? String == "stored", "no route from this source")
        #expect(byID[unroutedID]?.object["source"] as? String == "/hooks/stripe-unrouted")
        #expect(try byID[unroutedID].map { try dataBytes(in: $0.line) } == unrouted, "a one-line body is listed byte for byte")
    }

    @Test func answersADuplicateWithTheSameIdAndAddsNothing() throws {
        let server = try IngestServer()
        defer { server.stop() }
        let body = stripeEvent(id: "evt_e2e_dup1")
        let first = try acceptedID(try server.postStripe(body))
        // Stripe's retry: the same event, signed again later.
        let again = try server.postStripe(body, signature: try stripeSignature(body, at: Int64(Date().timeIntervalSince1970) + 1))
        #expect(again.status == 200)
        #expect(try acceptedID(again) == first)
        #expect(try acceptedID(try server.postStripe(body)) == first)
        let events = try server.events()
        #expect(events.count == 1)
        #expect(events.first?.object["id"] as? String == first)
        // The same provider id on another source is another event.
        let other = try acceptedID(try server.postStripe(body, to: "stripe-unrouted"))
        #expect(other != first)
        #expect(try server.events().count == 2)
    }

    @Test func refusesEventsThatFailVerificationAndStoresNothing() throws {
        let server = try IngestServer()
        defer { server.stop() }
        let body = stripeEvent(id: "evt_e2e_bad1")
        let signature = try stripeSignature(body)
        var tampered = body
        tampered[tampered.firstRange(of: Array("4200".utf8))!.lowerBound] = UInt8(ascii: "9")
        let cases: [(String, TestResponse, String)] = [
            ("tampered", try server.postStripe(tampered, signature: signature), "signature does not match"),
            ("wrong secret", try server.postStripe(body, signature: try stripeSignature(body, secret: "whsec_guess")), "signature does not match"),
            ("stale", try server.postStripe(body, signature: try stripeSignature(body, at: Int64(Date().timeIntervalSince1970) - 3600)),
             "timestamp outside tolerance by"),
            ("missing", try server.send("/hooks/stripe", body: body, headers: [("Content-Type", "application/json")]),
             "missing Stripe-Signature header"),
            ("malformed", try server.postStripe(body, signature: "v1=abc"), "malformed Stripe-Signature header"),
        ]
        for (name, response, reason) in cases {
            #expect(response.status == 401, "\(name)")
            #expect(response.text.hasPrefix(reason), "\(name): \(response.text)")
            #expect(!response.text.contains(stripeSecret), "\(name)")
            #expect(!response.text.contains(String(signature.suffix(64))), "\(name)")
        }
        #expect(try server.events().isEmpty)
    }

    @Test func answersRequestsItCannotAcceptWithoutStoringThem() throws {
        let server = try IngestServer()
        defer { server.stop() }
        let unknown = try server.send("/hooks/nope", body: Array("{}".utf8), headers: [("Content-Type", "application/json")])
        #expect(unknown.status == 404)
        #expect(try server.send("/hooks/stripe/extra", body: Array("{}".utf8)).status == 404)

        let get = try server.send("/hooks/stripe", method: "GET")
        #expect(get.status == 405)
        #expect(get.header("Allow") == "POST")

        let big = try server.send("/hooks/small", body: Array(repeating: UInt8(ascii: "a"), count: 65), headers: [("Content-Type", "text/plain")])
        #expect(big.status == 413)
        let fits = try server.send("/hooks/small", body: Array(repeating: UInt8(ascii: "a"), count: 64), headers: [("Content-Type", "text/plain")])
        #expect(fits.status == 200, "64 bytes is the limit itself")

        let office = try server.send("/hooks/office", body: Array("{}".utf8), headers: [("Content-Type", "application/json")])
        #expect(office.status == 403)

        let notJSON = Array(#"{"id":"evt_e2e_json","type":"invoice.paid","#.utf8)
        let invalid = try server.postStripe(notJSON)
        #expect(invalid.status == 400, "signed but not JSON: \(invalid.text)")
        let noID = Array(#"{"type":"invoice.paid"}"#.utf8)
        #expect(try server.postStripe(noID).status == 400)

        let ready = try server.send("/readyz", method: "GET")
        #expect(ready.status == 200)
        #expect(ready.text.contains(#""status":"ready""#))

        let events = try server.events()
        #expect(events.count == 1, "only the 64-byte body was stored")
        #expect(events.first?.object["source"] as? String == "/hooks/small")
        #expect(events.first?.object["data"] as? String == String(repeating: "a", count: 64))
    }

    @Test func storesAFormBodyFromAGenericHMACSourceAsAnObject() throws {
        let server = try IngestServer()
        defer { server.stop() }
        let body = Array("id=ord_77&event=order.paid&customer=J%C3%BCrgen+M%C3%BCller&item=a&item=b".utf8)
        let mac = Hex.encode(try HMACKey(algorithm: .sha256, key: Array(formSecret.utf8)).authenticationCode(for: body))
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        let forged = try server.send("/hooks/forms", body: body, headers: form + [("X-Signature", "sha256=" + String(repeating: "0", count: 64))])
        #expect(forged.status == 401)
        let response = try server.send("/hooks/forms", body: body, headers: form + [("X-Signature", "sha256=" + mac)])
        #expect(response.status == 200, "\(response.text)")
        let id = try acceptedID(response)
        let events = try server.events()
        #expect(events.count == 1)
        let (line, envelope) = try #require(events.first)
        #expect(envelope["id"] as? String == id)
        #expect(try dataBytes(in: line) == Array(#"{"id":"ord_77","event":"order.paid","customer":"Jürgen Müller","item":["a","b"]}"#.utf8))
        #expect(envelope["type"] as? String == "hmac.order.paid")
        #expect(envelope["providereventid"] as? String == "ord_77")
        #expect(envelope["status"] as? String == "stored")
    }
}
