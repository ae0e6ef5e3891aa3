/// Why a config string (a duration, a rate, or a value a ``ConfigField`` validates) is not acceptable.
///
/// The ``message`` quotes the text and says what was expected, ready to be a ``ConfigDiagnostic`` message:
/// `invalid duration "5 m": expected a number followed by ms, s, m, h or d`.
public struct ConfigValueError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case invalidDuration, invalidRate, invalidValue
    }

    private let code: Code
    /// A one-line explanation for a diagnostic.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A custom validation failure with `message` (lowercase, no trailing period).
    public init(_ message: String) {
        self.init(.invalidValue, message)
    }

    /// The ``message``.
    public var description: String { message }

    /// Whether `self` is a duration error.
    public var isInvalidDuration: Bool { code == .invalidDuration }
    /// Whether `self` is a rate error.
    public var isInvalidRate: Bool { code == .invalidRate }

    /// `invalid duration "<text>": <reason>`.
    static func invalidDuration(_ text: some StringProtocol, _ reason: String) -> Self {
        Self(.invalidDuration, "invalid duration \(shown(text)): \(reason)")
    }

    /// `invalid rate "<text>": <reason>`.
    static func invalidRate(_ text: some StringProtocol, _ reason: String) -> Self {
        Self(.invalidRate, "invalid rate \(shown(text)): \(reason)")
    }

    /// Config text quoted for a message, cut at 40 scalars so one bad value cannot flood the output.
    static func shown(_ text: some StringProtocol) -> String {
        let scalars = String(text).unicodeScalars
        guard scalars.count > 40 else { return JSONPath.quoted(String(text)) }
        return JSONPath.quoted(String(String.UnicodeScalarView(scalars.prefix(40)))) + "…"
    }
}
