/// Counters the store's writer and maintenance threads keep, for metrics. Totals since the store opened.
public struct StoreStats: Sendable, Equatable {
    /// Transactions committed (each one fsync at `synchronous=FULL`).
    public var commits = 0
    /// Append requests completed successfully (stored or duplicate).
    public var requestsStored = 0
    /// Append requests completed with an error (nothing of them stored).
    public var requestsFailed = 0
    /// `append` calls refused because the queue was full or the store closed.
    public var requestsRejected = 0
    /// Event rows inserted.
    public var eventsStored = 0
    /// Events that were duplicates and added nothing.
    public var duplicates = 0
    /// Delivery rows inserted.
    public var deliveriesStored = 0
    /// Claims committed (`claimDue` calls that completed successfully).
    public var claims = 0
    /// Deliveries leased by those claims.
    public var deliveriesClaimed = 0
    /// Delivery results applied (attempts and postponements).
    public var resultsRecorded = 0
    /// Delivery results ignored because the delivery no longer held their lease (late, or requeued meanwhile).
    public var resultsIgnored = 0
    /// Deliveries put back to pending by `requeue`.
    public var deliveriesRequeued = 0
    /// Events deleted by retention (`SQLiteStore.prune`), with their deliveries and attempts.
    public var eventsPruned = 0
    /// Claims, result batches, requeue chunks and prune batches that completed with an error.
    public var deliveryOperationsFailed = 0
    /// Rows inserted in all (events and deliveries).
    public var rows: Int { eventsStored + deliveriesStored }
    /// Requests (appends and delivery operations) in the most recent committed transaction.
    public var lastBatchSize = 0
    /// The most requests (appends and delivery operations) one committed transaction held.
    public var maxBatchSize = 0
    /// Duration of the most recent transaction, `BEGIN IMMEDIATE` to `COMMIT` returned, microseconds.
    public var lastCommitMicros: Int64 = 0
    /// Sum of all transaction durations, microseconds.
    public var totalCommitMicros: Int64 = 0
    /// Group transactions rolled back because one request violated a constraint, then written again
    /// without it.
    public var batchesRedone = 0
    /// Group transactions that failed for another reason (COMMIT, I/O) and were retried one request at a time.
    public var batchesSplit = 0
    /// Requests waiting for the writer right now.
    public var queueDepth = 0
    /// WAL checkpoints run by the maintenance thread.
    public var checkpoints = 0
    /// Checkpoints that failed (busy or an error); retried on the next tick.
    public var checkpointFailures = 0
    /// `RESTART` checkpoints run because the WAL stayed long under sustained load.
    public var walRestarts = 0
    /// WAL frames present at the most recent checkpoint.
    public var lastCheckpointFrames = 0

    /// Makes empty stats.
    public init() {}

    /// Append requests per committed transaction, on average.
    public var averageBatchSize: Double {
        commits == 0 ? 0 : Double(requestsStored) / Double(commits)
    }
}

/// One committed transaction, as reported to `SQLiteStore.Configuration.commitObserver`.
public struct CommitSample: Sendable, Equatable {
    /// Requests the transaction held (appends, stored or duplicate, and delivery operations).
    public var requests: Int
    /// Rows inserted (events and deliveries).
    public var rows: Int
    /// `BEGIN IMMEDIATE` to `COMMIT` returned, microseconds.
    public var durationMicros: Int64
}
