import Foundation
@testable import hookrelay
import HookRelay
import HTTPServer
import Synchronization
import Testing
import TestSupport

@Suite struct OpsCLIParsingTests {
    let now: Int64 = 1_800_000_000_000

    func parse(_ spec: CommandSpec, _ arguments: [String]) throws -> ParsedArguments {
        try spec.parse(arguments)
    }

    @Test func eventsAndDeliveriesTakeFilters() throws {
        let events = try EventsCommand.filter(try parse(EventsCommand.spec, ["--source", "stripe", "--type", "invoice.*", "--since", "90s",
                                                                            "--limit", "5"]), now: now)
        #expect(events == EventFilter(source: "stripe", typeGlob: "invoice.*", receivedSince: now - 90_000, limit: 5))
        #expect(try EventsCommand.filter(try parse(EventsCommand.spec, []), now: now) == EventFilter(limit: 20))
        let deliveries = try DeliveriesCommand.filter(try parse(DeliveriesCommand.spec, ["--status", "failed", "--source", "s", "--destination", "d",
                                                                                        "--since", "2026-11-21T10:15:00Z"]), now: now)
        #expect(deliveries == DeliveryFilter(statuses: [.retrying, .dead], destination: "d", source: "s",
                                             createdSince: RFC3339.parse("2026-11-21T10:15:00Z")?.milliseconds, limit: 50))
        for arguments in [["--since", "yesterday"], ["--since", "-5m"], ["--limit", "0"], ["--limit", "x"]] {
            #expect(throws: UsageError.self, "\(arguments)") { try EventsCommand.filter(try parse(EventsCommand.spec, arguments), now: now) }
        }
        #expect(throws: UsageError.self) { try DeliveriesCommand.filter(try parse(DeliveriesCommand.spec, ["--status", "lost"]), now: now) }
    }

    @Test func replayTakesIdsOrAStatusFilter() throws {
        let ids = try ReplayCommand.request(try parse(ReplayCommand.spec, ["12", "0193a5e2-7c1f-7b7e-9f0a-3c5d2e1b4a99", "7", "--dry-run"]), now: now)
        #expect(ids.deliveryIDs == [12, 7] && ids.eventIDs == ["0193a5e2-7c1f-7b7e-9f0a-3c5d2e1b4a99"] && ids.dryRun && ids.filter == nil)
        let filter = try ReplayCommand.request(try parse(ReplayCommand.spec, ["--status", "failed", "--destination", "billing", "--source", "stripe",
                                                                             "--since", "2h"]), now: now)
        #expect(filter.filter?.statuses == [.retrying, .dead])
        #expect(filter.filter?.destination == "billing" && filter.filter?.source == "stripe")
        #expect(filter.filter?.createdSince == now - 7_200_000)
        #expect(!filter.dryRun)
        let refused = [[], ["--status", "pending"], ["--status", "delivered"], ["1", "--status", "dead"], ["--source", "s"],
                       ["--since", "1h"], ["0"], ["--status", "dead", "--since", "soon"]]
        for arguments in refused {
            #expect(throws: UsageError.self, "\(arguments)") { try ReplayCommand.request(try parse(ReplayCommand.spec, arguments), now: now) }
        }
    }

    @Test func replayHelpDescribesBothPaths() {
        let output = CapturedOutput()
        #expect(CLI.run(["help", "replay"], output: output) == 0)
        #expect(output.out.contains("USAGE: hookrelay replay"))
        #expect(output.out.contains("--dry-run"))
        #expect(output.out.contains("HOOKRELAY_ADMIN_TOKEN"))
        #expect(output.out.contains("<id> ..."))
        let root = CapturedOutput()
        _ = CLI.run(["--help"], output: root)
        #expect(root.out.contains("  replay"))
    }

    @Test func serveTakesAnAdminAddressOrOff() throws {
        func validate(_ arguments: [String]) throws(UsageError) -> ServeCommand.Options {
            try ServeCommand.validate(try ServeCommand.spec.parse(arguments)) { _ in false }
        }
        #expect(try validate([]).admin == ListenAddress(host: "127.0.0.1", port: 9090))
        #expect(try validate(["--admin", "off"]).admin == nil)
        #expect(try validate(["--admin", "[::1]:9191"]).admin == ListenAddress(host: "::1", port: 9191))
        #expect(throws: UsageError.self) { try validate(["--admin", "9090"]) }
        #expect(ServeCommand.adminRefusal(ListenAddress("0.0.0.0:9090"), token: nil) != nil)
        #expect(ServeCommand.adminRefusal(ListenAddress("0.0.0.0:9090"), token: "") != nil)
        #expect(ServeCommand.adminRefusal(ListenAddress("0.0.0.0:9090"), token: "t") == nil)
        #expect(ServeCommand.adminRefusal(ListenAddress("127.0.0.1:9090"), token: nil) == nil)
        #expect(ServeCommand.adminRefusal(nil, token: nil) == nil)
    }

    @Test func serveTakesRetentionDurationsOrOff() throws {
        func validate(_ arguments: [String]) throws(UsageError) -> ServeCommand.Options {
            try ServeCommand.validate(try ServeCommand.spec.parse(arguments)) { _ in false }
        }
        #expect(try validate([]).retention == RetentionPolicy(delivered: .seconds(7 * 86_400), failed: .seconds(30 * 86_400)))
        #expect(try validate(["--retention", "36h", "--retention-failed", "off"]).retention
                == RetentionPolicy(delivered: .seconds(36 * 3600), failed: nil))
        #expect(try validate(["--retention", "off"]).retention.delivered == nil)
        for bad in ["0s", "30s", "7", "-1d", "1.5d", "forever"] {
            #expect(throws: UsageError.self, "\(bad)") { try validate(["--retention", bad]) }
            #expect(throws: UsageError.self, "\(bad)") { try validate(["--retention-failed", bad]) }
        }
        let help = CapturedOutput()
        _ = CLI.run(["serve", "--help"], output: help)
        #expect(help.out.contains("--retention <duration>"))
        #expect(help.out.contains("(default: 30d)"))
        #expect(help.out.contains("pending or retrying delivery is never deleted"))
    }
}

