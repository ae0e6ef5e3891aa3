/// The delivery engine's statements on the write connection, prepared once.
///
/// Claims select by index order on `deliveries_due (status, next_attempt_at)`, one status at a time, and
/// merge the two ordered runs: `status IN ('pending', 'retrying') ORDER BY next_attempt_at` would read every
/// due row into a sorter before taking the first `limit`, O(backlog) per claim. Leased rows sit at the front
/// of each run (they were due when claimed) and are skipped by a table lookup: that costs the number of
/// deliveries in flight, not the backlog, so no index on `lease_until` is needed.
struct DeliveryStatements {
    let selectDue: SQLiteStatement
    let selectDueExcluding: SQLiteStatement
    let selectClaimed: SQLiteStatement
    let lease: SQLiteStatement
    let recordAttempt: SQLiteStatement
    let attemptsOf: SQLiteStatement
    let postpone: SQLiteStatement
    let insertAttempt: SQLiteStatement
    let requeueByID: SQLiteStatement

    /// `names` as a JSON array of strings, for `json_each` (the destinations a claim or due-time query skips).
    static func jsonArray(_ names: [String]) -> String {
        var json: [UInt8] = [UInt8(ascii: "[")]
        for (index, name) in names.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            JSONString.appendQuoted(name, to: &json)
        }
        json.append(UInt8(ascii: "]"))
        return String(decoding: json, as: UTF8.self)
    }

    /// Due ids, oldest due first: ?1 now, ?2 limit, ?3 excluded destinations (a JSON array).
    static func dueSQL(excluding: Bool) -> String {
        func run(_ status: String) -> String {
            """
            SELECT * FROM (
                SELECT id, next_attempt_at FROM deliveries
                WHERE status = '\(status)' AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)\
            \(excluding ? " AND destination NOT IN (SELECT value FROM json_each(?3))" : "")
                ORDER BY next_attempt_at, id LIMIT ?2)
            """
        }
        return "\(run("pending"))\nUNION ALL\n\(run("retrying"))\nORDER BY 2, 1 LIMIT ?2"
    }

    /// What the sender needs of one delivery and its event.
    static let claimedSQL = """
        SELECT d.event_id, e.source, d.route, d.destination, d.attempts, d.first_attempt_at, e.received_at,
               e.headers, e.body, e.envelope
        FROM deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.id = ?1
        """

    init(_ db: SQLiteConnection) throws(StoreError) {
        selectDue = try db.prepareForReuse(Self.dueSQL(excluding: false), context: "select due deliveries")
        selectDueExcluding = try db.prepareForReuse(Self.dueSQL(excluding: true), context: "select due deliveries")
        selectClaimed = try db.prepareForReuse(Self.claimedSQL, context: "select claimed delivery")
        lease = try db.prepareForReuse("UPDATE deliveries SET lease_until = ?2 WHERE id = ?1", context: "lease delivery")
        // Only while the delivery holds the result's lease (?8): a lapsed lease that another claim renewed,
        // a requeue, or an earlier result all change or clear it. No `RETURNING attempts`: SQLite materializes
        // RETURNING rows in an ephemeral table, whose page cache (about 88 KB) is allocated and freed per row;
        // `attemptsOf` reads the count back by primary key instead.
        recordAttempt = try db.prepareForReuse("""
            UPDATE deliveries
               SET status = ?2, attempts = attempts + 1, last_status_code = ?3, last_error = ?4,
                   next_attempt_at = coalesce(?5, next_attempt_at), lease_until = NULL, updated_at = ?6,
                   first_attempt_at = coalesce(first_attempt_at, ?7)
             WHERE id = ?1 AND lease_until = ?8 AND status IN ('pending', 'retrying')
            """, context: "record attempt")
        attemptsOf = try db.prepareForReuse("SELECT attempts FROM deliveries WHERE id = ?1", context: "read attempts")
        postpone = try db.prepareForReuse("""
            UPDATE deliveries SET next_attempt_at = ?2, lease_until = NULL, updated_at = ?3
             WHERE id = ?1 AND lease_until = ?4 AND status IN ('pending', 'retrying')
            """, context: "postpone delivery")
        insertAttempt = try db.prepareForReuse("""
            INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_head)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """, context: "insert attempt")
        requeueByID = try db.prepareForReuse("""
            UPDATE deliveries SET status = 'pending', next_attempt_at = ?2, lease_until = NULL, updated_at = ?2
             WHERE id = ?1 AND (lease_until IS NULL OR lease_until <= ?2)
            """, context: "requeue delivery")
    }
}

extension StoreWriter {
    /// Clears every lease: called at open, before the writer thread starts, when no sender can hold one
    /// (the data directory's lock file proves the previous process is gone).
    static func releaseLeases(_ db: SQLiteConnection) throws(StoreError) {
        try db.execute("""
            UPDATE deliveries SET lease_until = NULL
             WHERE status IN ('pending', 'retrying') AND lease_until IS NOT NULL
            """, context: "release leases of the previous run")
    }

