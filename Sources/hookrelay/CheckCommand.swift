import HookRelay

/// `hookrelay check`: validate route files.
enum CheckCommand {
    static let spec = CommandSpec(
        name: "check",
        abstract: "Validate the route files; print every problem as file:line:column.",
        discussion: "Exits 1 when there is an error, 0 otherwise (warnings are listed). Secrets are resolved (env:/file:) but never printed.",
        options: [.option("routes", "dir", help: "Directory of route files (*.json).", default: "routes")]
    )

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        let directory = arguments.value("routes") ?? "routes"
        let (config, diagnostics) = RouteConfig.load(directory: directory)
        for diagnostic in diagnostics { output.error(diagnostic.description) }
        guard let config else {
            let errors = diagnostics.filter(\.isError).count
            output.error("\(errors) error\(errors == 1 ? "" : "s") in \(directory)")
            return ExitCode.failure
        }
        output.print("ok: \(config.sources.count) sources, \(config.destinations.count) destinations, \(config.routes.count) routes"
            + (diagnostics.isEmpty ? "" : " (\(diagnostics.count) warning\(diagnostics.count == 1 ? "" : "s"))"))
        return ExitCode.success
    }
}
