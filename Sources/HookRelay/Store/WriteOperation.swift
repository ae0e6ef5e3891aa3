/// One unit of work queued for the writer. Each runs inside a group transaction with whatever else is queued
/// (appends from the event loops, the dispatcher's claims and results, requeues) and completes after the
/// commit, or with the error that kept it out of the database.
enum WriteOperation: Sendable {
    /// Store the events of one webhook request.
    case append([NewEvent], completion: @Sendable (Result<[AppendOutcome], StoreError>) -> Void)
    /// Lease due deliveries.
    case claim(ClaimRequest, completion: @Sendable (Result<[ClaimedDelivery], StoreError>) -> Void)
    /// Apply attempt results.
    case record([DeliveryResult], completion: (@Sendable (Result<Void, StoreError>) -> Void)?)
    /// Put deliveries back to pending (one chunk).
    case requeue(RequeueRequest, completion: @Sendable (Result<RequeueProgress, StoreError>) -> Void)
    /// Delete one batch of events past retention.
    case prune(PruneRequest, completion: @Sendable (Result<PruneProgress, StoreError>) -> Void)

    /// Whether this is an ingress append (subject to the ingress queue limits and counters).
    var isAppend: Bool {
        if case .append = self { return true }
        return false
    }
}

/// What `claimDue` asked for.
struct ClaimRequest: Sendable {
    let now: Int64
    let limit: Int
    let leaseMilliseconds: Int64
    let excludedDestinations: [String]
}

/// Which deliveries one requeue operation puts back to pending.
enum RequeueRequest: Sendable {
    /// These ids.
    case ids([Int64])
    /// The newest `limit` deliveries matching the filter whose id is below `belowID` (the previous chunk's
    /// last); the filter's own limit is the caller's business.
    case filter(DeliveryFilter, belowID: Int64, limit: Int)
}

/// What one requeue operation did.
struct RequeueProgress: Sendable, Equatable {
    /// Deliveries put back to pending.
    var requeued = 0
    /// Deliveries selected (requeued, or left alone because in flight).
    var examined = 0
    /// The smallest id selected, where the next chunk of a filter requeue continues below.
    var lastID: Int64?
    /// Whether more deliveries match below `lastID` (filter requeues).
    var hasMore = false
}

/// What a committed operation produced, before it is handed to the operation's completion.
enum WriteOutput {
    case appended([AppendOutcome])
    case claimed([ClaimedDelivery])
    case recorded(applied: Int, ignored: Int)
    case requeued(RequeueProgress)
    case pruned(PruneProgress)
}

/// One operation waiting for the writer.
struct PendingWrite: Sendable {
    let operation: WriteOperation
    /// Payload bytes held (for queue and batch accounting).
    let byteCount: Int

    /// Runs the operation's completion with `result`.
    func complete(_ result: Result<WriteOutput, StoreError>) {
        switch operation {
        case .append(_, let completion):
            completion(result.flatMap { output in
                if case .appended(let outcomes) = output { return .success(outcomes) }
                return .failure(Self.mismatch(output))
            })
        case .claim(_, let completion):
            completion(result.flatMap { output in
                if case .claimed(let deliveries) = output { return .success(deliveries) }
                return .failure(Self.mismatch(output))
            })
        case .record(_, let completion):
            completion?(result.flatMap { output in
                if case .recorded = output { return .success(()) }
                return .failure(Self.mismatch(output))
            })
        case .requeue(_, let completion):
            completion(result.flatMap { output in
                if case .requeued(let progress) = output { return .success(progress) }
                return .failure(Self.mismatch(output))
            })
        case .prune(_, let completion):
            completion(result.flatMap { output in
                if case .pruned(let progress) = output { return .success(progress) }
                return .failure(Self.mismatch(output))
            })
        }
    }

    private static func mismatch(_ output: WriteOutput) -> StoreError {
        assertionFailure("write operation completed with the wrong output: \(output)")
        return .invalidRow("internal error: a write operation produced the wrong kind of output")
    }
}
