/// Why a route's `when` is invalid: every problem found, each with where it is, so `hookrelay check` can report them
/// all at once with file, line and column.
public struct RouteConditionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One problem.
    public struct Issue: Sendable, Hashable, CustomStringConvertible {
        /// Where, as a JSON Pointer (RFC 6901) relative to the `when` value: `/$or/1/data.amount/$gt`; `""` is the
        /// `when` value itself. Resolve it against the loader's tree to get a line and column.
        public let path: String
        /// What is wrong, in a sentence fragment: `$in needs a non-empty array of literals`.
        public let message: String
        /// Whether the problem is the last key of ``path`` itself (an unknown operator or field), not its value:
        /// a loader reports it at the key's position.
        public let isAboutKey: Bool

        /// An issue at a JSON Pointer.
        public init(path: String, message: String, isAboutKey: Bool = false) {
            self.path = path
            self.message = message
            self.isAboutKey = isAboutKey
        }

        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// The problems, in document order.
    public let issues: [Issue]

    public var description: String { issues.map(\.description).joined(separator: "; ") }
}

extension RouteCondition {
    /// Compiles a `when` value, reporting every problem found (unknown fields and operators, wrong operand types,
    /// empty `$and`/`$or`/`$in`, invalid number literals, …) rather than stopping at the first.
    ///
    /// An empty object (`"when": {}`) matches everything. Inside `$and`, `$or` and `$not` an empty condition is an
    /// error. The compiled tree may list an object's tests in a different order than written (cheap attribute
    /// tests before payload lookups); this never changes the result.
    public init(_ value: ConditionValue) throws(RouteConditionError) {
        var builder = ConditionBuilder()
        let condition = builder.condition(value, at: "", allowsEmpty: true)
        guard builder.issues.isEmpty else { throw RouteConditionError(issues: builder.issues) }
        self = condition
    }
}

/// Walks a ``ConditionValue`` once, building the tree and collecting issues.
private struct ConditionBuilder {
    var issues: [RouteConditionError.Issue] = []

    static let fieldOperators = ["$eq", "$neq", "$in", "$nin", "$exists", "$gt", "$gte", "$lt", "$lte", "$startsWith",
                                 "$contains", "$not"]
    static let fieldNames = "type, id, source, time, subject, provider, providereventid, specversion, datacontenttype, "
        + "receivedat, data or data.<path>"

    mutating func issue(_ path: String, _ message: String, isAboutKey: Bool = false) {
        issues.append(RouteConditionError.Issue(path: path, message: message, isAboutKey: isAboutKey))
    }

    /// A condition object.
    mutating func condition(_ value: ConditionValue, at path: String, allowsEmpty: Bool) -> RouteCondition {
        guard case .object(let members) = value else {
            issue(path, "a condition must be an object, not \(Self.kind(of: value))")
            return .and([])
        }
        if members.isEmpty, !allowsEmpty { issue(path, "empty condition") }
        var parts: [RouteCondition] = []
        for (key, member) in members {
            let memberPath = path + "/" + Self.escape(key)
            switch key {
            case "$and", "$or":
                guard case .array(let elements) = member, !elements.isEmpty else {
                    issue(memberPath, "\(key) needs a non-empty array of conditions")
                    continue
                }
                let children = elements.enumerated().map { index, element in
                    condition(element, at: memberPath + "/\(index)", allowsEmpty: false)
                }
                parts.append(key == "$and" ? .and(Self.cheapFirst(children)) : .or(Self.cheapFirst(children)))
            case "$not":
                parts.append(.not(condition(member, at: memberPath, allowsEmpty: false)))
            case "type":
                if let globs = typeGlobs(member, at: memberPath) { parts.append(.eventType(globs)) }
            default:
                if key.hasPrefix("$") {
                    if Self.fieldOperators.contains(key) {
                        issue(memberPath, "\(key) must be inside a field, as in {\"data.amount\": {\"\(key)\": …}}", isAboutKey: true)
                    } else {
                        issue(memberPath, "unknown operator \(key); conditions combine with $and, $or and $not", isAboutKey: true)
                    }
                    continue
                }
                guard let field = field(named: key, at: memberPath) else { continue }
                if let test = fieldTest(field, member, at: memberPath) { parts.append(test) }
            }
        }
        return parts.count == 1 ? parts[0] : .and(Self.cheapFirst(parts))
    }

    mutating func typeGlobs(_ value: ConditionValue, at path: String) -> [TypeGlob]? {
        switch value {
        case .string(let pattern):
            guard !pattern.isEmpty else {
                issue(path, "type needs a non-empty glob")
                return nil
            }
            return [TypeGlob(pattern)]
        case .array(let elements) where !elements.isEmpty:
            var globs: [TypeGlob] = []
            for (index, element) in elements.enumerated() {
                guard case .string(let pattern) = element, !pattern.isEmpty else {
                    issue(path + "/\(index)", "type globs must be non-empty strings")
                    continue
                }
                globs.append(TypeGlob(pattern))
            }
            return globs.count == elements.count ? globs : nil
        default:
            issue(path, "type needs a glob or a non-empty array of globs, such as [\"invoice.*\", \"charge.succeeded\"]")
            return nil
        }
    }

