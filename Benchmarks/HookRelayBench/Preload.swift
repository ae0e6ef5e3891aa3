import Dispatch
import Glibc
import HookRelay
import Synchronization

/// `hookrelay-bench preload`: N events × one pending delivery, appended in requests of `--per-request` events with
/// at most `--window` requests waiting for the writer.
enum Preload {
    static let options: Set<String> = ["data", "count", "source", "route", "destination", "per-request", "window", "sample"]

    /// Outstanding append requests and failures; the completions run on the store's writer thread.
    final class Progress: Sendable {
        let slots: DispatchSemaphore
        let done = DispatchSemaphore(value: 0)
        let failures = Mutex<[String]>([])
        let stored = Atomic<Int>(0)

        init(window: Int) { slots = DispatchSemaphore(value: window) }
    }

    /// A provider-like JSON body of about 250 bytes, unique per event.
    static func body(_ n: Int) -> [UInt8] {
        let digits = String(n)
        let id = String(repeating: "0", count: max(0, 9 - digits.count)) + digits
        return Array("""
            {"id":"evt_\(id)","type":"order.created","created":1763720100,"data":{"object":{"id":"ord_\(id)",\
            "amount":4200,"currency":"usd","customer":"cus_R2x9Qp7Lm3Vt","status":"paid","items":3,\
            "note":"hookrelay delivery benchmark payload, about the size of a small real webhook"}}}
            """.utf8)
    }

    static func event(_ n: Int, source: String, route: String, destination: String, receivedAt: Int64) -> NewEvent {
        let payload = body(n)
        let id = makeUUIDv7(unixMilliseconds: UInt64(receivedAt))
        let received = RFC3339.string(fromUnixMilliseconds: receivedAt)
        let envelope = Envelope(id: id, source: Envelope.source(forSourceNamed: source), type: "none.order.created",
                                time: received, data: payload[...], provider: "none", providerEventID: "evt_\(n)",
                                receivedAt: received)
        let headers = Array("Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(payload.count)\r\n".utf8)
        return NewEvent(id: id, source: source, provider: "none", providerEventID: "evt_\(n)", type: envelope.type,
                        subject: nil, time: received, receivedAt: receivedAt, rawHeaders: headers, rawBody: payload,
                        envelope: envelope.encoded(), deliveries: [PlannedDelivery(route: route, destination: destination)])
    }

    static func run(_ arguments: Arguments) {
        let data = arguments.string("data")
        let count = arguments.count("count")
        let source = arguments.string("source", default: "bench")
        let route = arguments.string("route", default: "bench")
        let destination = arguments.string("destination", default: "sink")
        let perRequest = max(1, arguments.count("per-request", default: 100))
        let window = max(1, arguments.count("window", default: 16))

        let store: SQLiteStore
        do {
            store = try SQLiteStore(dataDirectory: data)
        } catch {
            fail("cannot open the store in \(data): \(error)")
        }
        if let path = arguments.optional("sample") {
            let sample = event(0, source: source, route: route, destination: destination, receivedAt: wallMilliseconds()).envelope
            guard let file = fopen(path, "w") else { fail("cannot write \(path)") }
            _ = sample.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }

        let progress = Progress(window: window)
        let started = monotonicSeconds()
        var next = 0
        var requests = 0
        while next < count {
            let now = wallMilliseconds()
            let events = (next..<(next + min(perRequest, count - next))).map {
                event($0, source: source, route: route, destination: destination, receivedAt: now)
            }
            next += events.count
            progress.slots.wait()
            requests += 1
            while !store.append(events, completion: { result in
                switch result {
                case .success(let outcomes): progress.stored.add(outcomes.count { !$0.isDuplicate }, ordering: .relaxed)
                case .failure(let error): progress.failures.withLock { $0.append(error.description) }
                }
                progress.slots.signal()
                progress.done.signal()
            }) {
                usleep(1000)  // the writer's queue is full: back off briefly
            }
        }
        for _ in 0..<requests { progress.done.wait() }
        store.close()
        let elapsed = monotonicSeconds() - started
        let failures = progress.failures.withLock { $0 }
        if let first = failures.first { fail("\(failures.count) append requests failed; first: \(first)") }
        let stored = progress.stored.load(ordering: .relaxed)
        print("preloaded \(stored) events with one pending delivery each in \(String(format: "%.1f", elapsed)) s "
              + "(\(Int(Double(stored) / max(elapsed, 1e-9))) events/s)")
    }
}
