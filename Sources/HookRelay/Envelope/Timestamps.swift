/// A point in time: seconds and nanoseconds since 1970-01-01T00:00:00Z (leap seconds not counted, as in POSIX).
public struct UnixTime: Sendable, Hashable, Comparable {
    /// Whole seconds since the epoch; negative before 1970.
    public var seconds: Int64
    /// Nanoseconds past `seconds`, in `0..<1_000_000_000`.
    public var nanoseconds: Int32

    /// A time from whole seconds and a nanosecond part (`0..<1_000_000_000`).
    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        precondition(nanoseconds >= 0 && nanoseconds < 1_000_000_000, "nanoseconds out of range")
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// A time from milliseconds since the epoch.
    public init(milliseconds: Int64) {
        let (seconds, remainder) = CivilDate.floorDivide(milliseconds, 1000)
        self.init(seconds: seconds, nanoseconds: Int32(remainder) * 1_000_000)
    }

    /// Milliseconds since the epoch, rounded down.
    public var milliseconds: Int64 { seconds * 1000 + Int64(nanoseconds / 1_000_000) }

    public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

/// RFC 3339 timestamps (`2026-11-21T10:15:00Z`), formatted and parsed without Foundation.
///
/// Formatting always writes UTC with `Z`, four-digit years and either no fraction or exactly three digits, so the
/// strings sort in time order. Times outside years 0000–9999 are clamped to ``representableSeconds``.
public enum RFC3339 {
    /// The unix seconds RFC 3339 can write: 0000-01-01T00:00:00Z through 9999-12-31T23:59:59Z.
    public static let representableSeconds: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    /// `2026-11-21T10:15:00Z` for unix seconds.
    public static func string(fromUnixSeconds seconds: Int64) -> String {
        format(seconds: seconds, milliseconds: nil)
    }

    /// `2026-11-21T10:15:00.123Z` for unix milliseconds (always three fraction digits).
    public static func string(fromUnixMilliseconds milliseconds: Int64) -> String {
        let (seconds, remainder) = CivilDate.floorDivide(milliseconds, 1000)
        return format(seconds: seconds, milliseconds: Int(remainder))
    }

    /// `time` in whole seconds, or with milliseconds when `includeMilliseconds` is set.
    public static func string(from time: UnixTime, includeMilliseconds: Bool = false) -> String {
        format(seconds: time.seconds, milliseconds: includeMilliseconds ? Int(time.nanoseconds / 1_000_000) : nil)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `nil` if `text` is not exactly that.
    ///
    /// Accepts `t`/`z` in lower case and a space instead of `T` (RFC 3339 §5.6 note). Fractions may have any number of
    /// digits; digits past nanoseconds are dropped. Second 60 (a leap second) is accepted and counts as the first
    /// second of the next minute. Fields are range-checked (February 30 is rejected).
    public static func parse(_ text: String) -> UnixTime? {
        RawJSON.withUTF8(of: text) { parse(utf8: $0) }
    }

    /// ``parse(_:)`` over UTF-8 bytes, for example a string's content inside a payload.
    public static func parse(utf8 bytes: UnsafeRawBufferPointer) -> UnixTime? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.digits(4), reader.expect(JSONByte.minus),
              let month = reader.digits(2), reader.expect(JSONByte.minus),
              let day = reader.digits(2) else { return nil }
        guard let separator = reader.next(), separator == 0x54 || separator == 0x74 || separator == JSONByte.space,
              let hour = reader.digits(2), reader.expect(JSONByte.colon),
              let minute = reader.digits(2), reader.expect(JSONByte.colon),
              let second = reader.digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        var nanoseconds = 0
        if reader.peek() == JSONByte.dot {
            _ = reader.next()
            var count = 0
            while let byte = reader.peek(), byte >= JSONByte.digit0, byte <= JSONByte.digit9 {
                _ = reader.next()
                if count < 9 { nanoseconds = nanoseconds * 10 + Int(byte - JSONByte.digit0) }
                count += 1
            }
            guard count > 0 else { return nil }
            for _ in min(count, 9)..<9 { nanoseconds *= 10 }
        }
        var offsetSeconds = 0
        switch reader.next() {
        case 0x5A, 0x7A:  // Z z
            break
        case let sign? where sign == JSONByte.plus || sign == JSONByte.minus:
            guard let offsetHours = reader.digits(2), reader.expect(JSONByte.colon), let offsetMinutes = reader.digits(2),
                  offsetHours <= 23, offsetMinutes <= 59 else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (sign == JSONByte.minus ? -1 : 1)
        default:
            return nil
        }
        guard reader.isAtEnd else { return nil }
        let days = CivilDate.daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return UnixTime(seconds: seconds, nanoseconds: Int32(nanoseconds))
    }

