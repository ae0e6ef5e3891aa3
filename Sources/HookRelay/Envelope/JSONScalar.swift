/// A JSON value as routing and normalization see it: scalars decoded, objects and arrays left as byte ranges.
public enum JSONScalar: Sendable, Hashable {
    /// A string, escapes decoded.
    case string(String)
    /// A number, literal text kept.
    case number(JSONNumber)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
    /// An object, as its range in the scanned buffer.
    case object(Range<Int>)
    /// An array, as its range in the scanned buffer.
    case array(Range<Int>)
}

/// A JSON number: its literal text as written, plus its value.
///
/// Equality and ordering are numeric and exact: `1`, `1.0` and `1e0` are equal; integer literals are compared as
/// 64-bit integers, so ids beyond 2^53 (Discord, X) do not collide the way they would as `Double`s.
public struct JSONNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The literal text, for example `-12.50e3`.
    public let text: String
    /// The value, for exact comparisons.
    let value: NumericValue

    /// A number from its JSON literal text; `nil` unless `text` is exactly one RFC 8259 number.
    public init?(_ text: String) {
        let parsed: NumericValue? = RawJSON.withUTF8(of: text) { bytes in
            RawJSON.numericValue(at: 0..<bytes.count, in: bytes)
        }
        guard let parsed else { return nil }
        self.init(text: text, value: parsed)
    }

    /// A number whose `text` the caller has already parsed into `value`.
    init(text: String, value: NumericValue) {
        self.text = text
        self.value = value
    }

    /// The value when the literal is an integer (no fraction, no exponent) that fits in `Int64`.
    public var int64Value: Int64? { value.integer }

    /// The value as the nearest `Double`; `nil` when it overflows (`1e400`).
    public var doubleValue: Double? { value.double.isFinite ? value.double : nil }

    public var description: String { text }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool { lhs.value.compare(rhs.value) == 0 }
    public static func < (lhs: JSONNumber, rhs: JSONNumber) -> Bool { lhs.value.compare(rhs.value) == -1 }
    public func hash(into hasher: inout Hasher) { value.hash(into: &hasher) }
}

/// A number's value: exact for integer literals in `Int64` range, else the nearest `Double`.
struct NumericValue: Sendable, Hashable {
    /// The exact value of an integer literal that fits in `Int64`.
    let integer: Int64?
    /// The nearest `Double` (infinite when the literal overflows).
    let double: Double

    /// Parses a number token already checked against the grammar.
    init(_ literal: UnsafeRawBufferPointer, isInteger: Bool) {
        if isInteger, let integer = Self.parseInt64(literal) {
            self.integer = integer
            self.double = Double(integer)
        } else {
            self.integer = nil
            self.double = Double(String(decoding: literal, as: UTF8.self)) ?? .nan
        }
    }

    private static func parseInt64(_ literal: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        let isNegative = literal.first == JSONByte.minus
        if isNegative { i = 1 }
        var magnitude: UInt64 = 0
        while i < literal.count {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(literal[i] &- JSONByte.digit0))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            i += 1
        }
        if isNegative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// -1, 0 or 1; exact between an integer and a `Double` (the integer is not rounded); `nil` when unordered (NaN).
    func compare(_ other: NumericValue) -> Int? {
        switch (integer, other.integer) {
        case let (a?, b?): return a < b ? -1 : (a == b ? 0 : 1)
        case let (a?, nil): return Self.compare(a, other.double)
        case let (nil, b?): return Self.compare(b, double).map { -$0 }
        case (nil, nil):
            if double < other.double { return -1 }
            if double > other.double { return 1 }
            return double == other.double ? 0 : nil
        }
    }

    private static func compare(_ integer: Int64, _ double: Double) -> Int? {
        if double.isNaN { return nil }
        if double >= 0x1p63 { return -1 }
        if double < -0x1p63 { return 1 }
        let truncated = double.rounded(.towardZero)
        let whole = Int64(truncated)
        if integer != whole { return integer < whole ? -1 : 1 }
        if double > truncated { return -1 }
        if double < truncated { return 1 }
        return 0
    }

    /// Numeric equality (see ``compare(_:)``).
    static func == (lhs: NumericValue, rhs: NumericValue) -> Bool { lhs.compare(rhs) == 0 }

    /// Consistent with the numeric equality above: integral values in `Int64` range hash as that integer.
    func hash(into hasher: inout Hasher) {
        if let integer {
            hasher.combine(integer)
        } else if double == double.rounded(.towardZero), double >= -0x1p63, double < 0x1p63 {
            hasher.combine(Int64(double))
        } else {
            hasher.combine(double)
        }
    }
}
