import CSQLite

/// One SQLite connection, used by one thread at a time (`SQLITE_OPEN_NOMUTEX`). The only file that calls
/// SQLite directly: every failing call becomes a `StoreError` naming the call and `sqlite3_errmsg`.
final class SQLiteConnection {
    /// How to open the database file.
    enum Mode {
        /// Read and write; the file must exist (the store creates it first with private permissions).
        case readWrite
        /// Read only, for the CLI while `serve` runs.
        case readOnly
    }

    let path: String
    private var handle: OpaquePointer?
    private var statements: [SQLiteStatement] = []
    private var cache: [String: SQLiteStatement] = [:]

    init(path: String, mode: Mode, busyTimeoutMillis: Int32) throws(StoreError) {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= mode == .readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw .sqlite(call: "sqlite3_open_v2", context: "open \(path)", code: rc, message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        try check(sqlite3_busy_timeout(db, busyTimeoutMillis), "sqlite3_busy_timeout", "set busy timeout")
    }

    deinit { close() }

    /// Finalizes every prepared statement and closes the connection. Idempotent.
    func close() {
        guard let db = handle else { return }
        for statement in statements { statement.finalize() }
        statements.removeAll()
        cache.removeAll()
        sqlite3_close_v2(db)
        handle = nil
    }

    private var db: OpaquePointer {
        guard let handle else { preconditionFailure("SQLite connection used after close") }
        return handle
    }

    /// Runs SQL without results (pragmas that return nothing, DDL, transaction control).
    func execute(_ sql: String, context: String) throws(StoreError) {
        try check(sqlite3_exec(db, sql, nil, nil, nil), "sqlite3_exec", context)
    }

    /// Runs a single-value query (a pragma) and returns its first column as an integer.
    func integer(_ sql: String, context: String) throws(StoreError) -> Int64 {
        let statement = try prepare(sql, context: context)
        defer { statement.finalize() }
        guard try statement.step() else {
            throw .sqlite(call: "sqlite3_step", context: context, code: SQLITE_ERROR, message: "no row")
        }
        return statement.int64(0)
    }

    /// Runs a single-value query (a pragma) and returns its first column as text.
    func text(_ sql: String, context: String) throws(StoreError) -> String {
        let statement = try prepare(sql, context: context)
        defer { statement.finalize() }
        guard try statement.step() else {
            throw .sqlite(call: "sqlite3_step", context: context, code: SQLITE_ERROR, message: "no row")
        }
        return statement.text(0)
    }

    /// Prepares a statement that lives as long as the connection (reused with `reset`).
    func prepareForReuse(_ sql: String, context: String) throws(StoreError) -> SQLiteStatement {
        let statement = try prepare(sql, context: context, persistent: true)
        statements.append(statement)
        return statement
    }

    /// The reusable statement for `sql`, prepared on first use.
    func cachedStatement(_ sql: String, context: String) throws(StoreError) -> SQLiteStatement {
        if let statement = cache[sql] { return statement }
        let statement = try prepareForReuse(sql, context: context)
        cache[sql] = statement
        return statement
    }

    private func prepare(_ sql: String, context: String, persistent: Bool = false) throws(StoreError) -> SQLiteStatement {
        var raw: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        try check(sqlite3_prepare_v3(db, sql, -1, flags, &raw, nil), "sqlite3_prepare_v3", context)
        guard let raw else {
            throw .sqlite(call: "sqlite3_prepare_v3", context: context, code: SQLITE_MISUSE, message: "empty statement")
        }
        return SQLiteStatement(raw, db: db, context: context)
    }

    /// `EXPLAIN QUERY PLAN` of `sql` (parameters unbound): one node per row, with its parent's id (0 at the top).
    func queryPlan(_ sql: String) throws(StoreError) -> [(id: Int, parent: Int, detail: String)] {
        let statement = try prepare("EXPLAIN QUERY PLAN " + sql, context: "explain query plan")
        defer { statement.finalize() }
        var nodes: [(id: Int, parent: Int, detail: String)] = []
        while try statement.step() {
            nodes.append((Int(statement.int64(0)), Int(statement.int64(1)), statement.text(3)))
        }
        return nodes
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes64(db)) }

    /// Whether no transaction is open (SQLite may roll one back by itself after some errors).
    var isAutocommit: Bool { sqlite3_get_autocommit(db) != 0 }

    /// WAL checkpoint modes (`sqlite3_wal_checkpoint_v2`).
    enum CheckpointMode {
        /// Copies what it can without waiting for anyone.
        case passive
        /// Waits (busy timeout) for the writer and readers, copies everything, lets the next writer start
        /// the WAL over.
        case restart
        /// Like `restart`, and truncates the WAL file to zero bytes.
        case truncate
    }

