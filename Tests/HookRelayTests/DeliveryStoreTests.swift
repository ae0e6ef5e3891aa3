import Foundation
import Synchronization
import Testing

@testable import HookRelay

/// The store's side of the delivery engine (claims, leases, results, requeue, wake-ups), on real database
/// files. Time is the `now` the tests pass and a manual store clock.
@Suite struct DeliveryStoreTests {
    // MARK: Claims and leases

    @Test func claimsDueDeliveriesOldestFirstAcrossStatusesUpToTheLimitAndLeasesThem() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(100)
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(clock))
        defer { store.close() }

        try append(store, "e0", ["x"])  // due at 100
        clock.set(1_000)
        try append(store, "e1", ["a", "b"])
        clock.set(2_000)
        try append(store, "e2", ["a", "b"])
        clock.set(3_000)
        try append(store, "e3", ["a", #"q"uo\te"#])

        // e0/x fails once and is retried at 1,500: retrying rows interleave with pending ones by due time.
        let first = try claim(store, now: 100, limit: 10)
        #expect(first.map(\.label) == ["e0/x"])
        try record(store, [
            DeliveryResult(first[0], startedAt: 100, durationMilliseconds: 5, statusCode: 500, outcome: .retrying(nextAttemptAt: 1_500))
        ])

        #expect(try claim(store, now: 2_500, limit: 0).isEmpty)
        let batch = try claim(store, now: 2_500, limit: 3, lease: 30_000)
        #expect(batch.map(\.label) == ["e1/a", "e1/b", "e0/x"])
        #expect(batch.allSatisfy { $0.leaseUntil == 32_500 })
        let leases = Dictionary(uniqueKeysWithValues: try store.deliveries(matching: DeliveryFilter(limit: 100)).map { ($0.label, $0.leaseUntil) })
        #expect(leases == ["e0/x": 32_500, "e1/a": 32_500, "e1/b": 32_500, "e2/a": nil, "e2/b": nil, "e3/a": nil, #"e3/q"uo\te"#: nil])

        // What the sender needs, without reading the store again.
        let event = makeEvent("e1", providerEventID: "evt_e1")
        let e1a = batch[0]
        #expect(e1a.eventID == "e1" && e1a.source == "stripe" && e1a.route == "route-a" && e1a.destination == "a")
        #expect(e1a.attempts == 0 && e1a.firstAttemptAt == nil && e1a.receivedAt == event.receivedAt)
        #expect(e1a.rawHeaders == event.rawHeaders && e1a.rawBody == event.rawBody && e1a.envelope == event.envelope)
        #expect(batch[2].attempts == 1 && batch[2].firstAttemptAt == 100)

        // Before the leases lapse, nothing leased comes back; excluded destinations are skipped.
        #expect(try claim(store, now: 2_600, limit: 10, excluding: ["a"]).map(\.label) == ["e2/b"])
        #expect(try claim(store, now: 2_600, limit: 10).map(\.label) == ["e2/a"])
        #expect(try claim(store, now: 2_999, limit: 10).isEmpty)
        #expect(try store.nextDueTime(now: 2_999) == 3_000)
        #expect(try claim(store, now: 3_000, limit: 10, excluding: [#"q"uo\te"#]).map(\.label) == ["e3/a"])
        #expect(try claim(store, now: 3_000, limit: 10).map(\.label) == [#"e3/q"uo\te"#])
        // Everything is leased now: the next due time is the earliest lease expiry.
        #expect(try store.nextDueTime(now: 3_000) == 32_500)
        #expect(store.stats.claims == 8 && store.stats.deliveriesClaimed == 8)
    }

    @Test func aLapsedLeaseOrARestartMakesClaimedDeliveriesDueAgain() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(1_000)
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(clock))
        try append(store, "e1", ["a", "b"])

        let claimed = try claim(store, now: 1_000, lease: 30_000)
        #expect(claimed.count == 2)
        #expect(try claim(store, now: 30_999).isEmpty, "claimed twice while the lease holds")
        #expect(try store.nextDueTime(now: 30_999) == 31_000)

        // The sender died or hung: once the lease lapses the deliveries are claimable again, under a new lease.
        let again = try claim(store, now: 31_000, lease: 30_000)
        #expect(again.map(\.id) == claimed.map(\.id))
        #expect(again.allSatisfy { $0.leaseUntil == 61_000 })

        // A process that dies holding leases: the next open releases them, so they are due at once.
        store.close()
        let reopened = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(clock))
        defer { reopened.close() }
        #expect(try reopened.deliveries(matching: DeliveryFilter()).allSatisfy { $0.leaseUntil == nil })
        #expect(try reopened.nextDueTime(now: 31_001) == 1_000)
        #expect(try claim(reopened, now: 31_001).map(\.id) == claimed.map(\.id))
    }

    @Test func oneClaimStaysWithinItsPayloadBudgetButAlwaysReturnsOneDelivery() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let size = makeEvent("x", providerEventID: "evt_x").byteCount
        var configuration = SQLiteStore.Configuration.manual(ManualClock(1_000))
        configuration.maxClaimBytes = size * 5 / 2
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }
        var big = makeEvent("big", providerEventID: "evt_big", destinations: ["a"])
        big.rawBody = Array(repeating: 0x7B, count: size * 10)
        _ = try appendAndWait(store, [big]).get()
        for i in 1...5 { try append(store, "e\(i)", ["a"]) }

        #expect(try claim(store, now: 1_000).map(\.eventID) == ["big"])
        #expect(try claim(store, now: 1_000).map(\.eventID) == ["e1", "e2"])
        #expect(try claim(store, now: 1_000).map(\.eventID) == ["e3", "e4"])
        #expect(try claim(store, now: 1_000).map(\.eventID) == ["e5"])
    }

    // MARK: Results

    @Test func recordsEachOutcomeOnExactlyItsColumnsAndAttemptRows() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(1_000)
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(clock))
        defer { store.close() }
        try append(store, "e1", ["ok", "retry", "dead", "later"])
        let claimed = Dictionary(uniqueKeysWithValues: try claim(store, now: 1_000).map { ($0.destination, $0) })
        let before = Dictionary(uniqueKeysWithValues: try store.deliveries(matching: DeliveryFilter()).map { ($0.destination, $0) })
        let ok = try #require(claimed["ok"]), retry = try #require(claimed["retry"])
        let dead = try #require(claimed["dead"]), later = try #require(claimed["later"])

        clock.set(1_200)
        let head = Array(repeating: UInt8(ascii: "A"), count: 2_000)
        try record(store, [
            DeliveryResult(ok, startedAt: 1_010, durationMilliseconds: 42, statusCode: 200, responseHead: head, outcome: .delivered),
            DeliveryResult(retry, startedAt: 1_020, durationMilliseconds: 10_000, error: "connect: connection refused",
                           outcome: .retrying(nextAttemptAt: 6_020)),
            DeliveryResult(dead, startedAt: 1_030, durationMilliseconds: 7, statusCode: 410, error: "HTTP 410",
                           responseHead: Array("gone".utf8), outcome: .dead(reason: "410 Gone: the destination removed its hook")),
            DeliveryResult(later, startedAt: 1_040, durationMilliseconds: 0, outcome: .postponed(until: 61_000)),
        ])

        let after = Dictionary(uniqueKeysWithValues: try store.deliveries(matching: DeliveryFilter()).map { ($0.destination, $0) })
        func expected(_ name: String, _ change: (inout Delivery) -> Void) throws -> Delivery {
            var delivery = try #require(before[name])
            delivery.leaseUntil = nil
            delivery.updatedAt = 1_200
            change(&delivery)
            return delivery
        }
        #expect(after["ok"] == (try expected("ok") {
            $0.status = .delivered; $0.attempts = 1; $0.lastStatusCode = 200; $0.firstAttemptAt = 1_010
        }))
        #expect(after["retry"] == (try expected("retry") {
            $0.status = .retrying; $0.attempts = 1; $0.nextAttemptAt = 6_020; $0.lastError = "connect: connection refused"
            $0.firstAttemptAt = 1_020
        }))
        #expect(after["dead"] == (try expected("dead") {
            $0.status = .dead; $0.attempts = 1; $0.lastStatusCode = 410; $0.lastError = "410 Gone: the destination removed its hook"
            $0.firstAttemptAt = 1_030
        }))
        #expect(after["later"] == (try expected("later") { $0.nextAttemptAt = 61_000 }), "a postponement is not an attempt")

        #expect(try store.attempts(forDelivery: ok.id) == [DeliveryAttempt(
            deliveryID: ok.id, number: 1, startedAt: 1_010, durationMilliseconds: 42, statusCode: 200, error: nil,
            responseHead: Array(head.prefix(1_024)))])
        #expect(try store.attempts(forDelivery: retry.id) == [DeliveryAttempt(
            deliveryID: retry.id, number: 1, startedAt: 1_020, durationMilliseconds: 10_000, statusCode: nil,
            error: "connect: connection refused", responseHead: nil)])
        #expect(try store.attempts(forDelivery: dead.id) == [DeliveryAttempt(
            deliveryID: dead.id, number: 1, startedAt: 1_030, durationMilliseconds: 7, statusCode: 410, error: "HTTP 410",
            responseHead: Array("gone".utf8))])
        #expect(try store.attempts(forDelivery: later.id).isEmpty)
        #expect(try store.attempts(forDelivery: 999).isEmpty)
        #expect(try store.deliveries(matching: DeliveryFilter(statuses: .failed)).map(\.destination) == ["dead", "retry"])

        // The second attempt keeps the first attempt's time and numbers its row 2.
        clock.set(6_100)
        let second = try claim(store, now: 6_100)
        #expect(second.map(\.destination) == ["retry"])
        #expect(second.first?.attempts == 1 && second.first?.firstAttemptAt == 1_020)
        try record(store, [DeliveryResult(try #require(second.first), startedAt: 6_100, durationMilliseconds: 3, statusCode: 204,
                                          outcome: .delivered)])
        let retried = try #require(try store.deliveries(matching: DeliveryFilter(statuses: [.delivered])).first { $0.destination == "retry" })
        #expect(retried.attempts == 2 && retried.firstAttemptAt == 1_020 && retried.lastStatusCode == 204 && retried.lastError == nil)
        #expect(retried.nextAttemptAt == 6_020 && retried.updatedAt == 6_100 && retried.leaseUntil == nil)
        #expect(try store.attempts(forDelivery: retry.id).map(\.number) == [1, 2])
        #expect(store.stats.resultsRecorded == 5 && store.stats.resultsIgnored == 0)
    }

    @Test func aLateResultNeverOverwritesANewerState() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(0)
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(clock))
        defer { store.close() }
        try append(store, "e1", ["a"])

        // The first sender hangs past its lease; a second claim takes the delivery and succeeds.
        let hung = try #require(try claim(store, now: 0, lease: 100).first)
        let second = try #require(try claim(store, now: 100, lease: 100).first)
        #expect(second.id == hung.id && second.leaseUntil == 200 && hung.leaseUntil == 100)
        try record(store, [DeliveryResult(second, startedAt: 100, durationMilliseconds: 5, statusCode: 200, outcome: .delivered)])

        // The hung sender's answer arrives: it must not turn the delivery back into a retry.
        try record(store, [DeliveryResult(hung, startedAt: 0, durationMilliseconds: 150, statusCode: 503, outcome: .retrying(nextAttemptAt: 5_000))])
        // Nor may the same result twice, or a postponement under a stale lease.
        try record(store, [
            DeliveryResult(second, startedAt: 100, durationMilliseconds: 5, outcome: .dead(reason: "duplicate")),
            DeliveryResult(hung, startedAt: 0, durationMilliseconds: 0, outcome: .postponed(until: 9_999)),
        ])
        let delivery = try #require(try store.deliveries(matching: DeliveryFilter()).first)
        #expect(delivery.status == .delivered && delivery.attempts == 1 && delivery.lastStatusCode == 200)
        #expect(delivery.nextAttemptAt == 0 && delivery.lastError == nil)
        #expect(try store.attempts(forDelivery: delivery.id).map(\.statusCode) == [200])
        #expect(store.stats.resultsRecorded == 1 && store.stats.resultsIgnored == 3)

        // A requeue after the lease lapsed also invalidates it; while a lease holds, requeue leaves it alone.
        clock.set(1_000)
        try append(store, "e2", ["a"])
        let lapsed = try #require(try claim(store, now: 1_000, lease: 100).first)
        clock.set(1_100)
        #expect(try store.requeue(deliveryIDs: [lapsed.id]) == 1)
        try record(store, [DeliveryResult(lapsed, startedAt: 1_000, durationMilliseconds: 1, statusCode: 200, outcome: .delivered)])
        #expect(try store.deliveries(matching: DeliveryFilter(eventID: "e2")).map(\.status) == [.pending])
        let current = try #require(try claim(store, now: 1_100, lease: 100).first)
        clock.set(1_150)
        #expect(try store.requeue(deliveryIDs: [current.id]) == 0, "requeued a delivery in flight")
        try record(store, [DeliveryResult(current, startedAt: 1_100, durationMilliseconds: 1, statusCode: 200, outcome: .delivered)])
        #expect(try store.deliveries(matching: DeliveryFilter(eventID: "e2")).map(\.status) == [.delivered])
        #expect(store.stats.resultsIgnored == 4)
    }

    // MARK: Load

    @Test func claimsAndRecordsCompleteWhileIngestAppendsConcurrently() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var configuration = SQLiteStore.Configuration()
        configuration.maxQueuedRequests = 20_000
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }
        let ingestThreads = 4, perThread = 1_500, total = ingestThreads * perThread
        let wake = ThreadSignal(autoReset: false)
        store.onNewDeliveries = { wake.signal() }

        // Two dispatchers claim and record while the ingest threads append; every delivery must be claimed
        // exactly once (leases are long enough never to lapse here).
        let claimedIDs = Locked<[Int64: Int]>([:])
        let delivered = Counter()
        let problems = Locked<[String]>([])
        let dispatchersDone = Counter()
        let allDone = ThreadSignal(autoReset: false)
        for _ in 0..<2 {
            try StoreThread.start {
                let deadline = WallClock.unixMilliseconds() + 60_000
                while delivered.value < total, WallClock.unixMilliseconds() < deadline {
                    let now = WallClock.unixMilliseconds()
                    guard let result = waitFor({ store.claimDue(now: now, limit: 200, leaseMilliseconds: 600_000, completion: $0) }),
                          case .success(let batch) = result
                    else {
                        problems.withLock { $0.append("a claim was refused or failed") }
                        break
                    }
                    if batch.isEmpty {
                        _ = wake.wait(milliseconds: 50)
                        continue
                    }
                    claimedIDs.withLock { ids in for delivery in batch { ids[delivery.id, default: 0] += 1 } }
                    let results = batch.map {
                        DeliveryResult($0, startedAt: now, durationMilliseconds: 1, statusCode: 200, outcome: .delivered)
                    }
                    guard case .success = waitFor({ store.record(results, completion: $0) }) else {
                        problems.withLock { $0.append("a record was refused or failed") }
                        break
                    }
                    for _ in batch { delivered.increment() }
                }
                dispatchersDone.increment()
                if dispatchersDone.value == 2 { allDone.signal() }
            }
        }
        let appended = Completions(expected: total)
        for thread in 0..<ingestThreads {
            try StoreThread.start {
                for i in 0..<perThread {
                    let tag = thread * perThread + i
                    let event = makeEvent("t\(thread)-\(i)", providerEventID: "evt_\(tag)", destinations: ["billing"])
                    if !store.append([event], completion: appended.handler(tag)) {
                        problems.withLock { $0.append("append \(tag) was refused") }
                    }
                }
            }
        }

        let appends = try appended.wait(seconds: 120)
        #expect(appends.values.allSatisfy { (try? $0.get()) != nil })
        #expect(allDone.wait(milliseconds: 120_000), "the dispatchers did not finish")
        #expect(problems.withLock { $0 }.isEmpty)
        let counts = claimedIDs.withLock { $0 }
        #expect(counts.count == total)
        #expect(counts.values.allSatisfy { $0 == 1 }, "a delivery was claimed twice")
        #expect(delivered.value == total)
        #expect(try store.deliveries(matching: DeliveryFilter(statuses: [.delivered], limit: total + 1)).count == total)
        #expect(try store.nextDueTime(now: WallClock.unixMilliseconds()) == nil)
        #expect(try count(store, "SELECT count(*) FROM attempts") == Int64(total))
        #expect(store.stats.resultsRecorded == total && store.stats.resultsIgnored == 0)
        #expect(store.stats.requestsStored == total && store.stats.requestsFailed == 0 && store.stats.deliveryOperationsFailed == 0)
    }

    @Test func drainsAHundredThousandPendingDeliveriesInBoundedBatches() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(ManualClock(1_000)))
        defer { store.close() }
        // 1,000 requests × 10 events × 10 destinations.
        let destinations = (0..<10).map { "d\($0)" }
        let appended = Completions(expected: 1_000)
        for request in 0..<1_000 {
            let events = (0..<10).map { makeEvent("r\(request)-\($0)", providerEventID: "evt_\(request)_\($0)", destinations: destinations) }
            try #require(store.append(events, completion: appended.handler(request)))
        }
        #expect(try appended.wait(seconds: 120).values.allSatisfy { (try? $0.get()) != nil })
        #expect(store.stats.deliveriesStored == 100_000)

        // A limit above the cap gets the cap.
        let capped = try claim(store, now: 1_000, limit: 5_000, lease: 60_000)
        #expect(capped.count == SQLiteStore.maxClaimLimit)
        try record(store, capped.map { DeliveryResult($0, startedAt: 1_000, durationMilliseconds: 1, statusCode: 200, outcome: .delivered) })

        var seen = Set(capped.map(\.id))
        var batches = 0, largest = 0, repeats = 0
        while batches <= 250 {
            let batch = try claim(store, now: 1_000, limit: 500, lease: 60_000)
            if batch.isEmpty { break }
            batches += 1
            largest = max(largest, batch.count)
            for delivery in batch where !seen.insert(delivery.id).inserted { repeats += 1 }
            try record(store, batch.map { DeliveryResult($0, startedAt: 1_000, durationMilliseconds: 1, statusCode: 200, outcome: .delivered) })
        }
        #expect(batches == 198 && largest == 500)
        #expect(repeats == 0 && seen.count == 100_000)
        #expect(store.stats.resultsRecorded == 100_000)
        #expect(try store.nextDueTime(now: 1_000) == nil)
        #expect(try count(store, "SELECT count(*) FROM deliveries WHERE status = 'delivered' AND attempts = 1") == 100_000)
    }

    @Test func dueQueriesSearchTheDueIndexAndNeverSortTheBacklog() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        try SQLiteStore(dataDirectory: directory.path).close()
        let db = try SQLiteConnection(path: SQLiteStore.databasePath(in: directory.path), mode: .readOnly, busyTimeoutMillis: 1000)
        defer { db.close() }

        for sql in [DeliveryStatements.dueSQL(excluding: false), DeliveryStatements.dueSQL(excluding: true), SQLiteStoreReader.nextDueAllSQL] {
            let plan = try db.queryPlan(sql)
            let byID = Dictionary(plan.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            func isUnderMerge(_ node: (id: Int, parent: Int, detail: String)) -> Bool {
                var parent = byID[node.parent]
                while let current = parent {
                    if current.detail.hasPrefix("MERGE") { return true }
                    parent = byID[current.parent]
                }
                return false
            }
            let onDeliveries = plan.filter { $0.detail.contains(" deliveries ") }
            #expect(!onDeliveries.isEmpty)
            for node in onDeliveries {
                #expect(node.detail.hasPrefix("SEARCH deliveries USING") && node.detail.contains("INDEX deliveries_due (status=?"),
                        "\(node.detail)\n\(sql)")
            }
            // A sort is fine only where the two ordered runs (at most `limit` rows each) are merged.
            for node in plan where node.detail.contains("TEMP B-TREE") {
                #expect(isUnderMerge(node), "sorts more than the merged runs: \(plan.map(\.detail))")
            }
        }
        let claimedPlan = try db.queryPlan(DeliveryStatements.claimedSQL).map(\.detail)
        #expect(claimedPlan.allSatisfy { $0.hasPrefix("SEARCH") }, "\(claimedPlan)")
    }

    // MARK: Schema

    @Test func upgradesAVersion1DatabaseInPlace() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let path = SQLiteStore.databasePath(in: directory.path)
        try StoreFiles.makeDirectories(directory.path)
        try StoreFiles.createPrivateFile(path)
        let v1 = try SQLiteConnection(path: path, mode: .readWrite, busyTimeoutMillis: 1000)
        try StoreSchema.migrate(v1, now: 1, through: 1)
        try v1.execute("""
            INSERT INTO events VALUES ('e1', 'stripe', 'stripe', 'evt_1', 'stripe.charge.failed', NULL,
                                       '2026-11-21T10:15:00Z', 500, x'48', x'7B7D', x'7B7D');
            INSERT INTO deliveries (id, event_id, route, destination, status, attempts, next_attempt_at, lease_until,
                                    last_status_code, last_error, created_at, updated_at)
            VALUES (1, 'e1', 'r', 'a', 'retrying', 2, 9000, 8000, 503, 'HTTP 503', 500, 700),
                   (2, 'e1', 'r', 'b', 'pending', 0, 500, NULL, NULL, NULL, 500, 500);
            INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code)
            VALUES (1, 1, 600, 10, 500), (1, 2, 700, 10, 503);
            """, context: "test: v1 rows")
        #expect(try v1.integer("PRAGMA user_version", context: "test") == 1)
        #expect(try v1.integer("SELECT count(*) FROM pragma_table_info('deliveries') WHERE name = 'first_attempt_at'", context: "test") == 0)
        v1.close()
        #expect {
            try SQLiteStoreReader(dataDirectory: directory.path)
        } throws: { ($0 as? StoreError)?.kind == .schemaTooOld }

        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(ManualClock(9_000)))
        defer { store.close() }
        let db = try SQLiteConnection(path: path, mode: .readOnly, busyTimeoutMillis: 1000)
        defer { db.close() }
        #expect(try db.integer("PRAGMA user_version", context: "test") == 2)
        #expect(try db.text("SELECT group_concat(version || ':' || name, ' | ') FROM schema_migrations", context: "test")
                == "1:events, deliveries, attempts | 2:deliveries.first_attempt_at")
        let deliveries = Dictionary(uniqueKeysWithValues: try store.deliveries(matching: DeliveryFilter()).map { ($0.id, $0) })
        #expect(deliveries[1] == Delivery(
            id: 1, eventID: "e1", route: "r", destination: "a", status: .retrying, attempts: 2, nextAttemptAt: 9_000,
            lastStatusCode: 503, lastError: "HTTP 503", createdAt: 500, updatedAt: 700, firstAttemptAt: 600, leaseUntil: nil))
        #expect(deliveries[2]?.firstAttemptAt == nil && deliveries[2]?.status == .pending)
        #expect(try store.attempts(forDelivery: 1).map(\.number) == [1, 2])
        let claimed = try claim(store, now: 9_000)
        #expect(claimed.map(\.id) == [2, 1])
        #expect(claimed.last?.attempts == 2 && claimed.last?.firstAttemptAt == 600 && claimed.last?.rawBody == Array("{}".utf8))
    }

    // MARK: Wake-ups and requeue

    @Test func wakesTheDispatcherAfterCommitsThatAddOrRequeueDeliveries() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(1_000)
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: .manual(clock))
        let wakes = Counter()
        store.onNewDeliveries = { wakes.increment() }
        // `record([])` is a barrier: the hook runs after the commit it follows, before the next one.
        func wakesAfterBarrier() throws -> Int {
            try record(store, [])
            return wakes.value
        }

        try append(store, "none", [])
        #expect(try wakesAfterBarrier() == 0, "woke for an event without deliveries")
        try append(store, "e1", ["a"])
        #expect(try wakesAfterBarrier() == 1)
        #expect(try appendAndWait(store, [makeEvent("dup", providerEventID: "evt_e1")]).get() == [.duplicate(existingEventID: "e1")])
        #expect(try wakesAfterBarrier() == 1, "woke for a duplicate")
        let claimed = try claim(store, now: 1_000)
        try record(store, [DeliveryResult(claimed[0], startedAt: 1_000, durationMilliseconds: 1, statusCode: 410, outcome: .dead(reason: "gone"))])
        #expect(try wakesAfterBarrier() == 1, "woke for a claim or a result")
        #expect(try store.requeue(deliveryIDs: [claimed[0].id]) == 1)
        #expect(try wakesAfterBarrier() == 2)
        #expect(try store.requeue(deliveryIDs: [999]) == 0)
        #expect(try store.requeue(matching: DeliveryFilter(statuses: .failed), dryRun: false) == 0)
        #expect(try wakesAfterBarrier() == 2, "woke for a requeue that changed nothing")
        store.onNewDeliveries = nil
        try append(store, "e2", ["a"])
        #expect(try wakesAfterBarrier() == 2)

        store.close()
        #expect(!store.claimDue(now: 1_000, limit: 1, leaseMilliseconds: 1) { _ in })
        #expect(!store.record([], completion: nil))
        #expect(throws: StoreError.self) { try store.requeue(deliveryIDs: [1]) }
    }

    @Test func requeuesByIDsAndByFilterKeepingHistoryAndSkippingDeliveriesInFlight() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let clock = ManualClock(1_000)
        var configuration = SQLiteStore.Configuration.manual(clock)
        configuration.requeueChunk = 2
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }
        try append(store, "s1", ["a", "b", "c", "d"])
        _ = try appendAndWait(store, [makeEvent("g1", source: "github", providerEventID: "evt_g1", destinations: ["a", "b"])]).get()
        let claimed = Dictionary(uniqueKeysWithValues: try claim(store, now: 1_000, lease: 1_000).map { ($0.label, $0) })
        func result(_ label: String, _ outcome: DeliveryResult.Outcome) throws -> DeliveryResult {
            DeliveryResult(try #require(claimed[label]), startedAt: 1_000, durationMilliseconds: 1, statusCode: 500, error: "HTTP 500",
                           outcome: outcome)
        }
        try record(store, [
            try result("s1/a", .dead(reason: "schedule exhausted")), try result("s1/b", .retrying(nextAttemptAt: 5_000)),
            try result("s1/c", .delivered), try result("g1/a", .dead(reason: "410")), try result("g1/b", .retrying(nextAttemptAt: 5_000)),
        ])  // s1/d stays in flight until 2,000
        clock.set(1_500)
        let before = try store.deliveries(matching: DeliveryFilter())

        // Dry runs count without changing anything.
        #expect(try store.requeue(matching: DeliveryFilter(statuses: .failed, limit: .max), dryRun: true) == 4)
        #expect(try store.requeue(matching: DeliveryFilter(statuses: .failed, destination: "a", limit: .max), dryRun: true) == 2)
        #expect(try store.requeue(matching: DeliveryFilter(statuses: .failed, source: "github", limit: .max), dryRun: true) == 2)
        #expect(try store.requeue(matching: DeliveryFilter(statuses: [.dead], limit: 1), dryRun: true) == 1)
        #expect(try store.requeue(matching: DeliveryFilter(statuses: [.pending], limit: .max), dryRun: true) == 0, "counted one in flight")
        #expect(try store.deliveries(matching: DeliveryFilter()) == before)

        // By filter: back to pending, due now, lease cleared; attempts and their rows kept.
        #expect(try store.requeue(matching: DeliveryFilter(statuses: .failed, source: "stripe", limit: .max), dryRun: false) == 2)
        let requeued = try store.deliveries(matching: DeliveryFilter(eventID: "s1")).filter { ["a", "b"].contains($0.destination) }
        #expect(requeued.count == 2)
        for delivery in requeued {
            #expect(delivery.status == .pending && delivery.nextAttemptAt == 1_500 && delivery.leaseUntil == nil && delivery.updatedAt == 1_500)
            #expect(delivery.attempts == 1 && delivery.lastStatusCode == 500 && delivery.firstAttemptAt == 1_000)
            #expect(try store.attempts(forDelivery: delivery.id).count == 1)
        }
        // Everything (any status), in chunks of two: all but the one in flight.
        let commits = store.stats.commits
        #expect(try store.requeue(matching: DeliveryFilter(limit: .max), dryRun: false) == 5)
        #expect(store.stats.commits - commits == 3, "6 rows in chunks of 2")

        // By ids: duplicates count once, unknown ids and deliveries in flight are skipped.
        let inFlight = try #require(claimed["s1/d"]).id, delivered = try #require(claimed["s1/c"]).id
        try record(store, [DeliveryResult(try #require(try claim(store, now: 1_500).first { $0.id == delivered }), startedAt: 1_500,
                                          durationMilliseconds: 1, statusCode: 200, outcome: .delivered)])
        #expect(try store.requeue(deliveryIDs: [delivered, delivered, inFlight, 999]) == 1)
        clock.set(2_000)
        #expect(try store.requeue(deliveryIDs: [inFlight]) == 1, "the lease lapsed")

        #expect(try store.deliveries(matching: DeliveryFilter()).count == 6, "a requeue added rows")
        #expect(try count(store, "SELECT count(*) FROM attempts") == 6)
        #expect(store.stats.deliveriesRequeued == 2 + 5 + 1 + 1)
    }
}

extension SQLiteStore.Configuration {
    /// The defaults, with `clock` as the store's clock.
    static func manual(_ clock: ManualClock) -> Self {
        var configuration = Self()
        configuration.clock = clock.reading
        return configuration
    }
}

/// Appends one event with deliveries to `destinations` and checks it was stored.
private func append(_ store: SQLiteStore, _ id: String, _ destinations: [String]) throws {
    #expect(try appendAndWait(store, [makeEvent(id, providerEventID: "evt_\(id)", destinations: destinations)]).get() == [.stored(eventID: id)])
}

/// A single-integer query on a read-only connection of its own.
private func count(_ store: SQLiteStore, _ sql: String) throws -> Int64 {
    let db = try SQLiteConnection(path: store.databasePath, mode: .readOnly, busyTimeoutMillis: 1000)
    defer { db.close() }
    return try db.integer(sql, context: "test")
}