    mutating func field(named name: String, at path: String) -> RouteField? {
        if name != "type", let attribute = EnvelopeAttribute(rawValue: name) { return .attribute(attribute) }
        if name == "data" { return .data([]) }
        if name.hasPrefix("data.") {
            let segments = name.utf8.dropFirst(5).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            guard !segments.contains(where: \.isEmpty) else {
                issue(path, "empty segment in path \(name)", isAboutKey: true)
                return nil
            }
            return .data(segments.map { String(decoding: $0, as: UTF8.self) })
        }
        issue(path, "unknown field \(name) (did you mean data.\(name)?); fields are \(Self.fieldNames)", isAboutKey: true)
        return nil
    }

    /// The test(s) for one field: an operator object, or a bare literal meaning `$eq`.
    mutating func fieldTest(_ field: RouteField, _ value: ConditionValue, at path: String) -> RouteCondition? {
        let members: [(key: String, value: ConditionValue)]
        switch value {
        case .array:
            issue(path, "a bare array is ambiguous: use {\"$in\": […]} for one of several values, or {\"$contains\": …} to look inside an array")
            return nil
        case .object(let operators):
            members = operators
        default:
            guard let literal = literal(value, for: "a bare value", at: path) else { return nil }
            return .field(field, .eq(literal))
        }
        guard !members.isEmpty else {
            issue(path, "\(field) needs at least one operator")
            return nil
        }
        if let plain = members.first(where: { !$0.key.hasPrefix("$") }) {
            if members.contains(where: { $0.key.hasPrefix("$") }) {
                issue(path, "\(field) mixes operators with the plain key \(plain.key)")
            } else {
                issue(path, "comparing with an object is not supported; use a dotted path such as \(field).\(plain.key)")
            }
            return nil
        }
        var tests: [RouteCondition] = []
        for (name, operand) in members {
            let operandPath = path + "/" + Self.escape(name)
            let op: RouteOperator?
            switch name {
            case "$eq": op = literal(operand, for: name, at: operandPath).map(RouteOperator.eq)
            case "$neq": op = literal(operand, for: name, at: operandPath).map(RouteOperator.neq)
            case "$in": op = literals(operand, for: name, at: operandPath).map(RouteOperator.in)
            case "$nin": op = literals(operand, for: name, at: operandPath).map(RouteOperator.nin)
            case "$exists":
                if case .bool(let flag) = operand {
                    op = .exists(flag)
                } else {
                    issue(operandPath, "$exists needs true or false, not \(Self.kind(of: operand))")
                    op = nil
                }
            case "$gt", "$gte", "$lt", "$lte":
                if let literal = literal(operand, for: name, at: operandPath) {
                    switch literal {
                    case .number, .string:
                        op = name == "$gt" ? .gt(literal) : name == "$gte" ? .gte(literal) : name == "$lt" ? .lt(literal) : .lte(literal)
                    default:
                        issue(operandPath, "\(name) needs a number or a string, not \(Self.kind(of: operand))")
                        op = nil
                    }
                } else {
                    op = nil
                }
            case "$startsWith":
                if case .string(let prefix) = operand {
                    op = .startsWith(prefix)
                } else {
                    issue(operandPath, "$startsWith needs a string, not \(Self.kind(of: operand))")
                    op = nil
                }
            case "$contains": op = literal(operand, for: name, at: operandPath).map(RouteOperator.contains)
            case "$not":
                if let inner = fieldTest(field, operand, at: operandPath) { tests.append(.not(inner)) }
                continue
            default:
                issue(operandPath, "unknown operator \(name); use one of \(Self.fieldOperators.joined(separator: " "))", isAboutKey: true)
                op = nil
            }
            if let op { tests.append(.field(field, op)) }
        }
        return tests.count == 1 ? tests[0] : .and(tests)
    }

    /// A string, number, boolean or null literal.
    mutating func literal(_ value: ConditionValue, for name: String, at path: String) -> JSONScalar? {
        switch value {
        case .string(let string): return .string(string)
        case .number(let text):
            guard let number = JSONNumber(text) else {
                issue(path, "\(text) is not a JSON number")
                return nil
            }
            return .number(number)
        case .bool(let flag): return .bool(flag)
        case .null: return .null
        case .array, .object:
            issue(path, "\(name) needs a string, number, boolean or null, not \(Self.kind(of: value))")
            return nil
        }
    }

    /// A non-empty array of literals, for `$in` and `$nin`.
    mutating func literals(_ value: ConditionValue, for name: String, at path: String) -> [JSONScalar]? {
        guard case .array(let elements) = value, !elements.isEmpty else {
            issue(path, "\(name) needs a non-empty array of literals")
            return nil
        }
        let literals = elements.enumerated().compactMap { index, element in literal(element, for: name, at: path + "/\(index)") }
        return literals.count == elements.count ? literals : nil
    }

    /// The same conditions with those that need no payload lookup first (stable), so `and`/`or` short-circuit
    /// before touching `data`.
    static func cheapFirst(_ conditions: [RouteCondition]) -> [RouteCondition] {
        conditions.filter { !$0.needsData } + conditions.filter(\.needsData)
    }

    static func kind(of value: ConditionValue) -> String {
        switch value {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A key as a JSON Pointer reference token (RFC 6901: `~` → `~0`, `/` → `~1`).
    static func escape(_ key: String) -> String {
        guard key.contains("~") || key.contains("/") else { return key }
        return key.replacing("~", with: "~0").replacing("/", with: "~1")
    }
}
