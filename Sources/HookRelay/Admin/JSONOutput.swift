/// A JSON document to write: the admin API's answers, built as values and encoded once.
///
/// ```swift
/// let json: JSONOutput = .object([("count", .int(3)), ("dryRun", .bool(false))])
/// String(decoding: json.encoded(), as: UTF8.self)  // {"count":3,"dryRun":false}
/// ```
public indirect enum JSONOutput: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    /// Bytes that already are one valid JSON value (a stored envelope), spliced as they are.
    case raw([UInt8])
    case array([JSONOutput])
    /// Members in order.
    case object([(String, JSONOutput)])

    /// An integer.
    public static func int(_ value: Int) -> JSONOutput { .int(Int64(value)) }

    /// A string, or `null`.
    public static func string(_ value: String?) -> JSONOutput { value.map { .string($0) } ?? .null }

    /// An RFC 3339 time with milliseconds for unix milliseconds, or `null`.
    public static func time(_ milliseconds: Int64?) -> JSONOutput {
        milliseconds.map { .string(RFC3339.string(fromUnixMilliseconds: $0)) } ?? .null
    }

    /// The document as UTF-8 bytes, without insignificant whitespace.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// Appends the value's JSON text to `bytes`.
    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): bytes.append(contentsOf: String(value).utf8)
        case .string(let value): JSONString.appendQuoted(value, to: &bytes)
        case .raw(let value): bytes.append(contentsOf: value)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                element.encode(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONString.appendQuoted(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                value.encode(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}
