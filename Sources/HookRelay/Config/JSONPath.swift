/// Where a node is inside a document, rendered like `routes[0].to[1]` or `when["data.object.livemode"]`.
///
/// Keys that are identifiers (`[A-Za-z_$][A-Za-z0-9_$]*`) render dotted; any other key renders as a bracketed
/// JSON string, so dotted keys such as `data.object.livemode` stay readable and unambiguous. The root is empty.
///
/// ```swift
/// let path: JSONPath = ["routes", 0, "when", "data.object.livemode", "$eq"]
/// path.description  // routes[0].when["data.object.livemode"].$eq
/// ```
public struct JSONPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// One step: an object key or an array index.
    public enum Component: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        /// An object member's key.
        case key(String)
        /// A 0-based array index.
        case index(Int)

        /// A key component from a literal.
        public init(stringLiteral value: String) { self = .key(value) }
        /// An index component from a literal.
        public init(integerLiteral value: Int) { self = .index(value) }
    }

    /// The steps from the root.
    public private(set) var components: [Component]

    /// A path made of `components` (empty: the root).
    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// A path from literal components: `["sources", 2, "secrets"]`.
    public init(arrayLiteral elements: Component...) {
        self.components = elements
    }

    /// The root of the document.
    public static let root = JSONPath()

    /// Whether this is the root.
    public var isRoot: Bool { components.isEmpty }

    /// This path followed by an object key.
    public func appending(_ key: String) -> JSONPath {
        JSONPath(components + [.key(key)])
    }

    /// This path followed by an array index.
    public func appending(index: Int) -> JSONPath {
        JSONPath(components + [.index(index)])
    }

    /// `routes[0].to[1]`; empty for the root.
    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .index(let i):
                text += "[\(i)]"
            case .key(let key) where Self.isIdentifier(key):
                text += text.isEmpty ? key : "." + key
            case .key(let key):
                text += "[" + Self.quoted(key) + "]"
            }
        }
        return text
    }

    /// Whether `key` can render after a dot.
    static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
        return key.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "$")
        }
    }

    /// `text` as a JSON string literal (quotes, backslashes and control characters escaped), for messages.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
