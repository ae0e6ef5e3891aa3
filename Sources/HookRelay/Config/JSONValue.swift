/// A place in a source file: 1-based line and column.
///
/// Columns count Unicode scalars from the start of the line (a tab counts as one), so a position points at the
/// same character whatever the UTF-8 width of the characters before it. Lines end at LF, CRLF or a lone CR.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 1-based line number.
    public var line: Int
    /// The 1-based column, counted in Unicode scalars.
    public var column: Int

    /// A position at `line` and `column` (both 1-based).
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `line:column`.
    public var description: String { "\(line):\(column)" }

    /// Orders positions as they appear in a file.
    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// A JSON number: the literal exactly as written, with numeric views.
public struct ConfigNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal as it appears in the source, such as `-12`, `0.5` or `1e3`.
    public let text: String
    /// The value as the nearest `Double` (always finite: larger literals are rejected by the parser).
    public let doubleValue: Double

    /// A number from its literal; the caller guarantees `text` is RFC 8259 number syntax with a finite value.
    init(text: String, doubleValue: Double) {
        self.text = text
        self.doubleValue = doubleValue
    }

    /// A number from JSON number syntax (`-1.5e3`), or nil if `text` is not exactly one finite JSON number.
    public init?(_ text: String) {
        guard let number = (try? JSONValue.parse(text))?.numberValue, number.text == text else { return nil }
        self = number
    }

    /// The number written as the integer `value`.
    public init(_ value: Int) {
        self.init(text: String(value), doubleValue: Double(value))
    }

    /// Whether the literal is written as an integer (no fraction, no exponent).
    public var isInteger: Bool { !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } }

    /// The value as an `Int`, when the literal is written as an integer that fits; `1.0` and `1e2` give nil.
    public var intValue: Int? { isInteger ? Int(text) : nil }

    /// The literal text.
    public var description: String { text }
}

/// An object member: its key (with the key's position) and value.
public struct JSONMember: Sendable, Equatable {
    /// The decoded key.
    public var key: String
    /// Where the key's opening quote is.
    public var keyPosition: SourcePosition
    /// The member's value (which carries its own position).
    public var value: JSONValue

    /// A member with `key` at `keyPosition`.
    public init(key: String, keyPosition: SourcePosition, value: JSONValue) {
        self.key = key
        self.keyPosition = keyPosition
        self.value = value
    }
}

/// A parsed JSON document node with the position of its first character.
///
/// Objects keep their members in source order; the parser rejects duplicate keys, so lookups are unambiguous.
///
/// ```swift
/// let root = try JSONValue.parse(Array(#"{"routes": [{"name": "a"}]}"#.utf8))
/// root["routes"]?.arrayValue?[0]["name"]?.position  // 1:23
/// ```
public struct JSONValue: Sendable, Equatable {
    /// What kind of node this is, with its contents.
    public enum Kind: Sendable, Equatable {
        /// `null`.
        case null
        /// `true` or `false`.
        case bool(Bool)
        /// A number, keeping its literal text.
        case number(ConfigNumber)
        /// A string, escapes decoded.
        case string(String)
        /// An array of nodes.
        case array([JSONValue])
        /// An object's members, in source order.
        case object([JSONMember])
    }

    /// The node's kind and contents.
    public var kind: Kind
    /// Where the node's first character is (the opening quote, bracket or brace, or the literal's first character).
    public var position: SourcePosition

    /// A node of `kind` at `position`.
    public init(_ kind: Kind, at position: SourcePosition = SourcePosition(line: 1, column: 1)) {
        self.kind = kind
        self.position = position
    }

    /// Whether the node is `null`.
    public var isNull: Bool { if case .null = kind { true } else { false } }

    /// The boolean, if the node is `true` or `false`.
    public var boolValue: Bool? { if case .bool(let value) = kind { value } else { nil } }

    /// The number, if the node is one.
    public var numberValue: ConfigNumber? { if case .number(let value) = kind { value } else { nil } }

    /// The string, if the node is one.
    public var stringValue: String? { if case .string(let value) = kind { value } else { nil } }

    /// The elements, if the node is an array.
    public var arrayValue: [JSONValue]? { if case .array(let value) = kind { value } else { nil } }

    /// The members in source order, if the node is an object.
    public var members: [JSONMember]? { if case .object(let value) = kind { value } else { nil } }

    /// The member named `key`, if the node is an object that has one.
    public func member(_ key: String) -> JSONMember? {
        members?.first { $0.key == key }
    }

    /// The value of the member named `key`, if the node is an object that has one.
    public subscript(key: String) -> JSONValue? { member(key)?.value }

    /// The kind with an article, for messages: `a string`, `an array`, `null`.
    public var kindDescription: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
