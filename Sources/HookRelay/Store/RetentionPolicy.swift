/// How long the store keeps finished events (`serve --retention`, `--retention-failed`).
///
/// An event is deleted, with its deliveries and their attempts, once it was received longer ago than:
/// - `delivered`, when every delivery is `delivered` or it has none (no route matched);
/// - `failed`, when no delivery is `pending` or `retrying` and at least one is `dead`.
///
/// An event with a `pending` or `retrying` delivery is work the dispatcher still owes: it is never deleted, however
/// old. A dead event that is replayed and then delivered falls under `delivered` again. Ages count from the receive
/// time. `nil` keeps that kind of event forever.
public struct RetentionPolicy: Sendable, Equatable {
    /// How long events whose deliveries all succeeded (or that have none) are kept; `nil`: forever. Default 7 days.
    public var delivered: Duration?
    /// How long events with a dead delivery (and none still pending or retrying) are kept; `nil`: forever. Default 30 days.
    public var failed: Duration?
    /// The most events one transaction deletes (with their deliveries and attempts). Default 500.
    public var batchSize: Int

    /// The defaults: 7 days, 30 days, 500 events per transaction.
    public init(delivered: Duration? = .seconds(7 * 86_400), failed: Duration? = .seconds(30 * 86_400), batchSize: Int = 500) {
        self.delivered = delivered
        self.failed = failed
        self.batchSize = batchSize
    }

    /// Whether the policy ever deletes anything.
    public var isEnabled: Bool { delivered != nil || failed != nil }

    /// The receive-time cutoffs at `now` (unix milliseconds): events received before them may go. `Int64.min` when kept
    /// forever.
    func cutoffs(now: Int64) -> (delivered: Int64, failed: Int64) {
        func cutoff(_ age: Duration?) -> Int64 {
            guard let age else { return .min }
            let (difference, overflow) = now.subtractingReportingOverflow(Milliseconds.of(age))
            return overflow ? .min : difference
        }
        return (cutoff(delivered), cutoff(failed))
    }
}

/// What one pass of ``SQLiteStore/prune(_:isCancelled:)`` deleted.
public struct PruneSummary: Sendable, Equatable {
    /// Events deleted (their deliveries and attempts went with them).
    public var events = 0
    /// Transactions it took (each deleted at most `RetentionPolicy.batchSize` events).
    public var batches = 0
    /// The most events one of those transactions deleted.
    public var largestBatch = 0

    /// An empty summary.
    public init() {}
}

/// One prune batch, as queued for the writer.
struct PruneRequest: Sendable {
    let policy: RetentionPolicy
    /// Continue after this event (receive time, rowid): the previous batch's last deletion, so events kept because of
    /// their deliveries are examined once per pass, not once per batch.
    let after: (receivedAt: Int64, rowID: Int64)
}

/// What one prune batch did.
struct PruneProgress: Sendable, Equatable {
    /// Events deleted.
    var deleted = 0
    /// The last event deleted (receive time, rowid), where the next batch continues.
    var lastReceivedAt: Int64 = .min
    var lastRowID: Int64 = .min
    /// Whether the batch was full, so more events may be due for deletion.
    var hasMore = false
}
