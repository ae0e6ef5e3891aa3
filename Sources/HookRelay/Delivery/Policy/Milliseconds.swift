// Saturating arithmetic on unix-millisecond times and millisecond delays, shared by the delivery policy types.

enum Milliseconds {
    /// `duration` in whole milliseconds, rounded toward zero, saturating at `Int64` bounds.
    static func of(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        return add(whole, attoseconds / 1_000_000_000_000_000)
    }

    /// `a + b`, saturating.
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? .min : .max) : sum
    }

    /// `a × b`, saturating.
    static func multiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? ((a < 0) != (b < 0) ? .min : .max) : product
    }

    /// `⌈a / b⌉` for `a ≥ 0`, `b > 0`.
    static func divideRoundingUp(_ a: Int64, _ b: Int64) -> Int64 {
        a / b + (a % b == 0 ? 0 : 1)
    }

    /// Config text for a delay: `5m`, `1d`, `1500ms`.
    static func text(_ milliseconds: Int64) -> String {
        Duration.configText(milliseconds: milliseconds)
    }
}
