/// How to read one kind of config value from a JSON node, reporting problems to a ``ConfigDecoder``.
///
/// Used with ``ConfigDecoder/required(_:in:as:)`` and friends: `.string`, `.int(in: 1...64)`, `.duration`,
/// `.array(of: .string, minCount: 1)`, `.oneOf(["envelope", "data", "raw"])`, or your own with
/// ``map(expecting:_:)``.
public struct ConfigField<Value> {
    /// What the field expects, with an article, for messages: `a string`, `a duration such as "10s"`.
    public let expectation: String
    private let body: (JSONValue, JSONPath, inout ConfigDecoder) -> Value?

    /// A field that decodes with `decode`, which must record at least one diagnostic whenever it returns nil.
    public init(
        expecting expectation: String,
        decode: @escaping (_ value: JSONValue, _ path: JSONPath, _ decoder: inout ConfigDecoder) -> Value?
    ) {
        self.expectation = expectation
        self.body = decode
    }

    /// Decodes `value` found at `path`.
    func decode(_ value: JSONValue, _ path: JSONPath, _ decoder: inout ConfigDecoder) -> Value? {
        body(value, path, &decoder)
    }

    /// A field that decodes like this one, then transforms the result; a thrown message is reported at the value.
    ///
    /// ```swift
    /// let https = ConfigField.string.map { url throws(ConfigValueError) in
    ///     guard url.hasPrefix("https://") else { throw ConfigValueError("must be an https URL") }
    ///     return url
    /// }
    /// ```
    public func map<Result>(
        expecting expectation: String? = nil, _ transform: @escaping (Value) throws(ConfigValueError) -> Result
    ) -> ConfigField<Result> {
        ConfigField<Result>(expecting: expectation ?? self.expectation) { value, path, decoder in
            guard let decoded = self.decode(value, path, &decoder) else { return nil }
            do throws(ConfigValueError) {
                return try transform(decoded)
            } catch {
                decoder.error(error.message, at: value.position, path: path)
                return nil
            }
        }
    }

    /// A field for nodes of one JSON kind, reporting a type mismatch for any other.
    fileprivate static func matching(_ expectation: String, _ extract: @escaping (JSONValue) -> Value?) -> ConfigField {
        ConfigField(expecting: expectation) { value, path, decoder in
            if let result = extract(value) { return result }
            decoder.typeMismatch(expected: expectation, found: value, at: path)
            return nil
        }
    }
}

extension ConfigField where Value == String {
    /// Any string.
    public static var string: ConfigField<String> { .matching("a string") { $0.stringValue } }

    /// A string that is not empty.
    public static var nonEmptyString: ConfigField<String> {
        matching("a non-empty string") { $0.stringValue }.map { text throws(ConfigValueError) in
            guard !text.isEmpty else { throw ConfigValueError("must not be empty") }
            return text
        }
    }

    /// One of `allowed`, exactly; otherwise an error listing them (with a suggestion for a near miss).
    public static func oneOf(_ allowed: [String]) -> ConfigField<String> {
        matching("one of " + allowed.joined(separator: ", ")) { $0.stringValue }.map { text throws(ConfigValueError) in
            guard allowed.contains(text) else {
                var message = "unknown value \(ConfigValueError.shown(text))"
                if let suggestion = ConfigDecoder.suggestion(for: text, among: allowed) {
                    message += "; did you mean \(JSONPath.quoted(suggestion))?"
                } else {
                    message += "; expected one of " + allowed.joined(separator: ", ")
                }
                throw ConfigValueError(message)
            }
            return text
        }
    }
}

extension ConfigField where Value == Int {
    /// A number written as an integer that fits in `Int` (`4`, not `4.0` or `4e0`).
    public static var int: ConfigField<Int> {
        ConfigField(expecting: "an integer") { value, path, decoder in
            if let number = value.numberValue {
                if let int = number.intValue { return int }
                decoder.error(number.isInteger ? "integer \(ConfigDecoder.summary(of: value)) is too large"
                                               : "expected an integer, found \(ConfigDecoder.summary(of: value))",
                              at: value.position, path: path)
                return nil
            }
            decoder.typeMismatch(expected: "an integer", found: value, at: path)
            return nil
        }
    }

    /// An integer within `range`.
    public static func int(in range: ClosedRange<Int>) -> ConfigField<Int> {
        int.map(expecting: "an integer from \(range.lowerBound) to \(range.upperBound)") { n throws(ConfigValueError) in
            guard range.contains(n) else {
                throw ConfigValueError("must be from \(range.lowerBound) to \(range.upperBound), found \(n)")
            }
            return n
        }
    }
}

extension ConfigField where Value == Double {
    /// Any number.
    public static var number: ConfigField<Double> { .matching("a number") { $0.numberValue?.doubleValue } }
}

extension ConfigField where Value == Bool {
    /// `true` or `false`.
    public static var bool: ConfigField<Bool> { .matching("true or false") { $0.boolValue } }
}

extension ConfigField where Value == JSONValue {
    /// Any node, as it is.
    public static var any: ConfigField<JSONValue> { ConfigField(expecting: "any value") { value, _, _ in value } }
}

extension ConfigField where Value == ConfigObject {
    /// An object, as a ``ConfigObject`` carrying its path.
    public static var object: ConfigField<ConfigObject> {
        ConfigField(expecting: "an object") { value, path, decoder in
            if let object = ConfigObject(value, at: path) { return object }
            decoder.typeMismatch(expected: "an object", found: value, at: path)
            return nil
        }
    }
}

extension ConfigField where Value == Duration {
    /// A duration string such as `"10s"`; see ``Swift/Duration/init(configText:)``.
    public static var duration: ConfigField<Duration> {
        ConfigField<String>.matching(#"a duration such as "10s""#) { $0.stringValue }
            .map { text throws(ConfigValueError) in try Duration(configText: text) }
    }
}

extension ConfigField where Value == Rate {
    /// A rate string such as `"20/s"`; see ``Rate/init(configText:)``.
    public static var rate: ConfigField<Rate> {
        ConfigField<String>.matching(#"a rate such as "20/s""#) { $0.stringValue }
            .map { text throws(ConfigValueError) in try Rate(configText: text) }
    }
}

extension ConfigField {
    /// An array whose elements all decode as `element` (each problem reported at its index), with at least
    /// `minCount` elements.
    public static func array<Element>(of element: ConfigField<Element>, minCount: Int = 0) -> ConfigField<[Element]>
    where Value == [Element] {
        ConfigField<[Element]>(expecting: "an array of \(element.expectation)") { value, path, decoder in
            guard let nodes = value.arrayValue else {
                decoder.typeMismatch(expected: "an array", found: value, at: path)
                return nil
            }
            guard nodes.count >= minCount else {
                decoder.error(minCount == 1 ? "must not be empty" : "must have at least \(minCount) elements",
                              at: value.position, path: path)
                return nil
            }
            var results: [Element] = []
            var failed = false
            for (i, node) in nodes.enumerated() {
                if let result = element.decode(node, path.appending(index: i), &decoder) {
                    results.append(result)
                } else {
                    failed = true
                }
            }
            return failed ? nil : results
        }
    }
}
