import Glibc

/// The writer thread's state: the write connection and its prepared statements. Created by `SQLiteStore`
/// and handed to the writer thread, which is the only one to touch it afterwards (hence no `Sendable`).
final class StoreWriter {
    let db: SQLiteConnection
    let shared: StoreShared
    private let begin: SQLiteStatement
    private let commit: SQLiteStatement
    private let rollback: SQLiteStatement
    private let insertEvent: SQLiteStatement
    private let findEvent: SQLiteStatement
    private let insertDelivery: SQLiteStatement
    let delivery: DeliveryStatements

    private typealias RequestResult = Result<WriteOutput, StoreError>

    init(connection db: SQLiteConnection, shared: StoreShared) throws(StoreError) {
        self.db = db
        self.shared = shared
        begin = try db.prepareForReuse("BEGIN IMMEDIATE", context: "begin")
        commit = try db.prepareForReuse("COMMIT", context: "commit")
        rollback = try db.prepareForReuse("ROLLBACK", context: "rollback")
        insertEvent = try db.prepareForReuse("""
            INSERT INTO events (id, source, provider, provider_event_id, type, subject, time, received_at,
                                headers, body, envelope)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
            ON CONFLICT (source, provider_event_id) DO NOTHING
            """, context: "insert event")
        findEvent = try db.prepareForReuse(
            "SELECT id FROM events WHERE source = ?1 AND provider_event_id = ?2", context: "find duplicate event")
        insertDelivery = try db.prepareForReuse("""
            INSERT INTO deliveries (event_id, route, destination, status, attempts, next_attempt_at,
                                    created_at, updated_at)
            VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?4, ?4)
            """, context: "insert delivery")
        delivery = try DeliveryStatements(db)
    }

    /// The writer thread's loop: write batches until the store is closed and the queue drained.
    func run() {
        shared.queue.withLock { $0.writerThread = StoreThread.current }
        let limits = (requests: max(1, shared.configuration.maxBatchRequests), bytes: shared.configuration.maxBatchBytes)
        while true {
            let step = shared.queue.withLock { $0.next(maxRequests: limits.requests, maxBytes: limits.bytes) }
            switch step {
            case .write(let batch): write(batch)
            case .park:
                shared.writerParked.signal()
                shared.checkpointDone.wait()
            case .wait: shared.wake.wait()
            case .finish:
                db.close()
                shared.isHealthy.store(false, ordering: .relaxed)
                shared.maintenanceStop.signal()
                shared.writerParked.signal()  // a checkpoint waiting for the writer gives up now
                shared.maintenanceFinished.wait()
                // Every write connection is closed: another process may take the data directory now.
                Glibc.close(shared.lockFile)
                shared.writerFinished.signal()
                return
            }
        }
    }

    /// Writes `batch` in as few transactions as it takes, then completes each request in order, then calls
    /// `onNewDeliveries` if a committed transaction added or requeued deliveries.
    ///
    /// Normally one transaction holds the whole batch. A request whose data violates a constraint rolls
    /// the transaction back; it fails alone and the rest of the batch is written again without it (no
    /// per-request savepoints: they cost a page copy for every page a request touches, about 40% of the
    /// throughput, to serve a case that means a bug upstream). A transaction that fails for any other
    /// reason (COMMIT, I/O, full disk) is rolled back and each request is retried in a transaction of its own;
    /// if `BEGIN` itself fails, the whole batch fails with that error.
    private func write(_ batch: [PendingWrite]) {
        var results = [RequestResult?](repeating: nil, count: batch.count)
        var remaining = Array(batch.indices)
        var hasNewDeliveries = false
        while !remaining.isEmpty {
            switch transact(remaining.map { batch[$0] }) {
            case .committed(let outputs, let addedDeliveries):
                for (index, output) in zip(remaining, outputs) { results[index] = .success(output) }
                hasNewDeliveries = hasNewDeliveries || addedDeliveries
                remaining = []
            case .rejected(let position, let error):
                results[remaining[position]] = .failure(error)
                remaining.remove(at: position)
                if !remaining.isEmpty { shared.stats.withLock { $0.batchesRedone += 1 } }
            case .notBegun(let error):
                // Retrying each request alone would wait out the same lock or hit the same I/O error.
                for index in remaining { results[index] = .failure(error) }
                remaining = []
            case .failed(let error) where remaining.count == 1:
                results[remaining[0]] = .failure(error)
                remaining = []
            case .failed:
                shared.stats.withLock { $0.batchesSplit += 1 }
                for index in remaining {
                    let (result, addedDeliveries) = writeAlone(batch[index])
                    results[index] = result
                    hasNewDeliveries = hasNewDeliveries || addedDeliveries
                }
                remaining = []
            }
        }
        var failures = (appends: 0, others: 0)
        for (request, result) in zip(batch, results) {
            guard case .failure = result else { continue }
            if request.operation.isAppend { failures.appends += 1 } else { failures.others += 1 }
        }
        if failures != (0, 0) {
            shared.stats.withLock { stats in
                stats.requestsFailed += failures.appends
                stats.deliveryOperationsFailed += failures.others
            }
        }
        for (request, result) in zip(batch, results) {
            request.complete(result ?? .failure(.invalidRow("no result recorded")))
        }
        if hasNewDeliveries, let onNewDeliveries = shared.onNewDeliveries.withLock({ $0 }) {
            onNewDeliveries()
        }
    }

