// Config durations (`500ms 10s 5m 2h 3d`) and rates (`20/s 100/m 500/h`).

extension Duration {
    /// Parses a config duration: a whole number without sign or leading zeros, then one unit:
    /// `ms`, `s`, `m` (minutes), `h` or `d` (24 hours). `0s` is allowed.
    ///
    /// Strict: no spaces, no fractions, no mixed units (`1h30m`: write `90m`), lowercase units only,
    /// and values that would not fit 64-bit milliseconds are rejected.
    ///
    /// ```swift
    /// try Duration(configText: "5m")   // .seconds(300)
    /// try Duration(configText: "5 m")  // throws: invalid duration "5 m": expected a number followed by ms, s, m, h or d
    /// ```
    public init(configText text: some StringProtocol) throws(ConfigValueError) {
        let bytes = Array(text.utf8)
        var i = 0
        var totalMilliseconds: Int64 = 0
        var terms = 0
        var isWellFormed = true
        var firstError: String?
        // Read number+unit terms; more than one is reported as "mixed units" with the single-unit equivalent.
        while i < bytes.count {
            let digitsStart = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            let digits = bytes[digitsStart..<i]
            let unitStart = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "a"), bytes[i] <= UInt8(ascii: "z") { i += 1 }
            guard !digits.isEmpty, let unit = Self.unitMilliseconds(bytes[unitStart..<i]) else {
                isWellFormed = false
                break
            }
            if digits.count > 1, digits.first == UInt8(ascii: "0") { firstError = firstError ?? "leading zeros are not allowed" }
            let value = digits.count > 19 ? nil : Int64(String(decoding: digits, as: UTF8.self))
            let (product, overflow) = (value ?? .max).multipliedReportingOverflow(by: unit)
            let (sum, sumOverflow) = totalMilliseconds.addingReportingOverflow(product)
            if value == nil || overflow || sumOverflow {
                firstError = firstError ?? "too large"
                totalMilliseconds = .max
            } else {
                totalMilliseconds = sum
            }
            terms += 1
        }
        let expected = "expected a number followed by ms, s, m, h or d"
        guard isWellFormed, terms > 0 else {
            if text.first == "-" { throw .invalidDuration(text, "must not be negative") }
            if text.contains(".") { throw .invalidDuration(text, "only whole numbers are allowed; use a smaller unit") }
            throw .invalidDuration(text, expected)
        }
        if terms > 1 {
            let suggestion = firstError == nil ? "; write \(Self.configText(milliseconds: totalMilliseconds))" : ""
            throw .invalidDuration(text, "mixed units are not supported\(suggestion)")
        }
        if let firstError { throw .invalidDuration(text, firstError) }
        self = .milliseconds(totalMilliseconds)
    }

    /// Milliseconds per unit, or nil for an unknown unit.
    private static func unitMilliseconds(_ unit: ArraySlice<UInt8>) -> Int64? {
        switch String(decoding: unit, as: UTF8.self) {
        case "ms": 1
        case "s": 1000
        case "m": 60_000
        case "h": 3_600_000
        case "d": 86_400_000
        default: nil
        }
    }

    /// The shortest config text for a whole number of milliseconds, in the largest unit that divides it.
    static func configText(milliseconds: Int64) -> String {
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds != 0 && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return milliseconds == 0 ? "0s" : "\(milliseconds)ms"
    }
}

/// An event rate from config, such as `20/s`: a whole number of events per second, minute or hour.
///
/// ```swift
/// let rate = try Rate(configText: "120/m")
/// rate.eventsPerSecond  // 2.0
/// ```
public struct Rate: Sendable, Hashable, CustomStringConvertible {
    /// The number of events per ``interval`` (at least 1).
    public let count: Int
    /// One second, one minute or one hour.
    public let interval: Duration
    /// The text as written in the config.
    public let text: String

    /// The largest accepted ``count``.
    public static let maxCount = 1_000_000_000

    /// Parses `N/s`, `N/m` or `N/h` with `N` a whole number from 1 to ``maxCount`` without leading zeros.
    public init(configText text: some StringProtocol) throws(ConfigValueError) {
        let expected = "expected a whole number followed by /s, /m or /h, such as 20/s"
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidRate(text, expected) }
        let digits = parts[0].utf8
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            if parts[0].first == "-" { throw .invalidRate(text, "must not be negative") }
            throw .invalidRate(text, expected)
        }
        let interval: Duration
        switch parts[1] {
        case "s": interval = .seconds(1)
        case "m": interval = .seconds(60)
        case "h": interval = .seconds(3600)
        default: throw .invalidRate(text, expected)
        }
        guard !(digits.count > 1 && digits.first == UInt8(ascii: "0")) else {
            throw .invalidRate(text, "leading zeros are not allowed")
        }
        guard digits.count <= 10, let count = Int(String(parts[0])), count <= Self.maxCount else {
            throw .invalidRate(text, "too large (at most \(Self.maxCount) per interval)")
        }
        guard count >= 1 else { throw .invalidRate(text, "must be at least 1") }
        self.count = count
        self.interval = interval
        self.text = String(text)
    }

    /// Events per second: `count` divided by the interval's length in seconds.
    public var eventsPerSecond: Double {
        Double(count) / Double(interval.components.seconds)
    }

    /// The text as written.
    public var description: String { text }
}
