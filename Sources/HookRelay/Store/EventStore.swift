/// Reads stored events and deliveries (the CLI, the admin API).
public protocol EventStoreReader: Sendable {
    /// Events matching `filter`, newest first.
    func events(matching filter: EventFilter) throws(StoreError) -> [StoredEvent]
    /// The event with hookrelay id `id`, if stored.
    func event(id: String) throws(StoreError) -> StoredEvent?
    /// Deliveries matching `filter`, newest first.
    func deliveries(matching filter: DeliveryFilter) throws(StoreError) -> [Delivery]
    /// The delivery with row id `id`, if any.
    func delivery(id: Int64) throws(StoreError) -> Delivery?
    /// The recorded attempts of delivery `id`, first attempt first (none for an unknown id).
    func attempts(forDelivery id: Int64) throws(StoreError) -> [DeliveryAttempt]
    /// When the next pending or retrying delivery can be claimed, unix milliseconds: the earliest
    /// `nextAttemptAt` among those not leased at `now`, or the earliest lease expiry among those that are.
    /// A time at or before `now` means work is due now; `nil` means there is nothing to deliver.
    func nextDueTime(now: Int64) throws(StoreError) -> Int64?
}

extension EventStore {
    /// Leases up to `limit` due deliveries; see `claimDue(now:limit:leaseMilliseconds:excludingDestinations:completion:)`.
    public func claimDue(
        now: Int64, limit: Int, leaseMilliseconds: Int64,
        completion: @escaping @Sendable (Result<[ClaimedDelivery], StoreError>) -> Void
    ) -> Bool {
        claimDue(now: now, limit: limit, leaseMilliseconds: leaseMilliseconds, excludingDestinations: [], completion: completion)
    }
}

extension [DeliveryStatus] {
    /// Retrying and dead: what `--status failed` selects (`DeliveryFilter(statuses: .failed)`).
    public static var failed: [DeliveryStatus] { [.retrying, .dead] }

    /// The statuses a filter word names: a status's raw value, or `failed` (``failed``); nil for anything else.
    public static func selection(_ name: some StringProtocol) -> [DeliveryStatus]? {
        if name == "failed" { return failed }
        return DeliveryStatus(rawValue: String(name)).map { [$0] }
    }
}

extension EventStoreReader {
    /// The `limit` newest events.
    public func events(limit: Int) throws(StoreError) -> [StoredEvent] {
        try events(matching: EventFilter(limit: limit))
    }

    /// The `limit` newest deliveries in `status` (any status when `nil`).
    public func deliveries(status: DeliveryStatus?, limit: Int) throws(StoreError) -> [Delivery] {
        try deliveries(matching: DeliveryFilter(statuses: status.map { [$0] } ?? [], limit: limit))
    }
}

/// The durable event store: the ingress appends, the CLI and admin API read.
///
/// The product promise rests on `append`: its completion reports success only after the transaction that
/// holds the request is durably committed, and the ingress answers 2xx only then.
public protocol EventStore: EventStoreReader {
    /// Hands the events of one webhook request to the writer, to be stored atomically (all or none).
    ///
    /// Returns `false` at once, without ever calling `completion`, when the writer's queue is full or the
    /// store is closed: answer 503 with `Retry-After`. Otherwise `completion` runs later, on the writer
    /// thread, exactly once: with one outcome per event, in order, after `COMMIT` returned; or with an
    /// error, in which case nothing of the request is stored. Keep `completion` short and non-blocking
    /// (post to the caller's mailbox); it must not call `close()` and wait.
    func append(
        _ events: [NewEvent], completion: @escaping @Sendable (Result<[AppendOutcome], StoreError>) -> Void
    ) -> Bool

    /// Whether the store is open and its most recent transaction did not fail for a reason other than the
    /// request's own data (for `/readyz`).
    var isWritable: Bool { get }

    /// The writer's counters.
    var stats: StoreStats { get }

