import HookRelay

/// `hookrelay deliveries`: each delivery's state and last error.
enum DeliveriesCommand {
    static let spec = CommandSpec(
        name: "deliveries",
        abstract: "List deliveries (event × destination) with their state and last error, newest first.",
        discussion: """
        A delivery is pending (not yet attempted), retrying (an attempt failed; the next is scheduled), delivered, or
        dead (gave up; the reason is the last error). --status failed selects retrying and dead together.
        """,
        options: [
            .option("data", "dir", help: "Data directory.", default: ".hookrelay"),
            .option("status", "status", help: "pending, retrying, delivered, dead or failed."),
            .option("destination", "name", help: "Only deliveries to this destination."),
            .option("source", "name", help: "Only deliveries of events from this source."),
            .option("since", "duration", help: "Only deliveries created within this duration (90s, 2h, 3d) or since an RFC 3339 time."),
            .option("limit", "n", help: "How many deliveries.", default: "50"),
            .flag("json", help: "One JSON object per line."),
        ]
    )

    static func statuses(_ text: String?) -> [DeliveryStatus]? {
        guard let text else { return [] }
        return [DeliveryStatus].selection(text)
    }

    /// The filter the arguments ask for.
    static func filter(_ arguments: ParsedArguments, now: Int64) throws(UsageError) -> DeliveryFilter {
        guard let statuses = statuses(arguments.value("status")) else {
            throw UsageError(message: "Invalid --status '\(arguments.value("status")!)': expected pending, retrying, delivered, dead or failed",
                             command: spec.name)
        }
        return DeliveryFilter(statuses: statuses, destination: arguments.value("destination"), source: arguments.value("source"),
                              createdSince: try ListingOptions.since(arguments, now: now, command: spec.name),
                              limit: try ListingOptions.limit(arguments, default: 50, command: spec.name))
    }

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        let filter: DeliveryFilter
        do {
            filter = try self.filter(arguments, now: ListingOptions.now())
        } catch {
            return CLI.usageError(error, output: output)
        }
        let deliveries: [Delivery]
        do {
            let reader = try SQLiteStoreReader(dataDirectory: arguments.value("data") ?? ".hookrelay")
            defer { reader.close() }
            deliveries = try reader.deliveries(matching: filter)
        } catch {
            output.error("Error: \(error)")
            return ExitCode.failure
        }
        if arguments.has("json") {
            for delivery in deliveries { output.print(jsonLine(delivery)) }
            return ExitCode.success
        }
        let rows = deliveries.map { d in
            ["\(d.id)", d.eventID, d.destination, d.status.rawValue, "\(d.attempts)", d.lastStatusCode.map(String.init) ?? "-",
             d.status == .pending || d.status == .retrying ? RFC3339.string(fromUnixSeconds: d.nextAttemptAt / 1000) : "-",
             d.lastError.map { String($0.prefix(60)) } ?? ""]
        }
        output.print(EventListing.alignedTable(header: ["ID", "EVENT", "DESTINATION", "STATUS", "ATTEMPTS", "LAST", "NEXT", "LAST ERROR"],
                                               rows: rows, empty: "no deliveries"))
        return ExitCode.success
    }

    /// id, event id, destination, status, attempts, last status code, last error, next attempt time (DESIGN.md §3).
    static func jsonLine(_ d: Delivery) -> String {
        var bytes: [UInt8] = []
        func field(_ name: String, _ value: String?, quoted: Bool = true) {
            bytes.append(bytes.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSONString.appendQuoted(name, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            guard let value else { bytes.append(contentsOf: Array("null".utf8)); return }
            if quoted { JSONString.appendQuoted(value, to: &bytes) } else { bytes.append(contentsOf: Array(value.utf8)) }
        }
        field("id", "\(d.id)", quoted: false)
        field("eventid", d.eventID)
        field("route", d.route)
        field("destination", d.destination)
        field("status", d.status.rawValue)
        field("attempts", "\(d.attempts)", quoted: false)
        field("laststatuscode", d.lastStatusCode.map(String.init), quoted: false)
        field("lasterror", d.lastError)
        field("nextattemptat", d.status == .pending || d.status == .retrying ? RFC3339.string(fromUnixMilliseconds: d.nextAttemptAt) : nil)
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
