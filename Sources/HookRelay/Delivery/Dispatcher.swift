import Dispatch
public import HTTPServer
import Synchronization

/// The delivery engine's driver: claims due deliveries from the store in bounded batches (with a lease, so none is
/// sent twice at once), admits each through its destination's policy (concurrency, rate limit, circuit breaker),
/// sends it through the transport, classifies the answer, and records results in batches through the store's single
/// writer. It sleeps until the next due time or until new work arrives (``wake()``); it never polls busily.
///
/// All decisions happen on the dispatcher's own thread; other threads only post messages to its inbox.
///
/// A destination can be **paused** (``pause(destination:)``, the admin API): its deliveries are not claimed, so
/// they wait in the store exactly as they are (status, attempts, due time), and deliveries already claimed go back
/// unchanged; requests in flight finish. ``resume(destination:)`` wakes the dispatcher, which claims the
/// destination's due deliveries at once. The paused set lives in memory: a restart resumes every destination.
public final class Dispatcher: Sendable {
    /// Tuning; defaults suit one node.
    public struct Configuration: Sendable {
        /// Deliveries claimed or in flight at once (bounds memory with any backlog).
        public var maxOutstanding = 512
        /// How long a claim holds a delivery (a fencing token too: a result counts only while its lease is current).
        public var leaseMilliseconds: Int64 = 5 * 60 * 1000
        /// A delivery that would wait longer than this for its destination (open breaker, rate limit) is handed back
        /// to the store with its new time instead of being held in memory — except behind a half-open breaker's
        /// probe, whose completion decides at once.
        public var holdMilliseconds: Int64 = 2_000
        /// How often to look at the store when nothing announced work (a safety net; new work wakes the dispatcher).
        public var idleRecheckMilliseconds: Int64 = 30_000

        public init() {}
    }

    enum Message: Sendable {
        case claimed([ClaimedDelivery])
        case claimFailed(StoreError)
        case completed(SentDelivery, AttemptResultValue)
    }

    private let store: SQLiteStore
    private let transport: any Transport
    private let destinations: @Sendable () -> [String: DestinationSettings]
    private let logger: Logger
    private let configuration: Configuration
    private let metrics: GatewayMetrics?
    private let inbox = Mutex<(messages: [Message], wake: Bool, stop: Bool)>(([], true, false))
    private let signal = DispatchSemaphore(value: 0)
    private let thread = Mutex<OSThread?>(nil)
    private let paused = Mutex<Set<String>>([])
    private let breakerStates = Mutex<[String: CircuitBreaker.State]>([:])

    /// - Parameters:
    ///   - destinations: the current destinations (read on every claim, so a config reload takes effect).
    ///   - metrics: where attempts are counted (`hookrelay_deliveries_total`, `hookrelay_delivery_duration_seconds`).
    public init(store: SQLiteStore, transport: any Transport, configuration: Configuration = Configuration(),
                logger: Logger, metrics: GatewayMetrics? = nil,
                destinations: @escaping @Sendable () -> [String: DestinationSettings]) {
        self.store = store
        self.transport = transport
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.destinations = destinations
    }

    /// Stops sending to `destination` until ``resume(destination:)``; returns whether it was running. Its
    /// deliveries keep their state and wait; no attempt is counted.
    @discardableResult
    public func pause(destination: String) -> Bool {
        let changed = paused.withLock { $0.insert(destination).inserted }
        if changed {
            logger.notice("destination paused", ["destination": destination])
            wake()
        }
        return changed
    }

    /// Sends to `destination` again, starting with its deliveries that came due meanwhile; returns whether it was paused.
    @discardableResult
    public func resume(destination: String) -> Bool {
        let changed = paused.withLock { $0.remove(destination) != nil }
        if changed {
            logger.notice("destination resumed", ["destination": destination])
            wake()
        }
        return changed
    }

    /// The destinations paused now.
    public var pausedDestinations: Set<String> { paused.withLock { $0 } }

    /// The circuit breaker state of each destination the dispatcher has sent to (others are closed).
    public var circuitStates: [String: CircuitBreaker.State] { breakerStates.withLock { $0 } }

