/// What became of one claimed delivery, for `EventStore.record`.
///
/// ```swift
/// let result = DeliveryResult(claimed, startedAt: start, durationMilliseconds: 84, statusCode: 503,
///                             error: "HTTP 503", responseHead: head, outcome: .retrying(nextAttemptAt: start + 5_000))
/// ```
public struct DeliveryResult: Sendable, Equatable {
    /// What the delivery becomes.
    public enum Outcome: Sendable, Equatable {
        /// The destination accepted it.
        case delivered
        /// The attempt failed; try again at this time (unix milliseconds).
        case retrying(nextAttemptAt: Int64)
        /// Give up, for this reason (stored as the delivery's last error).
        case dead(reason: String)
        /// Not attempted (circuit open, rate limit): no attempt is counted or recorded, the delivery keeps its
        /// status and becomes due at this time (unix milliseconds).
        case postponed(until: Int64)
    }

    /// The most response bytes kept per attempt.
    public static let maxResponseHeadBytes = 1024

    /// The delivery's row id.
    public var deliveryID: Int64
    /// The lease the result was obtained under (`ClaimedDelivery.leaseUntil`). The result applies only if the
    /// delivery still holds exactly this lease: once a lease lapsed and the delivery was claimed again,
    /// recorded, or requeued, a late result is ignored.
    public var lease: Int64
    /// When the attempt started, unix milliseconds.
    public var startedAt: Int64
    /// How long it took, milliseconds.
    public var durationMilliseconds: Int64
    /// The HTTP status, if a response arrived.
    public var statusCode: Int?
    /// Why the attempt failed, if it did.
    public var error: String?
    /// The first bytes of the response, truncated to `maxResponseHeadBytes`.
    public var responseHead: [UInt8]?
    /// What the delivery becomes.
    public var outcome: Outcome

    /// Makes a result; `responseHead` is truncated to `maxResponseHeadBytes`, a negative duration counts as 0.
    public init(
        deliveryID: Int64, lease: Int64, startedAt: Int64, durationMilliseconds: Int64, statusCode: Int? = nil,
        error: String? = nil, responseHead: [UInt8]? = nil, outcome: Outcome
    ) {
        self.deliveryID = deliveryID
        self.lease = lease
        self.startedAt = startedAt
        self.durationMilliseconds = max(0, durationMilliseconds)
        self.statusCode = statusCode
        self.error = error
        self.responseHead = responseHead.map { $0.count > Self.maxResponseHeadBytes ? Array($0.prefix(Self.maxResponseHeadBytes)) : $0 }
        self.outcome = outcome
    }

    /// Makes the result of an attempt at `claimed`, under its lease.
    public init(
        _ claimed: ClaimedDelivery, startedAt: Int64, durationMilliseconds: Int64, statusCode: Int? = nil,
        error: String? = nil, responseHead: [UInt8]? = nil, outcome: Outcome
    ) {
        self.init(
            deliveryID: claimed.id, lease: claimed.leaseUntil, startedAt: startedAt, durationMilliseconds: durationMilliseconds,
            statusCode: statusCode, error: error, responseHead: responseHead, outcome: outcome)
    }

    /// Whether the result counts as an attempt (everything but `postponed`).
    public var isAttempt: Bool {
        if case .postponed = outcome { return false }
        return true
    }

    /// The bytes this value holds (for queue accounting).
    var byteCount: Int {
        var count = (responseHead?.count ?? 0) + (error?.utf8.count ?? 0)
        if case .dead(let reason) = outcome { count += reason.utf8.count }
        return count
    }
}
