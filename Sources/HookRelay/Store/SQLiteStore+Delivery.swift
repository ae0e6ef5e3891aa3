import Synchronization

extension SQLiteStore {
    public func claimDue(
        now: Int64, limit: Int, leaseMilliseconds: Int64, excludingDestinations: Set<String> = [],
        completion: @escaping @Sendable (Result<[ClaimedDelivery], StoreError>) -> Void
    ) -> Bool {
        let request = ClaimRequest(
            now: now, limit: limit, leaseMilliseconds: leaseMilliseconds, excludedDestinations: excludingDestinations.sorted())
        return enqueue(PendingWrite(operation: .claim(request, completion: completion), byteCount: 0)) == .accepted
    }

    public func record(_ results: [DeliveryResult], completion: (@Sendable (Result<Void, StoreError>) -> Void)?) -> Bool {
        let byteCount = results.reduce(0) { $0 + $1.byteCount }
        return enqueue(PendingWrite(operation: .record(results, completion: completion), byteCount: byteCount)) == .accepted
    }

    public func requeue(deliveryIDs: [Int64]) throws(StoreError) -> Int {
        let ids = Array(Set(deliveryIDs))
        let chunkSize = max(1, shared.configuration.requeueChunk)
        var requeued = 0
        var start = 0
        while start < ids.count {
            let end = min(ids.count, start + chunkSize)
            requeued += try writeAndWait("requeue") { .requeue(.ids(Array(ids[start..<end])), completion: $0) }.requeued
            start = end
        }
        return requeued
    }

    public func requeue(matching filter: DeliveryFilter, dryRun: Bool = false) throws(StoreError) -> Int {
        if dryRun { return try reader.requeueCount(matching: filter, now: shared.configuration.clock()) }
        let chunkSize = max(1, shared.configuration.requeueChunk)
        var remaining = max(0, filter.limit)
        var below = Int64.max
        var requeued = 0
        while remaining > 0 {
            let chunk = min(remaining, chunkSize)
            let progress = try writeAndWait("requeue") { .requeue(.filter(filter, belowID: below, limit: chunk), completion: $0) }
            requeued += progress.requeued
            remaining -= progress.examined
            guard progress.hasMore, let last = progress.lastID else { break }
            below = last
        }
        return requeued
    }

    /// Queues one write operation and blocks until the writer committed it (requeue chunks, retention batches).
    func writeAndWait<Progress: Sendable>(
        _ name: String, _ makeOperation: (@escaping @Sendable (Result<Progress, StoreError>) -> Void) -> WriteOperation
    ) throws(StoreError) -> Progress {
        precondition(!shared.isWriterThread, "\(name) called on the store's writer thread (from a completion): it would wait for itself")
        let outcome = Mutex<Result<Progress, StoreError>?>(nil)
        let done = ThreadSignal(autoReset: false)
        let write = PendingWrite(operation: makeOperation { result in
            outcome.withLock { $0 = result }
            done.signal()
        }, byteCount: 0)
        switch enqueue(write) {
        case .accepted: break
        case .closed: throw .closed
        case .full: throw .queueFull
        }
        done.wait()
        guard let result = outcome.withLock({ $0 }) else { throw .invalidRow("\(name) completed without a result") }
        return try result.get()
    }

    public var onNewDeliveries: (@Sendable () -> Void)? {
        get { shared.onNewDeliveries.withLock { $0 } }
        set { shared.onNewDeliveries.withLock { $0 = newValue } }
    }

    public func delivery(id: Int64) throws(StoreError) -> Delivery? {
        try reader.delivery(id: id)
    }

    /// ``SQLiteStoreReader/nextDueTime(now:excludingDestinations:)`` on the store's read connection.
    public func nextDueTime(now: Int64, excludingDestinations excluded: Set<String>) throws(StoreError) -> Int64? {
        try reader.nextDueTime(now: now, excludingDestinations: excluded)
    }

    public func attempts(forDelivery id: Int64) throws(StoreError) -> [DeliveryAttempt] {
        try reader.attempts(forDelivery: id)
    }

    public func nextDueTime(now: Int64) throws(StoreError) -> Int64? {
        try reader.nextDueTime(now: now)
    }
}
