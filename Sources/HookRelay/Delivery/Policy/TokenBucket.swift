/// A destination's rate limit (`rateLimit: "20/s"`) as a token bucket on caller-supplied time.
///
/// Tokens refill continuously at the configured rate, `count` per `interval`. The bucket holds at most
/// ``capacity`` = max(1, ⌈events per second⌉) tokens and starts full: it never lets through more than one second's
/// worth of requests at once. So `20/s` allows a burst of 20, then one every 50 ms; `120/m` a burst of 2, then one
/// every 500 ms; rates under one per second (`30/m`, `100/h`) one at a time, evenly spaced (`30/m`: every 2 s). Smoothing per-minute
/// rates protects bridges that throttle bursts; a quota of N per minute is still never exceeded.
///
/// ``take(now:)`` never blocks and never asks to be polled: when no token is left it answers the exact time one will
/// be (with the integer arithmetic used, taking at that time succeeds unless someone else took it first). Times going
/// backwards are treated as no time passing.
///
/// ```swift
/// var bucket = TokenBucket(rate: try Rate(configText: "2/s"))
/// bucket.take(now: 0)     // .granted
/// bucket.take(now: 0)     // .granted
/// bucket.take(now: 0)     // .wait(until: 500)
/// bucket.take(now: 500)   // .granted
/// ```
public struct TokenBucket: Sendable, Equatable {
    /// The rate.
    public let rate: Rate
    /// The most tokens held (the largest burst).
    public let capacity: Int64
    /// Tokens are kept in units of 1/`intervalMilliseconds` token, so refilling `rate.count` units per millisecond is
    /// exact integer arithmetic.
    private let intervalMilliseconds: Int64
    private var units: Int64
    private var updatedAt: Int64?

    /// A full bucket for `rate`.
    public init(rate: Rate) {
        self.rate = rate
        intervalMilliseconds = max(1, Milliseconds.of(rate.interval))
        let perSecond = Milliseconds.divideRoundingUp(Int64(rate.count) * 1000, intervalMilliseconds)
        capacity = max(1, perSecond)
        units = Milliseconds.multiply(capacity, intervalMilliseconds)
    }

    /// Whole tokens available at the last update.
    public var tokens: Int64 { units / intervalMilliseconds }

    /// Takes one token if one is available at `now` (unix ms); otherwise says when one will be.
    public mutating func take(now: Int64) -> TakeResult {
        let available = availableAt(now: now)
        refill(now: now)
        guard available <= now else { return .wait(until: available) }
        units -= intervalMilliseconds
        return .granted
    }

    /// The earliest time at or after `now` when a token is available; `now` if one is. Takes nothing.
    public func availableAt(now: Int64) -> Int64 {
        var copy = self
        copy.refill(now: now)
        guard copy.units < intervalMilliseconds else { return now }
        let missing = intervalMilliseconds - copy.units
        return Milliseconds.add(copy.updatedAt ?? now, Milliseconds.divideRoundingUp(missing, Int64(rate.count)))
    }

    private mutating func refill(now: Int64) {
        let capacityUnits = Milliseconds.multiply(capacity, intervalMilliseconds)
        if let updatedAt, now > updatedAt {
            let added = Milliseconds.multiply(now - updatedAt, Int64(rate.count))
            units = min(capacityUnits, Milliseconds.add(units, added))
        }
        updatedAt = max(updatedAt ?? now, now)
    }
}

/// The answer of ``TokenBucket/take(now:)``.
public enum TakeResult: Sendable, Equatable {
    /// A token was taken: send now.
    case granted
    /// No token until this time (unix ms); nothing was taken.
    case wait(until: Int64)
}
