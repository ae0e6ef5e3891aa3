extension StoreWriter {
    /// Events past retention, oldest first, after the cursor: ?1 the later of the two cutoffs, ?2 the failed cutoff,
    /// ?3 the delivered cutoff, ?4 and ?5 the cursor (receive time, rowid), ?6 the batch size.
    ///
    /// Walks `events_received_at`; one correlated aggregate per event reads its deliveries through the
    /// `(event_id, destination)` unique index (separate `EXISTS … status = 'dead'` tests would be planned on
    /// `deliveries_due (status, …)` instead and read every dead delivery for each event). No deliveries: `max` is NULL
    /// and the delivered cutoff applies.
    static let pruneSelectSQL = """
        SELECT e.rowid, e.received_at FROM events e
         WHERE e.received_at < ?1 AND (e.received_at, e.rowid) > (?4, ?5)
           AND (SELECT CASE WHEN max(d.status IN ('pending', 'retrying')) THEN 0
                            WHEN max(d.status = 'dead') THEN e.received_at < ?2
                            ELSE e.received_at < ?3 END
                  FROM deliveries d WHERE d.event_id = e.id)
         ORDER BY e.received_at, e.rowid
         LIMIT ?6
        """

    /// Deletes up to `batchSize` events past retention at `now` (their deliveries and attempts go by `ON DELETE
    /// CASCADE`), inside the open transaction.
    func prune(_ request: PruneRequest, now: Int64) throws(StoreError) -> PruneProgress {
        let limit = max(1, request.policy.batchSize)
        let (delivered, failed) = request.policy.cutoffs(now: now)
        let select = try db.cachedStatement(Self.pruneSelectSQL, context: "select events past retention")
        var victims: [(rowID: Int64, receivedAt: Int64)] = []
        do {
            defer { select.reset() }
            try select.bind(max(delivered, failed), at: 1)
            try select.bind(failed, at: 2)
            try select.bind(delivered, at: 3)
            try select.bind(request.after.receivedAt, at: 4)
            try select.bind(request.after.rowID, at: 5)
            try select.bind(Int64(limit), at: 6)
            while try select.step() { victims.append((select.int64(0), select.int64(1))) }
        }
        let delete = try db.cachedStatement("DELETE FROM events WHERE rowid = ?1", context: "delete event past retention")
        defer { delete.reset() }
        var progress = PruneProgress(hasMore: victims.count == limit)
        for victim in victims {
            try delete.bind(victim.rowID, at: 1)
            try delete.run()
            progress.deleted += db.changes
            progress.lastReceivedAt = victim.receivedAt
            progress.lastRowID = victim.rowID
        }
        return progress
    }
}
