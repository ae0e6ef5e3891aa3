import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

/// A `hookrelay serve` with its own routes and data directory, the admin API on a port of its own, and helpers to
/// post webhooks, call the admin API and run the CLI against the same data directory.
final class OpsServer {
    let directory: TemporaryDirectory
    let routes: String
    let environment: [String: String]
    private(set) var server: HookrelayProcess
    private(set) var port = 0
    private(set) var adminPort = 0
    private let extraArguments: [String]
    var data: String { directory.file("data") }

    /// Starts `serve` with `routesJSON`; `environment` is added to the inherited one (minus any admin token).
    init(routesJSON: String, environment: [String: String] = [:], arguments: [String] = []) throws {
        directory = try TemporaryDirectory("hookrelay-ops")
        routes = try writeRoutes(routesJSON, in: directory)
        self.environment = environment
        extraArguments = arguments
        server = try Self.start(routes: routes, data: directory.file("data"), directory: directory.path, environment: environment,
                                arguments: arguments)
        do {
            port = try server.listeningPort()
            adminPort = try server.adminPort()
        } catch {
            server.signal(SIGKILL)
            directory.remove()
            throw error
        }
    }

    private static func start(routes: String, data: String, directory: String, environment: [String: String],
                              arguments: [String]) throws -> HookrelayProcess {
        var env = environment
        if env["HOOKRELAY_ADMIN_TOKEN"] == nil { env["HOOKRELAY_ADMIN_TOKEN"] = "" }
        return try HookrelayProcess(["serve", "--routes", routes, "--data", data, "--listen", "127.0.0.1:0", "--threads", "2"] + arguments,
                                    directory: directory, environment: env)
    }

    /// Stops `serve` (SIGTERM) and checks it exited 0; returns its whole output.
    @discardableResult
    func stop() -> String {
        server.signal(SIGTERM)
        let status = server.waitForExit()
        #expect(status == 0, "serve output:\n\(server.output)")
        return server.output
    }

    /// Starts `serve` again on the same directories (after ``stop()``).
    func restart() throws {
        server = try Self.start(routes: routes, data: data, directory: directory.path, environment: environment, arguments: extraArguments)
        port = try server.listeningPort()
        adminPort = try server.adminPort()
    }

    /// One request to the ingress listener.
    func post(_ path: String, body: [UInt8], headers: [(String, String)] = [("Content-Type", "application/json")]) throws -> TestResponse {
        try send(port: port, "POST", path, body: body, headers: headers)
    }

    /// One request to the admin API, with `token` as the bearer token when given.
    func admin(_ method: String, _ path: String, body: String? = nil, token: String? = nil) throws -> TestResponse {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return try send(port: adminPort, method, path, body: Array((body ?? "").utf8), headers: headers)
    }

    /// The admin API's JSON answer to `GET path` (status 200 required).
    func adminJSON(_ path: String, token: String? = nil) throws -> [String: Any] {
        let response = try admin("GET", path, token: token)
        try #require(response.status == 200, "\(path): \(response.status) \(response.text)")
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    /// Runs `hookrelay <arguments>` (the built binary) in the test directory with the server's environment (but not its
    /// admin token) plus `extra`.
    func cli(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env["HOOKRELAY_ADMIN_TOKEN"] = nil
        for (key, value) in extra { env[key] = value }
        return try runProgram(buildProductsDirectory + "/hookrelay", arguments, environment: env, currentDirectory: directory.path)
    }

    /// The deliveries as they stand, read through a read-only connection of the test's own.
    func deliveries(_ filter: DeliveryFilter = DeliveryFilter(limit: 10_000)) throws -> [Delivery] {
        let reader = try SQLiteStoreReader(dataDirectory: data)
        defer { reader.close() }
        return try reader.deliveries(matching: filter)
    }

    /// Deliveries per status.
    func statusCounts() throws -> [DeliveryStatus: Int] {
        Dictionary(grouping: try deliveries(), by: \.status).mapValues(\.count)
    }

    /// Deliveries per status as text, for failure messages.
    func describeStatuses() -> String {
        (try? statusCounts()).map { "\($0)" } ?? "unreadable"
    }

    deinit {
        if server.process.isRunning { server.signal(SIGKILL) }
        directory.remove()
    }
}

/// One request on a new connection to 127.0.0.1:`port`.
func send(port: Int, _ method: String, _ path: String, body: [UInt8] = [], headers: [(String, String)] = []) throws -> TestResponse {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if method != "GET" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
    let connection = try TestConnection(port: port, timeout: 30)
    try connection.send(Array((head + "\r\n").utf8) + body)
    return try connection.readResponse(isHead: method == "HEAD")
}

/// The value of the series `name{labels}` in Prometheus text, if present.
func metricValue(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}