    /// Leases up to `limit` due deliveries to the caller, oldest due first, for `leaseMilliseconds`.
    ///
    /// Due means `pending` or `retrying`, `nextAttemptAt <= now`, and not leased at `now` (never claimed,
    /// or the lease lapsed: its sender died or hung). Each returned delivery is leased until
    /// `now + leaseMilliseconds`; no claim returns it again before then unless its result is recorded or it is
    /// requeued. Deliveries to `excludingDestinations` are skipped (saturated or open-circuit destinations).
    /// `limit` is capped (`SQLiteStore.maxClaimLimit`), and so are the payload bytes one claim returns.
    ///
    /// Returns `false` at once, without calling `completion`, when the store is closed or its queue of
    /// delivery operations is full. Otherwise `completion` runs once, on the writer thread, after the
    /// transaction holding the leases committed (or with an error: nothing was leased).
    func claimDue(
        now: Int64, limit: Int, leaseMilliseconds: Int64, excludingDestinations: Set<String>,
        completion: @escaping @Sendable (Result<[ClaimedDelivery], StoreError>) -> Void
    ) -> Bool

    /// Records attempt results (and postponements), all in one transaction, which may be shared with
    /// appends (group commit).
    ///
    /// A result applies only while its delivery still holds the lease it names (`DeliveryResult.lease`) and
    /// is pending or retrying; otherwise it is ignored and counted in `StoreStats.resultsIgnored` (the
    /// lease lapsed and another sender claimed it, or it was requeued): a late result never overwrites a
    /// newer state. Returns `false` at once, without calling `completion`, like `claimDue`; keep the results
    /// and try again. `completion`, if any, runs on the writer thread after the commit.
    func record(_ results: [DeliveryResult], completion: (@Sendable (Result<Void, StoreError>) -> Void)?) -> Bool

    /// Puts the deliveries with these ids back to `pending`, due now, keeping their attempt history; returns
    /// how many changed. Unknown ids and deliveries in flight (leased, lease not lapsed) are left alone:
    /// the attempt under way decides. Blocks until committed; never call it from a completion.
    func requeue(deliveryIDs: [Int64]) throws(StoreError) -> Int

    /// Puts the deliveries matching `filter` (its newest `limit`) back to `pending` like
    /// `requeue(deliveryIDs:)`, in chunks (`SQLiteStore.Configuration.requeueChunk`), one transaction each; returns how
    /// many changed. With `dryRun`, only counts those it would change.
    func requeue(matching filter: DeliveryFilter, dryRun: Bool) throws(StoreError) -> Int

    /// Called on the writer thread after a commit that added deliveries or requeued some, so a dispatcher
    /// waiting for `nextDueTime` wakes up. Keep it cheap and non-blocking (signal an eventfd or a condition).
    var onNewDeliveries: (@Sendable () -> Void)? { get nonmutating set }

    /// Refuses new appends, completes everything already accepted, stops the writer and closes the
    /// database. Idempotent; returns when done.
    func close()
}

/// Which events to read.
public struct EventFilter: Sendable, Equatable {
    /// Only events from this source.
    public var source: String?
    /// Only events whose type matches this glob (`*`, `?`, `[...]`; case-sensitive), either as stored
    /// (`stripe.invoice.paid`: `stripe.invoice.*`) or without the provider prefix (`invoice.*`), as route files write it.
    public var typeGlob: String?
    /// Only events received at or after this time, unix milliseconds.
    public var receivedSince: Int64?
    /// At most this many (newest first).
    public var limit: Int

    /// Makes a filter; without arguments, the 100 newest events.
    public init(source: String? = nil, typeGlob: String? = nil, receivedSince: Int64? = nil, limit: Int = 100) {
        self.source = source
        self.typeGlob = typeGlob
        self.receivedSince = receivedSince
        self.limit = limit
    }
}

/// Which deliveries to read.
public struct DeliveryFilter: Sendable, Equatable {
    /// Only deliveries in one of these statuses; empty means any.
    public var statuses: [DeliveryStatus]
    /// Only deliveries to this destination.
    public var destination: String?
    /// Only deliveries of events from this source.
    public var source: String?
    /// Only deliveries of this event.
    public var eventID: String?
    /// Only deliveries created at or after this time, unix milliseconds.
    public var createdSince: Int64?
    /// At most this many (newest first).
    public var limit: Int

    /// Makes a filter; without arguments, the 100 newest deliveries.
    public init(
        statuses: [DeliveryStatus] = [], destination: String? = nil, source: String? = nil, eventID: String? = nil,
        createdSince: Int64? = nil, limit: Int = 100
    ) {
        self.statuses = statuses
        self.destination = destination
        self.source = source
        self.eventID = eventID
        self.createdSince = createdSince
        self.limit = limit
    }
}
