/// Why a document is not valid JSON, and where: the first problem found, with a short message.
///
/// ```swift
/// do { _ = try JSONValue.parse(Array("[1,]".utf8)) }
/// catch { print(error) }  // 1:3: trailing comma
/// ```
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case unexpectedEndOfInput, unexpectedCharacter, unexpectedContent
        case unterminatedString, invalidEscape, loneSurrogate, controlCharacter, invalidUTF8
        case invalidNumber, leadingZeros, numberOutOfRange, invalidLiteral
        case trailingComma, duplicateKey, tooDeep, tooLarge
    }

    private let code: Code
    /// Where the problem is.
    public let position: SourcePosition
    /// A short lowercase explanation, such as `expected ',' or '}' after object member`.
    public let message: String

    private init(_ code: Code, _ position: SourcePosition, _ message: String) {
        self.code = code
        self.position = position
        self.message = message
    }

    /// The 1-based line of the problem.
    public var line: Int { position.line }
    /// The 1-based column of the problem, in Unicode scalars.
    public var column: Int { position.column }

    /// `line:column: message`.
    public var description: String { "\(position): \(message)" }

    // Factories used by the reader; messages are fixed here so they stay consistent.

    /// The document ended inside a value.
    static func unexpectedEndOfInput(at p: SourcePosition) -> Self { Self(.unexpectedEndOfInput, p, "unexpected end of input") }
    /// A character that cannot appear here; `message` says what was expected.
    static func unexpected(_ message: String, at p: SourcePosition) -> Self { Self(.unexpectedCharacter, p, message) }
    /// More than whitespace after the document's value.
    static func unexpectedContent(at p: SourcePosition) -> Self {
        Self(.unexpectedContent, p, "unexpected content after the top-level value")
    }
    /// A string without a closing quote (reported at its opening quote).
    static func unterminatedString(at p: SourcePosition) -> Self { Self(.unterminatedString, p, "unterminated string") }
    /// A backslash escape RFC 8259 does not define; `shown` is the escape as written.
    static func invalidEscape(_ shown: String, at p: SourcePosition) -> Self { Self(.invalidEscape, p, "invalid escape \(shown)") }
    /// A `\uD800`–`\uDFFF` escape that is not half of a valid pair.
    static func loneSurrogate(_ shown: String, at p: SourcePosition) -> Self {
        Self(.loneSurrogate, p, "lone surrogate escape \(shown)")
    }
    /// A raw U+0000–U+001F inside a string.
    static func controlCharacter(at p: SourcePosition) -> Self { Self(.controlCharacter, p, "control character in string") }
    /// Bytes that are not well-formed UTF-8.
    static func invalidUTF8(at p: SourcePosition) -> Self { Self(.invalidUTF8, p, "invalid UTF-8") }
    /// A malformed number; `message` says which digit was missing.
    static func invalidNumber(_ message: String, at p: SourcePosition) -> Self { Self(.invalidNumber, p, message) }
    /// A number such as `01`.
    static func leadingZeros(at p: SourcePosition) -> Self { Self(.leadingZeros, p, "leading zeros are not allowed") }
    /// A number too large for a `Double`.
    static func numberOutOfRange(at p: SourcePosition) -> Self { Self(.numberOutOfRange, p, "number out of range") }
    /// A bare word that is not `true`, `false` or `null`.
    /// Quotes the word only when it looks like a misspelt literal (`True`, `nul`, `NaN`): an unquoted word may be a
    /// secret someone forgot to quote, and errors never echo secrets.
    static func invalidLiteral(_ word: String, at p: SourcePosition) -> Self {
        let lowered = word.lowercased()
        let nearLiteral = ["true", "false", "null", "nan", "infinity", "undefined"].contains { literal in
            lowered == literal || (lowered.count < literal.count && literal.hasPrefix(lowered))
                || (lowered.count == literal.count + 1 && lowered.hasPrefix(literal))
        }
        return Self(.invalidLiteral, p, nearLiteral
            ? "invalid literal '\(word)'; expected true, false, null, a number, or a quoted string"
            : "unquoted text; strings need double quotes (expected true, false, null, a number, or a quoted string)")
    }
    /// A comma before `]` or `}` (reported at the comma).
    static func trailingComma(at p: SourcePosition) -> Self { Self(.trailingComma, p, "trailing comma") }
    /// A key that already appeared in the same object (reported at the second one).
    static func duplicateKey(_ key: String, first: SourcePosition, at p: SourcePosition) -> Self {
        Self(.duplicateKey, p, "duplicate key \(JSONPath.quoted(key)) (first at \(first))")
    }
    /// An array or object nested more than `limit` deep (reported at its opening bracket).
    static func tooDeep(limit: Int, at p: SourcePosition) -> Self {
        Self(.tooDeep, p, "nesting deeper than \(limit) levels")
    }
    /// A document larger than the size limit.
    static func tooLarge(size: Int, limit: Int) -> Self {
        Self(.tooLarge, SourcePosition(line: 1, column: 1), "document too large (\(size) bytes; the limit is \(limit))")
    }
}
