import Glibc
import Synchronization

/// Reads a hookrelay database through its own read-only connection, alongside a running `serve` (WAL lets
/// readers in other processes see every committed transaction without blocking the writer).
///
/// ```swift
/// let reader = try SQLiteStoreReader(dataDirectory: ".hookrelay")
/// for event in try reader.events(limit: 20) { print(event.id, event.summary) }
/// ```
public final class SQLiteStoreReader: EventStoreReader {
    private let connection: Mutex<SQLiteConnection?>

    /// Opens `<dataDirectory>/hookrelay.db` read-only; fails if it is missing or not at this build's schema.
    public convenience init(dataDirectory: String) throws(StoreError) {
        try self.init(path: SQLiteStore.databasePath(in: dataDirectory))
    }

    init(path: String, busyTimeoutMillis: Int32 = 5000) throws(StoreError) {
        guard access(path, F_OK) == 0 else { throw .databaseMissing(path: path) }
        let db = try SQLiteConnection(path: path, mode: .readOnly, busyTimeoutMillis: busyTimeoutMillis)
        try db.execute("PRAGMA query_only = ON", context: "set query_only")
        try StoreSchema.verify(db)
        connection = Mutex(db)
    }

    deinit { close() }

    /// Closes the connection; later reads fail with `StoreError.Kind.closed`. Idempotent.
    public func close() {
        connection.withLock { db in
            db?.close()
            db = nil
        }
    }

    public func events(matching filter: EventFilter) throws(StoreError) -> [StoredEvent] {
        try read { db throws(StoreError) in
            var sql = "SELECT \(Self.eventColumns) FROM events"
            var conditions: [String] = []
            if filter.source != nil { conditions.append("source = :source") }
            // The stored type is `<provider>.<type>`; a glob may name either form (`stripe.invoice.*` or `invoice.*`).
            if filter.typeGlob != nil { conditions.append("(type GLOB :type OR substr(type, length(provider) + 2) GLOB :type)") }
            if filter.receivedSince != nil { conditions.append("received_at >= :since") }
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            // rowid breaks ties in insertion order and is part of every index, so no sort step is needed.
            sql += " ORDER BY received_at DESC, rowid DESC LIMIT :limit"
            let statement = try db.cachedStatement(sql, context: "select events")
            defer { statement.reset() }
            var index: Int32 = 1
            if let source = filter.source { try statement.bind(source, at: index); index += 1 }
            if let glob = filter.typeGlob { try statement.bind(glob, at: index); index += 1 }
            if let since = filter.receivedSince { try statement.bind(since, at: index); index += 1 }
            try statement.bind(Int64(max(0, filter.limit)), at: index)
            var events: [StoredEvent] = []
            while try statement.step() { events.append(Self.event(from: statement)) }
            for i in events.indices { events[i].deliveries = try deliveries(of: events[i].id, in: db) }
            return events
        }
    }

    public func event(id: String) throws(StoreError) -> StoredEvent? {
        try read { db throws(StoreError) in
            let statement = try db.cachedStatement(
                "SELECT \(Self.eventColumns) FROM events WHERE id = ?1", context: "select event")
            defer { statement.reset() }
            try statement.bind(id, at: 1)
            guard try statement.step() else { return nil }
            var event = Self.event(from: statement)
            event.deliveries = try deliveries(of: id, in: db)
            return event
        }
    }

    public func deliveries(matching filter: DeliveryFilter) throws(StoreError) -> [Delivery] {
        try read { db throws(StoreError) in
            let sql = "SELECT \(Self.deliveryColumns) FROM deliveries" + filter.whereClause() + " ORDER BY id DESC LIMIT :limit"
            let statement = try db.cachedStatement(sql, context: "select deliveries")
            defer { statement.reset() }
            let index = try filter.bindConditions(to: statement, from: 1)
            try statement.bind(Int64(max(0, filter.limit)), at: index)
            var deliveries: [Delivery] = []
            while try statement.step() { deliveries.append(try Self.delivery(from: statement)) }
            return deliveries
        }
    }

