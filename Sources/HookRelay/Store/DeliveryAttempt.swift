/// One recorded attempt to deliver, as stored (`hookrelay deliveries`, the admin API).
public struct DeliveryAttempt: Sendable, Equatable {
    /// The delivery attempted.
    public var deliveryID: Int64
    /// Which attempt this was, from 1.
    public var number: Int
    /// When the request started, unix milliseconds.
    public var startedAt: Int64
    /// How long it took, milliseconds.
    public var durationMilliseconds: Int64
    /// The HTTP status, if a response arrived.
    public var statusCode: Int?
    /// Why it failed (connect error, timeout, classification), if it did.
    public var error: String?
    /// The first bytes of the response (at most `DeliveryResult.maxResponseHeadBytes`), if one arrived.
    public var responseHead: [UInt8]?

    /// Makes an attempt value.
    public init(
        deliveryID: Int64, number: Int, startedAt: Int64, durationMilliseconds: Int64, statusCode: Int?, error: String?,
        responseHead: [UInt8]?
    ) {
        self.deliveryID = deliveryID
        self.number = number
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.statusCode = statusCode
        self.error = error
        self.responseHead = responseHead
    }
}