    fileprivate func publish(breakerStates states: [String: CircuitBreaker.State]) {
        breakerStates.withLock { $0 = states }
    }

    fileprivate var metricsRef: GatewayMetrics? { metrics }

    /// Starts the thread. (Leases a previous process left behind were cleared when the store opened.)
    public func start() {
        store.onNewDeliveries = { [weak self] in self?.wake() }
        thread.withLock { $0 = OSThread(name: "dispatcher") { DispatcherLoop(owner: self).run() } }
    }

    /// New work may be due (new deliveries, a replay): look at the store now.
    public func wake() {
        inbox.withLock { $0.wake = true }
        signal.signal()
    }

    /// Stops claiming and sending; held deliveries go back to the store. In-flight attempts still finish.
    public func requestStop() {
        inbox.withLock { $0.stop = true }
        signal.signal()
    }

    /// ``requestStop()``, then waits until in-flight attempts have completed (shut the transport down in between to
    /// bound that) and their results are recorded.
    public func stop() {
        requestStop()
        thread.withLock { $0 }?.join()
    }

    func post(_ message: Message) {
        inbox.withLock { $0.messages.append(message) }
        signal.signal()
    }

    func takeInbox() -> (messages: [Message], wake: Bool, stop: Bool) {
        inbox.withLock { state in
            let taken = state
            state.messages.removeAll(keepingCapacity: true)
            state.wake = false
            return taken
        }
    }

    fileprivate var storeRef: SQLiteStore { store }
    fileprivate var transportRef: any Transport { transport }
    fileprivate var settings: Configuration { configuration }
    fileprivate var log: Logger { logger }
    fileprivate func currentDestinations() -> [String: DestinationSettings] { destinations() }
    fileprivate func waitForSignal(milliseconds: Int64) {
        _ = signal.wait(timeout: .now() + .milliseconds(Int(clamping: max(1, milliseconds))))
    }
}

/// A claimed delivery on its way out: what the policy needs back when the answer comes.
struct SentDelivery: Sendable {
    let claimed: ClaimedDelivery
    let ticket: AdmissionTicket
    let startedAt: Int64
}

/// The dispatcher thread's state; touched only on that thread.
private final class DispatcherLoop {
    private let owner: Dispatcher
    private var policies: [String: DestinationPolicy] = [:]
    private var policySettings: [String: DestinationSettings] = [:]
    /// Each destination's ``CredentialScrubber``, rebuilt with its policy.
    private var scrubbers: [String: CredentialScrubber] = [:]
    /// Claimed deliveries waiting for their destination (FIFO each).
    private var held: [String: HeldQueue] = [:]
    private var heldCount = 0
    private var heldUntil: [String: Int64] = [:]
    private var inFlight = 0
    private var claimOutstanding = false
    private var lastClaimRequested = 0
    private var nextDueAt: Int64 = 0
    /// The earliest time a result handed to the store while a claim was outstanding makes a delivery due again: the
    /// claim's answer computes `nextDueAt` from the store, which may not have that result yet.
    private var dueDuringClaim = Int64.max
    private var results: [DeliveryResult] = []
    private var random = SystemRandomNumberGenerator()
    private var stopping = false
    /// The paused destinations as of this iteration (``Dispatcher/pausedDestinations``).
    private var paused: Set<String> = []
    /// The breaker states last published to ``Dispatcher/circuitStates``.
    private var publishedStates: [String: CircuitBreaker.State] = [:]

    init(owner: Dispatcher) {
        self.owner = owner
    }

    func run() {
        while true {
            let inbox = owner.takeInbox()
            let now = WallClock.unixMilliseconds()
            if inbox.stop && !stopping {
                stopping = true
                handBackHeld(now: now)
            }
            if inbox.wake { nextDueAt = 0 }
            paused = owner.pausedDestinations
            for message in inbox.messages { handle(message, now: now) }
            if !stopping { dispatchHeld(now: now) }
            publishBreakerStates()
            flushResults()
            if stopping && inFlight == 0 && !claimOutstanding { break }
            if !stopping { claimIfNeeded(now: now) }
            owner.waitForSignal(milliseconds: sleepMilliseconds(now: WallClock.unixMilliseconds()))
        }
        flushResults()
    }

