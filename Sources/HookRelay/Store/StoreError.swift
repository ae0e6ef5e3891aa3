import Glibc

/// Why the store could not do something. Never contains payload bytes: SQLite failures carry the call,
/// what the store was doing, SQLite's result code and `sqlite3_errmsg`.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// The broad class of a failure, for callers that branch on it.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A SQLite call failed; see `sqliteCode`.
        public static let sqlite = Kind("sqlite")
        /// The store is closed.
        public static let closed = Kind("closed")
        /// The database was written by a newer hookrelay (its schema version is above what this build knows).
        public static let schemaTooNew = Kind("schemaTooNew")
        /// A read-only connection found a database that has not been migrated to this build's schema.
        public static let schemaTooOld = Kind("schemaTooOld")
        /// There is no database file where a read-only connection looked.
        public static let databaseMissing = Kind("databaseMissing")
        /// Another process (another `hookrelay serve`) holds the data directory's writer lock.
        public static let locked = Kind("locked")
        /// A stored row holds a value this build cannot read.
        public static let invalidRow = Kind("invalidRow")
        /// A system call failed; see the description.
        public static let system = Kind("system")
        /// The writer's queue is full; try again shortly.
        public static let queueFull = Kind("queueFull")
    }

    private enum Detail: Sendable {
        case sqlite(call: String, context: String, code: Int32, message: String)
        case closed
        case schemaTooNew(found: Int, supported: Int, path: String)
        case schemaTooOld(found: Int, supported: Int, path: String)
        case databaseMissing(path: String)
        case locked(path: String)
        case invalidRow(String)
        case system(call: String, errno: Int32, path: String?)
        case queueFull
    }

    private let detail: Detail

    private init(_ detail: Detail) { self.detail = detail }

    /// The broad class of this failure.
    public var kind: Kind {
        switch detail {
        case .sqlite: .sqlite
        case .closed: .closed
        case .schemaTooNew: .schemaTooNew
        case .schemaTooOld: .schemaTooOld
        case .databaseMissing: .databaseMissing
        case .locked: .locked
        case .invalidRow: .invalidRow
        case .system: .system
        case .queueFull: .queueFull
        }
    }

    /// SQLite's extended result code, when a SQLite call failed.
    public var sqliteCode: Int32? {
        if case .sqlite(_, _, let code, _) = detail { return code }
        return nil
    }

    /// Whether a constraint (UNIQUE, CHECK, NOT NULL, FOREIGN KEY) rejected the request's data: retrying
    /// the same request will fail again.
    public var isConstraintViolation: Bool {
        guard let code = sqliteCode else { return false }
        return code & 0xFF == 19  // SQLITE_CONSTRAINT
    }

    public var description: String {
        switch detail {
        case .sqlite(let call, let context, let code, let message):
            "\(call) failed (\(context)): \(message) [SQLite code \(code)]"
        case .closed:
            "the store is closed"
        case .schemaTooNew(let found, let supported, let path):
            "\(path) has schema version \(found), but this hookrelay supports up to \(supported); "
                + "it was written by a newer hookrelay: upgrade hookrelay"
        case .schemaTooOld(let found, let supported, let path):
            "\(path) has schema version \(found), this hookrelay needs \(supported); "
                + "run `hookrelay serve` once to migrate it"
        case .databaseMissing(let path):
            "no database at \(path)"
        case .locked(let path):
            "\(path) is held by another process (is another `hookrelay serve` using this data directory?)"
        case .invalidRow(let reason):
            "unreadable stored row: \(reason)"
        case .system(let call, let code, let path):
            "\(call)\(path.map { " \($0)" } ?? "") failed: \(String(cString: strerror(code))) (errno \(code))"
        case .queueFull:
            "the store's write queue is full; try again shortly"
        }
    }

    static func sqlite(call: String, context: String, code: Int32, message: String) -> StoreError {
        StoreError(.sqlite(call: call, context: context, code: code, message: message))
    }

    static let closed = StoreError(.closed)

    static let queueFull = StoreError(.queueFull)

    static func schemaTooNew(found: Int, supported: Int, path: String) -> StoreError {
        StoreError(.schemaTooNew(found: found, supported: supported, path: path))
    }

    static func schemaTooOld(found: Int, supported: Int, path: String) -> StoreError {
        StoreError(.schemaTooOld(found: found, supported: supported, path: path))
    }

    static func databaseMissing(path: String) -> StoreError { StoreError(.databaseMissing(path: path)) }

    static func locked(path: String) -> StoreError { StoreError(.locked(path: path)) }

    static func invalidRow(_ reason: String) -> StoreError { StoreError(.invalidRow(reason)) }

    static func system(call: String, errno code: Int32, path: String? = nil) -> StoreError {
        StoreError(.system(call: call, errno: code, path: path))
    }
}