    public func delivery(id: Int64) throws(StoreError) -> Delivery? {
        try read { db throws(StoreError) in
            let statement = try db.cachedStatement("SELECT \(Self.deliveryColumns) FROM deliveries WHERE id = ?1", context: "select delivery")
            defer { statement.reset() }
            try statement.bind(id, at: 1)
            guard try statement.step() else { return nil }
            return try Self.delivery(from: statement)
        }
    }

    /// How many deliveries are in each status (statuses with none are absent), for the queue-depth gauge.
    ///
    /// One `GROUP BY` over the covering index `deliveries_due (status, next_attempt_at)`: no table rows are read, but
    /// every index entry is, delivered ones included (about 10 ms per million deliveries).
    public func deliveryCounts() throws(StoreError) -> [DeliveryStatus: Int] {
        try read { db throws(StoreError) in
            let statement = try db.cachedStatement("SELECT status, count(*) FROM deliveries GROUP BY status", context: "count deliveries")
            defer { statement.reset() }
            var counts: [DeliveryStatus: Int] = [:]
            while try statement.step() {
                if let status = DeliveryStatus(rawValue: statement.text(0)) { counts[status] = Int(statement.int64(1)) }
            }
            return counts
        }
    }

    public func attempts(forDelivery id: Int64) throws(StoreError) -> [DeliveryAttempt] {
        try read { db throws(StoreError) in
            let statement = try db.cachedStatement("""
                SELECT delivery_id, attempt, started_at, duration_ms, status_code, error, response_head
                FROM attempts WHERE delivery_id = ?1 ORDER BY attempt, id
                """, context: "select attempts")
            defer { statement.reset() }
            try statement.bind(id, at: 1)
            var attempts: [DeliveryAttempt] = []
            while try statement.step() {
                attempts.append(DeliveryAttempt(
                    deliveryID: statement.int64(0), number: Int(statement.int64(1)), startedAt: statement.int64(2),
                    durationMilliseconds: statement.int64(3), statusCode: statement.optionalInt64(4).map { Int($0) },
                    error: statement.optionalText(5), responseHead: statement.optionalBlob(6)))
            }
            return attempts
        }
    }

    /// The earliest time a delivery becomes claimable, per status: index order on
    /// `deliveries_due (status, next_attempt_at)` reaches the leased rows first (they were due when claimed),
    /// then the first row not leased at `now`; nothing after that row can be due sooner. So the scan is
    /// bounded by the deliveries in flight, not by the backlog. ?1 now; `excluding`: ?2 a JSON array of destinations
    /// (paused ones) whose rows the scan walks past, like a claim that excludes them.
    static func nextDueSQL(excluding: Bool) -> String {
        let notExcluded = excluding ? " AND destination NOT IN (SELECT value FROM json_each(?2))" : ""
        func earliest(_ status: String) -> String {
            """
            SELECT CASE WHEN lease_until > ?1 THEN max(lease_until, next_attempt_at) ELSE next_attempt_at END AS due
            FROM deliveries
            WHERE status = '\(status)'\(notExcluded) AND next_attempt_at <= coalesce(
                (SELECT next_attempt_at FROM deliveries
                 WHERE status = '\(status)' AND (lease_until IS NULL OR lease_until <= ?1)\(notExcluded)
                 ORDER BY next_attempt_at LIMIT 1),
                9223372036854775807)
            """
        }
        return "SELECT min(due) FROM (\(earliest("pending")) UNION ALL \(earliest("retrying")))"
    }

    static let nextDueAllSQL = nextDueSQL(excluding: false)
    static let nextDueExcludingSQL = nextDueSQL(excluding: true)

    public func nextDueTime(now: Int64) throws(StoreError) -> Int64? {
        try nextDueTime(now: now, excludingDestinations: [])
    }

