import Dispatch
import Glibc
import HookRelay
import Synchronization

/// `hookrelay-bench transport`: the delivery transport alone, closed loop, `--concurrency` requests in flight.
enum TransportSend {
    static let options: Set<String> = ["routes", "destination", "envelope", "count", "concurrency"]

    final class State: Sendable {
        let started = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let non2xx = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
    }

    static func run(_ arguments: Arguments) {
        let count = arguments.count("count")
        let concurrency = max(1, arguments.count("concurrency", default: 64))
        let destination = loadDestination(arguments.string("destination"), routes: arguments.string("routes"))
        let envelope = readFile(arguments.string("envelope"))
        let eventID = makeUUIDv7()
        let headers = Array("Content-Type: application/json\r\n".utf8)

        let transport: CurlMultiTransport
        do {
            transport = try CurlMultiTransport(configuration: .init(maxInFlight: concurrency))
        } catch {
            fail("\(error)")
        }
        let state = State()
        // Each completion starts the next request (on the transport thread), keeping `concurrency` in flight.
        @Sendable func sendNext() {
            guard state.started.add(1, ordering: .relaxed).newValue <= count else { return }
            let request = OutboundRequest.make(eventID: eventID, envelope: envelope, rawHeaders: headers, rawBody: [],
                                               destination: destination, now: wallMilliseconds())
            transport.send(request) { result in
                if !(200..<300).contains(result.status ?? 0) { state.non2xx.add(1, ordering: .relaxed) }
                sendNext()
                if state.finished.add(1, ordering: .relaxed).newValue == count { state.done.signal() }
            }
        }
        let started = monotonicSeconds()
        for _ in 0..<min(concurrency, count) { sendNext() }
        if count > 0 { state.done.wait() }
        let elapsed = monotonicSeconds() - started
        transport.shutdown(gracePeriod: .seconds(1))
        print(String(format: "transport %d requests in %.2f s: %.0f req/s, non-2xx %d", count, elapsed,
                     Double(count) / max(elapsed, 1e-9), state.non2xx.load(ordering: .relaxed)))
    }
}
