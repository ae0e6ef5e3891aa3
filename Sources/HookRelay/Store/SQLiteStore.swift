import Glibc
import Synchronization

/// The embedded event store: SQLite in WAL mode at `<dataDirectory>/hookrelay.db`, `synchronous=FULL`, one
/// writer thread doing group commit, and a maintenance thread that checkpoints the WAL off the commit path.
///
/// ```swift
/// let store = try SQLiteStore(dataDirectory: ".hookrelay")
/// let accepted = store.append(events) { result in loop.mailbox.post(.stored(request, result)) }
/// if !accepted { /* 503 + Retry-After */ }
/// ```
///
/// Event loops call `append` from any thread; it only takes a lock and appends to a bounded queue. The
/// writer takes everything pending (up to `maxBatchRequests`), writes it in one `BEGIN IMMEDIATE` …
/// `COMMIT` (one fsync for the whole batch), then runs each request's completion. A request whose data a
/// constraint rejects fails alone: the transaction is rolled back and the rest of the batch written again
/// without it. If the transaction fails for another reason (COMMIT, I/O), it is rolled back and every
/// request is retried in a transaction of its own.
///
/// The delivery engine's state changes go through the same queue and the same group commits: `claimDue`
/// (leases), `record` (attempt results), `requeue` (replay). So the writer thread stays the only writer and
/// ingest never waits for SQLite's write lock behind the dispatcher. Opening the store releases every lease
/// left by the previous run (the lock file guarantees that run is over), so deliveries that were in flight
/// when a process died are due again at once.
///
/// One process writes a data directory at a time (an advisory lock on `hookrelay.lock`); other processes
/// read it with `SQLiteStoreReader`.
public final class SQLiteStore: EventStore {
    /// Tuning, with defaults.
    ///
    /// - `maxQueuedRequests`: 10,000 requests waiting for the writer; past it `append` returns `false`
    /// - `maxQueuedBytes`: 256 MiB of payload waiting (headers, bodies, envelopes); past it `append` returns
    ///   `false`, except into an empty queue
    /// - `maxBatchRequests`: 1,000 requests per transaction
    /// - `maxBatchBytes`: 64 MiB of payload per transaction (a larger single request still goes alone)
    /// - `busyTimeout`: 5 s to wait for a lock another connection holds
    /// - `checkpointInterval`: 1 s between WAL checkpoints (`PASSIVE` after writes, `TRUNCATE` once idle)
    /// - `walRestartFrames`: 16,384 WAL frames (64 MiB at 4 KiB pages); a WAL still this long after a
    ///   `PASSIVE` checkpoint gets a `RESTART` one, so sustained load cannot grow it without bound
    /// - `checkpointBusyTimeout`: 100 ms, the most a `RESTART`/`TRUNCATE` checkpoint (run while the writer
    ///   is parked between transactions) waits for readers on older snapshots; past it, retried next tick
    /// - `maxQueuedDeliveryOperations`: 10,000 claims, result batches and requeue chunks waiting for the
    ///   writer (counted apart from ingest, so a full ingest queue never refuses the dispatcher's results);
    ///   past it `claimDue` and `record` return `false`
    /// - `maxClaimBytes`: 64 MiB of payload (headers, bodies, envelopes) one claim returns, at least one delivery
    /// - `requeueChunk`: 10,000 deliveries put back to pending per transaction of a `requeue`, so a bulk replay
    ///   holds the write lock only briefly at a time
    /// - `clock`: the wall clock for `created_at`/`updated_at`/`next_attempt_at`, unix milliseconds
    /// - `commitObserver`: called on the writer thread after each commit (for a latency histogram)
    public struct Configuration: Sendable {
        public var maxQueuedRequests = 10_000
        public var maxQueuedBytes = 256 << 20
        public var maxBatchRequests = 1_000
        public var maxBatchBytes = 64 << 20
        public var busyTimeout: Duration = .seconds(5)
        public var checkpointInterval: Duration = .seconds(1)
        public var walRestartFrames = 16_384
        public var checkpointBusyTimeout: Duration = .milliseconds(100)
        public var maxQueuedDeliveryOperations = 10_000
        public var maxClaimBytes = 64 << 20
        public var requeueChunk = 10_000
        public var clock: @Sendable () -> Int64 = { WallClock.unixMilliseconds() }
        public var commitObserver: (@Sendable (CommitSample) -> Void)?

