import Foundation
import Synchronization
import Testing

@testable import HookRelay

/// The SQLite event store, on real database files in temporary directories.
@Suite struct StoreTests {
    typealias AppendResult = Result<[AppendOutcome], StoreError>

    // MARK: Round trip

    @Test func storesEventBytesExactlyWithPendingDeliveries() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var configuration = SQLiteStore.Configuration()
        configuration.clock = { 1_700_000_000_123 }
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }

        var event = makeEvent("e1", providerEventID: "evt_1", destinations: ["billing-n8n", "audit"])
        event.rawHeaders = Array("Host: x\r\nStripe-Signature: t=1,v1=ab\r\n\r\n".utf8) + [0, 0xFF, 0x80]
        event.rawBody = Array(0...255) + Array(0...255).reversed()
        event.envelope = Array(#"{"specversion":"1.0","id":"e1","data":{"k":"\u0000é"}}"#.utf8)
        event.subject = "in_1P"

        let outcomes = try appendAndWait(store, [event]).get()
        #expect(outcomes == [.stored(eventID: "e1")])

        let stored = try #require(try store.event(id: "e1"))
        #expect(stored.rawHeaders == event.rawHeaders)
        #expect(stored.rawBody == event.rawBody)
        #expect(stored.envelope == event.envelope)
        #expect(stored.source == event.source && stored.provider == event.provider)
        #expect(stored.providerEventID == "evt_1" && stored.type == event.type && stored.subject == "in_1P")
        #expect(stored.time == event.time && stored.receivedAt == event.receivedAt)
        #expect(stored.deliveries.map(\.destination) == ["billing-n8n", "audit"])
        #expect(stored.deliveries.map(\.route) == ["route-billing-n8n", "route-audit"])
        for delivery in stored.deliveries {
            #expect(delivery.status == .pending && delivery.attempts == 0 && delivery.eventID == "e1")
            #expect(delivery.nextAttemptAt == 1_700_000_000_123 && delivery.createdAt == 1_700_000_000_123)
            #expect(delivery.lastStatusCode == nil && delivery.lastError == nil)
        }
        #expect(stored.summary == DeliverySummary(pending: 2))
        #expect(try store.deliveries(status: .pending, limit: 10).count == 2)
        #expect(try store.deliveries(status: .dead, limit: 10).isEmpty)
        #expect(try store.event(id: "missing") == nil)
    }

    @Test func keepsEmptyPayloadsEmptyAndMissingSubjectsMissing() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path)
        defer { store.close() }
        var event = makeEvent("e1", providerEventID: "evt_1", destinations: [])
        event.rawHeaders = []
        event.rawBody = []
        event.subject = nil
        event.type = ""

        #expect(try appendAndWait(store, [event]).get() == [.stored(eventID: "e1")])
        let stored = try #require(try store.event(id: "e1"))
        #expect(stored.rawHeaders.isEmpty && stored.rawBody.isEmpty)
        #expect(stored.envelope == event.envelope)
        #expect(stored.subject == nil && stored.type == "")
        #expect(stored.deliveries.isEmpty)
    }

    // MARK: Dedupe

    @Test func dedupesAcrossBatchesAndWithinOneBatchAddingNoDeliveries() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path)
        defer { store.close() }

        // Across batches.
        #expect(try appendAndWait(store, [makeEvent("a", providerEventID: "evt_1")]).get() == [.stored(eventID: "a")])
        #expect(try appendAndWait(store, [makeEvent("b", providerEventID: "evt_1")]).get()
                == [.duplicate(existingEventID: "a")])
        // Within one request.
        #expect(try appendAndWait(store, [makeEvent("c", providerEventID: "evt_2"), makeEvent("d", providerEventID: "evt_2")]).get()
                == [.stored(eventID: "c"), .duplicate(existingEventID: "c")])
        // Within one group commit: two requests in the same transaction.
        let pause = WriterPause(store)
        let completions = Completions(expected: 2)
        #expect(store.append([makeEvent("e", providerEventID: "evt_3")], completion: completions.handler(1)))
        #expect(store.append([makeEvent("f", providerEventID: "evt_3")], completion: completions.handler(2)))
        let commitsBefore = store.stats.commits
        pause.release()
        let results = try completions.wait()
        #expect(try results[1]?.get() == [.stored(eventID: "e")])
        #expect(try results[2]?.get() == [.duplicate(existingEventID: "e")])
        #expect(store.stats.commits == commitsBefore + 1)
        // The key is the pair: the same provider id from another source is a new event.
        #expect(try appendAndWait(store, [makeEvent("g", source: "github", providerEventID: "evt_1")]).get()
                == [.stored(eventID: "g")])

        for duplicate in ["b", "d", "f"] { #expect(try store.event(id: duplicate) == nil) }
        let events = try store.events(limit: 100)
        #expect(Set(events.map(\.id)) == ["pause", "a", "c", "e", "g"])
        let deliveries = try store.deliveries(matching: DeliveryFilter(limit: 1000))
        #expect(deliveries.count == 4 * 2)  // two per stored event; the pause request has none
        #expect(Set(deliveries.map(\.eventID)) == ["a", "c", "e", "g"])
        #expect(store.stats.duplicates == 3)
    }

    // MARK: Group commit

    @Test func groupCommitsManyConcurrentWriters() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var configuration = SQLiteStore.Configuration()
        configuration.maxQueuedRequests = 20_000
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }
        let threads = 8, perThread = 2_000, total = threads * perThread
        let completions = Completions(expected: total)
        let refused = Counter()

        for thread in 0..<threads {
            try StoreThread.start {
                for i in 0..<perThread {
                    let tag = thread * perThread + i
                    let event = makeEvent("t\(thread)-\(i)", providerEventID: "evt_\(tag)", destinations: ["billing"])
                    if !store.append([event], completion: completions.handler(tag)) {
                        refused.increment()
                    }
                }
            }
        }
        let results = try completions.wait(seconds: 120)
        #expect(refused.value == 0)
        #expect(results.count == total)
        #expect(results.values.allSatisfy { (try? $0.get())?.first?.isDuplicate == false })

        let stats = store.stats
        #expect(stats.requestsStored == total && stats.requestsFailed == 0)
        #expect(stats.eventsStored == total && stats.deliveriesStored == total && stats.rows == 2 * total)
        #expect(stats.commits < total, "no batching happened: \(stats.commits) commits")
        #expect(stats.maxBatchSize > 1)
        #expect(try store.events(limit: total + 10).count == total)
        #expect(try store.deliveries(matching: DeliveryFilter(limit: total + 10)).count == total)
    }

    // MARK: Back-pressure

    @Test func refusesAppendsWhenTheQueueIsFull() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var configuration = SQLiteStore.Configuration()
        configuration.maxQueuedRequests = 4
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }

        let pause = WriterPause(store)
        let completions = Completions(expected: 4)
        for i in 1...4 {
            #expect(store.append([makeEvent("q\(i)", providerEventID: "evt_\(i)")], completion: completions.handler(i)))
        }
        let refusedCalled = Counter()
        #expect(!store.append([makeEvent("q5", providerEventID: "evt_5")]) { _ in refusedCalled.increment() })
        #expect(store.stats.queueDepth == 4)
        #expect(store.stats.requestsRejected == 1)
        pause.release()

        let results = try completions.wait()
        #expect(results.values.allSatisfy { (try? $0.get()) != nil })
        #expect(try appendAndWait(store, [makeEvent("q6", providerEventID: "evt_6")]).get() == [.stored(eventID: "q6")])
        #expect(refusedCalled.value == 0)
        #expect(try store.event(id: "q5") == nil)
    }

    @Test func refusesAppendsPastTheQueuedByteLimitButNeverIntoAnEmptyQueue() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var configuration = SQLiteStore.Configuration()
        configuration.maxQueuedBytes = 10_000
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }

        let pause = WriterPause(store)
        var big = makeEvent("big", providerEventID: "evt_big")
        big.rawBody = Array(repeating: 0x61, count: 20_000)
        let completions = Completions(expected: 1)
        #expect(store.append([big], completion: completions.handler(1)))  // over the limit, but the queue was empty
        #expect(!store.append([makeEvent("small", providerEventID: "evt_small")]) { _ in })
        pause.release()
        #expect(try completions.wait()[1]?.get() == [.stored(eventID: "big")])
    }

    // MARK: Atomicity

    enum Poison: CaseIterable {
        /// Two deliveries to one destination: UNIQUE(event_id, destination).
        case duplicateDestination
        /// An empty destination name: CHECK(length(destination) > 0).
        case emptyDestination
    }

    @Test(arguments: Poison.allCases)
    func aRequestViolatingAConstraintFailsAloneInItsGroupCommit(poison: Poison) throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path)
        defer { store.close() }

        var bad = makeEvent("bad2", providerEventID: "evt_bad2", destinations: [])
        bad.rawBody = Array("SECRET-PAYLOAD".utf8)
        switch poison {
        case .duplicateDestination: bad.deliveries = [.init(route: "r1", destination: "x"), .init(route: "r2", destination: "x")]
        case .emptyDestination: bad.deliveries = [.init(route: "r1", destination: "")]
        }
        let pause = WriterPause(store)
        let commitsBefore = store.stats.commits
        let completions = Completions(expected: 3)
        #expect(store.append([makeEvent("good1", providerEventID: "evt_g1")], completion: completions.handler(1)))
        // The poison request's first event is valid: it must not be stored either (all or none).
        #expect(store.append([makeEvent("bad1", providerEventID: "evt_bad1"), bad], completion: completions.handler(2)))
        #expect(store.append([makeEvent("good2", providerEventID: "evt_g2")], completion: completions.handler(3)))
        pause.release()
        let results = try completions.wait()

        #expect(try results[1]?.get() == [.stored(eventID: "good1")])
        #expect(try results[3]?.get() == [.stored(eventID: "good2")])
        guard case .failure(let error) = results[2] else {
            Issue.record("the poison request succeeded: \(String(describing: results[2]))")
            return
        }
        #expect(error.isConstraintViolation)
        #expect(error.kind == .sqlite)
        #expect(error.description.contains("sqlite3_step"))
        #expect(error.description.contains(poison == .duplicateDestination ? "UNIQUE constraint failed" : "CHECK constraint failed"))
        #expect(!error.description.contains("SECRET-PAYLOAD"))

        #expect(store.stats.commits == commitsBefore + 1, "the good requests were not in one group commit")
        #expect(store.stats.batchesRedone == 1)
        #expect(store.stats.batchesSplit == 0)
        #expect(store.stats.requestsFailed == 1)
        #expect(try store.event(id: "bad1") == nil && store.event(id: "bad2") == nil)
        #expect(try store.event(id: "good1")?.deliveries.count == 2)
        #expect(try store.deliveries(matching: DeliveryFilter(limit: 100)).count == 4)
        #expect(store.isWritable, "a constraint violation is the request's fault, not the store's")
    }

    @Test func aFailedCommitIsRetriedOneRequestAtATime() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        try SQLiteStore(dataDirectory: directory.path).close()
        // A deferred foreign key fails only at COMMIT: the whole group transaction fails.
        let raw = try SQLiteConnection(path: SQLiteStore.databasePath(in: directory.path), mode: .readWrite, busyTimeoutMillis: 1000)
        try raw.execute("""
            CREATE TABLE poison (event_id TEXT REFERENCES events (id) DEFERRABLE INITIALLY DEFERRED);
            CREATE TRIGGER poison_on_commit AFTER INSERT ON events WHEN NEW.source = 'poison'
            BEGIN INSERT INTO poison VALUES ('no-such-event'); END;
            """, context: "test setup")
        raw.close()

        let store = try SQLiteStore(dataDirectory: directory.path)
        defer { store.close() }
        let pause = WriterPause(store)
        let commitsBefore = store.stats.commits
        let completions = Completions(expected: 3)
        #expect(store.append([makeEvent("good1", providerEventID: "evt_1")], completion: completions.handler(1)))
        #expect(store.append([makeEvent("bad", source: "poison", providerEventID: "evt_2")], completion: completions.handler(2)))
        #expect(store.append([makeEvent("good2", providerEventID: "evt_3")], completion: completions.handler(3)))
        pause.release()
        let results = try completions.wait()

        #expect(try results[1]?.get() == [.stored(eventID: "good1")])
        #expect(try results[3]?.get() == [.stored(eventID: "good2")])
        guard case .failure(let error) = results[2] else {
            Issue.record("the poison request succeeded")
            return
        }
        #expect(error.description.contains("FOREIGN KEY constraint failed"))
        #expect(store.stats.batchesSplit == 1)
        #expect(store.stats.commits == commitsBefore + 2)
        #expect(store.stats.requestsFailed == 1)
        #expect(try store.event(id: "bad") == nil)
        #expect(try store.events(limit: 10).map(\.id) == ["good2", "good1", "pause"])
    }

    @Test func failsTheBatchWhileAnotherProcessHoldsTheWriteLockThenRecovers() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var configuration = SQLiteStore.Configuration()
        configuration.busyTimeout = .milliseconds(20)
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }
        #expect(store.isWritable)

        let pause = WriterPause(store)
        let other = try SQLiteConnection(path: store.databasePath, mode: .readWrite, busyTimeoutMillis: 1000)
        try other.execute("BEGIN IMMEDIATE", context: "test: hold the write lock")
        let completions = Completions(expected: 3)
        for i in 1...3 {
            #expect(store.append([makeEvent("b\(i)", providerEventID: "evt_\(i)")], completion: completions.handler(i)))
        }
        pause.release()
        let results = try completions.wait()
        for i in 1...3 {
            guard case .failure(let error) = results[i] else {
                Issue.record("request \(i) was stored while another connection held the write lock")
                continue
            }
            #expect(error.sqliteCode.map { $0 & 0xFF } == 5, "expected SQLITE_BUSY: \(error)")
            #expect(error.description.contains("(begin)"))
        }
        #expect(store.stats.batchesSplit == 0, "a failed BEGIN must not be retried request by request")
        #expect(!store.isWritable)

        try other.execute("ROLLBACK", context: "test: release the write lock")
        other.close()
        #expect(try appendAndWait(store, [makeEvent("b4", providerEventID: "evt_4")]).get() == [.stored(eventID: "b4")])
        #expect(store.isWritable)
        #expect(try store.event(id: "b1") == nil)
    }

    // MARK: Checkpoints

    @Test func restartsALongWALWhileWritesContinue() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var configuration = SQLiteStore.Configuration()
        configuration.walRestartFrames = 1
        configuration.checkpointInterval = .milliseconds(2)
        let store = try SQLiteStore(dataDirectory: directory.path, configuration: configuration)
        defer { store.close() }

        // Keep writing until the maintenance thread has parked the writer for a RESTART checkpoint (the
        // cap only turns a missing restart into a failure).
        var appended = 0
        while store.stats.walRestarts == 0, appended < 5_000 {
            _ = try appendAndWait(store, [makeEvent("w\(appended)", providerEventID: "evt_\(appended)")]).get()
            appended += 1
        }
        #expect(store.stats.walRestarts >= 1, "no RESTART checkpoint after \(appended) commits")
        #expect(try appendAndWait(store, [makeEvent("after", providerEventID: "evt_after")]).get() == [.stored(eventID: "after")])
        #expect(try store.events(limit: 10_000).count == appended + 1)
    }

    // MARK: Schema

    @Test func migratesOnOpenReopensAsANoOpAndRefusesAFutureSchema() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let path = SQLiteStore.databasePath(in: directory.path)
        let version = SQLiteStore.schemaVersion
        #expect(version >= 1)

        let store = try SQLiteStore(dataDirectory: directory.path)
        #expect(try appendAndWait(store, [makeEvent("e1", providerEventID: "evt_1")]).get() == [.stored(eventID: "e1")])
        store.close()
        let (userVersion, migrations, tables) = try inspect(path)
        #expect(userVersion == Int64(version))
        #expect(migrations == Int64(version))
        #expect(tables == 4)  // schema_migrations, events, deliveries, attempts

        let reopened = try SQLiteStore(dataDirectory: directory.path)
        #expect(try reopened.event(id: "e1") != nil)
        reopened.close()
        #expect(try inspect(path) == (Int64(version), Int64(version), 4))

        let raw = try SQLiteConnection(path: path, mode: .readWrite, busyTimeoutMillis: 1000)
        try raw.execute("PRAGMA user_version = \(version + 1)", context: "test setup")
        raw.close()
        #expect {
            try SQLiteStore(dataDirectory: directory.path)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.kind == .schemaTooNew && error.description.contains("schema version \(version + 1)")
                && error.description.contains("newer hookrelay")
        }
        #expect {
            try SQLiteStoreReader(dataDirectory: directory.path)
        } throws: { ($0 as? StoreError)?.kind == .schemaTooNew }
        let direct = try SQLiteConnection(path: path, mode: .readWrite, busyTimeoutMillis: 1000)
        #expect {
            try StoreSchema.migrate(direct, now: 0)
        } throws: { ($0 as? StoreError)?.kind == .schemaTooNew }
        #expect(direct.isAutocommit, "the refused migration left a transaction open")
        direct.close()
        #expect(try inspect(path).0 == Int64(version + 1), "a refused open must not touch the file")
    }

    // MARK: Readers

    @Test func aReadOnlyConnectionSeesCommittedRowsWhileTheWriterRuns() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        #expect {
            try SQLiteStoreReader(dataDirectory: directory.path)
        } throws: { ($0 as? StoreError)?.kind == .databaseMissing }

        let store = try SQLiteStore(dataDirectory: directory.path)
        defer { store.close() }
        var first = makeEvent("e1", providerEventID: "evt_1")
        first.receivedAt = 1_000
        _ = try appendAndWait(store, [first]).get()

        let reader = try SQLiteStoreReader(dataDirectory: directory.path)
        defer { reader.close() }
        #expect(try reader.event(id: "e1")?.rawBody == first.rawBody)

        var second = makeEvent("e2", source: "github", providerEventID: "evt_2")
        second.receivedAt = 2_000
        second.type = "github.push"
        _ = try appendAndWait(store, [second]).get()
        #expect(try reader.events(limit: 10).map(\.id) == ["e2", "e1"])
        #expect(try reader.events(matching: EventFilter(source: "stripe")).map(\.id) == ["e1"])
        #expect(try reader.events(matching: EventFilter(typeGlob: "github.*")).map(\.id) == ["e2"])
        #expect(try reader.events(matching: EventFilter(receivedSince: 1_500)).map(\.id) == ["e2"])
        #expect(try reader.events(limit: 1).map(\.id) == ["e2"])
        #expect(try reader.deliveries(matching: DeliveryFilter(destination: "billing")).map(\.eventID) == ["e2", "e1"])
        #expect(try reader.deliveries(matching: DeliveryFilter(statuses: [.retrying, .dead])).isEmpty)

        #expect {
            try SQLiteStore(dataDirectory: directory.path)
        } throws: { ($0 as? StoreError)?.kind == .locked }
    }

    // MARK: Close

    @Test func closeDrainsPendingCompletions() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path)
        let pause = WriterPause(store)
        let count = 50
        let completions = Completions(expected: count)
        for i in 0..<count {
            #expect(store.append([makeEvent("c\(i)", providerEventID: "evt_\(i)")], completion: completions.handler(i)))
        }
        pause.release()
        store.close()

        // No waiting: close returned only after every accepted request completed.
        #expect(completions.count == count)
        #expect(completions.snapshot.values.allSatisfy { (try? $0.get()) != nil })
        #expect(!store.isWritable)
        let lateCalled = Counter()
        #expect(!store.append([makeEvent("late", providerEventID: "evt_late")]) { _ in lateCalled.increment() })
        #expect(lateCalled.value == 0)
        #expect(throws: StoreError.self) { try store.events(limit: 1) }
        store.close()  // idempotent

        let reader = try SQLiteStoreReader(dataDirectory: directory.path)
        #expect(try reader.events(limit: 100).count == count + 1)
    }

    // MARK: Helpers

    private func inspect(_ path: String) throws -> (Int64, Int64, Int64) {
        let db = try SQLiteConnection(path: path, mode: .readOnly, busyTimeoutMillis: 1000)
        defer { db.close() }
        return (try db.integer("PRAGMA user_version", context: "test"),
                try db.integer("SELECT count(*) FROM schema_migrations", context: "test"),
                try db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", context: "test"))
    }
}
