import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// The product's central promise, tested against the built binary: **no webhook answered 2xx is ever lost**.
///
/// Eight clients post distinct events as fast as they can on keep-alive connections; while they are still sending,
/// `serve` gets SIGKILL (no shutdown, no drain). Each client records the provider event ids whose `200` arrived
/// completely, with the event id the answer named; a request whose answer did not fully arrive is *unknown*. `serve` is
/// restarted on the same data directory (it must open cleanly and be ready), the store is read back with
/// `hookrelay events --json`, and every acknowledged id must be there exactly once, under the id the answer gave, with
/// its delivery row (written in the same transaction). Unknown ids may or may not be stored; ids never sent must not be.
/// Three kill cycles on one data directory.
///
/// SIGKILL tests the order "commit, then answer" (a process crash loses whatever is not yet written to the kernel);
/// it cannot test that the commit reached the disk (`synchronous=FULL`), which only a power cut would show.
@Suite(.timeLimit(.minutes(1)))
struct CrashConsistencyTests {
    static let clientCount = 8
    static let cycles = 3
    /// SIGKILL once this many answers (plus a random 0–1,999, so kills land at different points) arrived in a
    /// cycle, or after `maxLoadSeconds`.
    static let acknowledgementsBeforeKill = 3_000
    static let maxLoadSeconds = 2.0
    /// A client stops here; bounds the store to 3 × 8 × 4,000 events (`events --limit` allows 100,000).
    static let maxRequestsPerClient = 4_000

    static let routes = """
        {"sources": [{"name": "crash", "provider": "none", "idField": "id", "typeField": "type"}],
         "destinations": [{"name": "sink", "kind": "http", "url": "http://127.0.0.1:9/never-called"}],
         "routes": [{"name": "all", "from": ["crash"], "to": ["sink"]}]}
        """

    @Test func everyAcknowledgedEventSurvivesSIGKILLAndRestart() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let routes = try writeRoutes(Self.routes, in: directory)
        let data = directory.file("data")
        let serveArguments = ["serve", "--routes", routes, "--data", data, "--listen", "127.0.0.1:0", "--threads", "2"]