    private func handle(_ message: Dispatcher.Message, now: Int64) {
        switch message {
        case .claimed(let deliveries):
            claimOutstanding = false
            if deliveries.count < lastClaimRequested {
                let next = try? owner.storeRef.nextDueTime(now: now, excludingDestinations: paused)
                nextDueAt = next.flatMap { $0 } ?? now + owner.settings.idleRecheckMilliseconds
            }
            nextDueAt = min(nextDueAt, dueDuringClaim)
            dueDuringClaim = .max
            for delivery in deliveries {
                if stopping {
                    postpone(delivery, until: now)
                    continue
                }
                held[delivery.destination, default: HeldQueue()].append(delivery)
                heldCount += 1
            }
        case .claimFailed(let error):
            claimOutstanding = false
            nextDueAt = min(now + 1000, dueDuringClaim)
            dueDuringClaim = .max
            owner.log.error("claiming deliveries failed", ["error": error.description])
        case .completed(let sent, let value):
            inFlight -= 1
            complete(sent, value, now: now)
        }
    }

    /// The policy for `name`, rebuilt when the destination's settings changed (config reload).
    private func policy(_ name: String, _ settings: DestinationSettings) -> DestinationPolicy {
        if let existing = policies[name], policySettings[name] == settings { return existing }
        let policy = DestinationPolicy(settings: settings)
        policies[name] = policy
        policySettings[name] = settings
        scrubbers[name] = CredentialScrubber(settings)
        return policy
    }

    private func dispatchHeld(now: Int64) {
        guard heldCount > 0 else { return }
        let destinations = owner.currentDestinations()
        for name in Array(held.keys) {
            // Taken out of the dictionary while it is worked on, so it is uniquely referenced: taking from its front
            // must not copy the whole queue (copy-on-write) on every pass.
            guard var queue = held.removeValue(forKey: name), !queue.isEmpty else { continue }
            if paused.contains(name) {
                // Claimed before the pause: back to the store unchanged; claims skip it until it resumes.
                heldCount -= queue.count
                for delivery in queue.removeAll() { results.append(DeliveryResult(postponing: delivery, until: now)) }
                heldUntil[name] = nil
                continue
            }
            guard let settings = destinations[name] else {
                // Removed from the config: keep the deliveries (a reload may bring it back); look again in 5 minutes.
                owner.log.warning("destination not configured; postponing its deliveries", ["destination": name, "deliveries.count": "\(queue.count)"])
                heldCount -= queue.count
                for delivery in queue.removeAll() { postpone(delivery, until: now + 300_000) }
                heldUntil[name] = nil
                continue
            }
            var policy = policy(name, settings)
            loop: while let delivery = queue.first {
                switch policy.admit(now: now) {
                case .send(let ticket):
                    queue.removeFirst()
                    heldCount -= 1
                    send(delivery, ticket: ticket, settings: settings, now: now)
                case .later(let until):
                    // Behind the half-open probe: keep them (within their lease). The probe's completion decides for
                    // all of them at once; handed back, they would wait out the probe timeout after a success.
                    let awaitsProbe = policy.breaker.state == .halfOpen && until - now < owner.settings.leaseMilliseconds / 2
                    if until - now > owner.settings.holdMilliseconds && !awaitsProbe {
                        // Breaker open or a slow rate: hand them back with their new time; no attempt is counted.
                        heldCount -= queue.count
                        for delivery in queue.removeAll() { postpone(delivery, until: until) }
                    } else {
                        heldUntil[name] = until
                    }
                    break loop
                case .atCapacity:
                    break loop
                }
            }
            policies[name] = policy
            if queue.isEmpty {
                heldUntil[name] = nil
            } else {
                held[name] = queue
            }
        }
    }

