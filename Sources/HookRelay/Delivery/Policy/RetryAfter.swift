/// A `Retry-After` header value (RFC 9110 §10.2.3): a number of seconds or an HTTP date.
///
/// Parsing needs no clock; ``delay(after:)`` turns it into milliseconds from a given time.
///
/// ```swift
/// RetryAfter("120")?.delay(after: now)                            // 120_000
/// RetryAfter("Tue, 14 Apr 2026 03:50:12 GMT")?.delay(after: now)  // until then, or 0 if that has passed
/// RetryAfter("soon")                                              // nil
/// ```
public enum RetryAfter: Sendable, Hashable {
    /// Delta-seconds. A negative value (not valid HTTP, but seen) is kept as 0.
    case seconds(Int64)
    /// An IMF-fixdate, as unix seconds.
    case date(unixSeconds: Int64)

    /// The longest delay accepted: a larger delta-seconds is kept as this (about 31 years; far past any clamp).
    public static let maxSeconds: Int64 = 1_000_000_000

    /// Parses a header value: optional surrounding spaces or tabs, then `[-]digits` or an IMF-fixdate; `nil` for
    /// anything else (fractions, units, other date forms).
    public init?(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = negative ? bytes.dropFirst() : bytes
        if !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            var value: Int64 = 0
            for digit in digits {
                value = min(value * 10 + Int64(digit - UInt8(ascii: "0")), Self.maxSeconds)
            }
            self = .seconds(negative ? 0 : value)
            return
        }
        guard let seconds = HTTPDate.parse(String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = .date(unixSeconds: seconds)
    }

    /// Milliseconds to wait from `now` (unix milliseconds); 0 when the date has passed.
    public func delay(after now: Int64) -> Int64 {
        switch self {
        case .seconds(let seconds): max(0, seconds) * 1000
        case .date(let unixSeconds): max(0, unixSeconds * 1000 - now)
        }
    }
}
