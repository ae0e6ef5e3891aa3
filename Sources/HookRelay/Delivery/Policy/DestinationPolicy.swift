/// Everything that decides when and whether one destination gets a delivery: its concurrency limit, rate limit,
/// circuit breaker, retry schedule and response classifier, behind the two calls the dispatcher makes.
///
/// A pure state machine on caller-supplied time (unix ms) and randomness; one value per destination, owned by the
/// dispatcher thread that delivers to it. The dispatcher's loop, for a due delivery:
///
/// ```swift
/// switch policy.admit(now: now) {
/// case .send(let ticket):
///     // send; when the attempt ends (response or transport failure):
///     switch policy.complete(ticket, result: result, attemptNumber: delivery.attempts + 1,
///                            eventReceivedAt: event.receivedAt, now: now, using: &generator) {
///     case .delivered: …                           // store: delivered
///     case .retry(let at, let reason): …           // store: retrying, attempts + 1, nextAttemptAt = at, lastError = reason
///     case .dead(let reason, let flag): …          // store: dead with reason; flag: alert about the destination
///     }
/// case .later(let until): …                        // reschedule to `until`; no attempt counted
/// case .atCapacity: …                              // keep it due; try again when a delivery here completes
/// }
/// ```
///
/// Every `.send` must end in exactly one ``complete(_:result:attemptNumber:eventReceivedAt:now:using:)`` or, if the
/// request was not sent after all, ``cancel(_:)``: both release the concurrency slot. `.later(until:)` is the latest
/// time worth coming back; after any completion the dispatcher may ask again sooner (a successful probe closes the
/// breaker for everyone waiting).
public struct DestinationPolicy: Sendable {
    /// The destination's kind, for the classifier's quirks.
    public let kind: DestinationKind
    /// Judges each attempt's result.
    public var classifier = ResponseClassifier()
    /// The retry schedule.
    public var retryPolicy: RetryPolicy
    /// Requests in flight (limit: the destination's `concurrency`).
    public private(set) var limiter: ConcurrencyLimiter
    /// The rate limit, when the destination has one.
    public private(set) var bucket: TokenBucket?
    /// The circuit breaker.
    public private(set) var breaker: CircuitBreaker

    /// The policy of a destination: `concurrency`, `rateLimit`, `retrySchedule`, `maxAge` and `kind` from its
    /// settings. The breaker's probe timeout is raised to at least the destination's `timeout` + 5 s, so a probe is
    /// never given up while its request may still be running.
    public init(settings: DestinationSettings, breaker configuration: CircuitBreaker.Configuration = CircuitBreaker.Configuration()) {
        kind = settings.kind
        retryPolicy = RetryPolicy(settings)
        limiter = ConcurrencyLimiter(limit: settings.concurrency)
        bucket = settings.rateLimit.map(TokenBucket.init(rate:))
        var configuration = configuration
        configuration.probeTimeout = max(configuration.probeTimeout, settings.timeout + .seconds(5))
        breaker = CircuitBreaker(configuration: configuration)
    }

    /// Whether a request may be sent at `now`: a free concurrency slot, a closed breaker (or the half-open probe) and
    /// a rate-limit token, all taken together — or nothing taken.
    ///
    /// Checked in that order: a full limiter answers ``Admission/atCapacity``; an open breaker answers
    /// ``Admission/later(until:)`` with its reopening time (or the probe's expiry while a probe is out); an empty
    /// bucket answers `later` with the time of the next token.
    public mutating func admit(now: Int64) -> Admission {
        guard limiter.hasCapacity else { return .atCapacity }
        if case .denied(let retryAt) = breaker.check(now: now) { return .later(until: retryAt) }
        if case .wait(let until) = bucket?.take(now: now) { return .later(until: until) }
        let permit = breaker.permit(now: now)
        _ = limiter.tryAcquire()
        return .send(AdmissionTicket(isProbe: permit == .probe))
    }

    /// Gives back an admission whose request was not sent: releases the slot and, for the probe, lets the next
    /// admission probe. The rate-limit token is not returned.
    public mutating func cancel(_ ticket: AdmissionTicket) {
        limiter.release()
        if ticket.isProbe { breaker.cancelProbe() }
    }

    /// Ends an admitted attempt: releases its slot, classifies `result`, updates the breaker and decides the
    /// delivery's next state.
    ///
    /// The breaker records the outcome (``Classification/countsAsDestinationFailure``) when it is closed, or when it
    /// is half-open and this was the probe; outcomes of requests admitted before it opened are not recorded.
    ///
    /// - Parameters:
    ///   - ticket: from ``admit(now:)``.
    ///   - result: what the attempt produced.
    ///   - attemptNumber: this attempt's number, 1 for the first.
    ///   - eventReceivedAt: when the event was received (a replay passes the replay time), unix ms; `maxAge` counts
    ///     from it.
    ///   - now: the current time, unix ms.
    ///   - random: the jitter source.
    public mutating func complete(
        _ ticket: AdmissionTicket, result: AttemptResult, attemptNumber: Int, eventReceivedAt: Int64, now: Int64,
        using random: inout some RandomNumberGenerator
    ) -> Outcome {
        limiter.release()
        let classification = classifier.classify(result, kind: kind, attemptNumber: attemptNumber)
        switch breaker.state {
        case .closed:
            breaker.record(success: !classification.countsAsDestinationFailure, now: now)
        case .halfOpen where ticket.isProbe:
            breaker.record(success: !classification.countsAsDestinationFailure, now: now)
        case .halfOpen, .open:
            break
        }
        switch classification {
        case .delivered:
            return .delivered
        case .dead(let reason, let flagDestination):
            return .dead(reason: reason, flagDestination: flagDestination)
        case .retry(let reason, let retryAfter, let floor):
            switch retryPolicy.next(afterAttempt: attemptNumber, reason: reason, retryAfter: retryAfter, floor: floor,
                                    eventReceivedAt: eventReceivedAt, now: now, using: &random) {
            case .retry(let at): return .retry(at: at, reason: reason)
            case .dead(let reason): return .dead(reason: reason, flagDestination: false)
            }
        }
    }
}

/// The answer of ``DestinationPolicy/admit(now:)``.
public enum Admission: Sendable, Equatable {
    /// Send now; hand the ticket back to ``DestinationPolicy/complete(_:result:attemptNumber:eventReceivedAt:now:using:)``
    /// or ``DestinationPolicy/cancel(_:)``.
    case send(AdmissionTicket)
    /// Not before this time (unix ms): the breaker is open or the rate limit is used up. No attempt is counted.
    case later(until: Int64)
    /// The destination's concurrency limit is reached: try again when one of its requests completes.
    case atCapacity
}

/// An admitted request, handed back when it ends.
public struct AdmissionTicket: Sendable, Equatable {
    /// Whether this request is the circuit breaker's half-open probe.
    public let isProbe: Bool
}

/// What becomes of a delivery after an attempt.
public enum Outcome: Sendable, Equatable {
    /// Delivered.
    case delivered
    /// Retry at this time (unix ms); the reason is the attempt's error.
    case retry(at: Int64, reason: String)
    /// Dead, with the reason; `flagDestination` when the destination itself looks broken or gone.
    case dead(reason: String, flagDestination: Bool)
}
