import Foundation
import HTTPServer
import Testing

@testable import HookRelay

@Suite struct AdminRouteTests {
    @Test func matchesEveryEndpointAndOnlyItsMethods() {
        let cases: [(String, String, Result<AdminRoute, AdminRoute.Miss>)] = [
            ("GET", "/api/events", .success(.listEvents)),
            ("HEAD", "/api/events", .success(.listEvents)),
            ("GET", "/api/events/0193a5e2-7c1f", .success(.event(id: "0193a5e2-7c1f"))),
            ("GET", "/api/deliveries", .success(.listDeliveries)),
            ("GET", "/api/deliveries/42", .success(.delivery(id: 42))),
            ("POST", "/api/deliveries/42/replay", .success(.replayDelivery(id: 42))),
            ("POST", "/api/replay", .success(.replay)),
            ("GET", "/api/destinations", .success(.listDestinations)),
            ("POST", "/api/destinations/billing-n8n/pause", .success(.pause(destination: "billing-n8n"))),
            ("POST", "/api/destinations/billing-n8n/resume", .success(.resume(destination: "billing-n8n"))),
            ("GET", "/metrics", .success(.metrics)),
            ("GET", "/healthz", .success(.health)),
            ("GET", "/readyz", .success(.ready)),
            ("POST", "/api/events", .failure(.methodNotAllowed(allow: "GET, HEAD"))),
            ("GET", "/api/replay", .failure(.methodNotAllowed(allow: "POST"))),
            ("GET", "/api/deliveries/42/replay", .failure(.methodNotAllowed(allow: "POST"))),
            ("DELETE", "/api/destinations/x/pause", .failure(.methodNotAllowed(allow: "POST"))),
            ("GET", "/api/deliveries/0", .failure(.notFound)),
            ("GET", "/api/deliveries/-1", .failure(.notFound)),
            ("GET", "/api/deliveries/x", .failure(.notFound)),
            ("GET", "/api/deliveries/1/attempts", .failure(.notFound)),
            ("GET", "/api/events/", .failure(.notFound)),
            ("GET", "/api//events", .failure(.notFound)),
            ("GET", "/api/events/a/b", .failure(.notFound)),
            ("POST", "/api/destinations/x/stop", .failure(.notFound)),
            ("GET", "/", .success(.inspector)),
            ("HEAD", "/inspector", .success(.inspector)),
            ("POST", "/", .failure(.methodNotAllowed(allow: "GET, HEAD"))),
            ("GET", "/inspector/", .failure(.notFound)),
            ("GET", "//", .failure(.notFound)),
            ("GET", "", .failure(.notFound)),
            ("GET", "metrics", .failure(.notFound)),
            ("GET", "/hooks/stripe", .failure(.notFound)),
        ]
        for (method, path, expected) in cases {
            #expect(AdminRoute.match(method: method, path: path[...]) == expected, "\(method) \(path)")
        }
    }
}

@Suite struct AdminAuthenticatorTests {
    @Test func acceptsOnlyTheExactBearerToken() {
        let authenticator = AdminAuthenticator(token: "s3cret-token-value")
        func check(_ value: String?) -> AdminAuthenticator.Verdict {
            authenticator.check(HTTPHeaders(value.map { [("Authorization", $0)] } ?? []))
        }
        #expect(authenticator.requiresToken)
        #expect(check("Bearer s3cret-token-value") == .authorized)
        #expect(check("bearer s3cret-token-value") == .authorized)
        #expect(check("BEARER  s3cret-token-value") == .authorized)
        #expect(check(nil) == .missingToken)
        #expect(check("Bearer") == .missingToken)
        #expect(check("Bearer ") == .missingToken)
        #expect(check("Basic s3cret-token-value") == .missingToken)
        #expect(check("s3cret-token-value") == .missingToken)
        #expect(check("Bearer s3cret-token-valu") == .invalidToken)
        #expect(check("Bearer s3cret-token-value2") == .invalidToken)
        #expect(check("Bearer S3CRET-TOKEN-VALUE") == .invalidToken)
    }

    @Test func withoutATokenEverythingPasses() {
        for token in [nil, ""] {
            let authenticator = AdminAuthenticator(token: token)
            #expect(!authenticator.requiresToken)
            #expect(authenticator.check(HTTPHeaders()) == .authorized)
        }
    }

    @Test func loopbackAddressesAreRecognised() {
        for text in ["127.0.0.1:9090", "127.1.2.3:1", "localhost:9090", "[::1]:9090", "[::ffff:127.0.0.1]:9090"] {
            #expect(ListenAddress(text)?.isLoopback == true, "\(text)")
        }
        for text in ["0.0.0.0:9090", "[::]:9090", "10.0.0.1:9090", "192.168.1.1:9090", ":9090"] {
            #expect(ListenAddress(text)?.isLoopback == false, "\(text)")
        }
    }
}

@Suite struct ReplayRequestTests {
    let now: Int64 = 1_800_000_000_000

