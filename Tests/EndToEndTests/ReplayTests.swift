import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

/// Routes for the replay scenarios: `alpha` fans out to a destination that answers 410 (dead after one attempt), one
/// that answers 500 (retrying, next attempt in an hour) and one that answers 200; `beta` goes to the 410 one only.
private func replayRoutes(gone: TestSink, flaky: TestSink, fine: TestSink) -> String {
    """
    {
      "sources": [ { "name": "alpha", "provider": "none" }, { "name": "beta", "provider": "none" } ],
      "destinations": [
        { "name": "gone", "kind": "http", "url": "\(gone.url())", "retry": { "schedule": ["0s"] } },
        { "name": "flaky", "kind": "http", "url": "\(flaky.url())", "retry": { "schedule": ["0s", "1h"] } },
        { "name": "fine", "kind": "http", "url": "\(fine.url())" }
      ],
      "routes": [
        { "name": "fan-out", "from": ["alpha"], "to": ["gone", "flaky", "fine"] },
        { "name": "beta-only", "from": ["beta"], "to": ["gone"] }
      ]
    }
    """
}

private func event(_ id: String) -> [UInt8] { Array(#"{"id":"\#(id)","type":"thing.happened"}"#.utf8) }

/// The count `hookrelay replay` printed (`requeued N …` or `would requeue N …`).
private func printedCount(_ output: String) -> Int? {
    for line in output.split(separator: "\n") {
        let words = line.split(separator: " ")
        if line.hasPrefix("requeued "), words.count >= 2 { return Int(words[1]) }
        if line.hasPrefix("would requeue "), words.count >= 3 { return Int(words[2]) }
    }
    return nil
}

@Suite(.timeLimit(.minutes(2)))
struct ReplayTests {
    /// Posts 3 events to alpha and 2 to beta and waits until every first attempt is recorded:
    /// gone 5 dead, flaky 3 retrying, fine 3 delivered.
    private func seed(_ server: OpsServer) throws {
        for i in 1...3 { #expect(try server.post("/hooks/alpha", body: event("a\(i)")).status == 200) }
        for i in 1...2 { #expect(try server.post("/hooks/beta", body: event("b\(i)")).status == 200) }
        let settled = try eventually {
            try server.statusCounts() == [.dead: 5, .retrying: 3, .delivered: 3]
        }
        try #require(settled, "statuses: \(server.describeStatuses())")
    }

    @Test func replayByFilterWhileServeRunsCountsExactlyAndNeverDuplicates() throws {
        let gone = try TestSink(status: 410), flaky = try TestSink(status: 500), fine = try TestSink(status: 200)
        let server = try OpsServer(routesJSON: replayRoutes(gone: gone, flaky: flaky, fine: fine))
        try seed(server)
        let before = try server.deliveries()
        let sent = (gone.count, flaky.count, fine.count)
        #expect(sent == (5, 3, 3))

        // Dry runs count through the running server's admin API (it holds the store) and change nothing.
        let dryRuns: [([String], Int)] = [
            (["--status", "dead"], 5),
            (["--status", "retrying"], 3),
            (["--status", "failed"], 8),
            (["--status", "failed", "--destination", "gone"], 5),
            (["--status", "failed", "--destination", "flaky"], 3),
            (["--status", "dead", "--source", "beta"], 2),
            (["--status", "failed", "--source", "alpha"], 6),
            (["--status", "failed", "--destination", "fine"], 0),
            (["--status", "failed", "--since", "1h"], 8),
            (["--status", "failed", "--since", "2099-01-01T00:00:00Z"], 0),
        ]
        for (arguments, expected) in dryRuns {
            let (status, output) = try server.cli(["replay", "--data", server.data, "--dry-run"] + arguments)
            #expect(status == 0, "\(arguments): \(output)")
            #expect(printedCount(output) == expected, "\(arguments): \(output)")
            #expect(output.contains("would requeue"), "\(output)")
        }
        #expect(try server.deliveries() == before, "a dry run changes nothing")
        #expect((gone.count, flaky.count, fine.count) == sent)

        // Replay beta's dead deliveries: exactly 2, sent again at once, dead again (the sink still answers 410).
        let (status, output) = try server.cli(["replay", "--data", server.data, "--status", "dead", "--source", "beta"])
        #expect(status == 0, "\(output)")
        #expect(printedCount(output) == 2, "\(output)")
        #expect(gone.waitForRequests(7, timeout: 5), "the running server sent the replayed deliveries")
        #expect(try eventually { try server.deliveries().filter { $0.attempts == 2 }.count == 2 })
        let after = try server.deliveries()
        #expect(after.count == before.count, "requeue never adds deliveries")
        #expect(Set(after.map(\.id)) == Set(before.map(\.id)))
        #expect(Set(after.map { "\($0.eventID)/\($0.destination)" }).count == after.count, "one delivery per event and destination")
        #expect(after.filter { $0.attempts == 2 }.allSatisfy { $0.destination == "gone" && $0.status == .dead })
        #expect(flaky.count == 3 && fine.count == 3, "other destinations untouched")
        let attempts = try SQLiteStoreReader(dataDirectory: server.data)
        defer { attempts.close() }
        for delivery in after where delivery.attempts == 2 {
            #expect(try attempts.attempts(forDelivery: delivery.id).map(\.number) == [1, 2], "history kept")
        }
        server.stop()
    }

    @Test func runningServerDeliversReplayedWorkPromptly() throws {
        let gone = try TestSink(status: 410), flaky = try TestSink(status: 500), fine = try TestSink(status: 200)
        let server = try OpsServer(routesJSON: replayRoutes(gone: gone, flaky: flaky, fine: fine))
        try seed(server)
        // The receivers are fixed. With nothing due the dispatcher sleeps 30 s (its safety recheck), and the
        // retrying deliveries are due in an hour: only the replay's wake-up can make them go out now.
        gone.status = 200
        flaky.status = 200
        let started = Date()
        let (status, output) = try server.cli(["replay", "--data", server.data, "--status", "failed"])
        #expect(status == 0, "\(output)")
        #expect(printedCount(output) == 8, "\(output)")
        #expect(output.contains("replaying through its admin API"), "\(output)")
        #expect(gone.waitForRequests(10, timeout: 5) && flaky.waitForRequests(6, timeout: 5), "sent within 5 s of the replay")
        #expect(try eventually(timeout: 5) { try server.statusCounts() == [.delivered: 11] }, "\(server.describeStatuses())")
        #expect(Date().timeIntervalSince(started) < 8)
        #expect(gone.count == 10 && flaky.count == 6 && fine.count == 3, "each replayed delivery sent once")
        server.stop()
    }

    @Test func replayByDeliveryAndEventIDs() throws {
        let gone = try TestSink(status: 410), flaky = try TestSink(status: 500), fine = try TestSink(status: 200)
        let server = try OpsServer(routesJSON: replayRoutes(gone: gone, flaky: flaky, fine: fine))
        try seed(server)
        gone.status = 200
        flaky.status = 200
        let deliveries = try server.deliveries()
        let deadOnes = deliveries.filter { $0.status == .dead }.map(\.id).sorted()
        let (status, output) = try server.cli(["replay", "--data", server.data, "\(deadOnes[0])", "\(deadOnes[1])", "\(deadOnes[1])", "999999"])
        #expect(status == 0, "\(output)")
        #expect(printedCount(output) == 2, "two known ids, one repeated, one unknown: \(output)")
        #expect(gone.waitForRequests(7, timeout: 5))
        #expect(try eventually(timeout: 5) { try server.deliveries().filter { deadOnes.prefix(2).contains($0.id) }.allSatisfy { $0.status == .delivered } })

        // An event id replays every delivery of that event, delivered ones included.
        let alphaEvent = try #require(deliveries.first { $0.destination == "flaky" }?.eventID)
        let (eventStatus, eventOutput) = try server.cli(["replay", "--data", server.data, alphaEvent])
        #expect(eventStatus == 0, "\(eventOutput)")
        #expect(printedCount(eventOutput) == 3, "\(eventOutput)")
        #expect(fine.waitForRequests(4, timeout: 5), "the delivered one was sent again")
        #expect(try eventually(timeout: 5) { try server.deliveries(DeliveryFilter(eventID: alphaEvent)).allSatisfy { $0.status == .delivered } })
        #expect(try server.deliveries().count == deliveries.count)
        server.stop()
    }

    @Test func replayOpensTheStoreItselfWhenServeIsNotRunning() throws {
        let gone = try TestSink(status: 410), flaky = try TestSink(status: 500), fine = try TestSink(status: 200)
        let server = try OpsServer(routesJSON: replayRoutes(gone: gone, flaky: flaky, fine: fine))
        try seed(server)
        server.stop()
        #expect(!FileManager.default.fileExists(atPath: server.data + "/admin.addr"), "serve removes its admin address when it stops")

        let (dry, dryOutput) = try server.cli(["replay", "--data", server.data, "--status", "failed", "--destination", "gone", "--dry-run"])
        #expect(dry == 0, "\(dryOutput)")
        #expect(printedCount(dryOutput) == 5, "\(dryOutput)")
        #expect(!dryOutput.contains("admin API"), "no server: the CLI opened the store")
        let (status, output) = try server.cli(["replay", "--data", server.data, "--status", "dead"])
        #expect(status == 0, "\(output)")
        #expect(printedCount(output) == 5, "\(output)")
        let requeued = try server.deliveries().filter { $0.destination == "gone" }
        #expect(requeued.count == 5 && requeued.allSatisfy { $0.status == .pending && $0.attempts == 1 }, "pending again, attempts kept")
        #expect(gone.count == 5, "nothing sent while no server runs")

        gone.status = 200
        try server.restart()
        #expect(gone.waitForRequests(10, timeout: 5), "serve sends the requeued work when it starts")
        #expect(try eventually(timeout: 5) { try server.deliveries().filter { $0.destination == "gone" }.allSatisfy { $0.status == .delivered } })
        server.stop()
    }

    @Test func replaySinceSelectsOnlyRecentDeliveries() throws {
        let gone = try TestSink(status: 410), flaky = try TestSink(status: 500), fine = try TestSink(status: 200)
        let server = try OpsServer(routesJSON: replayRoutes(gone: gone, flaky: flaky, fine: fine))
        #expect(try server.post("/hooks/beta", body: event("old")).status == 200)
        #expect(try eventually { try server.statusCounts() == [.dead: 1] })
        sleep(3)
        #expect(try server.post("/hooks/beta", body: event("new1")).status == 200)
        #expect(try server.post("/hooks/beta", body: event("new2")).status == 200)
        #expect(try eventually { try server.statusCounts() == [.dead: 3] })
        let (status, output) = try server.cli(["replay", "--data", server.data, "--status", "dead", "--since", "2s", "--dry-run"])
        #expect(status == 0, "\(output)")
        #expect(printedCount(output) == 2, "created within 2 s: the two new ones: \(output)")
        let (all, allOutput) = try server.cli(["replay", "--data", server.data, "--status", "dead", "--since", "1m", "--dry-run"])
        #expect(all == 0 && printedCount(allOutput) == 3, "\(allOutput)")
        server.stop()
    }

    @Test func replayRefusesAmbiguousOrEmptyRequestsWithExit64() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let binary = buildProductsDirectory + "/hookrelay"
        for arguments in [["replay"], ["replay", "--status", "delivered"], ["replay", "12", "--status", "dead"],
                          ["replay", "--destination", "x"], ["replay", "--status", "dead", "--since", "yesterday"]] {
            let (status, output) = try runProgram(binary, arguments + ["--data", directory.path], currentDirectory: directory.path)
            #expect(status == 64, "\(arguments): \(output)")
            #expect(output.contains("Usage: hookrelay replay"), "\(output)")
        }
        let (status, output) = try runProgram(binary, ["replay", "--data", directory.file("none"), "--status", "dead"])
        #expect(status == 1, "no store: \(output)")
        #expect(output.contains("no store in"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("none")), "replay never creates a store")
    }
}
