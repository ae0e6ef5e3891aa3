/// Reads stored events and deliveries (the CLI, the admin API).
public protocol EventStoreReader: Sendable {
    /// Events matching `filter`, newest first.
    func events(matching filter: EventFilter) throws(StoreError) -> [StoredEvent]
    /// The event with hookrelay id `id`, if stored.
    func event(id: String) throws(StoreError) -> StoredEvent?
    /// Deliveries matching `filter`, newest first.
    func deliveries(matching filter: DeliveryFilter) throws(StoreError) -> [Delivery]
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

    /// Refuses new appends, completes everything already accepted, stops the writer and closes the
    /// database. Idempotent; returns when done.
    func close()
}

/// Which events to read.
public struct EventFilter: Sendable, Equatable {
    /// Only events from this source.
    public var source: String?
    /// Only events whose type matches this glob (`*`, `?`, `[...]`; case-sensitive).
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
    /// Only deliveries of this event.
    public var eventID: String?
    /// Only deliveries created at or after this time, unix milliseconds.
    public var createdSince: Int64?
    /// At most this many (newest first).
    public var limit: Int

    /// Makes a filter; without arguments, the 100 newest deliveries.
    public init(
        statuses: [DeliveryStatus] = [], destination: String? = nil, eventID: String? = nil,
        createdSince: Int64? = nil, limit: Int = 100
    ) {
        self.statuses = statuses
        self.destination = destination
        self.eventID = eventID
        self.createdSince = createdSince
        self.limit = limit
    }
}
