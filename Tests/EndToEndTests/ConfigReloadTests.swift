import Foundation
import Glibc
import Testing
import TestSupport

/// Route files through the built binary: `hookrelay check`, `serve` refusing invalid config, and SIGHUP reloads that
/// keep the running config when the new one is invalid.
@Suite(.timeLimit(.minutes(1)))
struct ConfigReloadTests {
    let binary = buildProductsDirectory + "/hookrelay"

    static let unroutedOpenSource = #"{"sources": [{"name": "open", "provider": "none"}]}"#

    /// `POST /hooks/<source>` with a small JSON body.
    static func post(port: Int, to source: String) throws -> TestResponse {
        let body = #"{"hello":"world"}"#
        return try request(port: port, "POST /hooks/\(source) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                         + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    @Test func checkExitsZeroAndPrintsTheWarningsOfAValidConfig() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeRoutes(Self.unroutedOpenSource, in: directory)
        let (status, output) = try runProgram(binary, ["check", "--routes", "routes"], currentDirectory: directory.path)
        #expect(status == 0)
        #expect(output == """
            routes/routes.json:1:23: warning: source "open" has no route: its events are stored but not delivered
            routes/routes.json:1:43: warning: sources[0].provider: provider "none" does not verify requests: anyone who knows the URL can post events
            ok: 1 sources, 0 destinations, 0 routes (2 warnings)

            """)
    }

    @Test func checkExitsOneAndPrintsEveryErrorAsFileLineColumn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeRoutes(#"""
            {"sources": [
              {"name": "stripe", "provider": "stripe", "secrets": ["env:HOOKRELAY_TEST_UNSET_SECRET"]}
            ],
             "destinations": [{"name": "billing-n8n", "kind": "n8n", "url": "https://n8n.example.com/webhook/billing"}],
             "routes": [{"name": "r", "from": ["stripe"], "to": ["billing-n88"]}]}
            """#, in: directory)
        try writeRoutes("{\"sources\": [}\n", in: directory, file: "broken.json")
        let (status, output) = try runProgram(binary, ["check", "--routes", "routes"], currentDirectory: directory.path)
        #expect(status == 1)
        #expect(output == """
            routes/broken.json:1:14: expected a value
            routes/routes.json:2:56: sources[0].secrets[0]: environment variable HOOKRELAY_TEST_UNSET_SECRET is not set
            routes/routes.json:5:54: routes[0].to[0]: unknown destination "billing-n88"; did you mean "billing-n8n"?
            3 errors in routes

            """)
    }

    @Test func serveRefusesToStartOnInvalidRouteFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeRoutes(#"{"sources": [{"name": "a/b", "provider": "none"}]}"#, in: directory)
        let (status, output) = try runProgram(binary, ["serve", "--routes", "routes", "--data", "data", "--listen", "127.0.0.1:0"],
                                              currentDirectory: directory.path)
        #expect(status == 1)
        #expect(output.contains(#"routes/routes.json:1:23: sources[0].name: invalid source name "a/b""#))
        #expect(output.contains("Error: invalid route files in routes; not starting (see 'hookrelay check --routes routes')"))
        #expect(!output.contains("msg=listening"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("data")))
    }

    @Test func sighupReloadsTheRouteFilesAndKeepsTheRunningConfigWhenTheNewOneIsInvalid() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let routes = try writeRoutes(#"{"sources": [{"name": "a", "provider": "none"}]}"#, in: directory)
        let server = try HookrelayProcess(["serve", "--routes", routes, "--data", directory.file("data"),
                                           "--listen", "127.0.0.1:0", "--threads", "2"])
        let port = try server.listeningPort()
        #expect(try Self.post(port: port, to: "a").status == 200)
        #expect(try Self.post(port: port, to: "b").status == 404)

        try writeRoutes(#"{"sources": [{"name": "a", "provider": "none"}, {"name": "b", "provider": "none"}]}"#, in: directory)
        server.signal(SIGHUP)
        #expect(server.waitForOutput("route config reloaded"))
        #expect(server.output.contains(#"msg="route config reloaded" sources=2 routes=0 warnings=4"#))
        #expect(try Self.post(port: port, to: "b").status == 200)

        try writeRoutes(#"{"sources": [{"name": "a", "provider": "none"},"#, in: directory)
        server.signal(SIGHUP)
        #expect(server.waitForOutput("route config reload failed"))
        #expect(server.output.contains("routes.json:1:48: unexpected end of input"))
        #expect(try Self.post(port: port, to: "b").status == 200)
        #expect(try Self.post(port: port, to: "a").status == 200)

        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }
}
