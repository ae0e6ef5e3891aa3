import Dispatch
import Foundation
import Glibc
@testable import HTTPServer
import Testing
import TestSupport

/// Answers by path: `/slow?ms=N` from another thread after N ms, `/echo` with the body, `/client` with the client
/// address, `/never` never, anything else 200 "ok".
final class TestHandler: HTTPRequestHandler {
    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        switch request.path {
        case "/slow":
            let ms = Int(request.query?.split(separator: "=").last ?? "100") ?? 100
            let tag = request.headers["X-Tag"] ?? ""
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(ms)) {
                responder.respond(HTTPResponse(status: 200, body: Array("slow \(tag)".utf8)))
            }
        case "/echo":
            var headers = HTTPHeaders()
            headers.append(name: "X-Method", value: request.method)
            headers.append(name: "X-Secure", value: "\(request.isSecure)")
            responder.respond(HTTPResponse(status: 200, headers: headers, body: request.body))
        case "/client":
            responder.respond(HTTPResponse(status: 200, body: Array(request.clientAddress.utf8)))
        case "/never":
            break
        default:
            let tag = request.headers["X-Tag"] ?? ""
            responder.respond(HTTPResponse(status: 200, body: Array("ok \(tag)".utf8)))
        }
    }
}

func withServer(limits: HTTPLimits = HTTPLimits(), tls: TLSConfiguration? = nil, trustedProxies: [CIDR] = [],
                loops: Int = 2, _ body: (HTTPServer) throws -> Void) throws {
    let configuration = HTTPServer.Configuration(address: ListenAddress("127.0.0.1:0")!, loopCount: loops, limits: limits,
                                                 tls: tls, trustedProxies: trustedProxies)
    let server = try HTTPServer(configuration: configuration, logger: .disabled) { TestHandler() }
    server.start()
    defer {
        server.shutdown(gracePeriod: .seconds(1))
        server.wait()
    }
    try body(server)
}

func get(_ path: String, tag: String = "", close: Bool = false) -> String {
    "GET \(path) HTTP/1.1\r\nHost: test\r\nX-Tag: \(tag)\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n"
}

/// Whether `body` throws.
func fails(_ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch {
        return true
    }
}

