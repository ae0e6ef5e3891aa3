import HookRelay

/// A hand-rolled command-line parser in the style of swift-argument-parser: declarative options, generated help
/// (`OVERVIEW / USAGE / ARGUMENTS / OPTIONS / SUBCOMMANDS`), usage errors with exit code 64. Parsing is pure.

/// One `--option` a command takes.
struct OptionSpec: Sendable {
    let name: String
    /// Shown in help as `--name <valueName>`; nil for a flag.
    let valueName: String?
    let help: String
    let defaultValue: String?
    /// May appear several times.
    let isRepeatable: Bool

    static func option(_ name: String, _ valueName: String, help: String, default defaultValue: String? = nil,
                       repeatable: Bool = false) -> OptionSpec {
        OptionSpec(name: name, valueName: valueName, help: help, defaultValue: defaultValue, isRepeatable: repeatable)
    }

    static func flag(_ name: String, help: String) -> OptionSpec {
        OptionSpec(name: name, valueName: nil, help: help, defaultValue: nil, isRepeatable: false)
    }
}

/// A positional argument.
struct ArgumentSpec: Sendable {
    let name: String
    let help: String
    let isRepeatable: Bool
    let isOptional: Bool
}

/// A command: its help text, options, arguments.
struct CommandSpec: Sendable {
    let name: String
    let abstract: String
    var discussion: String = ""
    var arguments: [ArgumentSpec] = []
    var options: [OptionSpec] = []
}

/// A usage error: printed as `Error: …`, then the usage line, then `See 'hookrelay <cmd> --help'`; exit 64.
struct UsageError: Error, Equatable {
    let message: String
    let command: String?
}

/// What the user asked for.
struct ParsedArguments: Equatable {
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
    var wantsHelp = false

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }
}

extension CommandSpec {
    /// Parses `arguments` (everything after the command name). Accepts `--name value`, `--name=value`, `--`, `-h`.
    func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            if argument == "-h" || argument == "--help" {
                parsed.wantsHelp = true
                continue
            }
            guard argument.hasPrefix("--") else {
                throw UsageError(message: "Unknown option '\(argument)'", command: name)
            }
            var key = String(argument.dropFirst(2))
            var inlineValue: String?
            if let eq = key.firstIndex(of: "=") {
                inlineValue = String(key[key.index(after: eq)...])
                key = String(key[..<eq])
            }
            guard let spec = options.first(where: { $0.name == key }) else {
                let suggestion = ConfigDecoder.suggestion(for: key, among: options.map(\.name))
                throw UsageError(message: "Unknown option '--\(key)'" + (suggestion.map { ". Did you mean '--\($0)'?" } ?? ""),
                                 command: name)
            }
            if spec.valueName == nil {
                guard inlineValue == nil else { throw UsageError(message: "Option '--\(key)' takes no value", command: name) }
                parsed.flags.insert(key)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard i < arguments.count, !arguments[i].hasPrefix("--") else {
                    throw UsageError(message: "Missing value for '--\(key) <\(spec.valueName!)>'", command: name)
                }
                value = arguments[i]
                i += 1
            }
            if !spec.isRepeatable && parsed.values[key] != nil {
                throw UsageError(message: "Option '--\(key)' given more than once", command: name)
            }
            parsed.values[key, default: []].append(value)
        }
        if parsed.wantsHelp { return parsed }
        let required = self.arguments.filter { !$0.isOptional }.count
        if parsed.positionals.count < required {
            let missing = self.arguments[parsed.positionals.count]
            throw UsageError(message: "Missing expected argument '<\(missing.name)>'", command: name)
        }
        if !(self.arguments.last?.isRepeatable ?? false) && parsed.positionals.count > self.arguments.count {
            throw UsageError(message: "Unexpected argument '\(parsed.positionals[self.arguments.count])'", command: name)
        }
        return parsed
    }

    /// `hookrelay serve [--listen <addr>] …`
    var usage: String {
        var parts = ["hookrelay", name]
        for option in options {
            parts.append(option.valueName.map { "[--\(option.name) <\($0)>]" } ?? "[--\(option.name)]")
        }
        for argument in arguments {
            let text = "<\(argument.name)>" + (argument.isRepeatable ? " ..." : "")
            parts.append(argument.isOptional ? "[\(text)]" : text)
        }
        return parts.joined(separator: " ")
    }

    /// The full help text.
    var help: String {
        var text = "OVERVIEW: \(abstract)\n"
        if !discussion.isEmpty { text += "\n\(discussion)\n" }
        text += "\nUSAGE: \(usage)\n"
        if !arguments.isEmpty {
            text += "\nARGUMENTS:\n"
            for argument in arguments { text += Self.row("<\(argument.name)>", argument.help) }
        }
        text += "\nOPTIONS:\n"
        for option in options {
            let left = "--\(option.name)" + (option.valueName.map { " <\($0)>" } ?? "")
            let help = option.help + (option.defaultValue.map { " (default: \($0))" } ?? "")
            text += Self.row(left, help)
        }
        text += Self.row("-h, --help", "Show help information.")
        return text
    }

    static func row(_ left: String, _ right: String) -> String {
        let pad = 26
        if left.count + 2 < pad { return "  " + left + String(repeating: " ", count: pad - left.count - 2) + right + "\n" }
        return "  \(left)\n" + String(repeating: " ", count: pad) + right + "\n"
    }
}