        /// The defaults.
        public init() {}
    }

    /// The database file's name inside the data directory.
    public static let databaseFileName = "hookrelay.db"

    /// The database file's path inside `dataDirectory`.
    public static func databasePath(in dataDirectory: String) -> String {
        filePath(databaseFileName, in: dataDirectory)
    }

    /// The schema version this build writes.
    public static var schemaVersion: Int { StoreSchema.latestVersion }

    /// The most deliveries one `claimDue` returns.
    public static let maxClaimLimit = 1_000

    /// The page size of a new database file, bytes.
    static let pageSize = 8_192

    /// The database file.
    public let databasePath: String
    let shared: StoreShared
    let reader: SQLiteStoreReader

    /// Opens (creating if needed) the store in `dataDirectory`, migrates its schema and starts the writer
    /// and maintenance threads.
    public init(dataDirectory: String, configuration: Configuration = Configuration()) throws(StoreError) {
        try StoreFiles.makeDirectories(dataDirectory)
        let lockPath = filePath("hookrelay.lock", in: dataDirectory)
        let lockFD = try StoreFiles.lockExclusively(lockPath)
        var lockOwned = true
        defer { if lockOwned { Glibc.close(lockFD) } }

        let path = Self.databasePath(in: dataDirectory)
        try StoreFiles.createPrivateFile(path)
        let busyMillis = Int32(clamping: Milliseconds.of(configuration.busyTimeout))
        let writeConnection = try SQLiteConnection(path: path, mode: .readWrite, busyTimeoutMillis: busyMillis)
        try Self.configureForWriting(writeConnection)
        try StoreSchema.migrate(writeConnection, now: configuration.clock())
        try StoreWriter.releaseLeases(writeConnection)

        let maintenanceConnection = try SQLiteConnection(path: path, mode: .readWrite, busyTimeoutMillis: busyMillis)
        try Self.configureForWriting(maintenanceConnection)
        let checkpointMillis = Milliseconds.of(configuration.checkpointBusyTimeout)
        try maintenanceConnection.execute("PRAGMA busy_timeout = \(max(0, checkpointMillis))", context: "set busy timeout")
        let reader = try SQLiteStoreReader(path: path, busyTimeoutMillis: busyMillis)
        let shared = StoreShared(configuration: configuration, lockFile: lockFD)
        let writer = try StoreWriter(connection: writeConnection, shared: shared)
        let maintenance = StoreMaintenance(connection: maintenanceConnection, shared: shared)

        try StoreThread.start {
            StoreThread.nameCurrentThread("store-writer")
            writer.run()
        }
        lockOwned = false  // the writer thread releases it when it stops
        do {
            try StoreThread.start {
                StoreThread.nameCurrentThread("store-maint")
                maintenance.run()
            }
        } catch {
            shared.maintenanceFinished.signal()  // there is none to wait for
            shared.queue.withLock { $0.isClosed = true }
            shared.wake.signal()
            shared.writerFinished.wait()
            throw error
        }
        self.databasePath = path
        self.shared = shared
        self.reader = reader
    }

    deinit { close() }

