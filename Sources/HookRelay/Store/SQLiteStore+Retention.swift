import Synchronization

extension SQLiteStore {
    /// Deletes every event past `policy` (see ``RetentionPolicy``), with its deliveries and attempts, in batches of
    /// at most `policy.batchSize` events: each batch is one operation on the writer's queue, committed (possibly in a
    /// group with appends) before the next is queued, so ingest never waits behind one large delete. Cutoffs are
    /// taken from the store's clock when each batch runs. Stops early, between batches, once `isCancelled` says so.
    ///
    /// Blocks until the last batch committed; never call it from a completion.
    @discardableResult
    public func prune(_ policy: RetentionPolicy, isCancelled: () -> Bool = { false }) throws(StoreError) -> PruneSummary {
        var summary = PruneSummary()
        guard policy.isEnabled else { return summary }
        var after: (receivedAt: Int64, rowID: Int64) = (.min, .min)
        repeat {
            let progress = try pruneAndWait(PruneRequest(policy: policy, after: after))
            summary.batches += 1
            summary.events += progress.deleted
            summary.largestBatch = max(summary.largestBatch, progress.deleted)
            guard progress.hasMore else { break }
            after = (progress.lastReceivedAt, progress.lastRowID)
        } while !isCancelled()
        return summary
    }

    /// Queues one prune batch and blocks until the writer committed it.
    private func pruneAndWait(_ request: PruneRequest) throws(StoreError) -> PruneProgress {
        precondition(!shared.isWriterThread, "prune called on the store's writer thread (from a completion): it would wait for itself")
        let outcome = Mutex<Result<PruneProgress, StoreError>?>(nil)
        let done = ThreadSignal(autoReset: false)
        let write = PendingWrite(operation: .prune(request) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }, byteCount: 0)
        switch enqueue(write) {
        case .accepted: break
        case .closed: throw .closed
        case .full: throw .queueFull
        }
        done.wait()
        guard let result = outcome.withLock({ $0 }) else { throw .invalidRow("prune completed without a result") }
        return try result.get()
    }
}
