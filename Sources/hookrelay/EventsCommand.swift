import HookRelay

/// `hookrelay events`: what was stored, newest first.
enum EventsCommand {
    static let spec = CommandSpec(
        name: "events",
        abstract: "List stored events, newest first.",
        discussion: """
        Reads the store (works while `serve` runs). --type matches the event type with a glob, with or without the \
        provider prefix (stripe.invoice.* or invoice.*). --json prints one envelope per line with its delivery status.
        """,
        options: [
            .option("data", "dir", help: "Data directory.", default: ".hookrelay"),
            .option("source", "name", help: "Only events from this source."),
            .option("type", "glob", help: "Only events whose type matches this glob (*, ?, [...])."),
            .option("since", "duration", help: "Only events received within this duration (90s, 2h, 3d) or since an RFC 3339 time."),
            .option("limit", "n", help: "How many events.", default: "20"),
            .flag("json", help: "One JSON object per line: the envelope plus \"status\"."),
        ]
    )

    /// The filter the arguments ask for.
    static func filter(_ arguments: ParsedArguments, now: Int64) throws(UsageError) -> EventFilter {
        EventFilter(source: arguments.value("source"), typeGlob: arguments.value("type"),
                    receivedSince: try ListingOptions.since(arguments, now: now, command: spec.name),
                    limit: try ListingOptions.limit(arguments, default: 20, command: spec.name))
    }

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        let filter: EventFilter
        do {
            filter = try self.filter(arguments, now: ListingOptions.now())
        } catch {
            return CLI.usageError(error, output: output)
        }
        let events: [StoredEvent]
        do {
            let reader = try SQLiteStoreReader(dataDirectory: arguments.value("data") ?? ".hookrelay")
            defer { reader.close() }
            events = try reader.events(matching: filter)
        } catch {
            output.error("Error: \(error)")
            return ExitCode.failure
        }
        if arguments.has("json") {
            for event in events { output.print(EventListing.jsonLine(event)) }
            return ExitCode.success
        }
        output.print(EventListing.table(events))
        return ExitCode.success
    }
}
