extension RouteCondition {
    /// Whether `event` satisfies the condition (semantics in ``RouteCondition``).
    ///
    /// Attribute tests read the event's strings in place; `data…` paths are looked up in the raw payload with
    /// ``RawJSON`` only when reached, and only strings that contain escapes are decoded (into a stack buffer when
    /// small). Nothing is allocated for typical conditions.
    public func matches<Event: RoutableEvent>(_ event: Event) -> Bool {
        guard needsData else { return evaluate(event, data: UnsafeRawBufferPointer(start: nil, count: 0)) }
        return event.withDataBytes { evaluate(event, data: $0) }
    }

    /// Evaluates against `data`, the payload bytes (empty when the condition does not need them).
    func evaluate<Event: RoutableEvent>(_ event: Event, data: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .and(let conditions):
            for condition in conditions where !condition.evaluate(event, data: data) { return false }
            return true
        case .or(let conditions):
            for condition in conditions where condition.evaluate(event, data: data) { return true }
            return false
        case .not(let condition):
            return !condition.evaluate(event, data: data)
        case .eventType(let globs):
            guard let type = event.attribute(.type) else { return false }
            let provider = event.attribute(.provider) ?? ""
            return RawJSON.withUTF8(of: type) { type in
                RawJSON.withUTF8(of: provider) { provider in
                    let providerType = Self.providerType(type, provider: provider)
                    return globs.contains { $0.matches(utf8: providerType) }
                }
            }
        case .field(let field, let op):
            return Operand.with(field, of: event, data: data) { op.holds(for: $0, data: data) }
        }
    }

    /// The envelope type without its `<provider>.` prefix (all of it when the prefix is absent).
    static func providerType(_ type: UnsafeRawBufferPointer, provider: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let prefix = provider.count + 1
        guard !provider.isEmpty, type.count > prefix, type[provider.count] == JSONByte.dot,
              UnsafeRawBufferPointer(rebasing: type[0..<provider.count]).elementsEqual(provider) else { return type }
        return UnsafeRawBufferPointer(rebasing: type[prefix...])
    }
}

/// A field's value during evaluation. String bytes are decoded UTF-8, valid only inside ``with(_:of:data:_:)``.
enum Operand {
    /// The path or attribute is absent.
    case missing
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number's value.
    case number(NumericValue)
    /// A string's decoded UTF-8.
    case string(UnsafeRawBufferPointer)
    /// An object (never equal to a literal).
    case object
    /// An array; its start is the start of the range, which may extend to the end of the payload.
    case array(Range<Int>)

    /// Calls `body` with the value of `field` in `event`.
    static func with<Event: RoutableEvent>(_ field: RouteField, of event: Event, data: UnsafeRawBufferPointer,
                                           _ body: (Operand) -> Bool) -> Bool {
        switch field {
        case .attribute(let attribute):
            guard let value = event.attribute(attribute) else { return body(.missing) }
            return RawJSON.withUTF8(of: value) { body(.string($0)) }
        case .data(let path):
            guard let start = resolve(path, in: data) else { return body(.missing) }
            return with(valueStartingAt: start, in: data, body)
        }
    }

    /// Calls `body` with the payload value starting at `start`, reading only as far as a scalar's end.
    static func with(valueStartingAt start: Int, in data: UnsafeRawBufferPointer, _ body: (Operand) -> Bool) -> Bool {
        let end = data.count
        switch data[start] {
        case JSONByte.quote:
            guard let stringEnd = RawJSON.skipStringBody(data, start + 1, end) else { return body(.missing) }
            return RawJSON.withUnescaped(UnsafeRawBufferPointer(rebasing: data[(start + 1)..<(stringEnd - 1)])) { body(.string($0)) }
        case JSONByte.minus, JSONByte.digit0...JSONByte.digit9:
            let scan = RawJSON.scanNumber(data, start, end)
            guard scan.isValid else { return body(.missing) }
            return body(.number(NumericValue(UnsafeRawBufferPointer(rebasing: data[start..<scan.end]), isInteger: scan.isInteger)))
        case JSONByte.letterT: return body(RawJSON.matches(data, start, "true") ? .bool(true) : .missing)
        case JSONByte.letterF: return body(RawJSON.matches(data, start, "false") ? .bool(false) : .missing)
        case JSONByte.letterN: return body(RawJSON.matches(data, start, "null") ? .null : .missing)
        case JSONByte.openBrace: return body(.object)
        case JSONByte.openBracket: return body(.array(start..<end))
        default: return body(.missing)
        }
    }

