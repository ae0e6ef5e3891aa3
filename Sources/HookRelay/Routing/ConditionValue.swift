/// A JSON value as the config loader hands a route's `when` to ``RouteCondition/init(_:)``: a small neutral tree,
/// so routing does not parse config files and the loader keeps its own position-tracking reader.
///
/// Objects keep their members in file order (duplicates too; the loader decides whether those are errors).
/// Numbers keep their literal text. Literals make tests and examples short:
///
/// ```swift
/// let when: ConditionValue = ["type": ["invoice.payment_failed", "charge.*"], "data.object.livemode": ["$eq": true]]
/// ```
public indirect enum ConditionValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
                                     ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
                                     ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// A string.
    case string(String)
    /// A number as its JSON literal text, for example `"12.50"`.
    case number(String)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
    /// An array's elements in order.
    case array([ConditionValue])
    /// An object's members in order.
    case object([(key: String, value: ConditionValue)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(floatLiteral value: Double) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: ConditionValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, ConditionValue)...) {
        self = .object(elements.map { (key: $0.0, value: $0.1) })
    }

    public static func == (lhs: ConditionValue, rhs: ConditionValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null): true
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Compact JSON text, for messages and debugging.
    public var description: String {
        var buffer: [UInt8] = []
        write(to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    private func write(to buffer: inout [UInt8]) {
        switch self {
        case .string(let string): JSONString.appendQuoted(string, to: &buffer)
        case .number(let text): buffer.append(contentsOf: text.utf8)
        case .bool(let value): buffer.append(contentsOf: (value ? "true" : "false").utf8)
        case .null: buffer.append(contentsOf: "null".utf8)
        case .array(let elements):
            buffer.append(JSONByte.openBracket)
            for (index, element) in elements.enumerated() {
                if index > 0 { buffer.append(JSONByte.comma) }
                element.write(to: &buffer)
            }
            buffer.append(JSONByte.closeBracket)
        case .object(let members):
            buffer.append(JSONByte.openBrace)
            for (index, member) in members.enumerated() {
                if index > 0 { buffer.append(JSONByte.comma) }
                JSONString.appendQuoted(member.key, to: &buffer)
                buffer.append(JSONByte.colon)
                member.value.write(to: &buffer)
            }
            buffer.append(JSONByte.closeBrace)
        }
    }
}
