import Foundation
import HTTPServer
import Synchronization
import Testing

@testable import HookRelay

private let day: Int64 = 86_400_000
private let now: Int64 = 100 * day

/// Retention (`SQLiteStore.prune`, `RetentionSweeper`) on real database files, with the store's clock injected: which
/// events go, which stay, how big a transaction gets, and that ingest keeps committing during a long pass.
@Suite struct RetentionTests {
    @Test func deletesExactlyTheFinishedEventsPastTheirRetention() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(now)
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(clock))
        defer { store.close() }

        // Destinations: `ok` gets delivered, `gone` dies, `flaky` is retrying, `wait` stays pending.
        try seed(store, "delivered-old", daysAgo: 8, ["ok"])
        try seed(store, "delivered-new", daysAgo: 6, ["ok"])
        try seed(store, "unrouted-old", daysAgo: 8, [])
        try seed(store, "dead-within-30d", daysAgo: 20, ["ok", "gone"])
        try seed(store, "dead-older-than-30d", daysAgo: 31, ["ok", "gone"])
        try seed(store, "pending-ancient", daysAgo: 400, ["wait"])
        try seed(store, "retrying-ancient", daysAgo: 400, ["ok", "flaky"])
        try seed(store, "dead-and-pending-ancient", daysAgo: 400, ["gone", "wait"])
        try settle(store)
        let doomedDelivery = try #require(try store.deliveries(matching: DeliveryFilter(eventID: "dead-older-than-30d")).first)
        #expect(try store.attempts(forDelivery: doomedDelivery.id).count == 1)

        let policy = RetentionPolicy(batchSize: 2)
        let summary = try store.prune(policy)
        #expect(summary.events == 3)
        #expect(summary.largestBatch == 2, "no transaction deletes more than the batch size")
        #expect(summary.batches == 2)
        #expect(try eventIDs(store) == ["dead-and-pending-ancient", "dead-within-30d", "delivered-new", "pending-ancient", "retrying-ancient"])
        #expect(try store.deliveries(matching: DeliveryFilter(eventID: "dead-older-than-30d")).isEmpty, "deliveries cascade")
        #expect(try store.attempts(forDelivery: doomedDelivery.id).isEmpty, "attempts cascade")
        #expect(try store.deliveries(matching: DeliveryFilter(limit: 100)).count == 8)
        #expect(store.stats.eventsPruned == 3)
        #expect(try store.prune(policy).events == 0, "a second pass finds nothing")

        // Time passes (the store's clock): the delivered event turns 8 days old, the dead one 31.
        clock.set(now + 2 * day)
        #expect(try store.prune(policy).events == 1)
        #expect(try store.event(id: "delivered-new") == nil)
        clock.set(now + 11 * day)
        #expect(try store.prune(policy).events == 1)
        #expect(try eventIDs(store) == ["dead-and-pending-ancient", "pending-ancient", "retrying-ancient"], "work is never deleted")

        // A dead delivery that is replayed and delivered falls under the shorter retention.
        #expect(try store.requeue(matching: DeliveryFilter(statuses: [.dead], eventID: "dead-and-pending-ancient"), dryRun: false) == 1)
        let replayed = try claim(store, now: now + 11 * day, limit: 1_000, excluding: ["wait", "flaky"])
        #expect(replayed.map(\.label) == ["dead-and-pending-ancient/gone"])
        try record(store, replayed.map {
            DeliveryResult($0, startedAt: now + 11 * day, durationMilliseconds: 3, statusCode: 200, outcome: .delivered)
        })
        #expect(try store.deliveries(matching: DeliveryFilter(eventID: "dead-and-pending-ancient")).map(\.status).sorted { $0.rawValue < $1.rawValue }
                == [.delivered, .pending])
        #expect(try store.prune(policy).events == 0, "still has pending work")
    }

    @Test func offKeepsThatKindOfEventForever() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(ManualClock(now)))
        defer { store.close() }
        try seed(store, "delivered-ancient", daysAgo: 90, ["ok"])
        try seed(store, "dead-ancient", daysAgo: 90, ["gone"])
        try settle(store)
        #expect(try store.prune(RetentionPolicy(delivered: nil, failed: .seconds(86_400))).events == 1)
        #expect(try eventIDs(store) == ["delivered-ancient"])
        #expect(try store.prune(RetentionPolicy(delivered: nil, failed: nil)) == PruneSummary())
        #expect(try store.prune(RetentionPolicy(delivered: .seconds(86_400), failed: nil)).events == 1)
        #expect(try eventIDs(store).isEmpty)
    }

    @Test func deletesALargeBacklogInBoundedTransactionsWhileIngestCommits() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(ManualClock(now)))
        defer { store.close() }
        // 1,234 unrouted events 10 days old, appended 100 per request.
        for chunk in 0..<13 {
            let events = (0..<100).map { chunk * 100 + $0 }.filter { $0 < 1_234 }.map { event("old-\($0)", daysAgo: 10, []) }
            if events.isEmpty { continue }
            _ = try appendAndWait(store, events).get()
        }
        #expect(try count(store, "SELECT count(*) FROM events") == 1_234)

        // Between batches (on the pruning thread) a webhook arrives: its append commits before the pass is over.
        let appendedAfterBatch = Locked<Int?>(nil)
        let batchesSeen = Counter()
        let summary = try store.prune(RetentionPolicy(batchSize: 500)) {
            batchesSeen.increment()
            if batchesSeen.value == 1 {
                let outcome = try? appendAndWait(store, [event("fresh", daysAgo: 0, ["ok"])]).get()
                #expect(outcome == [.stored(eventID: "fresh")])
                appendedAfterBatch.withLock { $0 = batchesSeen.value }
            }
            return false
        }
        #expect(summary.events == 1_234)
        #expect(summary.batches == 3)
        #expect(summary.largestBatch == 500)
        #expect(appendedAfterBatch.withLock { $0 } == 1, "the append completed after the first batch, before the second was queued")
        #expect(try eventIDs(store) == ["fresh"])
        #expect(try count(store, "SELECT count(*) FROM deliveries") == 1)

        // And truly concurrently: appends from another thread all complete while a pass runs.
        for chunk in 0..<9 {
            _ = try appendAndWait(store, (0..<100).map { event("again-\(chunk)-\($0)", daysAgo: 9, ["ok"]) }).get()
        }
        try settle(store)
        let appended = Completions(expected: 50)
        let appender = Thread {
            for i in 0..<50 {
                precondition(store.append([event("concurrent-\(i)", daysAgo: 0, [])], completion: appended.handler(i)))
            }
        }
        appender.start()
        let second = try store.prune(RetentionPolicy(batchSize: 100))
        let outcomes = try appended.wait()
        #expect(outcomes.values.allSatisfy { (try? $0.get())?.first?.isDuplicate == false })
        #expect(second.events == 900)
        #expect(second.largestBatch == 100)
        #expect(try count(store, "SELECT count(*) FROM events") == 51)
        #expect(try count(store, "SELECT count(*) FROM deliveries") == 1)
        #expect(try count(store, "SELECT count(*) FROM attempts") == 1, "only the fresh event's")
    }

    @Test func sweeperRunsAPassWhenStartedAndStopsCleanly() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(ManualClock(now)))
        defer { store.close() }
        try seed(store, "old", daysAgo: 8, [])
        try seed(store, "new", daysAgo: 1, [])
        let sweeper = RetentionSweeper(store: store, policy: RetentionPolicy(), interval: .seconds(3600), logger: .disabled)
        try sweeper.start()
        sweeper.stop()  // the first pass's first batch always runs
        #expect(try eventIDs(store) == ["new"])
        store.close()
        #expect(sweeper.sweep() == nil, "a closed store ends a pass quietly")
    }

    @Test func batchQueryWalksTheReceiveTimeIndexAndReadsDeliveriesByEvent() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path)
        defer { store.close() }
        let db = try SQLiteConnection(path: store.databasePath, mode: .readOnly, busyTimeoutMillis: 1000)
        defer { db.close() }
        let plan = try db.queryPlan(StoreWriter.pruneSelectSQL).map(\.detail)
        #expect(plan.contains { $0.contains("USING INDEX events_received_at") }, "\(plan)")
        #expect(plan.contains { $0.contains("(event_id=?)") }, "\(plan)")
        #expect(!plan.contains { $0.contains("deliveries_due") || $0.hasPrefix("SCAN") || $0.contains("TEMP B-TREE") }, "\(plan)")
    }

    @Test func policyCutoffsSaturate() {
        let policy = RetentionPolicy()
        let cutoffs = policy.cutoffs(now: now)
        #expect(cutoffs.delivered == now - 7 * day)
        #expect(cutoffs.failed == now - 30 * day)
        #expect(RetentionPolicy(delivered: nil, failed: .seconds(60)).cutoffs(now: .min + 5).delivered == .min)
        #expect(RetentionPolicy(delivered: .seconds(60)).cutoffs(now: .min + 5).delivered == .min)
        #expect(!RetentionPolicy(delivered: nil, failed: nil).isEnabled)
    }
}

