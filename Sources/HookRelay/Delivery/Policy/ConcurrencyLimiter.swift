/// The number of requests in flight to one destination, never more than its `concurrency`.
///
/// ```swift
/// var limiter = ConcurrencyLimiter(limit: 2)
/// limiter.tryAcquire()  // true
/// limiter.tryAcquire()  // true
/// limiter.tryAcquire()  // false: wait for a release
/// limiter.release()
/// ```
public struct ConcurrencyLimiter: Sendable, Equatable {
    /// The most requests in flight at once (at least 1).
    public let limit: Int
    /// Requests in flight now; always in `0...limit`.
    public private(set) var inFlight = 0

    /// A limiter allowing `limit` requests at once (values below 1 count as 1).
    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Whether another request may start now.
    public var hasCapacity: Bool { inFlight < limit }

    /// Takes a slot if one is free; `false` (and nothing taken) at the limit.
    public mutating func tryAcquire() -> Bool {
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    /// Gives back a slot taken by ``tryAcquire()``. A release without an acquire is ignored.
    public mutating func release() {
        if inFlight > 0 { inFlight -= 1 }
    }
}