    /// ``nextDueTime(now:)`` ignoring deliveries to `excludingDestinations` (those the dispatcher does not claim).
    public func nextDueTime(now: Int64, excludingDestinations excluded: Set<String>) throws(StoreError) -> Int64? {
        try read { db throws(StoreError) in
            let statement = try db.cachedStatement(excluded.isEmpty ? Self.nextDueAllSQL : Self.nextDueExcludingSQL,
                                                   context: "select next due time")
            defer { statement.reset() }
            try statement.bind(now, at: 1)
            if !excluded.isEmpty { try statement.bind(DeliveryStatements.jsonArray(excluded.sorted()), at: 2) }
            guard try statement.step() else { return nil }
            return statement.optionalInt64(0)
        }
    }

    /// How many deliveries `requeue(matching: filter)` would change at `now`: those among the filter's
    /// newest `limit` that are not in flight.
    func requeueCount(matching filter: DeliveryFilter, now: Int64) throws(StoreError) -> Int {
        try read { db throws(StoreError) in
            let sql = "SELECT count(*) FROM (SELECT lease_until FROM deliveries" + filter.whereClause()
                + " ORDER BY id DESC LIMIT :limit) WHERE lease_until IS NULL OR lease_until <= :now"
            let statement = try db.cachedStatement(sql, context: "count requeueable deliveries")
            defer { statement.reset() }
            let index = try filter.bindConditions(to: statement, from: 1)
            try statement.bind(Int64(max(0, filter.limit)), at: index)
            try statement.bind(now, at: index + 1)
            guard try statement.step() else { return 0 }
            return Int(statement.int64(0))
        }
    }

    /// Runs `body` in one read transaction (one consistent snapshot), holding the connection.
    private func read<R: Sendable>(_ body: (SQLiteConnection) throws(StoreError) -> R) throws(StoreError) -> R {
        try connection.withLock { slot throws(StoreError) -> R in
            guard let db = slot else { throw StoreError.closed }
            try db.execute("BEGIN", context: "begin read")
            defer { try? db.execute("COMMIT", context: "end read") }
            return try body(db)
        }
    }

    private func deliveries(of eventID: String, in db: SQLiteConnection) throws(StoreError) -> [Delivery] {
        let statement = try db.cachedStatement(
            "SELECT \(Self.deliveryColumns) FROM deliveries WHERE event_id = ?1 ORDER BY id",
            context: "select event deliveries")
        defer { statement.reset() }
        try statement.bind(eventID, at: 1)
        var deliveries: [Delivery] = []
        while try statement.step() { deliveries.append(try Self.delivery(from: statement)) }
        return deliveries
    }

    private static let eventColumns =
        "id, source, provider, provider_event_id, type, subject, time, received_at, headers, body, envelope"

    private static func event(from row: SQLiteStatement) -> StoredEvent {
        StoredEvent(
            id: row.text(0), source: row.text(1), provider: row.text(2), providerEventID: row.text(3),
            type: row.text(4), subject: row.optionalText(5), time: row.text(6), receivedAt: row.int64(7),
            rawHeaders: row.blob(8), rawBody: row.blob(9), envelope: row.blob(10), deliveries: [])
    }

    private static let deliveryColumns = """
        id, event_id, route, destination, status, attempts, next_attempt_at, last_status_code, last_error, \
        created_at, updated_at, first_attempt_at, lease_until
        """

    private static func delivery(from row: SQLiteStatement) throws(StoreError) -> Delivery {
        let statusText = row.text(4)
        guard let status = DeliveryStatus(rawValue: statusText) else {
            throw .invalidRow("delivery \(row.int64(0)) has unknown status")
        }
        return Delivery(
            id: row.int64(0), eventID: row.text(1), route: row.text(2), destination: row.text(3), status: status,
            attempts: Int(row.int64(5)), nextAttemptAt: row.int64(6), lastStatusCode: row.optionalInt64(7).map { Int($0) },
            lastError: row.optionalText(8), createdAt: row.int64(9), updatedAt: row.int64(10),
            firstAttemptAt: row.optionalInt64(11), leaseUntil: row.optionalInt64(12))
    }
}