@Suite(.timeLimit(.minutes(1)))
struct HTTPServerLiveTests {
    @Test func servesHundredSequentialRequestsOnOneKeepAliveConnection() throws {
        try withServer { server in
            let connection = try TestConnection(port: server.localAddress.port)
            for i in 0..<100 {
                try connection.send(get("/", tag: "\(i)"))
                let response = try connection.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "ok \(i)")
                #expect(response.header("Connection") == nil)
                #expect(response.header("Date") != nil)
            }
        }
    }

    @Test func answersPipelinedRequestsInOrderEvenWhenTheFirstIsSlow() throws {
        try withServer { server in
            let connection = try TestConnection(port: server.localAddress.port)
            try connection.send(get("/slow?ms=300", tag: "a") + get("/", tag: "b") + get("/slow?ms=50", tag: "c") + get("/", tag: "d"))
            #expect(try connection.readResponse().text == "slow a")
            #expect(try connection.readResponse().text == "ok b")
            #expect(try connection.readResponse().text == "slow c")
            #expect(try connection.readResponse().text == "ok d")
        }
    }

    @Test func sendsContinueBeforeTheBodyWhenExpected() throws {
        try withServer { server in
            let connection = try TestConnection(port: server.localAddress.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try connection.readResponse()
            #expect(interim.status == 100)
            try connection.send("hello")
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello")
        }
    }

    @Test func closesASlowClientThatNeverFinishesItsHeadersAtTheTimeout() throws {
        var limits = HTTPLimits()
        limits.headerReadTimeout = .milliseconds(600)
        try withServer(limits: limits) { server in
            let started = Date()  // before connecting: the server's deadline runs from the accept
            let connection = try TestConnection(port: server.localAddress.port, timeout: 5)
            try connection.send("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            let response = try connection.readResponse()
            #expect(response.status == 408)
            #expect(connection.waitForClose())
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed >= 0.5 && elapsed < 4)
            // A connection that sends nothing at all is closed too (no response owed).
            let silent = try TestConnection(port: server.localAddress.port, timeout: 5)
            #expect(silent.waitForClose())
        }
    }

    @Test func closesIdleKeepAliveConnections() throws {
        var limits = HTTPLimits()
        limits.idleTimeout = .milliseconds(500)
        try withServer(limits: limits) { server in
            let connection = try TestConnection(port: server.localAddress.port, timeout: 5)
            try connection.send(get("/"))
            #expect(try connection.readResponse().status == 200)
            #expect(connection.waitForClose())
        }
    }

    @Test func serves200ConcurrentConnections() throws {
        try withServer { server in
            // A roomy client timeout: the whole suite runs in parallel on two cores.
            let connections = try (0..<200).map { _ in try TestConnection(port: server.localAddress.port, timeout: 20) }
            for (i, connection) in connections.enumerated() { try connection.send(get("/", tag: "\(i)")) }
            for (i, connection) in connections.enumerated() { #expect(try connection.readResponse().text == "ok \(i)") }
            #expect(server.connectionCount == 200)
        }
    }

    @Test func refusesConnectionsPastTheLimitWith503() throws {
        var limits = HTTPLimits()
        limits.maxConnections = 4
        try withServer(limits: limits) { server in
            let held = try (0..<4).map { _ in try TestConnection(port: server.localAddress.port) }
            for connection in held {
                try connection.send(get("/"))
                #expect(try connection.readResponse().status == 200)
            }
            let extra = try TestConnection(port: server.localAddress.port)
            #expect(try extra.readResponse().status == 503)
            #expect(extra.waitForClose())
            held[0].close()
            // A slot frees up once the server notices the close.
            var served = false
            for _ in 0..<50 where !served {
                usleep(20_000)
                let retry = try TestConnection(port: server.localAddress.port)
                try? retry.send(get("/"))
                served = (try? retry.readResponse().status) == 200
            }
            #expect(served)
        }
    }

    @Test func answersMalformedRequestsWithTheirStatusAndCloses() throws {
        try withServer { server in
            let cases: [(String, Int)] = [
                ("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                ("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
                ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
                ("GET / HTTP/1.1\r\n\r\n", 400),
            ]
            for (raw, status) in cases {
                let connection = try TestConnection(port: server.localAddress.port)
                try connection.send(raw)
                let response = try connection.readResponse()
                #expect(response.status == status, "\(raw.debugDescription)")
                #expect(response.header("Connection") == "close")
                #expect(!response.text.isEmpty)
                #expect(connection.waitForClose())
            }
        }
    }

    @Test func rejectsABodyOverTheLimitBeforeReadingIt() throws {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 1000
        try withServer(limits: limits) { server in
            let connection = try TestConnection(port: server.localAddress.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "x", count: 20000))
            let response = try connection.readResponse()
            #expect(response.status == 413)
            #expect(connection.waitForClose())
        }
    }

    @Test func answers503WhenTheHandlerNeverResponds() throws {
        var limits = HTTPLimits()
        limits.responseTimeout = .milliseconds(300)
        try withServer(limits: limits) { server in
            let connection = try TestConnection(port: server.localAddress.port)
            try connection.send(get("/never"))
            let response = try connection.readResponse()
            #expect(response.status == 503)
            #expect(connection.waitForClose())
        }
    }

    @Test func closesAfterAnHTTP10RequestUnlessKeptAlive() throws {
        try withServer { server in
            let connection = try TestConnection(port: server.localAddress.port)
            try connection.send("GET / HTTP/1.0\r\n\r\n")
            #expect(try connection.readResponse().status == 200)
            #expect(connection.waitForClose())

            let kept = try TestConnection(port: server.localAddress.port)
            try kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try kept.readResponse()
            #expect(first.header("Connection") == "keep-alive")
            try kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try kept.readResponse().status == 200)
        }
    }

    @Test func echoesChunkedBodies() throws {
        try withServer { server in
            let connection = try TestConnection(port: server.localAddress.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.text == "hello world")
            #expect(response.header("X-Method") == "POST")
        }
    }

    @Test func takesTheClientAddressFromTrustedProxiesOnly() throws {
        let request = "GET /client HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9, 198.51.100.7\r\n\r\n"
        try withServer(trustedProxies: [CIDR("127.0.0.0/8")!]) { server in
            let response = try TestSupport.request(port: server.localAddress.port, request)
            #expect(response.text == "198.51.100.7")
        }
        try withServer(trustedProxies: [CIDR("10.0.0.0/8")!]) { server in
            let response = try TestSupport.request(port: server.localAddress.port, request)
            #expect(response.text == "127.0.0.1")
        }
    }

    @Test func servesTLSWithALPNAndAtLeastTLS12() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (cert, key) = try makeTestCertificate(in: directory)
        try withServer(tls: TLSConfiguration(certificatePath: cert, privateKeyPath: key)) { server in
            let connection = try TestConnection(port: server.localAddress.port, tlsCAFile: cert)
            #expect(connection.negotiatedProtocol == "http/1.1")
            #expect(connection.tlsVersion == "TLSv1.3")
            for i in 0..<5 {
                try connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nab\(i)")
                let response = try connection.readResponse()
                #expect(response.text == "ab\(i)")
                #expect(response.header("X-Secure") == "true")
            }
            // Five requests in five records sent back to back mostly arrive in one read(2): every one is answered,
            // though each SSL_read returns one record and the rest wait in OpenSSL's buffer, where epoll cannot see them.
            for i in 0..<5 { try connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\np\(i)x") }
            for i in 0..<5 { #expect(try connection.readResponse().text == "p\(i)x") }
            // A large body over TLS arrives intact (many records, read while OpenSSL holds more).
            let big = String(repeating: "0123456789", count: 50_000)
            try connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(big.utf8.count)\r\n\r\n" + big)
            #expect(try connection.readResponse().text == big)
        }
    }

    @Test func reloadsTheCertificateWithoutDroppingLiveConnections() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (cert, key) = try makeTestCertificate(in: directory)
        try withServer(tls: TLSConfiguration(certificatePath: cert, privateKeyPath: key)) { server in
            let old = try TestConnection(port: server.localAddress.port, tlsCAFile: cert)
            try old.send(get("/"))
            #expect(try old.readResponse().status == 200)
            let oldCopy = directory.file("old.crt")
            try FileManager.default.copyItem(atPath: cert, toPath: oldCopy)
            _ = try makeTestCertificate(in: directory)  // overwrites server.crt/server.key with a new pair
            try server.reloadTLS()
            // The new pair is served to new connections: the old CA no longer verifies, the new one does.
            #expect(fails { _ = try TestConnection(port: server.localAddress.port, tlsCAFile: oldCopy) })
            let fresh = try TestConnection(port: server.localAddress.port, tlsCAFile: cert)
            try fresh.send(get("/"))
            #expect(try fresh.readResponse().status == 200)
            // The old connection still works.
            try old.send(get("/", tag: "still"))
            #expect(try old.readResponse().text == "ok still")
            // A broken pair is refused and the running one stays.
            try FileManager.default.copyItem(atPath: cert, toPath: directory.file("server.crt.bak"))
            try "not a certificate".write(toFile: cert, atomically: true, encoding: .utf8)
            #expect(fails { try server.reloadTLS() })
            let after = try TestConnection(port: server.localAddress.port, tlsCAFile: directory.file("server.crt.bak"))
            _ = after
        }
    }

    @Test func gracefulShutdownLetsAnInFlightRequestFinish() throws {
        let configuration = HTTPServer.Configuration(address: ListenAddress("127.0.0.1:0")!, loopCount: 2)
        let server = try HTTPServer(configuration: configuration, logger: .disabled) { TestHandler() }
        server.start()
        let port = server.localAddress.port
        let busy = try TestConnection(port: port)
        let idle = try TestConnection(port: port)
        try idle.send(get("/"))
        #expect(try idle.readResponse().status == 200)
        try busy.send(get("/slow?ms=500", tag: "inflight"))
        usleep(100_000)
        server.shutdown(gracePeriod: .seconds(5))
        let response = try busy.readResponse()
        #expect(response.text == "slow inflight")
        #expect(response.header("Connection") == "close")
        #expect(idle.waitForClose())
        server.wait()
        #expect(fails { _ = try TestConnection(port: port) })
    }
}