        var ledger = Ledger()
        var server = try HookrelayProcess(serveArguments)
        for cycle in 1...Self.cycles {
            let port = try server.listeningPort()
            let load = try Self.postUntilKilled(port: port, cycle: cycle, server: server)
            #expect(load.activeClientsAtKill == Self.clientCount, "every client should still be sending at the kill")
            #expect(server.waitForExit() == SIGKILL && server.process.terminationReason == .uncaughtSignal)
            #expect(load.acknowledged.count > 0, "cycle \(cycle): no request was answered 200 before the kill")
            #expect(load.otherStatuses.isEmpty, "cycle \(cycle): unexpected answers \(load.otherStatuses)")
            ledger.record(load)

            // The same data directory must open cleanly after the crash.
            server = try HookrelayProcess(serveArguments)
            let readiness = try request(port: try server.listeningPort(), "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(readiness.status == 200, "cycle \(cycle): not ready after restart: \(readiness.text)")
            try Self.checkStore(data, against: ledger, cycle: cycle)
        }
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    /// What the clients of one cycle saw.
    struct Load {
        /// Provider event id → the event id in its `200` answer.
        var acknowledged: [String: String] = [:]
        /// Every provider event id a client started to send.
        var sent: Set<String> = []
        /// Statuses other than 200, with counts.
        var otherStatuses: [Int: Int] = [:]
        var activeClientsAtKill = 0
    }

    /// Everything sent and acknowledged over all cycles so far.
    struct Ledger {
        var acknowledged: [String: String] = [:]
        var sent: Set<String> = []

        mutating func record(_ load: Load) {
            acknowledged.merge(load.acknowledged) { first, _ in first }
            sent.formUnion(load.sent)
        }
    }

    /// Shared between the client threads and the test's thread.
    final class LoadState: Sendable {
        let answered = Atomic(0)
        let activeClients = Atomic(0)
        let loads = Mutex<[Load]>([])
    }

    /// Runs the clients against `port` and sends SIGKILL to `server` while they are still sending.
    static func postUntilKilled(port: Int, cycle: Int, server: HookrelayProcess) throws -> Load {
        let state = LoadState()
        let finished = DispatchGroup()
        for client in 0..<clientCount {
            state.activeClients.add(1, ordering: .relaxed)
            finished.enter()
            Thread {
                let load = postEvents(port: port, prefix: "c\(cycle)-t\(client)-", answered: state.answered)
                state.activeClients.subtract(1, ordering: .relaxed)
                state.loads.withLock { $0.append(load) }
                finished.leave()
            }.start()
        }
        let killAfter = acknowledgementsBeforeKill + Int.random(in: 0..<2_000)
        let deadline = Date().addingTimeInterval(maxLoadSeconds)
        while state.answered.load(ordering: .relaxed) < killAfter && Date() < deadline {
            usleep(2_000)
        }
        let activeAtKill = state.activeClients.load(ordering: .relaxed)
        server.signal(SIGKILL)
        guard finished.wait(timeout: .now() + 10) == .success else { throw TestClientError("clients did not stop after the kill") }
        var total = state.loads.withLock { loads in
            loads.reduce(into: Load()) { total, load in
                total.acknowledged.merge(load.acknowledged) { first, _ in first }
                total.sent.formUnion(load.sent)
                total.otherStatuses.merge(load.otherStatuses, uniquingKeysWith: +)
            }
        }
        total.activeClientsAtKill = activeAtKill
        return total
    }

    /// One client on one keep-alive connection: posts `<prefix>0`, `<prefix>1`, … one at a time until the connection
    /// breaks or the cap is reached. A failed connect counts as status 0.
    static func postEvents(port: Int, prefix: String, answered: borrowing Atomic<Int>) -> Load {
        var load = Load()
        guard let connection = try? TestConnection(port: port) else {
            load.otherStatuses[0] = 1
            return load
        }
        for n in 0..<maxRequestsPerClient {
            let id = prefix + String(n)
            let body = #"{"id":"\#(id)","type":"crash.test","data":{"n":\#(n)}}"#
            load.sent.insert(id)
            let response: TestResponse
            do {
                try connection.send("POST /hooks/crash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
                response = try connection.readResponse()
            } catch {
                break  // killed: this request's answer did not (fully) arrive, so it is unknown
            }
            guard response.status == 200, let eventID = eventID(inAnswer: response.text) else {
                load.otherStatuses[response.status, default: 0] += 1
                continue
            }
            load.acknowledged[id] = eventID
            answered.add(1, ordering: .relaxed)
        }
        return load
    }

    /// The id in an answer `{"id":"<uuid>"}`.
    static func eventID(inAnswer text: String) -> String? {
        guard text.hasPrefix(#"{"id":""#), text.hasSuffix(#""}"#) else { return nil }
        return String(text.dropFirst(7).dropLast(2))
    }

    /// Reads the store with `hookrelay events --json` and checks it against everything sent so far.
    static func checkStore(_ data: String, against ledger: Ledger, cycle: Int) throws {
        let (status, output) = try runProgram(buildProductsDirectory + "/hookrelay",
                                              ["events", "--data", data, "--json", "--limit", "100000"])
        try #require(status == 0, "events failed: \(output.prefix(500))")
        var stored: [String: [String]] = [:]  // provider event id → event ids
        var withoutDelivery = 0
        for line in output.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let object, let providerID = object["providereventid"] as? String, let id = object["id"] as? String else {
                throw TestClientError("unexpected line from events: \(line.prefix(200))")
            }
            stored[providerID, default: []].append(id)
            // The destination is a closed port: the delivery is pending, or retrying once the dispatcher tried it.
            if !["pending", "retrying"].contains(object["status"] as? String ?? "") { withoutDelivery += 1 }
        }
        let lost = ledger.acknowledged.filter { stored[$0.key] != [$0.value] }.keys.sorted()
        let lostCount = lost.count, acknowledgedCount = ledger.acknowledged.count
        #expect(lostCount == 0,
                "cycle \(cycle): \(lostCount) of \(acknowledgedCount) acknowledged events not stored as answered: \(lost.prefix(5))…")
        let twice = stored.filter { $0.value.count > 1 }.keys.sorted()
        let twiceCount = twice.count
        #expect(twiceCount == 0, "cycle \(cycle): \(twiceCount) events stored more than once: \(twice.prefix(5))…")
        let unsent = stored.keys.filter { !ledger.sent.contains($0) }.sorted()
        let unsentCount = unsent.count
        #expect(unsentCount == 0, "cycle \(cycle): \(unsentCount) events stored but never sent: \(unsent.prefix(5))…")
        #expect(withoutDelivery == 0, "cycle \(cycle): \(withoutDelivery) events stored without their pending delivery")
    }
}
