import Dispatch
import Foundation
import Glibc
@testable import HTTPServer
import Synchronization
import Testing
import TestSupport

@testable import HookRelay

/// `CurlMultiTransport` against real sinks: the project's `HTTPServer` on 127.0.0.1 with a handler each test controls.
@Suite(.timeLimit(.minutes(1)))
struct TransportTests {
    // MARK: Responses

    @Test func returns200WithTheBodyCapturedAndSendsTheRequestAsBuilt() async throws {
        try await withSink({ _, responder in responder.respond(reply(200, "accepted")) }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            let request = OutboundRequest(url: sink.url("/hook?x=1"),
                                          headers: [("Content-Type", "application/json"), ("Idempotency-Key", "e:d"), ("X-Empty", "")],
                                          body: Array(#"{"a":1}"#.utf8) + Array(repeating: 0x20, count: 1_500_000))
            let result = await transport.send(request)
            #expect(result.status == 200)
            #expect(result.error == nil)
            #expect(String(decoding: result.bodyPrefix, as: UTF8.self) == "accepted")
            #expect(result.durationMs >= 0 && result.durationMs < 5000)
            let received = try #require(sink.requests.first)
            #expect(received.method == "POST" && received.target == "/hook?x=1")
            #expect(received.body == request.body)
            #expect(received.headers["Content-Type"] == "application/json")
            #expect(received.headers["Idempotency-Key"] == "e:d")
            #expect(received.headers.values("X-Empty") == [""])
            #expect(received.headers["Expect"] == nil)  // no 100-continue round trip, even for a body over 1 MiB
            #expect(received.headers["Content-Length"] == "\(request.body.count)")
        }
    }

    @Test func noContentTypeMeansNoneRatherThanLibcurlsFormDefault() async throws {
        try await withSink({ _, responder in responder.respond(reply(204, "")) }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            let result = await transport.send(OutboundRequest(url: sink.url("/"), body: [1, 2, 3]))
            #expect(result.status == 204 && result.bodyPrefix.isEmpty)
            #expect(sink.requests.first?.headers["Content-Type"] == nil)
            #expect(sink.requests.first?.body == [1, 2, 3])
        }
    }

    @Test func reportsServerErrorsAndGoneAsStatusesNotErrors() async throws {
        try await withSink({ request, responder in
            responder.respond(reply(Int(request.path.dropFirst())!, "nope"))
        }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            for status in [500, 410, 404, 429] {
                let result = await transport.send(OutboundRequest(url: sink.url("/\(status)")))
                #expect(result.status == status)
                #expect(result.error == nil)
                #expect(result.bodyPrefix == Array("nope".utf8))
            }
        }
    }

    @Test func surfacesRetryAfter() async throws {
        try await withSink({ request, responder in
            var headers = HTTPHeaders()
            headers.append(name: "Retry-After", value: request.path == "/date" ? "Wed, 21 Oct 2026 07:28:00 GMT" : "120")
            responder.respond(HTTPResponse(status: request.path == "/date" ? 503 : 429, headers: headers))
        }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            let seconds = await transport.send(OutboundRequest(url: sink.url("/seconds")))
            #expect(seconds.status == 429 && seconds.retryAfter == "120" && seconds.location == nil)
            let date = await transport.send(OutboundRequest(url: sink.url("/date")))
            #expect(date.status == 503 && date.retryAfter == "Wed, 21 Oct 2026 07:28:00 GMT")
        }
    }

    @Test func doesNotFollowRedirectsAndSurfacesLocation() async throws {
        try await withSink({ request, responder in
            var headers = HTTPHeaders()
            headers.append(name: "Location", value: "/elsewhere")
            responder.respond(HTTPResponse(status: request.path == "/moved" ? 302 : 200, headers: headers))
        }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            let result = await transport.send(OutboundRequest(url: sink.url("/moved")))
            #expect(result.status == 302 && result.location == "/elsewhere" && result.error == nil)
            #expect(sink.requests.map(\.path) == ["/moved"])
        }
    }

    @Test func keepsOnlyTheFirstKiBOfALargeBodyAndStillReusesTheConnection() async throws {
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await withSink({ _, responder in responder.respond(HTTPResponse(status: 200, body: big)) }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            for _ in 0..<3 {
                let result = await transport.send(OutboundRequest(url: sink.url("/big")))
                #expect(result.status == 200 && result.error == nil)
                #expect(result.bodyPrefix == Array(big.prefix(1024)))
            }
            #expect(sink.connectionCount == 1)  // the rest of each body was read and discarded, not left on the wire
        }
    }

    @Test func stopsReadingPastMaxResponseBytesButKeepsTheStatus() async throws {
        let huge = [UInt8](repeating: 0x61, count: 3 << 20)
        try await withSink({ _, responder in responder.respond(HTTPResponse(status: 201, body: huge)) }) { sink in
            let transport = try CurlMultiTransport(configuration: .init(bodyPrefixLimit: 16, maxResponseBytes: 64 * 1024))
            defer { transport.shutdown() }
            for _ in 0..<2 {
                let result = await transport.send(OutboundRequest(url: sink.url("/huge")))
                #expect(result.status == 201 && result.error == nil)
                #expect(result.bodyPrefix == [UInt8](repeating: 0x61, count: 16))
            }
            #expect(sink.connectionCount == 2)  // each stopped transfer closed its connection instead of reading 3 MiB
        }
    }

    // MARK: Errors

    @Test func connectionRefusedIsAConnectError() async throws {
        let port = try unusedPort()
        let transport = try CurlMultiTransport()
        defer { transport.shutdown() }
        let result = await transport.send(OutboundRequest(url: "http://127.0.0.1:\(port)/"))
        #expect(result.status == nil)
        #expect(result.error?.kind == .connect)
        #expect(result.error?.message.isEmpty == false)
    }

    @Test func unresolvableHostIsAConnectError() async throws {
        let transport = try CurlMultiTransport()
        defer { transport.shutdown() }
        let result = await transport.send(OutboundRequest(url: "http://no-such-host.invalid/", timeout: .seconds(5)))
        #expect(result.error?.kind == .connect)
    }

    @Test func aSinkThatNeverAnswersTimesOutWithinTheConfiguredTimeout() async throws {
        try await withSink({ _, _ in /* never answers */ }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            let started = ContinuousClock.now
            let result = await transport.send(OutboundRequest(url: sink.url("/never"), timeout: .milliseconds(300)))
            let elapsed = ContinuousClock.now - started
            #expect(result.error?.kind == .timeout)
            #expect(result.status == nil)
            // The transport's own timing bounds the timeout; the await's wall time only from below (resuming it can
            // wait for Swift's cooperative pool, which the rest of the suite's blocking I/O keeps busy).
            #expect(elapsed >= .milliseconds(290), "\(elapsed)")
            #expect(result.durationMs >= 290 && result.durationMs < 3000, "\(result.durationMs) ms")
        }
    }

    @Test func refusesSchemesOtherThanHTTPAndHTTPS() async throws {
        let transport = try CurlMultiTransport()
        defer { transport.shutdown() }
        for url in ["file:///etc/passwd", "gopher://127.0.0.1:70/", "dict://127.0.0.1:11211/"] {
            let result = await transport.send(OutboundRequest(url: url))
            #expect(result.status == nil && result.error?.kind == .other, "\(url)")
            #expect(result.bodyPrefix.isEmpty)
        }
    }

    @Test func refusesHeaderInjectionWithoutSending() async throws {
        try await withSink({ _, responder in responder.respond(reply(200, "ok")) }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            let injected = await transport.send(OutboundRequest(url: sink.url("/"), headers: [("X-A", "1\r\nX-Injected: 1")]))
            #expect(injected.error?.kind == .other && injected.status == nil)
            let badName = await transport.send(OutboundRequest(url: sink.url("/"), headers: [("X A", "1")]))
            #expect(badName.error?.kind == .other)
            #expect(sink.requests.isEmpty)
        }
    }

    // MARK: Connections and concurrency

    @Test func reusesOneKeepAliveConnectionForSequentialSends() async throws {
        try await withSink({ _, responder in responder.respond(reply(200, "ok")) }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            for i in 0..<50 {
                let result = await transport.send(OutboundRequest(url: sink.url("/\(i)"), body: Array("\(i)".utf8)))
                #expect(result.status == 200)
            }
            #expect(sink.requests.count == 50)
            #expect((1...2).contains(sink.connectionCount), "\(sink.connectionCount) connections")
        }
    }

    @Test func completesTwoHundredConcurrentSends() async throws {
        try await withSink({ request, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) {
                responder.respond(HTTPResponse(status: 200, body: request.body))
            }
        }) { sink in
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            // A long per-request timeout: the full suite loads both cores; this test is about completion, not speed.
            let results = await transport.sendAll((0..<200).map {
                OutboundRequest(url: sink.url("/"), body: Array("\($0)".utf8), timeout: .seconds(60))
            })
            #expect(results.count == 200)
            #expect(results.allSatisfy { $0.status == 200 && $0.error == nil })
            #expect(results.enumerated().allSatisfy { $0.element.bodyPrefix == Array("\($0.offset)".utf8) })
            #expect(sink.maxConcurrent > 1)
        }
    }

    @Test func queuesBeyondMaxInFlight() async throws {
        try await withSink({ _, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { responder.respond(reply(200, "ok")) }
        }) { sink in
            let transport = try CurlMultiTransport(configuration: .init(maxInFlight: 4))
            defer { transport.shutdown() }
            let results = await transport.sendAll((0..<40).map { _ in OutboundRequest(url: sink.url("/")) })
            #expect(results.allSatisfy { $0.status == 200 })
            #expect(sink.maxConcurrent <= 4 && sink.maxConcurrent >= 2, "\(sink.maxConcurrent)")
            #expect(transport.pendingCount == 0)
        }
    }

    // MARK: TLS

    @Test func verifiesTLSCertificatesUnlessToldNotTo() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (cert, key) = try makeTestCertificate(in: directory)
        try await withSink(tls: TLSConfiguration(certificatePath: cert, privateKeyPath: key), { request, responder in
            responder.respond(reply(200, request.isSecure ? "secure" : "plain"))
        }) { sink in
            let url = "https://127.0.0.1:\(sink.port)/"
            let transport = try CurlMultiTransport()
            defer { transport.shutdown() }
            let verified = await transport.send(OutboundRequest(url: url))
            #expect(verified.error?.kind == .tls && verified.status == nil)
            #expect(verified.error?.message.contains("certificate") == true, "\(String(describing: verified.error))")
            let insecure = await transport.send(OutboundRequest(url: url, insecureSkipVerify: true))
            #expect(insecure.status == 200 && insecure.bodyPrefix == Array("secure".utf8))
            // The verified attempt still fails after an insecure one to the same host: no reuse across TLS settings.
            #expect(await transport.send(OutboundRequest(url: url)).error?.kind == .tls)

            let trusting = try CurlMultiTransport(configuration: .init(caBundlePath: cert))
            defer { trusting.shutdown() }
            let trusted = await trusting.send(OutboundRequest(url: url))
            #expect(trusted.status == 200 && trusted.error == nil)
            let wrongName = await trusting.send(OutboundRequest(url: "https://127.0.0.2:\(sink.port)/"))
            #expect(wrongName.error?.kind == .tls || wrongName.error?.kind == .connect)
        }
    }