    private static func format(seconds unclamped: Int64, milliseconds: Int?) -> String {
        let seconds = min(max(unclamped, representableSeconds.lowerBound), representableSeconds.upperBound)
        let (days, secondOfDay) = CivilDate.floorDivide(seconds, 86_400)
        let (year, month, day) = CivilDate.civilFromDays(days)
        let count = milliseconds == nil ? 20 : 24
        return String(unsafeUninitializedCapacity: count) { buffer in
            var writer = DigitWriter(buffer: buffer)
            writer.write(Int(year), digits: 4)
            writer.write(JSONByte.minus)
            writer.write(Int(month), digits: 2)
            writer.write(JSONByte.minus)
            writer.write(Int(day), digits: 2)
            writer.write(0x54)  // T
            writer.write(Int(secondOfDay / 3600), digits: 2)
            writer.write(JSONByte.colon)
            writer.write(Int(secondOfDay / 60 % 60), digits: 2)
            writer.write(JSONByte.colon)
            writer.write(Int(secondOfDay % 60), digits: 2)
            if let milliseconds {
                writer.write(JSONByte.dot)
                writer.write(milliseconds, digits: 3)
            }
            writer.write(0x5A)  // Z
            return writer.count
        }
    }
}

/// HTTP dates in the IMF-fixdate form of RFC 9110 §5.6.7: `Tue, 14 Apr 2026 03:50:12 GMT` (Klaviyo's timestamp).
///
/// Only IMF-fixdate is parsed; the obsolete RFC 850 and asctime forms are rejected (no provider sends them).
public enum HTTPDate {
    private static let dayNames: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses an IMF-fixdate to unix seconds; `nil` if `text` is not exactly one (names are case-sensitive; the day
    /// name must be a real day name but is not checked against the date).
    public static func parse(_ text: String) -> Int64? {
        RawJSON.withUTF8(of: text) { parse(utf8: $0) }
    }

    /// ``parse(_:)`` over UTF-8 bytes.
    public static func parse(utf8 bytes: UnsafeRawBufferPointer) -> Int64? {
        guard bytes.count == 29 else { return nil }
        guard dayNames.contains(where: { RawJSON.matches(bytes, 0, $0) }),
              RawJSON.matches(bytes, 3, ", "), bytes[7] == JSONByte.space, bytes[11] == JSONByte.space,
              bytes[16] == JSONByte.space, RawJSON.matches(bytes, 25, " GMT"),
              let monthIndex = monthNames.firstIndex(where: { RawJSON.matches(bytes, 8, $0) }) else { return nil }
        var reader = DigitReader(bytes: bytes, position: 5)
        guard let day = reader.digits(2) else { return nil }
        reader.position = 12
        guard let year = reader.digits(4) else { return nil }
        reader.position = 17
        guard let hour = reader.digits(2), reader.expect(JSONByte.colon), let minute = reader.digits(2),
              reader.expect(JSONByte.colon), let second = reader.digits(2) else { return nil }
        let month = monthIndex + 1
        guard day >= 1, day <= CivilDate.daysInMonth(year: year, month: month), hour <= 23, minute <= 59, second <= 60 else { return nil }
        let days = CivilDate.daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day))
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `Tue, 14 Apr 2026 03:50:12 GMT` for unix seconds (clamped like ``RFC3339``).
    public static func string(fromUnixSeconds unclamped: Int64) -> String {
        let seconds = min(max(unclamped, RFC3339.representableSeconds.lowerBound), RFC3339.representableSeconds.upperBound)
        let (days, secondOfDay) = CivilDate.floorDivide(seconds, 86_400)
        let (year, month, day) = CivilDate.civilFromDays(days)
        let weekday = Int(CivilDate.floorDivide(days + 4, 7).remainder)  // 1970-01-01 was a Thursday
        return String(unsafeUninitializedCapacity: 29) { buffer in
            var writer = DigitWriter(buffer: buffer)
            writer.write(dayNames[weekday])
            writer.write(", ")
            writer.write(Int(day), digits: 2)
            writer.write(JSONByte.space)
            writer.write(monthNames[Int(month) - 1])
            writer.write(JSONByte.space)
            writer.write(Int(year), digits: 4)
            writer.write(JSONByte.space)
            writer.write(Int(secondOfDay / 3600), digits: 2)
            writer.write(JSONByte.colon)
            writer.write(Int(secondOfDay / 60 % 60), digits: 2)
            writer.write(JSONByte.colon)
            writer.write(Int(secondOfDay % 60), digits: 2)
            writer.write(" GMT")
            return writer.count
        }
    }
}

// MARK: - Calendar arithmetic (proleptic Gregorian; Howard Hinnant's days_from_civil / civil_from_days)

/// Calendar arithmetic on the proleptic Gregorian calendar, in days since 1970-01-01.
enum CivilDate {
    /// Days since 1970-01-01 for a civil date.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The number of days in `month` (1–12) of `year`.
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Division rounding toward negative infinity, with a remainder in `0..<divisor`.
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }
}

/// Reads fixed-width ASCII fields.
private struct DigitReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    var isAtEnd: Bool { position == bytes.count }

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func next() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func expect(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        position += 1
        return true
    }

    /// Exactly `count` decimal digits.
    mutating func digits(_ count: Int) -> Int? {
        guard position + count <= bytes.count else { return nil }
        var value = 0
        for k in 0..<count {
            let byte = bytes[position + k]
            guard byte >= JSONByte.digit0, byte <= JSONByte.digit9 else { return nil }
            value = value * 10 + Int(byte - JSONByte.digit0)
        }
        position += count
        return value
    }
}

/// Writes ASCII into a string's uninitialized buffer.
private struct DigitWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    mutating func write(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    mutating func write(_ text: StaticString) {
        for k in 0..<text.utf8CodeUnitCount { write(text.utf8Start[k]) }
    }

    /// `value` zero-padded to exactly `digits` digits (`value` is non-negative and fits).
    mutating func write(_ value: Int, digits: Int) {
        var remaining = value
        for k in stride(from: digits - 1, through: 0, by: -1) {
            buffer[count + k] = JSONByte.digit0 + UInt8(remaining % 10)
            remaining /= 10
        }
        count += digits
    }
}
