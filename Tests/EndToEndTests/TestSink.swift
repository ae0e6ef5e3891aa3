import Foundation
import HTTPServer
import Synchronization
import TestSupport

/// A receiver on 127.0.0.1 (a real `HTTPServer`) that records every request and answers with a status the test can
/// change while it runs (Svix's `TestReceiver`).
final class TestSink: Sendable {
    private let server: HTTPServer
    private let state: SinkState

    /// Starts a sink answering `status`; with `echoingHeaders`, an answer other than 2xx carries the request's header
    /// fields in its body, last field first, as some frameworks' error pages do.
    init(status: Int, echoingHeaders: Bool = false) throws {
        let state = SinkState(status: status, echoesHeaders: echoingHeaders)
        server = try HTTPServer(configuration: .init(address: ListenAddress("127.0.0.1:0")!, loopCount: 1), logger: .disabled) {
            SinkHandler(state: state)
        }
        self.state = state
        server.start()
    }

    deinit {
        server.shutdown(gracePeriod: .milliseconds(100))
        server.wait()
    }

    /// The URL of `path` on this sink.
    func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(server.localAddress.port)\(path)" }

    /// What the sink answers from now on.
    var status: Int {
        get { state.mutex.withLock { $0.status } }
        set { state.mutex.withLock { $0.status = newValue } }
    }

    /// Every request received so far.
    var requests: [HTTPRequest] { state.mutex.withLock { $0.requests } }

    /// How many requests arrived.
    var count: Int { state.mutex.withLock { $0.requests.count } }

    /// Waits until at least `count` requests arrived; false after `timeout` seconds.
    func waitForRequests(_ count: Int, timeout: Double = 10) -> Bool {
        eventually(timeout: timeout) { self.count >= count }
    }
}

private final class SinkState: Sendable {
    struct State {
        var status: Int
        var requests: [HTTPRequest] = []
    }

    let mutex: Mutex<State>
    let echoesHeaders: Bool

    init(status: Int, echoesHeaders: Bool) {
        mutex = Mutex(State(status: status))
        self.echoesHeaders = echoesHeaders
    }
}

private struct SinkHandler: HTTPRequestHandler {
    let state: SinkState

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let status = state.mutex.withLock { state in
            state.requests.append(request)
            return state.status
        }
        var body = Array("sink says \(status)".utf8)
        if state.echoesHeaders && !(200..<300).contains(status) {
            body += Array(" you sent:\n\(request.headers.pairs.reversed().map { "\($0.name): \($0.value)" }.joined(separator: "\n"))".utf8)
        }
        responder.respond(HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: body))
    }
}

/// Polls `condition` every 20 ms until it holds; false after `timeout` seconds. For state another process changes
/// (deliveries recorded by `serve`), which the test cannot be notified of.
func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        if Date() >= deadline { return false }
        usleep(20_000)
    }
    return true
}