    private static func configureForWriting(_ db: SQLiteConnection) throws(StoreError) {
        // 8 KiB pages for a new file (an existing one keeps its size): a group commit of a few dozen events writes
        // fewer WAL frames (two pwrites each) for the same rows — about 15% less CPU per appended event than 4 KiB
        // (`hookrelay-bench preload`). 16 KiB saved no more, and every single-row delivery update writes a whole page.
        try db.execute("PRAGMA page_size = \(pageSize)", context: "set page_size")
        let mode = try db.text("PRAGMA journal_mode = WAL", context: "set journal_mode")
        guard mode.lowercased() == "wal" else {
            throw .sqlite(call: "sqlite3_step", context: "set journal_mode", code: 1,
                          message: "journal_mode is \(mode), not wal")
        }
        try db.execute("""
            PRAGMA synchronous = FULL;
            PRAGMA foreign_keys = ON;
            PRAGMA wal_autocheckpoint = 0;
            """, context: "configure connection")
    }

    public func append(
        _ events: [NewEvent], completion: @escaping @Sendable (Result<[AppendOutcome], StoreError>) -> Void
    ) -> Bool {
        let byteCount = events.reduce(0) { $0 + $1.byteCount }
        return enqueue(PendingWrite(operation: .append(events, completion: completion), byteCount: byteCount)) == .accepted
    }

    /// Why `enqueue` did not take an operation.
    enum Admission {
        case accepted
        case closed
        case full
    }

    /// Queues `write` for the writer within the queue's limits (ingest appends and delivery operations
    /// have separate ones) and wakes the writer if it waits.
    func enqueue(_ write: PendingWrite) -> Admission {
        let configuration = shared.configuration
        let (admission, wake) = shared.queue.withLock { queue -> (Admission, Bool) in
            if queue.isClosed {
                queue.rejected += 1
                return (.closed, false)
            }
            if write.operation.isAppend {
                guard queue.appends < configuration.maxQueuedRequests,
                      queue.requests.isEmpty || queue.bytes + write.byteCount <= configuration.maxQueuedBytes
                else {
                    queue.rejected += 1
                    return (.full, false)
                }
                queue.appends += 1
            } else {
                guard queue.requests.count - queue.appends < configuration.maxQueuedDeliveryOperations else {
                    queue.rejected += 1
                    return (.full, false)
                }
            }
            queue.requests.append(write)
            queue.bytes += write.byteCount
            let wake = queue.isWriterWaiting
            queue.isWriterWaiting = false
            return (.accepted, wake)
        }
        if wake { shared.wake.signal() }
        return admission
    }

    public var isWritable: Bool {
        !shared.queue.withLock { $0.isClosed } && shared.isHealthy.load(ordering: .relaxed)
    }

    public var stats: StoreStats {
        var stats = shared.stats.withLock { $0 }
        shared.queue.withLock { queue in
            stats.queueDepth = queue.requests.count
            stats.requestsRejected = queue.rejected
        }
        return stats
    }

    public func close() {
        let isWriterThread = shared.queue.withLock { queue -> Bool in
            queue.isClosed = true
            queue.isWriterWaiting = false
            return queue.writerThread.map { pthread_equal($0, StoreThread.current) != 0 } ?? false
        }
        shared.wake.signal()
        // A completion that closes the store cannot wait for its own thread; the writer drains and stops
        // after it returns, and a later close() (or deinit) finishes the job.
        if isWriterThread { return }
        shared.writerFinished.wait()
        reader.close()
    }

    public func events(matching filter: EventFilter) throws(StoreError) -> [StoredEvent] {
        try reader.events(matching: filter)
    }

    public func event(id: String) throws(StoreError) -> StoredEvent? {
        try reader.event(id: id)
    }

    public func deliveries(matching filter: DeliveryFilter) throws(StoreError) -> [Delivery] {
        try reader.deliveries(matching: filter)
    }
}

/// The queue between the event loops (and the dispatcher) and the writer, guarded by `StoreShared.queue`.
struct WriteQueue {
    var requests: [PendingWrite] = []
    /// How many of `requests` are appends (the rest are delivery operations).
    var appends = 0
    var bytes = 0
    var rejected = 0
    var isClosed = false
    /// The writer found the queue empty and is about to wait: the next `append` must wake it.
    var isWriterWaiting = false
    var writerThread: pthread_t?
    /// The maintenance thread's request that the writer park between transactions for a checkpoint.
    var checkpoint = CheckpointHandshake.none