/// An event received `daysAgo` days before `now`, with deliveries to `destinations`.
private func event(_ id: String, daysAgo: Int64, _ destinations: [String]) -> NewEvent {
    var event = makeEvent(id, providerEventID: "evt_\(id)", destinations: destinations)
    event.receivedAt = now - daysAgo * day
    return event
}

private func seed(_ store: SQLiteStore, _ id: String, daysAgo: Int64, _ destinations: [String]) throws {
    #expect(try appendAndWait(store, [event(id, daysAgo: daysAgo, destinations)]).get() == [.stored(eventID: id)])
}

/// Attempts every due delivery except those to `wait`: `ok` is delivered, `gone` dies, `flaky` will retry in an hour.
private func settle(_ store: SQLiteStore, at time: Int64 = now) throws {
    let claimed = try claim(store, now: time, limit: 1_000, excluding: ["wait"])
    try record(store, claimed.map { delivery in
        switch delivery.destination {
        case "ok": DeliveryResult(delivery, startedAt: time, durationMilliseconds: 3, statusCode: 200, outcome: .delivered)
        case "gone": DeliveryResult(delivery, startedAt: time, durationMilliseconds: 3, statusCode: 410, outcome: .dead(reason: "HTTP 410"))
        default:
            DeliveryResult(delivery, startedAt: time, durationMilliseconds: 3, statusCode: 503, outcome: .retrying(nextAttemptAt: time + 3_600_000))
        }
    })
}

private func eventIDs(_ store: SQLiteStore) throws -> [String] {
    try store.events(matching: EventFilter(limit: 10_000)).map(\.id).sorted()
}

private func count(_ store: SQLiteStore, _ sql: String) throws -> Int64 {
    let db = try SQLiteConnection(path: store.databasePath, mode: .readOnly, busyTimeoutMillis: 1000)
    defer { db.close() }
    return try db.integer(sql, context: "test")
}
