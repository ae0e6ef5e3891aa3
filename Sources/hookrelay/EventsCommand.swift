import HookRelay

/// `hookrelay events`: what was stored, newest first.
enum EventsCommand {
    static let spec = CommandSpec(
        name: "events",
        abstract: "List stored events, newest first.",
        discussion: "Reads the store while `serve` runs. --json prints one envelope per line with its delivery status.",
        options: [
            .option("data", "dir", help: "Data directory.", default: ".hookrelay"),
            .option("limit", "n", help: "How many events.", default: "20"),
            .flag("json", help: "One JSON object per line: the envelope plus \"status\"."),
        ]
    )

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        let directory = arguments.value("data") ?? ".hookrelay"
        guard let limit = Int(arguments.value("limit") ?? "20"), (1...100_000).contains(limit) else {
            return CLI.usageError(UsageError(message: "Invalid --limit: expected 1 to 100000", command: spec.name), output: output)
        }
        let events: [StoredEvent]
        do {
            let reader = try SQLiteStoreReader(dataDirectory: directory)
            events = try reader.events(matching: EventFilter(limit: limit))
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
