/// A route's `when`, compiled from config (DESIGN.md §5): a tree of tests on one event.
///
/// Build it with ``init(_:)`` from the loader's ``ConditionValue``; evaluate it with ``matches(_:)``.
///
/// **Syntax.** A condition is an object; several keys in one object must all match.
/// - `"type"`: a glob or an array of globs on the provider's own event type (the envelope `type` without the
///   `<provider>.` prefix): `"charge.*"`, `["invoice.payment_failed", "charge.*"]`. See ``TypeGlob``.
/// - `"$and"` / `"$or"`: a non-empty array of conditions. `"$not"`: one condition.
/// - Any other key is a field: an envelope attribute (`id`, `source`, `time`, `subject`, `provider`,
///   `providereventid`, `specversion`, `datacontenttype`, `receivedat`) or a dotted path into the payload: `data`,
///   `data.object.id`. **Array indices are dotted numbers**: `data.items.0.id` is element 0 of `items`. A numeric
///   segment indexes an array and names a key in an object (`{"0": …}`), whichever the payload has there. Keys that
///   contain a dot cannot be addressed.
/// - A field's value is an object of operators, all of which must hold (`{"$gte": 100, "$lt": 500}`), or a bare
///   string/number/boolean/null meaning `$eq`. `{"$not": {…operators…}}` negates operators on the same field.
///
/// **Operators.**
/// - `$eq` / `$neq`: same JSON type and value. Numbers compare numerically and exactly (`1` equals `1.0`; integers
///   beyond 2^53 do not collide). Strings compare by Unicode code points (their UTF-8 bytes), not by Swift's
///   canonical equivalence: precomposed `é` and `e` + combining accent differ, as in JavaScript. An object or array
///   never equals a literal.
/// - `$in` / `$nin`: `$eq` against any element of a non-empty array of literals.
/// - `$gt $gte $lt $lte`: numbers with numbers, strings with strings (code-point order, so RFC 3339 UTC times compare
///   chronologically); any other pairing is false.
/// - `$startsWith`: a string prefix. `$contains`: a substring of a string field, or, on an array field, an element
///   equal (as `$eq`) to the literal.
/// - `$exists: true/false`: whether the field is present; a JSON `null` is present.
///
/// **Missing fields** (an absent path, or `subject`/`providereventid` not set): every operator is false except
/// `$exists: false`, `$neq` and `$nin`, which are true — they are the negations of `$exists: true`, `$eq` and `$in`.
/// `$not` is plain negation, so it is true for a missing field too.
public indirect enum RouteCondition: Sendable, Equatable {
    /// Every condition holds (several keys in one object, `$and`); an empty list always holds.
    case and([RouteCondition])
    /// At least one condition holds (`$or`).
    case or([RouteCondition])
    /// The condition does not hold (`$not`).
    case not(RouteCondition)
    /// The provider's event type matches at least one glob (`type`).
    case eventType([TypeGlob])
    /// An operator holds for a field.
    case field(RouteField, RouteOperator)

    /// Whether evaluating needs the payload, that is, some field is a `data…` path.
    ///
    /// When `false`, ``matches(_:)`` never touches `data`, and a caller holding only attributes can skip loading it.
    public var needsData: Bool {
        switch self {
        case .and(let conditions), .or(let conditions): conditions.contains { $0.needsData }
        case .not(let condition): condition.needsData
        case .eventType: false
        case .field(let field, _): field.isData
        }
    }
}

/// What a field test reads: an envelope attribute or a path into `data`.
public enum RouteField: Sendable, Hashable, CustomStringConvertible {
    /// An envelope attribute.
    case attribute(EnvelopeAttribute)
    /// A path into the payload, one entry per dotted segment (`data.items.0.id` → `["items", "0", "id"]`; `data` → `[]`).
    /// An all-digit segment without leading zeros indexes an array; in an object it is a key.
    case data([String])

