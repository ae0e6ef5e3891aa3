import Glibc
import HTTPServer
import HookRelay

/// `hookrelay replay`: put failed deliveries back to pending.
enum ReplayCommand {
    static let defaultAdmin = "127.0.0.1:9090"

    static let spec = CommandSpec(
        name: "replay",
        abstract: "Re-queue deliveries (by id, or failed ones by filter) without duplicating them.",
        discussion: """
        Each ID is a delivery id (a number, see `hookrelay deliveries`) or an event id (every delivery of that event). \
        Without ids, --status selects dead, retrying or failed (both) deliveries, narrowed by --destination, --source \
        and --since. Deliveries go back to pending, due now, keeping their attempt history; ones in flight are left \
        alone. Prints how many were re-queued (--dry-run: how many would be).

        While `hookrelay serve` runs on the data directory (it holds the store's lock), the replay goes through its \
        admin API, with the bearer token from HOOKRELAY_ADMIN_TOKEN, and the server sends the work at once. The address \
        is --admin, else the one the server recorded in <data>/admin.addr, else 127.0.0.1:9090. Otherwise the command \
        opens the store itself; `serve` picks the work up when it starts.
        """,
        arguments: [ArgumentSpec(name: "id", help: "Delivery ids or event ids.", isRepeatable: true, isOptional: true)],
        options: [
            .option("data", "dir", help: "Data directory.", default: ".hookrelay"),
            .option("status", "status", help: "dead, retrying or failed (both)."),
            .option("destination", "name", help: "Only deliveries to this destination (with --status)."),
            .option("source", "name", help: "Only deliveries of events from this source (with --status)."),
            .option("since", "duration", help: "Only deliveries created within this duration (90s, 2h, 3d) or since an RFC 3339 time (with --status)."),
            .flag("dry-run", help: "Only count what would be re-queued."),
            .option("admin", "address", help: "The running server's admin API, used when it holds the store.",
                    default: "<data>/admin.addr, else \(defaultAdmin)"),
        ]
    )

    /// The replay the arguments ask for.
    static func request(_ arguments: ParsedArguments, now: Int64) throws(UsageError) -> ReplayRequest {
        func fail(_ message: String) -> UsageError { UsageError(message: message, command: spec.name) }
        let dryRun = arguments.has("dry-run")
        var request: ReplayRequest
        if let status = arguments.value("status") {
            guard arguments.positionals.isEmpty else { throw fail("Give delivery or event ids, or --status, not both") }
            let statuses: [DeliveryStatus]
            do {
                statuses = try ReplayRequest.statuses(status)
            } catch {
                throw fail("Invalid --status '\(status)': expected dead, retrying or failed")
            }
            request = ReplayRequest(filter: DeliveryFilter(statuses: statuses, destination: arguments.value("destination"),
                                                           source: arguments.value("source"),
                                                           createdSince: try ListingOptions.since(arguments, now: now, command: spec.name)),
                                    dryRun: dryRun)
        } else {
            for option in ["destination", "source", "since"] where arguments.value(option) != nil {
                throw fail("--\(option) narrows a --status replay; give --status dead, retrying or failed")
            }
            guard !arguments.positionals.isEmpty else { throw fail("Give delivery or event ids, or --status dead|retrying|failed") }
            request = ReplayRequest(dryRun: dryRun)
            for id in arguments.positionals {
                if let number = Int64(id) {
                    guard number > 0 else { throw fail("Invalid delivery id '\(id)'") }
                    request.deliveryIDs.append(number)
                } else {
                    request.eventIDs.append(id)
                }
            }
        }
        do {
            try request.validate()
        } catch {
            throw fail(error.message)
        }
        return request
    }

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        let request: ReplayRequest
        let admin: ListenAddress
        do {
            request = try self.request(arguments, now: ListingOptions.now())
        } catch {
            return CLI.usageError(error, output: output)
        }
        let directory = arguments.value("data") ?? ".hookrelay"
        if let text = arguments.value("admin") {
            guard let address = ListenAddress(text) else {
                return CLI.usageError(UsageError(message: "Invalid --admin '\(text)': expected host:port such as 127.0.0.1:9090",
                                                 command: spec.name), output: output)
            }
            admin = address
        } else {
            admin = AdminAddressFile.read(AdminAddressFile.path(in: directory)) ?? ListenAddress(defaultAdmin)!
        }
        let path = SQLiteStore.databasePath(in: directory)
        guard access(path, F_OK) == 0 else {
            output.error("Error: no store in \(directory) (\(path) does not exist)")
            return ExitCode.failure
        }
        let count: Int
        do {
            let store = try SQLiteStore(dataDirectory: directory)
            defer { store.close() }
            count = try request.perform(on: store, now: ListingOptions.now())
        } catch where error.kind == .locked {
            output.error("\(directory) is in use by a running hookrelay serve: replaying through its admin API at \(admin)")
            switch replayThroughAdmin(request, at: admin) {
            case .success(let n): count = n
            case .failure(let problem):
                output.error("Error: \(problem.description)")
                return ExitCode.failure
            }
        } catch {
            output.error("Error: \(error)")
            return ExitCode.failure
        }
        let noun = count == 1 ? "delivery" : "deliveries"
        output.print(request.dryRun ? "would requeue \(count) \(noun) (dry run)" : "requeued \(count) \(noun)")
        return ExitCode.success
    }

    /// `POST /api/replay` with the request as its body; the `count` of the answer.
    static func replayThroughAdmin(_ request: ReplayRequest, at address: ListenAddress) -> Result<Int, HTTPClientError> {
        var headers = [("Content-Type", "application/json")]
        if let token = getenv("HOOKRELAY_ADMIN_TOKEN").map({ String(cString: $0) }), !token.isEmpty {
            headers.append(("Authorization", "Bearer \(token)"))
        }
        let response: HTTPClient.Response
        do {
            response = try HTTPClient.send("POST", "/api/replay", to: address, headers: headers, body: request.json.encoded(),
                                           timeout: .seconds(600))
        } catch {
            return .failure(HTTPClientError("the admin API did not answer (\(error)); is serve running with --admin \(address)?"))
        }
        let answer = try? JSONValue.parse(response.body)
        switch response.status {
        case 200:
            guard let count = answer?["count"]?.numberValue?.intValue else {
                return .failure(HTTPClientError("unexpected answer from the admin API at \(address)"))
            }
            return .success(count)
        case 401:
            return .failure(HTTPClientError("the admin API at \(address) refused the request: "
                + "\(answer?["error"]?.stringValue ?? "unauthorized") (set HOOKRELAY_ADMIN_TOKEN to the server's token)"))
        default:
            return .failure(HTTPClientError("the admin API at \(address) answered \(response.status): \(answer?["error"]?.stringValue ?? "no reason")"))
        }
    }
}