    @Test func readsFiltersAndIdsFromJSON() throws {
        let failed = try ReplayRequest(json: Array(#"{"status":"failed","destination":"billing","source":"stripe","since":"2h","dryRun":true}"#.utf8), now: now)
        #expect(failed.filter?.statuses == [.retrying, .dead])
        #expect(failed.filter?.destination == "billing")
        #expect(failed.filter?.source == "stripe")
        #expect(failed.filter?.createdSince == now - 7_200_000)
        #expect(failed.filter?.limit == .max, "a filter replays every match")
        #expect(failed.dryRun)

        let list = try ReplayRequest(json: Array(#"{"status":["dead","retrying"],"since":"2026-11-21T10:15:00Z"}"#.utf8), now: now)
        #expect(Set(list.filter?.statuses ?? []) == [.dead, .retrying])
        #expect(list.filter?.createdSince == RFC3339.parse("2026-11-21T10:15:00Z")?.milliseconds)
        #expect(!list.dryRun)

        let ids = try ReplayRequest(json: Array(#"{"ids":[3,1],"eventIds":["0193a5e2"]}"#.utf8), now: now)
        #expect(ids.deliveryIDs == [3, 1] && ids.eventIDs == ["0193a5e2"] && ids.filter == nil)
    }

    @Test func refusesAnythingAmbiguousOrUnknown() {
        let refused = [
            "", "[]", "{}", #"{"dryRun":true}"#, #"{"status":"delivered"}"#, #"{"status":"pending"}"#, #"{"status":[]}"#,
            #"{"status":"dead","ids":[1]}"#, #"{"destination":"x"}"#, #"{"ids":[0]}"#, #"{"ids":["1"]}"#, #"{"ids":[1.5]}"#,
            #"{"status":"dead","since":"yesterday"}"#, #"{"status":"dead","since":"-1h"}"#, #"{"status":"dead","dryRun":"yes"}"#,
            #"{"status":"dead","destinaton":"x"}"#, #"{"status":"dead","status":"retrying"}"#, #"{"eventIds":[""]}"#,
        ]
        for body in refused {
            #expect(throws: ReplayRequestError.self, "\(body)") { try ReplayRequest(json: Array(body.utf8), now: now) }
        }
    }

    @Test func writesTheBodyItReads() throws {
        let requests = [
            ReplayRequest(filter: DeliveryFilter(statuses: [.dead], destination: "a\"b", source: "s", createdSince: now - 1000), dryRun: true),
            ReplayRequest(filter: DeliveryFilter(statuses: [.retrying, .dead])),
            ReplayRequest(deliveryIDs: [5, 7], eventIDs: ["e1"]),
        ]
        for request in requests {
            let again = try ReplayRequest(json: request.json.encoded(), now: now)
            #expect(again.deliveryIDs == request.deliveryIDs && again.eventIDs == request.eventIDs && again.dryRun == request.dryRun)
            #expect(again.filter.map { Set($0.statuses) } == request.filter.map { Set($0.statuses) })
            #expect(again.filter?.destination == request.filter?.destination && again.filter?.source == request.filter?.source)
            #expect(again.filter?.createdSince == request.filter?.createdSince)
        }
    }
}

@Suite struct AdminJSONTests {
    @Test func showsABodyAsTextOrBase64AndRedactsCredentialHeaders() throws {
        let event = StoredEvent(
            id: "e1", source: "open", provider: "none", providerEventID: "p", type: "none.webhook", subject: nil, time: "t",
            receivedAt: 0, rawHeaders: Array("Host: x\r\nAuthorization: Bearer abc\r\ncookie: a=b\r\nX-Sig:  v1=00 \r\n".utf8),
            rawBody: [0xFF, 0x00], envelope: Array("{\"id\":\"e1\"}\n".utf8), deliveries: [])
        #expect(event.requestHeaderPairs.map { "\($0.name)=\($0.value)" } == ["Host=x", "Authorization=[redacted]", "cookie=[redacted]", "X-Sig=v1=00"])
        #expect(JSONOutput.textOrBase64(event.rawBody) == ("/wA=", "base64"))
        #expect(JSONOutput.textOrBase64(Array("grüße".utf8)) == ("grüße", "utf8"))
        #expect(String(decoding: event.envelopeWithStatus(), as: UTF8.self) == #"{"id":"e1","status":"stored"}"#)
        let json: JSONOutput = .object([("a", .array([.int(1), .null, .bool(true), .string("q\"\n")])), ("raw", .raw(Array("{}".utf8)))])
        #expect(String(decoding: json.encoded(), as: UTF8.self) == #"{"a":[1,null,true,"q\"\n"],"raw":{}}"#)
    }
}

/// `ReplayRequest.perform` on a real store whose clock the test sets: exact counts, dry runs, ids, in-flight rows.
@Suite struct ReplayStoreTests {
    /// e1..e4 from stripe and e5 from github, each to `billing` and `audit`; then every first attempt:
    /// billing dead, audit retrying, except e4/audit delivered. e1 and e2 were created at 1,000; the rest at 5,000.
    private func seeded(_ clock: ManualClock, _ directory: StoreDirectory) throws -> SQLiteStore {
        var configuration = SQLiteStore.Configuration()
        configuration.clock = clock.reading
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        for (index, source) in ["stripe", "stripe", "stripe", "stripe", "github"].enumerated() {
            clock.set(index < 2 ? 1_000 : 5_000)
            let id = "e\(index + 1)"
            _ = try appendAndWait(store, [makeEvent(id, source: source, providerEventID: "evt_\(id)")]).get()
        }
        clock.set(6_000)
        let claimed = try claim(store, now: 6_000, limit: 100)
        #expect(claimed.count == 10)
        try record(store, claimed.map { delivery in
            let outcome: DeliveryResult.Outcome = delivery.destination == "billing" ? .dead(reason: "HTTP 410")
                : delivery.eventID == "e4" ? .delivered : .retrying(nextAttemptAt: 100_000)
            return DeliveryResult(delivery, startedAt: 6_000, durationMilliseconds: 3, statusCode: 410, outcome: outcome)
        })
        return store
    }

    @Test func countsExactlyByStatusDestinationSourceAndSince() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(0)
        let store = try seeded(clock, directory)
        defer { store.close() }
        let before = try store.deliveries(matching: DeliveryFilter(limit: 100))
        let cases: [(DeliveryFilter, Int)] = [
            (DeliveryFilter(statuses: [.dead]), 5),
            (DeliveryFilter(statuses: [.retrying]), 4),
            (DeliveryFilter(statuses: .failed), 9),
            (DeliveryFilter(statuses: .failed, destination: "audit"), 4),
            (DeliveryFilter(statuses: [.dead], source: "github"), 1),
            (DeliveryFilter(statuses: .failed, source: "stripe"), 7),
            (DeliveryFilter(statuses: .failed, createdSince: 5_000), 5),
            (DeliveryFilter(statuses: .failed, createdSince: 5_001), 0),
            (DeliveryFilter(statuses: [.dead], destination: "audit"), 0),
        ]
        for (filter, expected) in cases {
            #expect(try ReplayRequest(filter: filter, dryRun: true).perform(on: store, now: 7_000) == expected, "\(filter)")
        }
        #expect(try store.deliveries(matching: DeliveryFilter(limit: 100)) == before, "dry runs change nothing")

        clock.set(8_000)
        #expect(try ReplayRequest(filter: DeliveryFilter(statuses: .failed, source: "stripe", createdSince: 5_000)).perform(on: store, now: 8_000) == 3)
        let after = try store.deliveries(matching: DeliveryFilter(limit: 100))
        #expect(after.count == before.count, "no delivery added")
        let changed = after.filter { $0.status == .pending }
        #expect(Set(changed.map(\.label)) == ["e3/billing", "e3/audit", "e4/billing"])
        #expect(changed.allSatisfy { $0.attempts == 1 && $0.nextAttemptAt == 8_000 && $0.leaseUntil == nil })
        #expect(try ReplayRequest(filter: DeliveryFilter(statuses: .failed, source: "stripe", createdSince: 5_000), dryRun: true)
            .perform(on: store, now: 8_000) == 0, "replayed ones are pending now, not failed")
    }

    @Test func replaysIdsAndEventsAndLeavesDeliveriesInFlightAlone() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(0)
        let store = try seeded(clock, directory)
        defer { store.close() }
        let byLabel = Dictionary(uniqueKeysWithValues: try store.deliveries(matching: DeliveryFilter(limit: 100)).map { ($0.label, $0.id) })
        let delivered = try #require(byLabel["e4/audit"])
        let dead = try #require(byLabel["e1/billing"])
        #expect(try ReplayRequest(deliveryIDs: [dead, dead, 999], dryRun: true).perform(on: store, now: 7_000) == 1)
        #expect(try ReplayRequest(deliveryIDs: [dead, delivered, 999]).perform(on: store, now: 7_000) == 2, "by id, delivered ones too")
        #expect(try store.delivery(id: delivered)?.status == .pending)

        // e5's audit delivery is claimed (in flight): a replay of e5 leaves it to the attempt under way.
        clock.set(100_000)
        let inFlight = try claim(store, now: 100_000, limit: 100).filter { $0.eventID == "e5" }
        #expect(inFlight.map(\.destination) == ["audit"])
        #expect(try ReplayRequest(eventIDs: ["e5"], dryRun: true).perform(on: store, now: 100_001) == 1)
        #expect(try ReplayRequest(eventIDs: ["e5", "nope"]).perform(on: store, now: 100_001) == 1)
        #expect(try store.delivery(id: try #require(byLabel["e5/audit"]))?.leaseUntil != nil, "still leased")
        #expect(try store.deliveries(matching: DeliveryFilter(limit: 100)).count == 10)
    }
}
