/// A delivery the store leased to a sender (`EventStore.claimDue`): everything needed to build the outbound
/// request and to decide what happens after it, without reading the store again.
///
/// The lease is the sender's exclusive right to attempt it until `leaseUntil`; no other claim returns the
/// delivery before then. Report the attempt with `EventStore.record` and a `DeliveryResult` made from this
/// value, which carries the lease as a fencing token.
public struct ClaimedDelivery: Sendable, Equatable {
    /// The delivery's row id.
    public var id: Int64
    /// hookrelay's event id (the first half of the `Idempotency-Key`).
    public var eventID: String
    /// The event's source name (for logs).
    public var source: String
    /// The route that planned the delivery.
    public var route: String
    /// The destination name.
    public var destination: String
    /// Attempts recorded before this one.
    public var attempts: Int
    /// When the first attempt started, unix milliseconds; `nil` before the first attempt.
    public var firstAttemptAt: Int64?
    /// When hookrelay received the event, unix milliseconds.
    public var receivedAt: Int64
    /// The HTTP header section exactly as received (for `body: raw`).
    public var rawHeaders: [UInt8]
    /// The HTTP body exactly as received (for `body: raw`).
    public var rawBody: [UInt8]
    /// The CloudEvents JSON envelope.
    public var envelope: [UInt8]
    /// When the lease lapses, unix milliseconds: after it the delivery may be claimed again.
    public var leaseUntil: Int64

    /// Makes a claimed-delivery value.
    public init(
        id: Int64, eventID: String, source: String, route: String, destination: String, attempts: Int,
        firstAttemptAt: Int64?, receivedAt: Int64, rawHeaders: [UInt8], rawBody: [UInt8], envelope: [UInt8],
        leaseUntil: Int64
    ) {
        self.id = id
        self.eventID = eventID
        self.source = source
        self.route = route
        self.destination = destination
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.receivedAt = receivedAt
        self.rawHeaders = rawHeaders
        self.rawBody = rawBody
        self.envelope = envelope
        self.leaseUntil = leaseUntil
    }

    /// The payload bytes this value holds (for the claim's memory budget).
    var byteCount: Int { rawHeaders.count + rawBody.count + envelope.count }
}
