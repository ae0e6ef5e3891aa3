/// One normalized event, ready to be stored with the deliveries routing planned for it.
///
/// A webhook request yields one or more of these (providers that batch yield one per item); all events of
/// one request are appended together and stored atomically.
public struct NewEvent: Sendable, Equatable {
    /// hookrelay's id for the event: a UUIDv7 made by the caller.
    public var id: String
    /// The source name (the `/hooks/<source>` URL segment).
    public var source: String
    /// The provider preset that verified and normalized the request.
    public var provider: String
    /// The provider's own event id; with `source`, the dedupe key. Callers whose provider has no id
    /// supply a stable substitute (for example a digest of the body), never an empty string.
    public var providerEventID: String
    /// The event type, `<provider>.<provider's own type>`.
    public var type: String
    /// The main entity id, when the provider has one.
    public var subject: String?
    /// The provider's event time (else the receive time), ISO-8601.
    public var time: String
    /// When hookrelay received the request, unix milliseconds.
    public var receivedAt: Int64
    /// The HTTP header section exactly as received.
    public var rawHeaders: [UInt8]
    /// The HTTP body exactly as received (shared by all events of one request).
    public var rawBody: [UInt8]
    /// The complete CloudEvents JSON envelope.
    public var envelope: [UInt8]
    /// The deliveries routing planned: at most one per destination.
    public var deliveries: [PlannedDelivery]

    /// Makes an event.
    public init(
        id: String, source: String, provider: String, providerEventID: String, type: String, subject: String?,
        time: String, receivedAt: Int64, rawHeaders: [UInt8], rawBody: [UInt8], envelope: [UInt8],
        deliveries: [PlannedDelivery]
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

    /// The payload bytes this event holds in memory (for queue accounting).
    var byteCount: Int { rawHeaders.count + rawBody.count + envelope.count }
}

/// What happened to one appended event.
public enum AppendOutcome: Sendable, Equatable {
    /// The event and its deliveries are stored under this id.
    case stored(eventID: String)
    /// An event with the same source and provider event id was already stored (earlier, or earlier in the
    /// same batch); nothing was added. Answer with the existing id.
    case duplicate(existingEventID: String)

    /// The id to answer the provider with: the new event's, or the one stored before.
    public var eventID: String {
        switch self {
        case .stored(let id), .duplicate(let id): id
        }
    }

    /// Whether the event was already stored.
    public var isDuplicate: Bool {
        if case .duplicate = self { return true }
        return false
    }
}