    enum CheckpointHandshake {
        case none
        /// The maintenance thread waits for the writer to park.
        case requested
        /// The writer holds no transaction and waits for `StoreShared.checkpointDone`.
        case parked
    }

    enum Step {
        case write([PendingWrite])
        case park
        case wait
        case finish
    }

    /// Parks for a requested checkpoint, or takes the oldest requests up to the batch limits (always at
    /// least one), or says to wait or finish.
    mutating func next(maxRequests: Int, maxBytes: Int) -> Step {
        if checkpoint == .requested {
            checkpoint = .parked
            return .park
        }
        if requests.isEmpty {
            if isClosed { return .finish }
            isWriterWaiting = true
            return .wait
        }
        var count = 0
        var taken = 0
        while count < requests.count, count < maxRequests,
              count == 0 || taken + requests[count].byteCount <= maxBytes {
            taken += requests[count].byteCount
            count += 1
        }
        bytes -= taken
        appends -= requests[..<count].count { $0.operation.isAppend }
        if count == requests.count {
            let batch = requests
            requests.removeAll(keepingCapacity: true)
            return .write(batch)
        }
        let batch = Array(requests[..<count])
        requests.removeFirst(count)
        return .write(batch)
    }
}

/// State shared by the store's public face, its writer and its maintenance thread.
final class StoreShared: Sendable {
    let configuration: SQLiteStore.Configuration
    let queue = Mutex(WriteQueue())
    let stats = Mutex(StoreStats())
    let isHealthy = Atomic(true)
    /// `SQLiteStore.onNewDeliveries`.
    let onNewDeliveries = Mutex<(@Sendable () -> Void)?>(nil)
    /// Wakes the writer when work arrives or the store closes.
    let wake = ThreadSignal(autoReset: true)
    let writerFinished = ThreadSignal(autoReset: false)
    let maintenanceStop = ThreadSignal(autoReset: false)
    let maintenanceFinished = ThreadSignal(autoReset: false)
    /// The writer parked for a checkpoint (or is stopping and will not).
    let writerParked = ThreadSignal(autoReset: true)
    /// The checkpoint the writer parked for is done.
    let checkpointDone = ThreadSignal(autoReset: true)
    /// The data directory's lock file descriptor, closed (unlocking it) when the writer stops.
    let lockFile: Int32

    /// Whether the caller runs on the writer thread (inside a completion).
    var isWriterThread: Bool {
        queue.withLock { queue in queue.writerThread.map { pthread_equal($0, StoreThread.current) != 0 } ?? false }
    }

    init(configuration: SQLiteStore.Configuration, lockFile: Int32) {
        self.configuration = configuration
        self.lockFile = lockFile
    }
}

/// File-system set-up for a data directory.
enum StoreFiles {
    /// Creates `path` and its missing parents, owner-only (the database holds raw requests).
    static func makeDirectories(_ path: String) throws(StoreError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw .system(call: "mkdir", errno: errno, path: prefix)
            }
            prefix += "/"
        }
    }

    /// Creates an empty file readable only by its owner if none exists; SQLite gives its `-wal` and
    /// `-shm` files the same permissions.
    static func createPrivateFile(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(call: "open", errno: errno, path: path) }
        Glibc.close(fd)
    }

    /// Opens `path` and takes an exclusive advisory lock on it, failing at once if another process has it.
    static func lockExclusively(_ path: String) throws(StoreError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(call: "open", errno: errno, path: path) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            Glibc.close(fd)
            if code == EWOULDBLOCK { throw .locked(path: path) }
            throw .system(call: "flock", errno: code, path: path)
        }
        return fd
    }
}