    // MARK: SSRF

    @Test func blockPrivateNetworksRefusesLoopbackEvenByName() async throws {
        try await withSink({ _, responder in responder.respond(reply(200, "ok")) }) { sink in
            let transport = try CurlMultiTransport(configuration: .init(blockPrivateNetworks: true))
            defer { transport.shutdown() }
            for url in [sink.url("/"), "http://localhost:\(sink.port)/", "http://[::1]:\(sink.port)/"] {
                let result = await transport.send(OutboundRequest(url: url))
                #expect(result.error?.kind == .blocked, "\(url): \(String(describing: result.error))")
                #expect(result.status == nil)
            }
            #expect(sink.requests.isEmpty)
            let open = try CurlMultiTransport()
            defer { open.shutdown() }
            #expect(await open.send(OutboundRequest(url: sink.url("/"))).status == 200)
        }
    }

    @Test func privateNetworkRanges() {
        let blocked = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                       "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "ff02::1", "::ffff:10.0.0.1",
                       "64:ff9b::7f00:1", "2002:c0a8:101::1", "198.18.0.1"]
        let allowed = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2606:4700:4700::1111",
                       "64:ff9b::808:808", "2002:808:808::1", "169.255.0.1"]
        for text in blocked { #expect(PrivateNetworks.contains(IPAddress(text)!), "\(text)") }
        for text in allowed { #expect(!PrivateNetworks.contains(IPAddress(text)!), "\(text)") }
    }

    // MARK: Shutdown

    @Test func shutdownCancelsInFlightAfterTheGracePeriodAndRejectsNewSends() async throws {
        try await withSink({ request, responder in
            if request.path == "/quick" { responder.respond(reply(200, "ok")) }
        }) { sink in
            let transport = try CurlMultiTransport(configuration: .init(maxInFlight: 1))
            let results = Mutex<[String: AttemptResultValue]>([:])
            let done = DispatchSemaphore(value: 0)
            for name in ["never", "queued"] {
                transport.send(OutboundRequest(url: sink.url("/\(name)"), timeout: .seconds(30))) { result in
                    results.withLock { $0[name] = result }
                    done.signal()
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            transport.shutdown(gracePeriod: .milliseconds(200))
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(2), "\(elapsed)")
            let collected = results.withLock { $0 }
            #expect(collected.count == 2)  // every completion ran before shutdown returned
            #expect(collected["never"]?.error?.kind == .cancelled)
            #expect(collected["queued"]?.error?.kind == .cancelled)
            #expect(sink.requests.map(\.path) == ["/never"])
            let late = await transport.send(OutboundRequest(url: sink.url("/quick")))
            #expect(late.error?.kind == .cancelled)
        }
    }

    @Test func shutdownLetsInFlightTransfersFinishWithinTheGracePeriod() async throws {
        try await withSink({ _, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { responder.respond(reply(200, "late")) }
        }) { sink in
            let transport = try CurlMultiTransport()
            let result = Mutex<AttemptResultValue?>(nil)
            transport.send(OutboundRequest(url: sink.url("/"))) { value in result.withLock { $0 = value } }
            try await Task.sleep(for: .milliseconds(30))
            transport.shutdown(gracePeriod: .seconds(5))
            #expect(result.withLock { $0 }?.status == 200)
        }
    }
}

// MARK: - Helpers

extension CurlMultiTransport {
    /// Sends and waits for the result.
    func send(_ request: OutboundRequest) async -> AttemptResultValue {
        await withCheckedContinuation { continuation in
            send(request) { continuation.resume(returning: $0) }
        }
    }

    /// Sends all at once; results in request order.
    func sendAll(_ requests: [OutboundRequest]) async -> [AttemptResultValue] {
        await withTaskGroup(of: (Int, AttemptResultValue).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, await self.send(request)) }
            }
            var results = [AttemptResultValue?](repeating: nil, count: requests.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }
}

