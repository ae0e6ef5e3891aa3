import Dispatch
import Foundation
@testable import HTTPServer

/// A webhook receiver on 127.0.0.1 for delivery tests (after Svix's `TestReceiver`): records every request and
/// answers as the test scripts it, per path.
///
/// ```swift
/// let sink = try TestReceiver()
/// sink.script("/a", [.status(500), .status(200)])       // then the fallback, 200
/// // … deliveries go to sink.url("/a") …
/// let arrived = await sink.waitForRequests(2, to: "/a") // once they came, or nil at the timeout
/// ```
///
/// Requests in flight (arrived, not yet answered) are counted; ``maxInFlight`` is the most seen at once.
/// ``stop()`` and ``start()`` take the receiver down and bring it back on the same port.
final class TestReceiver: @unchecked Sendable {
    /// One request as it arrived.
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        /// Wall-clock arrival time, unix milliseconds (comparable with the store's times).
        var arrivedAt: Int64
        /// The server's id for the TCP connection it came on (ids restart with ``start()``).
        var connection: UInt64

        /// The first value of `name` (case-insensitive).
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// Every value of `name` (case-insensitive).
        func headerValues(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// How to answer one request.
    enum Reply: Sendable {
        /// Answer `status` with `headers` and `body`, after `delay`.
        case answer(status: Int, headers: [(String, String)], body: String, delay: Duration)
        /// Never answer (until ``answerHeld(_:)``); the connection stays open.
        case hold
        /// The reply `make` returns when the request arrives (e.g. a `Retry-After` date relative to then).
        case computed(@Sendable () -> Reply)

        static func status(_ status: Int, headers: [(String, String)] = [], body: String = "", delay: Duration = .zero) -> Reply {
            .answer(status: status, headers: headers, body: body, delay: delay)
        }

        static let ok = Reply.status(200, body: "ok")
    }

    private let lock = NSLock()
    private var recorded: [Request] = []
    private var scripts: [String: [Reply]] = [:]
    private var fallbacks: [String: Reply] = [:]
    private var inFlight = 0
    private var maxSeen = 0
    private var held: [HTTPResponder] = []
    private var waiters: [UUID: Waiter] = [:]
    private var server: HTTPServer?
    /// The port, fixed for the receiver's life.
    private(set) var port = 0

    /// Starts on an ephemeral port.
    init() throws {
        try start()
    }

    deinit {
        stop()
    }

    /// `http://127.0.0.1:<port><path>`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Requests to `path` are answered with `replies` in order, then with `fallback` (200 `ok` unless set).
    func script(_ path: String, _ replies: [Reply], then fallback: Reply? = nil) {
        lock.withLock {
            scripts[path] = replies
            if let fallback { fallbacks[path] = fallback }
        }
    }

    /// From now on, requests to `path` that no script covers are answered with `reply`.
    func answer(_ path: String, with reply: Reply) {
        lock.withLock { fallbacks[path] = reply }
    }

    /// Every request so far, or those to `path`, in arrival order.
    func requests(to path: String? = nil) -> [Request] {
        lock.withLock { recorded.filter { path == nil || $0.path == path } }
    }

    /// Waits until `count` requests (to `path`, if given) have arrived; returns them, or `nil` after `timeout` seconds.
    /// Suspends rather than blocks: the test's thread goes back to the (small) cooperative pool meanwhile.
    func waitForRequests(_ count: Int, to path: String? = nil, timeout: Double = 10) async -> [Request]? {
        let id = UUID()
        return await withCheckedContinuation { continuation in
            let matched: [Request]? = lock.withLock {
                let matching = recorded.filter { path == nil || $0.path == path }
                if matching.count >= count { return matching }
                waiters[id] = Waiter(count: count, path: path, continuation: continuation)
                return nil
            }
            if let matched { return continuation.resume(returning: matched) }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
                let waiter = lock.withLock { waiters.removeValue(forKey: id) }
                waiter?.continuation.resume(returning: nil)
            }
        }
    }

    /// Requests arrived and not yet answered, now.
    var currentInFlight: Int { lock.withLock { inFlight } }

    /// The most requests in flight at once so far.
    var maxInFlight: Int { lock.withLock { maxSeen } }

    /// Answers every held request (a ``Reply/hold``) with `reply`'s status, headers and body; whether anyone still
    /// listens is not checked.
    func answerHeld(_ reply: Reply = .ok) {
        let responders = lock.withLock {
            let taken = held
            held.removeAll()
            inFlight -= taken.count
            return taken
        }
        guard case .answer(let status, let headers, let body, _) = reply else { return }
        for responder in responders { responder.respond(HTTPResponse(status: status, headers: HTTPHeaders(headers), body: Array(body.utf8))) }
    }

    /// Listens again (on the same port after a ``stop()``).
    func start() throws {
        let address = ListenAddress(host: "127.0.0.1", port: port)
        let server = try HTTPServer(configuration: HTTPServer.Configuration(address: address, loopCount: 1), logger: .disabled) {
            [unowned self] in ReceiverHandler(receiver: self)
        }
        server.start()
        lock.withLock {
            self.server = server
            port = server.localAddress.port
        }
    }

    /// Stops listening and closes every connection (held requests are dropped unanswered).
    func stop() {
        let server = lock.withLock {
            let running = self.server
            self.server = nil
            inFlight -= held.count
            held.removeAll()
            return running
        }
        server?.shutdown(gracePeriod: .milliseconds(100))
        server?.wait()
    }

    /// Removes and returns the waiters whose requests have all arrived, with those requests.
    private func satisfiedWaiters() -> [(Waiter, [Request])] {
        lock.withLock {
            var satisfied: [(Waiter, [Request])] = []
            for (id, waiter) in waiters {
                let matching = recorded.filter { waiter.path == nil || $0.path == waiter.path }
                if matching.count >= waiter.count {
                    waiters[id] = nil
                    satisfied.append((waiter, matching))
                }
            }
            return satisfied
        }
    }

    fileprivate func receive(_ request: HTTPRequest, responder: HTTPResponder) {
        let entry = Request(method: request.method, path: String(request.path), headers: request.headers.pairs, body: request.body,
                            arrivedAt: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)), connection: responder.connectionID)
        let reply = lock.withLock {
            recorded.append(entry)
            inFlight += 1
            maxSeen = max(maxSeen, inFlight)
            var reply: Reply
            if var script = scripts[entry.path], !script.isEmpty {
                reply = script.removeFirst()
                scripts[entry.path] = script
            } else {
                reply = fallbacks[entry.path] ?? .ok
            }
            while case .computed(let make) = reply { reply = make() }
            if case .hold = reply { held.append(responder) }
            return reply
        }
        for (waiter, requests) in satisfiedWaiters() { waiter.continuation.resume(returning: requests) }
        guard case .answer(let status, let headers, let body, let delay) = reply else { return }
        let response = HTTPResponse(status: status, headers: HTTPHeaders(headers), body: Array(body.utf8))
        let send: @Sendable () -> Void = { [self] in
            lock.withLock { inFlight -= 1 }
            responder.respond(response)
        }
        if delay == .zero {
            send()
        } else {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(delay / .milliseconds(1))), execute: send)
        }
    }
}

/// A test waiting for requests.
private struct Waiter {
    let count: Int
    let path: String?
    let continuation: CheckedContinuation<[TestReceiver.Request]?, Never>
}

/// Hands each request to the receiver.
private final class ReceiverHandler: HTTPRequestHandler {
    let receiver: TestReceiver

    init(receiver: TestReceiver) {
        self.receiver = receiver
    }

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        receiver.receive(request, responder: responder)
    }
}
