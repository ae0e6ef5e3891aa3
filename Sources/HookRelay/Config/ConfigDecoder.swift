/// An object node being decoded, with the path that leads to it.
public struct ConfigObject: Sendable {
    /// The object node itself.
    public let node: JSONValue
    /// Where the object is in the document.
    public let path: JSONPath
    /// The members in source order.
    public let members: [JSONMember]

    /// A view of `node` at `path`, or nil if `node` is not an object.
    public init?(_ node: JSONValue, at path: JSONPath) {
        guard let members = node.members else { return nil }
        self.node = node
        self.path = path
        self.members = members
    }

    /// Where the object's `{` is.
    public var position: SourcePosition { node.position }

    /// The keys in source order.
    public var keys: [String] { members.map(\.key) }

    /// The member named `key`, if present.
    public func member(_ key: String) -> JSONMember? { members.first { $0.key == key } }

    /// The value of the member named `key`, if present.
    public subscript(key: String) -> JSONValue? { member(key)?.value }

    /// The path of the member named `key`.
    public func path(for key: String) -> JSONPath { path.appending(key) }
}

/// Reads typed values out of one config file's JSON, collecting every problem as a ``ConfigDiagnostic``
/// instead of stopping at the first, so one run of `hookrelay check` reports them all.
///
/// Each read returns nil when the value is missing or invalid, after recording why.
///
/// ```swift
/// var decoder = ConfigDecoder(file: "routes/stripe.json")
/// guard let root = decoder.parse(bytes), let top = decoder.object(root, at: .root) else { return decoder.diagnostics }
/// decoder.checkKeys(of: top, allowed: ["sources", "destinations", "routes"])
/// for (i, node) in (decoder.optional("sources", in: top, as: .array(of: .object)) ?? []).enumerated() {
///     decoder.checkKeys(of: node, allowed: ["name", "provider", "secrets", "tolerance"])
///     let name = decoder.required("name", in: node, as: .nonEmptyString)
///     let tolerance = decoder.optional("tolerance", in: node, as: .duration, default: .seconds(300))
/// }
/// ```
public struct ConfigDecoder: Sendable {
    /// The file every diagnostic names.
    public let file: String
    /// Everything found so far, in the order found.
    public private(set) var diagnostics: [ConfigDiagnostic] = []

    /// A decoder for the file named `file` (as it should appear in diagnostics).
    public init(file: String) {
        self.file = file
    }

    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { diagnostics.contains { $0.isError } }

    // MARK: Reporting

    /// Records a diagnostic.
    public mutating func report(_ diagnostic: ConfigDiagnostic) {
        diagnostics.append(diagnostic)
    }

    /// Records an error at `position` for the node at `path`.
    public mutating func error(_ message: String, at position: SourcePosition, path: JSONPath) {
        report(ConfigDiagnostic(.error, file: file, at: position, path: path, message: message))
    }

    /// Records a warning at `position` for the node at `path`.
    public mutating func warning(_ message: String, at position: SourcePosition, path: JSONPath) {
        report(ConfigDiagnostic(.warning, file: file, at: position, path: path, message: message))
    }

    /// Records `expected <expectation>, found <what value is>` at `value`.
    public mutating func typeMismatch(expected expectation: String, found value: JSONValue, at path: JSONPath) {
        error("expected \(expectation), found \(Self.summary(of: value))", at: value.position, path: path)
    }

    // MARK: Reading

    /// Parses the file's bytes, recording a syntax error as a diagnostic.
    public mutating func parse(_ bytes: [UInt8], maxDepth: Int = JSONValue.defaultMaxDepth,
                               maxBytes: Int = JSONValue.defaultMaxBytes) -> JSONValue? {
        do {
            return try JSONValue.parse(bytes, maxDepth: maxDepth, maxBytes: maxBytes)
        } catch {
            report(ConfigDiagnostic(file: file, syntaxError: error))
            return nil
        }
    }

    /// Decodes `value` (found at `path`) as `field`.
    public mutating func decode<Value>(_ value: JSONValue, at path: JSONPath, as field: ConfigField<Value>) -> Value? {
        field.decode(value, path, &self)
    }

    /// `value` as an object, or nil after recording that it is not one.
    public mutating func object(_ value: JSONValue, at path: JSONPath) -> ConfigObject? {
        decode(value, at: path, as: .object)
    }

    /// The member `key` of `object` decoded as `field`; a missing member is an error.
    public mutating func required<Value>(_ key: String, in object: ConfigObject, as field: ConfigField<Value>) -> Value? {
        guard let value = object[key] else {
            error("missing required key \(JSONPath.quoted(key))", at: object.position, path: object.path)
            return nil
        }
        return decode(value, at: object.path(for: key), as: field)
    }

    /// The member `key` of `object` decoded as `field`, or nil when it is absent.
    ///
    /// An explicit `null` is not absence: it is reported as the wrong type.
    public mutating func optional<Value>(_ key: String, in object: ConfigObject, as field: ConfigField<Value>) -> Value? {
        guard let value = object[key] else { return nil }
        return decode(value, at: object.path(for: key), as: field)
    }

    /// The member `key` of `object` decoded as `field`; `defaultValue` when it is absent or invalid
    /// (an invalid value is still reported).
    public mutating func optional<Value>(
        _ key: String, in object: ConfigObject, as field: ConfigField<Value>, default defaultValue: Value
    ) -> Value {
        optional(key, in: object, as: field) ?? defaultValue
    }

    /// Reports every key of `object` that is not in `allowed`, suggesting the nearest allowed key when one is within
    /// two edits (or differs only in case): `unknown key "secret"; did you mean "secrets"?`.
    public mutating func checkKeys(of object: ConfigObject, allowed: [String]) {
        for member in object.members where !allowed.contains(member.key) {
            var message = "unknown key \(JSONPath.quoted(member.key))"
            if let suggestion = Self.suggestion(for: member.key, among: allowed) {
                message += "; did you mean \(JSONPath.quoted(suggestion))?"
            } else if !allowed.isEmpty {
                message += "; expected one of " + allowed.joined(separator: ", ")
            } else {
                message += "; this object takes no keys"
            }
            error(message, at: member.keyPosition, path: object.path(for: member.key))
        }
    }

    // MARK: Suggestions

    /// The candidate nearest to `word`: equal ignoring case, or within two edits (insertions, deletions,
    /// substitutions, adjacent transpositions) and fewer edits than its length. Ties go to the earlier candidate.
    public static func suggestion(for word: String, among candidates: [String]) -> String? {
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let distance = candidate.lowercased() == word.lowercased()
                ? 0 : editDistance(Array(word.unicodeScalars), Array(candidate.unicodeScalars), limit: 2)
            guard distance <= 2, distance < candidate.unicodeScalars.count else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Optimal string alignment distance between `a` and `b`, or `limit + 1` as soon as it must exceed `limit`.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
                rowMinimum = min(rowMinimum, value)
            }
            if rowMinimum > limit { return limit + 1 }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }

    /// What a value is, for `found …`: literals as written, strings quoted (shortened), containers by kind.
    static func summary(of value: JSONValue) -> String {
        switch value.kind {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): number.text.count > 40 ? "a number" : number.text
        case .string(let text): ConfigValueError.shown(text)
        case .array: "an array"
        case .object: "an object"
        }
    }
}
