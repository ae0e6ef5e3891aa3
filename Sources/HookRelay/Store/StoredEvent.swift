/// An event as read back from the store: everything that was appended, with its deliveries as they stand.
public struct StoredEvent: Sendable, Equatable {
    /// hookrelay's id for the event.
    public var id: String
    /// The source name.
    public var source: String
    /// The provider preset.
    public var provider: String
    /// The provider's own event id.
    public var providerEventID: String
    /// The event type.
    public var type: String
    /// The main entity id, if any.
    public var subject: String?
    /// The event time, ISO-8601.
    public var time: String
    /// When hookrelay received it, unix milliseconds.
    public var receivedAt: Int64
    /// The HTTP header section exactly as received.
    public var rawHeaders: [UInt8]
    /// The HTTP body exactly as received.
    public var rawBody: [UInt8]
    /// The CloudEvents JSON envelope.
    public var envelope: [UInt8]
    /// The event's deliveries, oldest first.
    public var deliveries: [Delivery]

    /// Makes a stored-event value.
    public init(
        id: String, source: String, provider: String, providerEventID: String, type: String, subject: String?,
        time: String, receivedAt: Int64, rawHeaders: [UInt8], rawBody: [UInt8], envelope: [UInt8],
        deliveries: [Delivery]
    ) {
        self.id = id
        self.source = source
        self.provider = provider
        self.providerEventID = providerEventID
        self.type = type
        self.subject = subject
        self.time = time
        self.receivedAt = receivedAt
        self.rawHeaders = rawHeaders
        self.rawBody = rawBody
        self.envelope = envelope
        self.deliveries = deliveries
    }

    /// How many deliveries are in each status.
    public var summary: DeliverySummary { DeliverySummary(deliveries) }
}