    private func send(_ delivery: ClaimedDelivery, ticket: AdmissionTicket, settings: DestinationSettings, now: Int64) {
        let request = OutboundRequest.make(eventID: delivery.eventID, envelope: delivery.envelope, rawHeaders: delivery.rawHeaders,
                                           rawBody: delivery.rawBody, destination: settings, now: now)
        let sent = SentDelivery(claimed: delivery, ticket: ticket, startedAt: now)
        owner.log.trace("sending", ["event.id": delivery.eventID, "destination": delivery.destination, "route": delivery.route,
                                    "delivery.id": "\(delivery.id)", "delivery.attempt": "\(delivery.attempts + 1)"])
        inFlight += 1
        let owner = self.owner
        owner.transportRef.send(request) { value in owner.post(.completed(sent, value)) }
    }

    private func complete(_ sent: SentDelivery, _ answer: AttemptResultValue, now: Int64) {
        let delivery = sent.claimed
        let name = delivery.destination
        guard policySettings[name] != nil, var policy = policies[name] else {
            postpone(delivery, until: now)
            return
        }
        // Before the answer becomes a reason, a stored response head or a log line: no echoed credential.
        var value = answer
        value.bodyPrefix = scrubbers[name]?.scrub(value.bodyPrefix) ?? value.bodyPrefix
        if value.error?.kind == .cancelled {
            policy.cancel(sent.ticket)
            policies[name] = policy
            postpone(delivery, until: now)
            return
        }
        let attemptNumber = delivery.attempts + 1
        let outcome = policy.complete(sent.ticket, result: Self.attemptResult(value), attemptNumber: attemptNumber,
                                      eventReceivedAt: delivery.receivedAt, now: now, using: &random)
        policies[name] = policy
        let state: DeliveryResult.Outcome
        let errorText: String?
        switch outcome {
        case .delivered:
            state = .delivered
            errorText = nil
            owner.metricsRef?.observeAttempt(destination: name, outcome: .delivered, durationMilliseconds: value.durationMs)
            // The common case: the attempt's log context is built only when its line is written.
            if owner.log.level <= .debug { attemptLog(delivery, value, attemptNumber).debug("delivered") }
        case .retry(let at, let reason):
            state = .retrying(nextAttemptAt: at)
            errorText = reason
            expectDue(at: at)
            owner.metricsRef?.observeAttempt(destination: name, outcome: .retry, durationMilliseconds: value.durationMs)
            attemptLog(delivery, value, attemptNumber).info("delivery failed; will retry",
                                                            ["error": reason, "delivery.next_attempt_at": RFC3339.string(fromUnixMilliseconds: at)])
        case .dead(let reason, let flagDestination):
            state = .dead(reason: reason)
            errorText = reason
            owner.metricsRef?.observeAttempt(destination: name, outcome: .dead, durationMilliseconds: value.durationMs)
            attemptLog(delivery, value, attemptNumber).warning(flagDestination ? "delivery dead; the destination looks broken" : "delivery dead",
                                                               ["error": reason, "destination.broken": "\(flagDestination)"])
        }
        results.append(DeliveryResult(delivery, startedAt: sent.startedAt, durationMilliseconds: Int64(value.durationMs),
                                      statusCode: value.status, error: errorText ?? value.error?.description,
                                      responseHead: value.bodyPrefix, outcome: state))
    }

    /// The logger for one finished attempt, with its delivery's context.
    private func attemptLog(_ delivery: ClaimedDelivery, _ value: AttemptResultValue, _ attemptNumber: Int) -> Logger {
        owner.log.with(["event.id": delivery.eventID, "source": delivery.source, "destination": delivery.destination,
                        "route": delivery.route, "delivery.id": "\(delivery.id)", "delivery.attempt": "\(attemptNumber)",
                        "status": value.status.map(String.init) ?? "-", "duration_ms": "\(value.durationMs)"])
    }

    /// Hands `delivery` back to the store, due at `until`, without counting an attempt.
    private func postpone(_ delivery: ClaimedDelivery, until: Int64) {
        results.append(DeliveryResult(postponing: delivery, until: until))
        expectDue(at: until)
    }

    /// A result on its way to the store makes a delivery due at `at`: claim then at the latest. Nothing else announces
    /// it (`onNewDeliveries` is for new and requeued deliveries), and `nextDueAt` was computed before it.
    private func expectDue(at: Int64) {
        nextDueAt = min(nextDueAt, at)
        if claimOutstanding { dueDuringClaim = min(dueDuringClaim, at) }
    }