    /// Writes one request in a transaction of its own; also says whether it added or requeued deliveries.
    private func writeAlone(_ request: PendingWrite) -> (RequestResult, Bool) {
        switch transact([request]) {
        case .committed(let outputs, let addedDeliveries): (.success(outputs[0]), addedDeliveries)
        case .rejected(_, let error), .notBegun(let error), .failed(let error): (.failure(error), false)
        }
    }

    private enum TransactionResult {
        /// Committed: each request's output, in order, and whether deliveries were added or requeued.
        case committed([WriteOutput], addedDeliveries: Bool)
        /// Rolled back because the request at `position` violated a constraint.
        case rejected(position: Int, StoreError)
        /// `BEGIN IMMEDIATE` failed (the write lock stayed busy past the timeout, or I/O).
        case notBegun(StoreError)
        /// Rolled back for another reason.
        case failed(StoreError)
    }

    /// One transaction holding `requests`; rolled back unless it commits.
    private func transact(_ requests: [PendingWrite]) -> TransactionResult {
        let started = StoreClock.monotonicMicros()
        let now = shared.configuration.clock()
        do throws(StoreError) {
            try begin.run()
        } catch {
            markUnhealthy(unless: error)
            return .notBegun(error)
        }
        var outputs: [WriteOutput] = []
        outputs.reserveCapacity(requests.count)
        for (position, request) in requests.enumerated() {
            do throws(StoreError) {
                outputs.append(try perform(request.operation, now: now))
            } catch {
                rollBack()
                if error.isConstraintViolation { return .rejected(position: position, error) }
                markUnhealthy(unless: error)
                return .failed(error)
            }
        }
        do throws(StoreError) {
            try commit.run()
        } catch {
            rollBack()
            markUnhealthy(unless: error)
            return .failed(error)
        }
        let addedDeliveries = account(requests, outputs, micros: StoreClock.monotonicMicros() - started)
        return .committed(outputs, addedDeliveries: addedDeliveries)
    }

    /// Runs one operation inside the open transaction.
    private func perform(_ operation: WriteOperation, now: Int64) throws(StoreError) -> WriteOutput {
        switch operation {
        case .append(let events, _): .appended(try insert(events, now: now))
        case .claim(let request, _): .claimed(try claim(request))
        case .record(let results, _): try apply(results, now: now)
        case .requeue(let request, _): .requeued(try requeue(request, now: now))
        case .prune(let request, _): .pruned(try prune(request, now: now))
        }
    }

    private func rollBack() {
        if !db.isAutocommit { try? rollback.run() }
    }

    /// A failure that is not the request's own fault (a constraint) makes the store report itself unwritable
    /// until the next commit succeeds.
    private func markUnhealthy(unless error: StoreError) {
        if !error.isConstraintViolation { shared.isHealthy.store(false, ordering: .relaxed) }
    }

