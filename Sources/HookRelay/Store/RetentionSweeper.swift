public import HTTPServer
import Synchronization

/// Applies a ``RetentionPolicy`` to a running store: once when started, then every `interval` (default one minute),
/// on a thread of its own that only queues prune batches for the store's writer and waits for them.
///
/// ```swift
/// let sweeper = RetentionSweeper(store: store, policy: RetentionPolicy(), logger: logger)
/// try sweeper.start()
/// // …
/// sweeper.stop()  // before store.close()
/// ```
public final class RetentionSweeper: Sendable {
    private let store: SQLiteStore
    private let policy: RetentionPolicy
    private let interval: Duration
    private let logger: Logger
    private let stopping = ThreadSignal(autoReset: false)
    private let finished = ThreadSignal(autoReset: false)
    private let started = Atomic(false)

    /// A sweeper for `store`; it does nothing until ``start()``.
    public init(store: SQLiteStore, policy: RetentionPolicy, interval: Duration = .seconds(60), logger: Logger) {
        self.store = store
        self.policy = policy
        self.interval = interval
        self.logger = logger
    }

    /// Starts the sweeping thread (its first pass runs at once).
    public func start() throws(StoreError) {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        do throws(StoreError) {
            try StoreThread.start { [self] in run() }
        } catch {
            finished.signal()
            throw error
        }
    }

    /// Stops sweeping (a pass under way ends after its current batch) and waits for the thread to end. Call it
    /// before closing the store.
    public func stop() {
        stopping.signal()
        if started.load(ordering: .relaxed) { finished.wait() }
    }

    /// One pass now, on the caller's thread: everything past the policy, in batches.
    @discardableResult
    public func sweep() -> PruneSummary? {
        do throws(StoreError) {
            let summary = try store.prune(policy) { stopping.wait(milliseconds: 0) }
            if summary.events > 0 {
                logger.info("retention deleted events", ["store.pruned": "\(summary.events)", "store.prune_batches": "\(summary.batches)"])
            }
            return summary
        } catch let error where error.kind == .closed {
            return nil
        } catch {
            logger.error("retention pass failed; retrying at the next one", ["error": "\(error)"])
            return nil
        }
    }

    private func run() {
        let milliseconds = Int(max(1, Milliseconds.of(interval)))
        repeat {
            sweep()
        } while !stopping.wait(milliseconds: milliseconds)
        finished.signal()
    }
}
