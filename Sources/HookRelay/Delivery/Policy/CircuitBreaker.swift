/// A destination's circuit breaker: stops sending to a destination that keeps failing, then probes it.
///
/// - **Closed** (normal): every request is ``Permit/allowed``. Outcomes are recorded; the breaker opens after
///   ``Configuration/consecutiveFailures`` failures in a row (default 5) **or** when at least
///   ``Configuration/failureRatio`` (0.5) of the last ``Configuration/window`` outcomes (20) failed, once the window
///   holds ``Configuration/minimumSamples`` (10).
/// - **Open**: requests are ``Permit/denied(retryAt:)`` until the open period ends (first 30 s). Deliveries wait:
///   the dispatcher reschedules them to `retryAt` without counting an attempt.
/// - **Half-open**: the first ``permit(now:)`` at or after the end of the open period is the one ``Permit/probe``;
///   others are denied until the probe reports. Probe success → closed, counters and open period reset. Probe
///   failure → open again for twice the previous period, at most ``Configuration/maxOpenDuration`` (10 min).
///   A probe that never reports (neither ``record(success:now:)`` nor ``cancelProbe()``) is given up after
///   ``Configuration/probeTimeout`` and another probe is allowed.
///
/// Which outcomes are failures is the classifier's decision (``Classification/countsAsDestinationFailure``): connect,
/// TLS and timeout errors, 5xx, 429 and the other retryable answers — not a 4xx dead letter, which is the payload's
/// fault and counts as a success (the destination answered).
///
/// State changes only in ``permit(now:)``, ``record(success:now:)`` and ``cancelProbe()``: ``state`` reads
/// `open` until a permit is asked for after the open period.
public struct CircuitBreaker: Sendable, Equatable {
    /// Thresholds and durations; the defaults are in each property's summary.
    public struct Configuration: Sendable, Equatable {
        /// Failures in a row that open the breaker (default 5).
        public var consecutiveFailures = 5
        /// The failure share of the window that opens the breaker (default 0.5).
        public var failureRatio = 0.5
        /// How many recent outcomes the ratio looks at (default 20).
        public var window = 20
        /// The fewest outcomes in the window before the ratio applies (default 10).
        public var minimumSamples = 10
        /// The first open period (default 30 s).
        public var openDuration: Duration = .seconds(30)
        /// The longest open period after repeated failed probes (default 10 min).
        public var maxOpenDuration: Duration = .seconds(600)
        /// How long a probe may go unreported before another is allowed (default 15 s; keep it above the request
        /// timeout — ``DestinationPolicy`` raises it to the destination's timeout + 5 s).
        public var probeTimeout: Duration = .seconds(15)

        /// The defaults.
        public init() {}
    }

    /// Where the breaker stands.
    public enum State: Sendable, Equatable {
        /// Sending normally.
        case closed
        /// Not sending until ``CircuitBreaker/reopensAt``.
        case open
        /// One probe allowed; waiting for its outcome.
        case halfOpen
    }

    /// The answer of ``permit(now:)``.
    public enum Permit: Sendable, Equatable {
        /// Send.
        case allowed
        /// Send: this request is the half-open probe; record its outcome.
        case probe
        /// Don't send; ask again at this time (unix ms).
        case denied(retryAt: Int64)
    }

    /// The thresholds and durations in use.
    public let configuration: Configuration
    /// Where the breaker stands.
    public private(set) var state: State = .closed
    /// While open: when the open period ends (unix ms).
    public private(set) var reopensAt: Int64?
    /// The open period used the next time it opens, in ms (doubles after each failed probe, up to the maximum).
    public private(set) var openDuration: Int64
    /// Failures in a row while closed.
    public private(set) var consecutiveFailures = 0
    /// When the outstanding half-open probe was permitted.
    private var probeStartedAt: Int64?
    /// The last outcomes while closed (`true` = failure), a ring of at most `window`.
    private var outcomes: [Bool] = []
    private var cursor = 0
    /// Failures in `outcomes`.
    public private(set) var windowFailures = 0

    /// A closed breaker.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        openDuration = max(0, Milliseconds.of(configuration.openDuration))
    }

    /// Outcomes in the ratio window.
    public var windowCount: Int { outcomes.count }

    /// Whether a request may be sent at `now`; may move open → half-open and take the probe.
    public mutating func permit(now: Int64) -> Permit {
        switch state {
        case .closed:
            return .allowed
        case .open:
            let until = reopensAt ?? now
            guard now >= until else { return .denied(retryAt: until) }
            state = .halfOpen
            reopensAt = nil
            probeStartedAt = now
            return .probe
        case .halfOpen:
            if let started = probeStartedAt {
                let expires = Milliseconds.add(started, Milliseconds.of(configuration.probeTimeout))
                if now < expires { return .denied(retryAt: expires) }
            }
            probeStartedAt = now
            return .probe
        }
    }

    /// What ``permit(now:)`` would answer at `now`, changing nothing.
    public func check(now: Int64) -> Permit {
        var copy = self
        return copy.permit(now: now)
    }

    /// Records an outcome: `success` is `!countsAsDestinationFailure`. While half-open it is the probe's outcome;
    /// while open it is ignored (a request sent before the breaker opened).
    public mutating func record(success: Bool, now: Int64) {
        switch state {
        case .closed:
            remember(failure: !success)
            consecutiveFailures = success ? 0 : consecutiveFailures + 1
            if !success && shouldOpen { open(now: now) }
        case .halfOpen:
            if success {
                close()
            } else {
                openDuration = min(Milliseconds.multiply(openDuration, 2), max(Milliseconds.of(configuration.maxOpenDuration), 0))
                open(now: now)
            }
        case .open:
            break
        }
    }

    /// Gives back a probe that was permitted but not sent, so the next ``permit(now:)`` may probe at once.
    public mutating func cancelProbe() {
        if state == .halfOpen { probeStartedAt = nil }
    }

    private var shouldOpen: Bool {
        if consecutiveFailures >= max(1, configuration.consecutiveFailures) { return true }
        let samples = outcomes.count
        guard samples >= max(1, min(configuration.minimumSamples, configuration.window)) else { return false }
        return Double(windowFailures) >= configuration.failureRatio * Double(samples)
    }

    private mutating func remember(failure: Bool) {
        let window = max(1, configuration.window)
        if outcomes.count < window {
            outcomes.append(failure)
        } else {
            if outcomes[cursor] { windowFailures -= 1 }
            outcomes[cursor] = failure
            cursor = (cursor + 1) % window
        }
        if failure { windowFailures += 1 }
    }

    private mutating func open(now: Int64) {
        state = .open
        reopensAt = Milliseconds.add(now, openDuration)
        probeStartedAt = nil
    }

    private mutating func close() {
        state = .closed
        reopensAt = nil
        probeStartedAt = nil
        openDuration = max(0, Milliseconds.of(configuration.openDuration))
        consecutiveFailures = 0
        outcomes.removeAll(keepingCapacity: true)
        cursor = 0
        windowFailures = 0
    }
}