    /// Runs a WAL checkpoint; returns the WAL's length in frames as SQLite reports it (0 after a
    /// truncate). Throws `SQLITE_BUSY` when a `restart`/`truncate` could not finish within the busy timeout.
    func checkpoint(_ mode: CheckpointMode) throws(StoreError) -> Int {
        var log: Int32 = 0
        var done: Int32 = 0
        let (rawMode, name): (Int32, String) = switch mode {
        case .passive: (SQLITE_CHECKPOINT_PASSIVE, "checkpoint (passive)")
        case .restart: (SQLITE_CHECKPOINT_RESTART, "checkpoint (restart)")
        case .truncate: (SQLITE_CHECKPOINT_TRUNCATE, "checkpoint (truncate)")
        }
        try check(sqlite3_wal_checkpoint_v2(db, nil, rawMode, &log, &done), "sqlite3_wal_checkpoint_v2", name)
        return Int(log)
    }

    private func check(_ rc: Int32, _ call: String, _ context: String) throws(StoreError) {
        guard rc == SQLITE_OK else {
            throw .sqlite(call: call, context: context, code: rc, message: String(cString: sqlite3_errmsg(db)))
        }
    }

    /// The SQLite library version, for diagnostics.
}

/// A prepared statement. Text is bound `SQLITE_TRANSIENT` (SQLite copies it); blobs are bound
/// `SQLITE_STATIC` only for the duration of `withBlob`, which resets the statement and unbinds the blob
/// before the bytes' lifetime ends.
final class SQLiteStatement {
    private var handle: OpaquePointer?
    private let db: OpaquePointer
    private let context: String

    fileprivate init(_ handle: OpaquePointer, db: OpaquePointer, context: String) {
        self.handle = handle
        self.db = db
        self.context = context
    }

    fileprivate func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    private var statement: OpaquePointer {
        guard let handle else { preconditionFailure("SQLite statement used after finalize") }
        return handle
    }

    private func failure(_ call: String, _ rc: Int32) -> StoreError {
        .sqlite(call: call, context: context, code: rc, message: String(cString: sqlite3_errmsg(db)))
    }

    private func check(_ rc: Int32, _ call: String) throws(StoreError) {
        guard rc == SQLITE_OK else { throw failure(call, rc) }
    }

    /// Binds text (copied by SQLite; may contain NUL bytes).
    func bind(_ value: String, at index: Int32) throws(StoreError) {
        var value = value
        let rc = value.withUTF8 { utf8 in
            // A nil base address would bind NULL; an empty string must stay an empty string.
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                return sqlite3_bind_text(statement, index, "", 0, CSQLite_transient())
            }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                sqlite3_bind_text(statement, index, $0, Int32(utf8.count), CSQLite_transient())
            }
        }
        try check(rc, "sqlite3_bind_text")
    }

    /// Binds text, or NULL.
    func bind(_ value: String?, at index: Int32) throws(StoreError) {
        if let value { try bind(value, at: index) } else { try check(sqlite3_bind_null(statement, index), "sqlite3_bind_null") }
    }

    /// Binds an integer.
    func bind(_ value: Int64, at index: Int32) throws(StoreError) {
        try check(sqlite3_bind_int64(statement, index, value), "sqlite3_bind_int64")
    }

    /// Binds an integer, or NULL.
    func bind(_ value: Int64?, at index: Int32) throws(StoreError) {
        if let value { try bind(value, at: index) } else { try check(sqlite3_bind_null(statement, index), "sqlite3_bind_null") }
    }

    /// Binds `bytes` as a blob without copying while `body` runs (which steps the statement); afterwards
    /// resets the statement and rebinds the parameter to NULL so no pointer outlives the bytes.
    func withBlob<R>(_ bytes: [UInt8], at index: Int32, _ body: () throws(StoreError) -> R) throws(StoreError) -> R {
        let result: Result<R, StoreError> = bytes.withUnsafeBytes { raw in
            defer {
                sqlite3_reset(statement)
                sqlite3_bind_null(statement, index)
            }
            // A nil pointer would bind NULL; an empty blob is bound as a zero-length blob.
            let rc = raw.isEmpty
                ? sqlite3_bind_zeroblob(statement, index, 0)
                : sqlite3_bind_blob64(statement, index, raw.baseAddress, sqlite3_uint64(raw.count), nil)
            guard rc == SQLITE_OK else { return .failure(failure("sqlite3_bind_blob64", rc)) }
            do throws(StoreError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Steps once: `true` when a row is available, `false` when done. On error the statement is reset.
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = failure("sqlite3_step", rc)
            sqlite3_reset(statement)
            throw error
        }
    }

    /// Steps to completion (a statement without result rows) and resets; keeps the bindings.
    func run() throws(StoreError) {
        while try step() {}
        sqlite3_reset(statement)
    }

    /// Resets the statement for another run and clears its bindings.
    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    /// The integer in column `column` of the current row.
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    /// The integer in column `column`, or `nil` when NULL.
    func optionalInt64(_ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
    }

    /// The text in column `column` (empty when NULL).
    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The text in column `column`, or `nil` when NULL.
    func optionalText(_ column: Int32) -> String? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : text(column)
    }

    /// The bytes of the blob in column `column`, or `nil` when NULL.
    func optionalBlob(_ column: Int32) -> [UInt8]? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : blob(column)
    }

    /// The bytes of the blob in column `column`.
    func blob(_ column: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}
