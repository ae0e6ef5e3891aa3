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
            let progress = try writeAndWait("prune") { .prune(PruneRequest(policy: policy, after: after), completion: $0) }
            summary.batches += 1
            summary.events += progress.deleted
            summary.largestBatch = max(summary.largestBatch, progress.deleted)
            guard progress.hasMore else { break }
            after = (progress.lastReceivedAt, progress.lastRowID)
        } while !isCancelled()
        return summary
    }
}
