/// Why a payload is not one well-formed JSON value: the byte offset where scanning stopped and a short reason.
///
/// The reason never echoes payload bytes, so it is safe to put in a 400 response or a log line.
public struct RawJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; private detail that can grow without breaking callers.
    enum Code: Sendable, Equatable {
        case empty, byteOrderMark, unexpectedEnd, expectedValue, expectedKey, expectedColon
        case expectedCommaOrBrace, expectedCommaOrBracket, invalidLiteral, invalidNumber
        case controlCharacter, invalidEscape, invalidUnicodeEscape, invalidUTF8, tooDeep, trailingCharacters
    }

    /// What went wrong.
    let code: Code
    /// The byte offset (from the start of the scanned buffer) at which the payload stopped being valid JSON.
    public let offset: Int

    /// An error of kind `code` at byte `offset`.
    init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// A short, constant reason such as `invalid UTF-8` or `expected ',' or '}'`.
    public var reason: String {
        switch code {
        case .empty: "empty payload"
        case .byteOrderMark: "byte order mark"
        case .unexpectedEnd: "unexpected end of payload"
        case .expectedValue: "expected a value"
        case .expectedKey: "expected a string key"
        case .expectedColon: "expected ':'"
        case .expectedCommaOrBrace: "expected ',' or '}'"
        case .expectedCommaOrBracket: "expected ',' or ']'"
        case .invalidLiteral: "invalid literal"
        case .invalidNumber: "invalid number"
        case .controlCharacter: "unescaped control character in string"
        case .invalidEscape: "invalid escape in string"
        case .invalidUnicodeEscape: "invalid \\u escape in string"
        case .invalidUTF8: "invalid UTF-8"
        case .tooDeep: "nested too deeply"
        case .trailingCharacters: "unexpected data after the value"
        }
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
