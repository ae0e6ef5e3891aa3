/// When a failed delivery is tried next, or that it is dead: the destination's retry schedule as data.
///
/// `schedule[0]` is the delay before the first attempt (normally `0s`); after attempt `n` (1-based) fails, the next
/// attempt waits `schedule[n]`. So a schedule of 8 entries allows 8 attempts. The default is
/// ``DestinationSettings/defaultRetrySchedule``: `0s 5s 5m 30m 2h 5h 10h 10h` (about 28 hours in all).
///
/// The delay after a failure is computed in this order:
/// 1. **Step**: `schedule[n]`. No step left → dead: `gave up after N attempts: <last reason>`.
/// 2. **Jitter**: the step ±``jitterPercent`` (20 %), uniformly, from the injected generator.
/// 3. **Retry-After**: when the response's `Retry-After` is later than the step, it replaces the jittered step,
///    clamped to at most 2 × the step — a destination can slow us down, but not stall a delivery for hours. A
///    `Retry-After` at or before the step changes nothing (the step is the minimum). Not jittered.
/// 4. **Floor**: after a timeout or 429 (``Classification/retry(reason:retryAfter:floor:)`` with `floor`), at least
///    ``floor`` (60 s), whatever the step and `Retry-After` say.
/// 5. **Max age**: with ``maxAge`` set, a next attempt that would fall after `eventReceivedAt + maxAge` is not
///    scheduled → dead: `expired after <maxAge>: <last reason>`.
///
/// Age is counted from when the event was received (like EventBridge's maximum event age), so time spent waiting
/// behind an open circuit breaker or a rate limit counts. A replay is a fresh request by an operator: the dispatcher
/// passes the replay time as `eventReceivedAt` so the replayed delivery gets its full `maxAge` again.
///
/// ```swift
/// let policy = RetryPolicy(settings)
/// switch policy.next(afterAttempt: 1, reason: "HTTP 503", retryAfter: nil, floor: false,
///                    eventReceivedAt: received, now: now, using: &generator) {
/// case .retry(let at): …   // now + 5 s ± 1 s with the default schedule
/// case .dead(let reason): …
/// }
/// ```
public struct RetryPolicy: Sendable, Equatable {
    /// Delays in milliseconds; `schedule[0]` before the first attempt, `schedule[n]` after attempt `n` fails.
    public var schedule: [Int64]
    /// How long after the event was received a delivery may still be attempted, in milliseconds; `nil`: no limit.
    public var maxAge: Int64?
    /// Jitter on each step, in percent either way (default 20).
    public var jitterPercent: Int64 = 20
    /// The minimum delay after a timeout or 429, in milliseconds (default 60 000).
    public var floor: Int64 = 60_000

    /// A policy from a schedule and an optional maximum age.
    public init(schedule: [Duration] = DestinationSettings.defaultRetrySchedule, maxAge: Duration? = nil) {
        self.schedule = schedule.map { max(0, Milliseconds.of($0)) }
        self.maxAge = maxAge.map { max(0, Milliseconds.of($0)) }
    }

    /// The policy of a destination: its `retrySchedule` and `maxAge`.
    public init(_ settings: DestinationSettings) {
        self.init(schedule: settings.retrySchedule, maxAge: settings.maxAge)
    }

    /// The number of attempts the schedule allows.
    public var maxAttempts: Int { schedule.count }

    /// The delay before the first attempt (`schedule[0]`, not jittered), in milliseconds.
    public var firstAttemptDelay: Int64 { schedule.first ?? 0 }

    /// The decision after attempt `attempt` (1-based) failed with a retryable result.
    ///
    /// - Parameters:
    ///   - attempt: the number of the attempt that just failed; 1 for the first.
    ///   - reason: the classifier's reason, kept in the dead reason.
    ///   - retryAfter: the response's `Retry-After`, if any.
    ///   - floor: whether ``floor`` applies (timeout, 429).
    ///   - eventReceivedAt: when the event was received (or replayed), unix ms; the start of ``maxAge``.
    ///   - now: the current time, unix ms.
    ///   - random: the jitter source.
    public func next(
        afterAttempt attempt: Int, reason: String, retryAfter: RetryAfter?, floor: Bool,
        eventReceivedAt: Int64, now: Int64, using random: inout some RandomNumberGenerator
    ) -> RetryDecision {
        let attempt = max(1, attempt)
        guard attempt < schedule.count else {
            return .dead(reason: "gave up after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(reason)")
        }
        let step = schedule[attempt]
        var delay = jittered(step, using: &random)
        if let retryAfter {
            let requested = retryAfter.delay(after: now)
            if requested > step { delay = min(requested, Milliseconds.multiply(step, 2)) }
        }
        if floor { delay = max(delay, self.floor) }
        let at = Milliseconds.add(now, delay)
        if let maxAge, at > Milliseconds.add(eventReceivedAt, maxAge) {
            return .dead(reason: "expired after \(Milliseconds.text(maxAge)): \(reason)")
        }
        return .retry(at: at)
    }

    /// `step` moved uniformly within ±``jitterPercent``.
    func jittered(_ step: Int64, using random: inout some RandomNumberGenerator) -> Int64 {
        let spread = Int64((Double(step) * Double(max(0, min(100, jitterPercent))) / 100).rounded(.down))
        guard spread > 0 else { return step }
        return Milliseconds.add(step, Int64.random(in: -spread...spread, using: &random))
    }
}

/// What ``RetryPolicy`` decided after a failed attempt.
public enum RetryDecision: Sendable, Equatable {
    /// Attempt again at this time (unix milliseconds).
    case retry(at: Int64)
    /// Give up, with the reason.
    case dead(reason: String)
}
