import Foundation
import Glibc
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(1)))
struct ServeTests {
    @Test func answersHealthzAnd404OverPlainHTTP() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeMinimalRoutes(in: directory)
        let server = try HookrelayProcess(["serve", "--listen", "127.0.0.1:0", "--threads", "2"], directory: directory.path)
        let port = try server.listeningPort()
        let health = try request(port: port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(health.status == 200)
        #expect(health.text == #"{"status":"ok"}"#)
        #expect(try request(port: port, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n").status == 404)
        #expect(try request(port: port, "DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n").status == 405)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func reloadsTheCertificateOnSIGHUPWhileAConnectionStaysOpen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (cert, key) = try makeTestCertificate(in: directory)
        try writeMinimalRoutes(in: directory)
        let server = try HookrelayProcess(["serve", "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key],
                                          directory: directory.path)
        let port = try server.listeningPort()
        let open = try TestConnection(port: port, tlsCAFile: cert)
        try open.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try open.readResponse().status == 200)

        let oldCert = directory.file("old.crt")
        try FileManager.default.copyItem(atPath: cert, toPath: oldCert)
        _ = try makeTestCertificate(in: directory)  // a new pair in the same files
        server.signal(SIGHUP)
        #expect(server.waitForOutput("TLS certificate reloaded"))

        #expect(throws: (any Error).self) { _ = try TestConnection(port: port, tlsCAFile: oldCert) }
        let fresh = try TestConnection(port: port, tlsCAFile: cert)
        try fresh.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try fresh.readResponse().status == 200)
        try open.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try open.readResponse().status == 200)

        // A broken pair on SIGHUP: logged, and the running certificate keeps serving.
        try "garbage".write(toFile: key, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        #expect(server.waitForOutput("TLS reload failed"))
        let still = try TestConnection(port: port, tlsCAFile: cert)
        try still.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try still.readResponse().status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func gracefulShutdownFinishesAnInFlightRequestAndExitsZero() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeMinimalRoutes(in: directory)
        let server = try HookrelayProcess(["serve", "--listen", "127.0.0.1:0", "--shutdown-grace", "5s"], directory: directory.path)
        let port = try server.listeningPort()
        let idle = try TestConnection(port: port)
        try idle.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try idle.readResponse().status == 200)
        // In flight: the head is sent, the body is not.
        let busy = try TestConnection(port: port)
        try busy.send("POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n")
        usleep(200_000)
        server.signal(SIGTERM)
        #expect(server.waitForOutput("shutting down"))
        #expect(idle.waitForClose())
        usleep(300_000)
        try busy.send("hello")
        let response = try busy.readResponse()
        #expect(response.status == 405)
        #expect(response.header("Connection") == "close")
        #expect(server.waitForExit() == 0)
        #expect(server.output.contains("msg=stopped"))
    }
}