    /// Whether this is a `data…` path.
    public var isData: Bool {
        if case .data = self { return true }
        return false
    }

    /// The field as written in config: `subject`, `data.items.0.id`.
    public var description: String {
        switch self {
        case .attribute(let attribute): attribute.rawValue
        case .data(let path): (["data"] + path).joined(separator: ".")
        }
    }
}

/// The envelope attributes (DESIGN.md §6), named as in the JSON.
public enum EnvelopeAttribute: String, Sendable, Hashable, CaseIterable {
    /// One case per attribute; the raw value is the JSON name.
    case specversion, id, source, type, time, subject, datacontenttype, provider, providereventid, receivedat
}

/// A field operator with its literal operand(s), named after the config operators (`$eq` → ``eq(_:)``).
///
/// Literals are never `.object` or `.array`; ``RouteCondition/init(_:)`` rejects those.
public enum RouteOperator: Sendable, Equatable {
    /// `$eq`: same type and value.
    case eq(JSONScalar)
    /// `$neq`: not `$eq` (true for a missing field).
    case neq(JSONScalar)
    /// `$in`: `$eq` to one of the literals.
    case `in`([JSONScalar])
    /// `$nin`: not `$in` (true for a missing field).
    case nin([JSONScalar])
    /// `$exists`: the field is present (`true`) or absent (`false`).
    case exists(Bool)
    /// `$gt`: greater than a number or string.
    case gt(JSONScalar)
    /// `$gte`: greater than or equal.
    case gte(JSONScalar)
    /// `$lt`: less than.
    case lt(JSONScalar)
    /// `$lte`: less than or equal.
    case lte(JSONScalar)
    /// `$startsWith`: a string prefix.
    case startsWith(String)
    /// `$contains`: a substring, or an array element equal to the literal.
    case contains(JSONScalar)
}

/// A glob on event types: `*` matches any run of characters (dots included, so `charge.*` matches
/// `charge.succeeded` and `charge.dispute.created`), `?` exactly one character (one Unicode scalar); everything else
/// matches itself, case-sensitively. There is no escape: event types never contain `*` or `?`.
public struct TypeGlob: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let bytes: [UInt8]
    private let isLiteral: Bool

    /// A glob from its pattern.
    public init(_ pattern: String) {
        self.pattern = pattern
        self.bytes = Array(pattern.utf8)
        self.isLiteral = !bytes.contains(Self.star) && !bytes.contains(Self.question)
    }

    public var description: String { pattern }

    /// Whether `type` matches the whole pattern.
    public func matches(_ type: String) -> Bool {
        RawJSON.withUTF8(of: type) { matches(utf8: $0) }
    }

    private static let star = UInt8(ascii: "*")
    private static let question = UInt8(ascii: "?")

    /// Whether the UTF-8 `text` matches: iterative wildcard matching, backtracking only to the last `*`.
    func matches(utf8 text: UnsafeRawBufferPointer) -> Bool {
        if isLiteral { return text.elementsEqual(bytes) }
        return bytes.withUnsafeBufferPointer { pattern in
            var p = 0
            var t = 0
            var starP = -1
            var starT = 0
            while t < text.count {
                if p < pattern.count {
                    let byte = pattern[p]
                    if byte == Self.star {
                        starP = p
                        starT = t
                        p += 1
                        continue
                    }
                    if byte == Self.question {
                        p += 1
                        t += Self.scalarLength(text[t])
                        continue
                    }
                    if byte == text[t] {
                        p += 1
                        t += 1
                        continue
                    }
                }
                guard starP >= 0 else { return false }
                starT += Self.scalarLength(text[starT])
                p = starP + 1
                t = starT
            }
            while p < pattern.count, pattern[p] == Self.star { p += 1 }
            return p == pattern.count && t == text.count
        }
    }

    /// The length of the UTF-8 sequence a lead byte starts (1 for ASCII and, defensively, for stray bytes).
    private static func scalarLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}
