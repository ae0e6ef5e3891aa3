/// Where a delivery stands.
public enum DeliveryStatus: String, Sendable, Equatable, CaseIterable {
    /// Not yet attempted.
    case pending
    /// An attempt failed; the next one is scheduled at `nextAttemptAt`.
    case retrying
    /// A destination accepted it.
    case delivered
    /// Given up, with the reason in `lastError`.
    case dead
}

/// One event's delivery to one destination, as stored.
public struct Delivery: Sendable, Equatable {
    /// The delivery's row id.
    public var id: Int64
    /// The event delivered.
    public var eventID: String
    /// The route that planned it.
    public var route: String
    /// The destination name.
    public var destination: String
    /// Where it stands.
    public var status: DeliveryStatus
    /// Attempts made so far.
    public var attempts: Int
    /// When the next attempt is due, unix milliseconds.
    public var nextAttemptAt: Int64
    /// The HTTP status of the last attempt, if it got one.
    public var lastStatusCode: Int?
    /// Why the last attempt failed, or why the delivery is dead.
    public var lastError: String?
    /// When it was planned, unix milliseconds.
    public var createdAt: Int64
    /// When it last changed, unix milliseconds.
    public var updatedAt: Int64
    /// When it was first attempted, unix milliseconds; `nil` until an attempt is recorded.
    public var firstAttemptAt: Int64?
    /// While a sender holds it (claimed, result not yet recorded): when that claim lapses, unix milliseconds.
    public var leaseUntil: Int64?

    /// Makes a delivery value.
    public init(
        id: Int64, eventID: String, route: String, destination: String, status: DeliveryStatus, attempts: Int,
        nextAttemptAt: Int64, lastStatusCode: Int?, lastError: String?, createdAt: Int64, updatedAt: Int64,
        firstAttemptAt: Int64? = nil, leaseUntil: Int64? = nil
    ) {
        self.id = id
        self.eventID = eventID
        self.route = route
        self.destination = destination
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.firstAttemptAt = firstAttemptAt
        self.leaseUntil = leaseUntil
    }
}

/// How many of an event's deliveries are in each status.
public struct DeliverySummary: Sendable, Equatable {
    /// Not yet attempted.
    public var pending = 0
    /// Failed at least once, next attempt scheduled.
    public var retrying = 0
    /// Delivered.
    public var delivered = 0
    /// Given up.
    public var dead = 0

    /// Makes a summary.
    public init(pending: Int = 0, retrying: Int = 0, delivered: Int = 0, dead: Int = 0) {
        self.pending = pending
        self.retrying = retrying
        self.delivered = delivered
        self.dead = dead
    }

    /// Counts the statuses of `deliveries`.
    public init(_ deliveries: [Delivery]) {
        for delivery in deliveries {
            switch delivery.status {
            case .pending: pending += 1
            case .retrying: retrying += 1
            case .delivered: delivered += 1
            case .dead: dead += 1
            }
        }
    }

    /// All deliveries.
    public var total: Int { pending + retrying + delivered + dead }
}