    /// Inserts one request's events and their deliveries; a duplicate event adds nothing.
    private func insert(_ events: [NewEvent], now: Int64) throws(StoreError) -> [AppendOutcome] {
        var outcomes: [AppendOutcome] = []
        outcomes.reserveCapacity(events.count)
        for event in events {
            if try insertEventRow(event) {
                for delivery in event.deliveries {
                    try insertDelivery.bind(event.id, at: 1)
                    try insertDelivery.bind(delivery.route, at: 2)
                    try insertDelivery.bind(delivery.destination, at: 3)
                    try insertDelivery.bind(now, at: 4)
                    try insertDelivery.run()
                }
                outcomes.append(.stored(eventID: event.id))
            } else {
                outcomes.append(.duplicate(existingEventID: try existingEventID(of: event)))
            }
        }
        return outcomes
    }

    /// Inserts the event row; `false` when an event with the same dedupe key exists.
    private func insertEventRow(_ event: NewEvent) throws(StoreError) -> Bool {
        let statement = insertEvent
        try statement.bind(event.id, at: 1)
        try statement.bind(event.source, at: 2)
        try statement.bind(event.provider, at: 3)
        try statement.bind(event.providerEventID, at: 4)
        try statement.bind(event.type, at: 5)
        try statement.bind(event.subject, at: 6)
        try statement.bind(event.time, at: 7)
        try statement.bind(event.receivedAt, at: 8)
        try statement.withBlob(event.rawHeaders, at: 9) { () throws(StoreError) in
            try statement.withBlob(event.rawBody, at: 10) { () throws(StoreError) in
                try statement.withBlob(event.envelope, at: 11) { () throws(StoreError) in
                    try statement.run()
                }
            }
        }
        return db.changes == 1
    }

    private func existingEventID(of event: NewEvent) throws(StoreError) -> String {
        defer { findEvent.reset() }
        try findEvent.bind(event.source, at: 1)
        try findEvent.bind(event.providerEventID, at: 2)
        guard try findEvent.step() else {
            throw .invalidRow("insert of an event was ignored, but no event has its source and provider event id")
        }
        return findEvent.text(0)
    }

    /// Counts a committed transaction; returns whether it added deliveries or requeued some.
    private func account(_ requests: [PendingWrite], _ outputs: [WriteOutput], micros: Int64) -> Bool {
        var appends = 0, events = 0, duplicates = 0, deliveries = 0
        var claims = 0, claimed = 0, recorded = 0, ignored = 0, requeued = 0, pruned = 0
        for (request, output) in zip(requests, outputs) {
            switch (request.operation, output) {
            case (.append(let appended, _), .appended(let outcomes)):
                appends += 1
                for (event, outcome) in zip(appended, outcomes) {
                    if outcome.isDuplicate {
                        duplicates += 1
                    } else {
                        events += 1
                        deliveries += event.deliveries.count
                    }
                }
            case (_, .claimed(let leased)):
                claims += 1
                claimed += leased.count
            case (_, .recorded(let applied, let stale)):
                recorded += applied
                ignored += stale
            case (_, .requeued(let progress)):
                requeued += progress.requeued
            case (_, .pruned(let progress)):
                pruned += progress.deleted
            default:
                break
            }
        }
        shared.isHealthy.store(true, ordering: .relaxed)
        shared.stats.withLock { stats in
            stats.commits += 1
            stats.requestsStored += appends
            stats.claims += claims
            stats.deliveriesClaimed += claimed
            stats.resultsRecorded += recorded
            stats.resultsIgnored += ignored
            stats.deliveriesRequeued += requeued
            stats.eventsPruned += pruned
            stats.eventsStored += events
            stats.duplicates += duplicates
            stats.deliveriesStored += deliveries
            stats.lastBatchSize = requests.count
            stats.maxBatchSize = max(stats.maxBatchSize, requests.count)
            stats.lastCommitMicros = micros
            stats.totalCommitMicros += micros
        }
        shared.configuration.commitObserver?(CommitSample(requests: requests.count, rows: events + deliveries, durationMicros: micros))
        return deliveries > 0 || requeued > 0
    }
}
