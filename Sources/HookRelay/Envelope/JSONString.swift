/// Writes Swift strings as JSON string literals.
///
/// Escapes `"` and `\`, writes `\b \f \n \r \t` for those controls and `\u00XX` for the other C0 controls; every
/// other character, non-ASCII included, is written as its UTF-8 bytes (RFC 8259 requires nothing more). `/` is not
/// escaped.
///
/// ```swift
/// var buffer: [UInt8] = []
/// JSONString.appendQuoted("say \"hi\"\n", to: &buffer)   // "say \"hi\"\n" with the quotes
/// ```
public enum JSONString {
    /// Appends `string` as a quoted JSON string literal.
    public static func appendQuoted(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(JSONByte.quote)
        RawJSON.withUTF8(of: string) { appendEscaped($0, to: &buffer) }
        buffer.append(JSONByte.quote)
    }

    /// The quoted JSON string literal for `string`, as bytes.
    public static func quoted(_ string: String) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(string.utf8.count + 2)
        appendQuoted(string, to: &buffer)
        return buffer
    }

    /// Appends UTF-8 `bytes` escaped for the inside of a JSON string (no quotes added).
    ///
    /// Runs that need no escaping are appended in one copy.
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        var runStart = 0
        for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == JSONByte.quote || byte == JSONByte.backslash {
            if runStart < i { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            runStart = i + 1
            buffer.append(JSONByte.backslash)
            switch byte {
            case JSONByte.quote, JSONByte.backslash: buffer.append(byte)
            case 0x08: buffer.append(0x62)  // b
            case 0x0C: buffer.append(0x66)  // f
            case 0x0A: buffer.append(0x6E)  // n
            case 0x0D: buffer.append(0x72)  // r
            case 0x09: buffer.append(0x74)  // t
            default:
                let hex: StaticString = "0123456789abcdef"
                buffer.append(0x75)  // u
                buffer.append(JSONByte.digit0)
                buffer.append(JSONByte.digit0)
                buffer.append(hex.utf8Start[Int(byte >> 4)])
                buffer.append(hex.utf8Start[Int(byte & 0xF)])
            }
        }
        if runStart < bytes.count { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...])) }
    }
}