/// A receiver on 127.0.0.1 that records requests, distinct connections and the most requests open at once.
final class Sink: Sendable {
    let port: Int
    private let state = Mutex(State())

    private struct State {
        var requests: [HTTPRequest] = []
        var connections: Set<String> = []
        var open = 0
        var maxOpen = 0
    }

    init(port: Int) {
        self.port = port
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }
    var requests: [HTTPRequest] { state.withLock { $0.requests } }
    var connectionCount: Int { state.withLock { $0.connections.count } }
    var maxConcurrent: Int { state.withLock { $0.maxOpen } }

    fileprivate func received(_ request: HTTPRequest, responder: HTTPResponder) {
        state.withLock { state in
            state.requests.append(request)
            state.connections.insert("\(ObjectIdentifier(responder.mailbox)):\(responder.connectionID)")
            state.open += 1
            state.maxOpen = max(state.maxOpen, state.open)
        }
    }

    fileprivate func answered() {
        state.withLock { $0.open -= 1 }
    }
}

private struct SinkHandler: HTTPRequestHandler {
    let sink: Sink
    let respond: @Sendable (HTTPRequest, SinkResponder) -> Void

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        sink.received(request, responder: responder)
        respond(request, SinkResponder(sink: sink, responder: responder))
    }
}

/// Answers a sink request, letting the sink count what is still open.
struct SinkResponder: Sendable {
    fileprivate let sink: Sink
    fileprivate let responder: HTTPResponder

    func respond(_ response: HTTPResponse) {
        sink.answered()
        responder.respond(response)
    }
}

/// Runs `body` with a sink whose handler is `respond`.
func withSink(tls: TLSConfiguration? = nil, _ respond: @escaping @Sendable (HTTPRequest, SinkResponder) -> Void,
              _ body: (Sink) async throws -> Void) async throws {
    let configuration = HTTPServer.Configuration(address: ListenAddress("127.0.0.1:0")!, loopCount: 1, tls: tls)
    let holder = Mutex<Sink?>(nil)
    let server = try HTTPServer(configuration: configuration, logger: .disabled) {
        SinkHandler(sink: holder.withLock { $0! }, respond: respond)
    }
    let sink = Sink(port: server.localAddress.port)
    holder.withLock { $0 = sink }
    server.start()
    defer {
        server.shutdown(gracePeriod: .milliseconds(100))
        server.wait()
    }
    try await body(sink)
}

/// A response with `text` as its exact body.
func reply(_ status: Int, _ text: String) -> HTTPResponse {
    HTTPResponse(status: status, body: Array(text.utf8))
}