    static func attemptResult(_ value: AttemptResultValue) -> AttemptResult {
        if let error = value.error {
            switch error.kind {
            case .connect: return .failure(.connect(error.message))
            case .tls: return .failure(.tls(error.message))
            case .timeout: return .failure(.timeout)
            case .blocked, .cancelled, .other: return .failure(.other(error.message))
            }
        }
        var headers = ResponseHeaders()
        if let retryAfter = value.retryAfter { headers.fields.append((name: "Retry-After", value: retryAfter)) }
        if let location = value.location { headers.fields.append((name: "Location", value: location)) }
        return .response(status: value.status ?? 0, headers: headers, bodyPrefix: value.bodyPrefix)
    }

    private func flushResults() {
        guard !results.isEmpty else { return }
        let batch = results
        results.removeAll(keepingCapacity: true)
        let logger = owner.log
        if !owner.storeRef.record(batch, completion: { result in
            if case .failure(let error) = result { logger.error("recording delivery results failed", ["error": error.description]) }
        }) {
            // The writer's queue is full: keep them for the next round (their leases hold them meanwhile).
            results = batch + results
        }
    }

    /// Publishes the breakers' states when one changed (for `hookrelay_circuit_state` and the admin API).
    private func publishBreakerStates() {
        var states: [String: CircuitBreaker.State] = [:]
        for (name, policy) in policies { states[name] = policy.breaker.state }
        guard states != publishedStates else { return }
        publishedStates = states
        owner.publish(breakerStates: states)
    }

    private func claimIfNeeded(now: Int64) {
        let room = owner.settings.maxOutstanding - inFlight - heldCount
        guard !claimOutstanding, room > 0, now >= nextDueAt else { return }
        claimOutstanding = true
        lastClaimRequested = min(room, 500)
        let owner = self.owner
        let accepted = owner.storeRef.claimDue(now: now, limit: lastClaimRequested, leaseMilliseconds: owner.settings.leaseMilliseconds,
                                               excludingDestinations: paused) { result in
            switch result {
            case .success(let deliveries): owner.post(.claimed(deliveries))
            case .failure(let error): owner.post(.claimFailed(error))
            }
        }
        if !accepted {
            claimOutstanding = false
            nextDueAt = now + 100
        }
    }

    /// Hands every held delivery back to the store unchanged (shutdown).
    private func handBackHeld(now: Int64) {
        for (_, var queue) in held {
            for delivery in queue.removeAll() { postpone(delivery, until: now) }
        }
        held.removeAll()
        heldCount = 0
    }

    private func sleepMilliseconds(now: Int64) -> Int64 {
        if stopping { return 50 }
        var until = now + owner.settings.idleRecheckMilliseconds
        let room = owner.settings.maxOutstanding - inFlight - heldCount
        if room > 0 && !claimOutstanding { until = min(until, nextDueAt) }
        for (_, at) in heldUntil { until = min(until, at) }
        return max(1, until - now)
    }
}

/// The claimed deliveries waiting for one destination, oldest first. Taking the first is O(1) (an index moves; the
/// array is compacted once the taken part is the larger half), where `Array.removeFirst` moves every other element.
struct HeldQueue {
    private var items: [ClaimedDelivery] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }
    var first: ClaimedDelivery? { isEmpty ? nil : items[head] }

    mutating func append(_ delivery: ClaimedDelivery) {
        items.append(delivery)
    }

    /// Drops the first delivery; the queue must not be empty.
    mutating func removeFirst() {
        precondition(!isEmpty, "removeFirst on an empty HeldQueue")
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
    }

    /// Empties the queue and returns what it held, oldest first.
    mutating func removeAll() -> ArraySlice<ClaimedDelivery> {
        let remaining = items[head...]
        items = []
        head = 0
        return remaining
    }
}

extension DeliveryResult {
    /// Back to the store untouched but for its time: no attempt counted.
    init(postponing delivery: ClaimedDelivery, until: Int64) {
        self.init(delivery, startedAt: until, durationMilliseconds: 0, outcome: .postponed(until: until))
    }
}
