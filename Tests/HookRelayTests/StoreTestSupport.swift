import Foundation
import Synchronization
import Testing

@testable import HookRelay

// Helpers shared by the store suites: realistic events, blocking wrappers around the completion-based API,
// a way to hold the writer so requests share a group commit, and temporary data directories.

/// An event with realistic field values; `destinations` become planned deliveries.
func makeEvent(
    _ id: String, source: String = "stripe", providerEventID: String, destinations: [String] = ["billing", "audit"]
) -> NewEvent {
    NewEvent(
        id: id, source: source, provider: source, providerEventID: providerEventID,
        type: "\(source).invoice.payment_failed", subject: "in_\(id)", time: "2026-11-21T10:15:00Z",
        receivedAt: 1_763_720_100_123, rawHeaders: Array("Host: example.com\r\nContent-Type: application/json\r\n\r\n".utf8),
        rawBody: Array(#"{"id":"\#(providerEventID)","type":"invoice.payment_failed"}"#.utf8),
        envelope: Array(#"{"specversion":"1.0","id":"\#(id)","source":"/hooks/\#(source)"}"#.utf8),
        deliveries: destinations.map { PlannedDelivery(route: "route-\($0)", destination: $0) })
}

/// Appends and blocks until the completion ran.
func appendAndWait(_ store: SQLiteStore, _ events: [NewEvent]) throws -> Result<[AppendOutcome], StoreError> {
    let completions = Completions(expected: 1)
    try #require(store.append(events, completion: completions.handler(0)))
    return try #require(try completions.wait()[0])
}

/// Holds the writer thread inside a completion, so requests appended meanwhile queue up and go into the
/// writer's next group commit together.
struct WriterPause {
    private let gate = ThreadSignal(autoReset: false)

    init(_ store: SQLiteStore) {
        let entered = ThreadSignal(autoReset: false)
        let gate = self.gate
        let accepted = store.append([makeEvent("pause", source: "pause", providerEventID: "pause", destinations: [])]) { _ in
            entered.signal()
            gate.wait()
        }
        precondition(accepted)
        entered.wait()
    }

    func release() { gate.signal() }
}

/// Collects append completions by tag.
typealias Completions = Collected<[AppendOutcome]>

/// Collects completions by tag and lets a test block until all expected ones arrived.
final class Collected<Value: Sendable>: Sendable {
    private let results = Mutex<[Int: Result<Value, StoreError>]>([:])
    private let done = ThreadSignal(autoReset: false)
    private let expected: Int

    init(expected: Int) { self.expected = expected }

    func handler(_ tag: Int) -> @Sendable (Result<Value, StoreError>) -> Void {
        { result in
            let count = self.results.withLock { results in
                results[tag] = result
                return results.count
            }
            if count == self.expected { self.done.signal() }
        }
    }

    var count: Int { results.withLock { $0.count } }
    var snapshot: [Int: Result<Value, StoreError>] { results.withLock { $0 } }

    struct TimedOut: Error {}

    /// Waits for every expected completion (the bound only turns a hang into a failure).
    func wait(seconds: Int = 30) throws -> [Int: Result<Value, StoreError>] {
        guard done.wait(milliseconds: seconds * 1000) else {
            Issue.record("only \(count) of \(expected) completions arrived")
            throw TimedOut()
        }
        return snapshot
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let count = Atomic(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A fresh directory path under the system temporary directory (the store creates it).
struct StoreDirectory {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("hookrelay-store-\(UUID().uuidString)").path

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock a test sets by hand, for `SQLiteStore.Configuration.clock`.
final class ManualClock: Sendable {
    private let millis: Atomic<Int64>

    init(_ millis: Int64) { self.millis = Atomic(millis) }

    func set(_ value: Int64) { millis.store(value, ordering: .relaxed) }

    var now: Int64 { millis.load(ordering: .relaxed) }

    var reading: @Sendable () -> Int64 { { self.now } }
}

/// Submits a completion-based store call and blocks until its completion ran; `nil` when the store refused
/// it or it did not complete within a minute.
func waitFor<Value: Sendable>(
    _ submit: (@escaping @Sendable (Result<Value, StoreError>) -> Void) -> Bool
) -> Result<Value, StoreError>? {
    let outcome = Mutex<Result<Value, StoreError>?>(nil)
    let done = ThreadSignal(autoReset: false)
    let accepted = submit { result in
        outcome.withLock { $0 = result }
        done.signal()
    }
    guard accepted, done.wait(milliseconds: 60_000) else { return nil }
    return outcome.withLock { $0 }
}

struct StoreRefused: Error {}

/// Claims and waits.
func claim(
    _ store: SQLiteStore, now: Int64, limit: Int = 100, lease: Int64 = 30_000, excluding: Set<String> = []
) throws -> [ClaimedDelivery] {
    guard let result = waitFor({ store.claimDue(now: now, limit: limit, leaseMilliseconds: lease, excludingDestinations: excluding, completion: $0) })
    else { throw StoreRefused() }
    return try result.get()
}

/// Records and waits (also a barrier: everything queued before it, and its wake-up hook, has run).
func record(_ store: SQLiteStore, _ results: [DeliveryResult]) throws {
    guard let result = waitFor({ store.record(results, completion: $0) }) else { throw StoreRefused() }
    try result.get()
}

extension ClaimedDelivery {
    /// `event/destination`, for readable expectations.
    var label: String { "\(eventID)/\(destination)" }
}

extension Delivery {
    /// `event/destination`, for readable expectations.
    var label: String { "\(eventID)/\(destination)" }
}

/// A value behind a lock, in a class so escaping closures (thread bodies) can share it.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