    /// Leases the oldest due deliveries (see `EventStore.claimDue`).
    func claim(_ request: ClaimRequest) throws(StoreError) -> [ClaimedDelivery] {
        let limit = min(max(0, request.limit), SQLiteStore.maxClaimLimit)
        guard limit > 0 else { return [] }
        let (sum, overflow) = request.now.addingReportingOverflow(max(1, request.leaseMilliseconds))
        // Strictly later than any lease that lapsed at or before `now`: the lease doubles as a fencing token.
        let leaseUntil = overflow ? Int64.max : sum

        let select = request.excludedDestinations.isEmpty ? delivery.selectDue : delivery.selectDueExcluding
        defer { select.reset() }
        try select.bind(request.now, at: 1)
        try select.bind(Int64(limit), at: 2)
        if !request.excludedDestinations.isEmpty { try select.bind(DeliveryStatements.jsonArray(request.excludedDestinations), at: 3) }
        var ids: [Int64] = []
        ids.reserveCapacity(limit)
        while try select.step() { ids.append(select.int64(0)) }

        let maxBytes = shared.configuration.maxClaimBytes
        var claimed: [ClaimedDelivery] = []
        claimed.reserveCapacity(ids.count)
        var bytes = 0
        for id in ids {
            guard var next = try readClaimed(id) else { continue }
            if !claimed.isEmpty, bytes + next.byteCount > maxBytes { break }
            bytes += next.byteCount
            next.leaseUntil = leaseUntil
            try delivery.lease.bind(id, at: 1)
            try delivery.lease.bind(leaseUntil, at: 2)
            try delivery.lease.run()
            claimed.append(next)
        }
        return claimed
    }

    private func readClaimed(_ id: Int64) throws(StoreError) -> ClaimedDelivery? {
        let row = delivery.selectClaimed
        defer { row.reset() }
        try row.bind(id, at: 1)
        guard try row.step() else { return nil }
        return ClaimedDelivery(
            id: id, eventID: row.text(0), source: row.text(1), route: row.text(2), destination: row.text(3),
            attempts: Int(row.int64(4)), firstAttemptAt: row.optionalInt64(5), receivedAt: row.int64(6),
            rawHeaders: row.blob(7), rawBody: row.blob(8), envelope: row.blob(9), leaseUntil: 0)
    }

    /// Applies results whose delivery still holds their lease; counts the others as ignored.
    func apply(_ results: [DeliveryResult], now: Int64) throws(StoreError) -> WriteOutput {
        var applied = 0
        for result in results {
            if try apply(result, now: now) { applied += 1 }
        }
        return .recorded(applied: applied, ignored: results.count - applied)
    }

    private func apply(_ result: DeliveryResult, now: Int64) throws(StoreError) -> Bool {
        let status: DeliveryStatus
        var nextAttemptAt: Int64?
        var lastError = result.error
        switch result.outcome {
        case .postponed(let until):
            let statement = delivery.postpone
            try statement.bind(result.deliveryID, at: 1)
            try statement.bind(until, at: 2)
            try statement.bind(now, at: 3)
            try statement.bind(result.lease, at: 4)
            try statement.run()
            return db.changes == 1
        case .delivered:
            status = .delivered
        case .retrying(let at):
            status = .retrying
            nextAttemptAt = at
        case .dead(let reason):
            status = .dead
            lastError = reason
        }

        let update = delivery.recordAttempt
        do {
            defer { update.reset() }
            try update.bind(result.deliveryID, at: 1)
            try update.bind(status.rawValue, at: 2)
            try update.bind(result.statusCode.map { Int64($0) }, at: 3)
            try update.bind(lastError, at: 4)
            try update.bind(nextAttemptAt, at: 5)
            try update.bind(now, at: 6)
            try update.bind(result.startedAt, at: 7)
            try update.bind(result.lease, at: 8)
            try update.run()
        }
        guard db.changes == 1 else { return false }
        let attempt: Int64
        do {
            let read = delivery.attemptsOf
            defer { read.reset() }
            try read.bind(result.deliveryID, at: 1)
            guard try read.step() else { throw .invalidRow("delivery \(result.deliveryID) vanished while its result was recorded") }
            attempt = read.int64(0)
        }

        let insert = delivery.insertAttempt
        try insert.bind(result.deliveryID, at: 1)
        try insert.bind(attempt, at: 2)
        try insert.bind(result.startedAt, at: 3)
        try insert.bind(result.durationMilliseconds, at: 4)
        try insert.bind(result.statusCode.map { Int64($0) }, at: 5)
        try insert.bind(result.error, at: 6)
        if let head = result.responseHead {
            try insert.withBlob(head, at: 7) { () throws(StoreError) in try insert.run() }
        } else {
            try insert.bind(nil as Int64?, at: 7)
            try insert.run()
        }
        return true
    }

    /// Puts one chunk of deliveries back to pending, due at `now`; deliveries in flight are left alone.
    func requeue(_ request: RequeueRequest, now: Int64) throws(StoreError) -> RequeueProgress {
        var ids: [Int64]
        var hasMore = false
        switch request {
        case .ids(let given):
            ids = Array(Set(given)).sorted(by: >)
        case .filter(let filter, let below, let limit):
            // One row more than the chunk tells whether another chunk is needed.
            let sql = "SELECT id FROM deliveries" + filter.whereClause(adding: ["id < :below"]) + " ORDER BY id DESC LIMIT :limit"
            let select = try db.cachedStatement(sql, context: "select deliveries to requeue")
            defer { select.reset() }
            let index = try filter.bindConditions(to: select, from: 1)
            try select.bind(below, at: index)
            try select.bind(Int64(max(0, limit)) + 1, at: index + 1)
            ids = []
            while try select.step() { ids.append(select.int64(0)) }
            if ids.count > limit {
                ids.removeLast()
                hasMore = true
            }
        }
        var progress = RequeueProgress(examined: ids.count, lastID: ids.last, hasMore: hasMore)
        let update = delivery.requeueByID
        for id in ids {
            try update.bind(id, at: 1)
            try update.bind(now, at: 2)
            try update.run()
            progress.requeued += db.changes
        }
        return progress
    }
}