/// `events` and `deliveries` against a store seeded in-process.
@Suite struct OpsListingTests {
    private func seed(_ directory: TemporaryDirectory) throws {
        let store = try SQLiteStore(dataDirectory: directory.path)
        defer { store.close() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let rows: [(String, String, String, Int64)] = [
            ("e1", "stripe", "stripe.invoice.paid", now - 3 * 3_600_000),
            ("e2", "stripe", "stripe.charge.succeeded", now - 60_000),
            ("e3", "github", "github.push", now - 30_000),
            ("e4", "stripe", "stripe.invoice.payment_failed", now - 1_000),
        ]
        for (id, source, type, receivedAt) in rows {
            let event = NewEvent(id: id, source: source, provider: source, providerEventID: "p_\(id)", type: type, subject: nil,
                                 time: "2026-11-21T10:15:00Z", receivedAt: receivedAt, rawHeaders: [], rawBody: Array("{}".utf8),
                                 envelope: Array(#"{"id":"\#(id)","type":"\#(type)"}"#.utf8),
                                 deliveries: source == "stripe" ? [PlannedDelivery(route: "r", destination: "billing")] : [])
            let done = DispatchSemaphore(value: 0)
            let result = Mutex<Bool>(false)
            #expect(store.append([event]) { outcome in
                result.withLock { $0 = (try? outcome.get()) != nil }
                done.signal()
            })
            done.wait()
            #expect(result.withLock { $0 })
        }
    }

    func run(_ arguments: [String]) -> (Int32, CapturedOutput) {
        let output = CapturedOutput()
        return (CLI.run(arguments, output: output), output)
    }

    @Test func eventsFilterBySourceTypeSinceAndLimit() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try seed(directory)
        func ids(_ arguments: [String]) -> [String] {
            let (code, output) = run(["events", "--data", directory.path, "--json"] + arguments)
            #expect(code == 0, "\(output.err)")
            return output.out.split(separator: "\n").compactMap { line in
                ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["id"] as? String
            }
        }
        #expect(ids([]) == ["e4", "e3", "e2", "e1"])
        #expect(ids(["--source", "stripe"]) == ["e4", "e2", "e1"])
        #expect(ids(["--type", "invoice.*"]) == ["e4", "e1"], "without the provider prefix")
        #expect(ids(["--type", "stripe.invoice.*"]) == ["e4", "e1"], "with it")
        #expect(ids(["--type", "*.push"]) == ["e3"])
        #expect(ids(["--since", "2h"]) == ["e4", "e3", "e2"])
        #expect(ids(["--since", "10s", "--source", "stripe"]) == ["e4"])
        #expect(ids(["--limit", "2"]) == ["e4", "e3"])

        let (code, table) = run(["events", "--data", directory.path, "--source", "github"])
        #expect(code == 0)
        let lines = table.out.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("RECEIVED") && lines[1].contains("github.push") && lines[1].contains("stored"))
        #expect(lines[0].firstRange(of: "TYPE")?.lowerBound.utf16Offset(in: lines[0]) == lines[1].firstRange(of: "github.push")?.lowerBound.utf16Offset(in: lines[1]),
                "columns are aligned")

        // A delivery's time is when it was stored (here: all just now, whatever the events' receive times).
        let (deliveriesCode, deliveries) = run(["deliveries", "--data", directory.path, "--json", "--source", "stripe", "--since", "2h"])
        #expect(deliveriesCode == 0)
        #expect(deliveries.out.split(separator: "\n").count == 3, "\(deliveries.out)")
        let (_, future) = run(["deliveries", "--data", directory.path, "--since", "2099-01-01T00:00:00Z"])
        #expect(future.out == "no deliveries\n")
        let (noneCode, none) = run(["deliveries", "--data", directory.path, "--source", "github"])
        #expect(noneCode == 0 && none.out == "no deliveries\n")
    }
}
