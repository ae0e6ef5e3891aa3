import Foundation
import HTTPServer
import Synchronization
import Testing

@testable import HookRelay

/// A transport that answers every request at once with `status` and records the URLs it was asked for.
private final class RecordingTransport: Transport {
    private let sent = Mutex<[String]>([])
    let status: Int

    init(status: Int = 200) { self.status = status }

    func send(_ request: OutboundRequest, completion: @escaping @Sendable (AttemptResultValue) -> Void) {
        sent.withLock { $0.append(request.url) }
        completion(AttemptResultValue(status: status, durationMs: 1))
    }

    var urls: [String] { sent.withLock { $0 } }
}

@Suite(.timeLimit(.minutes(1)))
struct DispatcherPauseTests {
    @Test func pausedDestinationWaitsUntouchedWithoutSpinningAndGoesOutOnResume() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(dataDirectory: directory.path)
        defer { store.close() }
        let transport = RecordingTransport()
        let destinations = ["billing": DestinationSettings(name: "billing", kind: .http, url: "http://billing.test/hook"),
                            "audit": DestinationSettings(name: "audit", kind: .http, url: "http://audit.test/hook")]
        let metrics = GatewayMetrics()
        let dispatcher = Dispatcher(store: store, transport: transport, logger: .disabled, metrics: metrics) { destinations }
        #expect(dispatcher.pause(destination: "billing"))
        #expect(!dispatcher.pause(destination: "billing"), "already paused")
        #expect(dispatcher.pausedDestinations == ["billing"])
        dispatcher.start()
        defer { dispatcher.stop() }

        for i in 1...20 { _ = try appendAndWait(store, [makeEvent("e\(i)", providerEventID: "evt_\(i)")]).get() }
        let audited = (try? waitUntil { transport.urls.count >= 20 }) ?? false
        #expect(audited, "the other destination is served: \(transport.urls.count)")
        let claimsBefore = store.stats.claims
        usleep(500_000)
        #expect(!transport.urls.contains("http://billing.test/hook"), "nothing sent to the paused destination")
        #expect(store.stats.claims - claimsBefore <= 2, "due but paused work does not make the dispatcher claim in a loop")
        let waiting = try store.deliveries(matching: DeliveryFilter(destination: "billing", limit: 100))
        #expect(waiting.count == 20 && waiting.allSatisfy { $0.status == .pending && $0.attempts == 0 && $0.leaseUntil == nil })
        #expect(metrics.deliveries.value(["audit", "delivered"]) == 20)
        #expect(metrics.deliveries.value(["billing", "delivered"]) == 0)

        #expect(dispatcher.resume(destination: "billing"))
        #expect(!dispatcher.resume(destination: "billing"), "already running")
        let sent = (try? waitUntil { transport.urls.filter { $0.hasPrefix("http://billing") }.count == 20 }) ?? false
        #expect(sent, "resumed work goes out at once")
        #expect((try? waitUntil { (try? store.deliveries(matching: DeliveryFilter(statuses: [.delivered], limit: 100)).count) == 40 }) ?? false)
        #expect(metrics.deliveries.value(["billing", "delivered"]) == 20)
        #expect(metrics.deliveryDurationSeconds.count(["billing"]) == 20)
        #expect(dispatcher.circuitStates["billing"] == .closed)
    }
}

/// Polls `condition` every 5 ms for up to 5 s (state another thread changes and the test is not told about).
private func waitUntil(_ condition: () throws -> Bool) throws -> Bool {
    let deadline = Date().addingTimeInterval(5)
    while try !condition() {
        if Date() >= deadline { return false }
        usleep(5_000)
    }
    return true
}