    /// Where the value at a dotted `data` path starts; numeric segments index arrays and name keys in objects.
    ///
    /// Values on the path are entered without being skipped, so a lookup reads only what precedes it.
    static func resolve(_ path: [String], in data: UnsafeRawBufferPointer) -> Int? {
        let end = data.count
        var current = RawJSON.skipWhitespace(data, 0, end)
        guard current < end else { return nil }
        for segment in path {
            let next: Int?
            switch data[current] {
            case JSONByte.openBrace:
                next = RawJSON.withUTF8(of: segment) { RawJSON.memberStart($0, inObjectAt: current, end: end, in: data) }
            case JSONByte.openBracket:
                next = arrayIndex(segment).flatMap { RawJSON.elementStart($0, inArrayAt: current, end: end, in: data) }
            default:
                next = nil
            }
            guard let next else { return nil }
            current = next
        }
        return current
    }

    /// The index a segment names: digits only, no leading zero (except `0` itself), fits in `Int`.
    static func arrayIndex(_ segment: String) -> Int? {
        let utf8 = segment.utf8
        guard let first = utf8.first, first != JSONByte.digit0 || utf8.count == 1,
              utf8.allSatisfy({ $0 >= JSONByte.digit0 && $0 <= JSONByte.digit9 }) else { return nil }
        return Int(segment)
    }

    /// Whether the field exists (`null` does).
    var isPresent: Bool {
        if case .missing = self { return false }
        return true
    }

    /// `$eq`: same JSON type and value.
    func equals(_ literal: JSONScalar) -> Bool {
        switch (self, literal) {
        case let (.string(bytes), .string(string)): RawJSON.withUTF8(of: string) { bytes.elementsEqual($0) }
        case let (.number(value), .number(number)): value.compare(number.value) == 0
        case let (.bool(flag), .bool(other)): flag == other
        case (.null, .null): true
        default: false
        }
    }

    /// The order against a literal: numbers with numbers, strings with strings (code points); else `nil`.
    func order(against literal: JSONScalar) -> Int? {
        switch (self, literal) {
        case let (.number(value), .number(number)): value.compare(number.value)
        case let (.string(bytes), .string(string)): RawJSON.withUTF8(of: string) { Self.compare(bytes, $0) }
        default: nil
        }
    }

    /// Lexicographic byte order (= code-point order for UTF-8): -1, 0 or 1.
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        for i in 0..<Swift.min(a.count, b.count) where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
    }

    /// Whether `needle` occurs in `haystack` (bytes; UTF-8 makes that a code-point substring test).
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        guard let first = needle.first else { return true }
        guard haystack.count >= needle.count else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, UnsafeRawBufferPointer(rebasing: haystack[i..<(i + needle.count)]).elementsEqual(needle) {
                return true
            }
            i += 1
        }
        return false
    }
}

extension RouteOperator {
    /// Whether the operator holds for `operand` (an array operand's elements are read from `data`).
    func holds(for operand: Operand, data: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .eq(let literal): return operand.equals(literal)
        case .neq(let literal): return !operand.equals(literal)
        case .in(let literals): return literals.contains { operand.equals($0) }
        case .nin(let literals): return !literals.contains { operand.equals($0) }
        case .exists(let isExpected): return operand.isPresent == isExpected
        case .gt(let literal): return operand.order(against: literal).map { $0 > 0 } ?? false
        case .gte(let literal): return operand.order(against: literal).map { $0 >= 0 } ?? false
        case .lt(let literal): return operand.order(against: literal).map { $0 < 0 } ?? false
        case .lte(let literal): return operand.order(against: literal).map { $0 <= 0 } ?? false
        case .startsWith(let prefix):
            guard case .string(let bytes) = operand else { return false }
            return RawJSON.withUTF8(of: prefix) { prefix in
                bytes.count >= prefix.count && UnsafeRawBufferPointer(rebasing: bytes[0..<prefix.count]).elementsEqual(prefix)
            }
        case .contains(let literal):
            switch operand {
            case .string(let bytes):
                guard case .string(let needle) = literal else { return false }
                return RawJSON.withUTF8(of: needle) { Operand.contains(bytes, $0) }
            case .array(let range):
                guard let elements = RawJSON.elements(ofArrayAt: range, in: data) else { return false }
                for element in elements where Operand.with(valueStartingAt: element.lowerBound, in: data, { $0.equals(literal) }) {
                    return true
                }
                return false
            default:
                return false
            }
        }
    }
}
