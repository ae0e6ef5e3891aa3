/// One problem found in a config file, located by file, line, column and JSON path.
///
/// Renders like a compiler message, errors without a prefix and warnings with one:
/// ```text
/// routes/stripe.json:12:5: routes[0].to[1]: unknown destination "billing-n88"
/// routes/a.json:3:7: warning: sources[0].secrets[0]: literal secret; use env:NAME or file:PATH
/// routes/b.json: cannot read file: permission denied
/// ```
/// The path part is left out for the document root; line and column are left out when `line` is 0
/// (problems with the whole file).
public struct ConfigDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a diagnostic is: errors reject the config, warnings do not.
    public enum Severity: String, Sendable, Hashable, Comparable {
        /// Suspicious but accepted.
        case warning
        /// The config is rejected.
        case error

        /// Warnings order before errors.
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
    }

    /// Whether this rejects the config.
    public var severity: Severity
    /// The file, as given to the loader (usually relative, such as `routes/stripe.json`).
    public var file: String
    /// The 1-based line, or 0 when the diagnostic is about the whole file.
    public var line: Int
    /// The 1-based column in Unicode scalars, or 0 with `line`.
    public var column: Int
    /// The JSON path rendered as text (see ``JSONPath``); empty for the root.
    public var path: String
    /// What is wrong, lowercase, without a trailing period.
    public var message: String

    /// A diagnostic from its parts.
    public init(severity: Severity = .error, file: String, line: Int, column: Int, path: String = "", message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    /// A diagnostic at `position` (nil: the whole file) for the node at `path`.
    public init(_ severity: Severity, file: String, at position: SourcePosition?, path: JSONPath = .root, message: String) {
        self.init(severity: severity, file: file, line: position?.line ?? 0, column: position?.column ?? 0,
                  path: path.description, message: message)
    }

    /// An error for a document that is not valid JSON.
    public init(file: String, syntaxError: JSONSyntaxError) {
        self.init(.error, file: file, at: syntaxError.position, message: syntaxError.message)
    }

    /// The position, if the diagnostic has one.
    public var position: SourcePosition? { line > 0 ? SourcePosition(line: line, column: column) : nil }

    /// Whether this is an error.
    public var isError: Bool { severity == .error }

    /// `file:line:column: [warning: ][path: ]message`.
    public var description: String {
        var text = file
        if line > 0 { text += ":\(line):\(column)" }
        text += ": "
        if severity == .warning { text += "warning: " }
        if !path.isEmpty { text += path + ": " }
        return text + message
    }
}
