import Glibc
import HookRelay

/// Where a command writes. The real one writes to stdout/stderr; tests collect the text.
protocol CLIOutput: AnyObject {
    func print(_ text: String)
    func error(_ text: String)
}

/// Writes straight to file descriptors 1 and 2 (no buffering to flush at exit).
final class StandardOutput: CLIOutput {
    func print(_ text: String) { Self.write(1, text + "\n") }
    func error(_ text: String) { Self.write(2, text + "\n") }

    static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// Exit codes: 0 success, 1 failure (or invalid config), 64 usage error.
enum ExitCode {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 64
}

/// The `hookrelay` command: dispatches to subcommands.
enum CLI {
    static let abstract = "A self-hosted webhook gateway: receive, verify, store, route and relay webhooks."

    /// Subcommands in help order.
    static var commands: [(spec: CommandSpec, run: (ParsedArguments, any CLIOutput) -> Int32)] {
        [
            (ServeCommand.spec, ServeCommand.run),
            (CheckCommand.spec, CheckCommand.run),
            (EventsCommand.spec, EventsCommand.run),
            (DeliveriesCommand.spec, DeliveriesCommand.run),
            (ReplayCommand.spec, ReplayCommand.run),
            (SendCommand.spec, SendCommand.run),
            (VersionCommand.spec, VersionCommand.run),
        ]
    }

    static var rootHelp: String {
        var text = "OVERVIEW: \(abstract)\n\nUSAGE: hookrelay <subcommand>\n\nOPTIONS:\n"
        text += CommandSpec.row("--version", "Show the version.")
        text += CommandSpec.row("-h, --help", "Show help information.")
        text += "\nSUBCOMMANDS:\n"
        for command in commands { text += CommandSpec.row(command.spec.name, command.spec.abstract) }
        text += CommandSpec.row("help", "Show subcommand help information.")
        text += "\n  See 'hookrelay help <subcommand>' for detailed help."
        return text
    }

    /// Runs `arguments` (without the program name) and returns the exit code.
    static func run(_ arguments: [String], output: any CLIOutput) -> Int32 {
        guard let first = arguments.first else {
            output.print(rootHelp)
            return ExitCode.success
        }
        switch first {
        case "-h", "--help":
            output.print(rootHelp)
            return ExitCode.success
        case "--version":
            output.print(VersionCommand.text)
            return ExitCode.success
        case "help":
            let rest = arguments.dropFirst()
            guard let name = rest.first else {
                output.print(rootHelp)
                return ExitCode.success
            }
            guard rest.count == 1, let command = commands.first(where: { $0.spec.name == name }) else {
                return usageError(UsageError(message: unknownCommand(name), command: nil), output: output)
            }
            output.print(command.spec.help)
            return ExitCode.success
        default:
            guard let command = commands.first(where: { $0.spec.name == first }) else {
                return usageError(UsageError(message: unknownCommand(first), command: nil), output: output)
            }
            do {
                let parsed = try command.spec.parse(Array(arguments.dropFirst()))
                if parsed.wantsHelp {
                    output.print(command.spec.help)
                    return ExitCode.success
                }
                return command.run(parsed, output)
            } catch {
                return usageError(error, output: output)
            }
        }
    }

    static func unknownCommand(_ name: String) -> String {
        let suggestion = ConfigDecoder.suggestion(for: name, among: commands.map(\.spec.name))
        return "Unknown subcommand '\(name)'" + (suggestion.map { ". Did you mean '\($0)'?" } ?? "")
    }

    /// Prints `Error: … / Usage: … / See …` and returns 64.
    static func usageError(_ error: UsageError, output: any CLIOutput) -> Int32 {
        output.error("Error: \(error.message)")
        if let name = error.command, let command = commands.first(where: { $0.spec.name == name }) {
            output.error("Usage: \(command.spec.usage)")
            output.error("  See 'hookrelay \(name) --help' for more information.")
        } else {
            output.error("Usage: hookrelay <subcommand>")
            output.error("  See 'hookrelay --help' for more information.")
        }
        return ExitCode.usage
    }
}

/// `hookrelay version`
enum VersionCommand {
    static let spec = CommandSpec(name: "version", abstract: "Show the version.")
    static var text: String { "hookrelay \(hookrelayVersion)" }

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        output.print(text)
        return ExitCode.success
    }
}
