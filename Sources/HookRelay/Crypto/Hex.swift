/// Hexadecimal (base 16) encoding, as used by most HMAC webhook signatures.
///
/// ```swift
/// Hex.encode([0xde, 0xad])   // "dead"
/// Hex.decode("DEad")         // [0xde, 0xad]
/// Hex.decode("abc")          // nil: odd length
/// ```
public enum Hex {
    /// Returns the lowercase hexadecimal text of `bytes`.
    public static func encode(_ bytes: some MessageBytes) -> String {
        bytes.withMessageBytes { input in
            String(unsafeUninitializedCapacity: input.count * 2) { output in
                var index = 0
                for byte in input {
                    output[index] = digit(byte >> 4)
                    output[index + 1] = digit(byte & 0x0f)
                    index += 2
                }
                return index
            }
        }
    }

    /// Decodes hexadecimal text (upper- or lowercase digits), or returns `nil` if the text has an odd length or any
    /// other character, including whitespace and a `0x` prefix.
    public static func decode(_ text: some MessageBytes) -> [UInt8]? {
        text.withMessageBytes { input -> [UInt8]? in
            guard input.count % 2 == 0 else { return nil }
            var invalid: UInt8 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: input.count / 2) { output, initialized in
                var index = 0
                while index < input.count {
                    let high = nibble(input[index]), low = nibble(input[index + 1])
                    invalid |= high | low
                    output[index / 2] = (high << 4) | (low & 0x0f)
                    index += 2
                }
                initialized = input.count / 2
            }
            return invalid & 0x80 == 0 ? bytes : nil
        }
    }

    /// The value of one hex digit, or 0xff for any other byte.
    @inline(__always)
    private static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c &- UInt8(ascii: "A") &+ 10
        default: 0xff
        }
    }

    /// The lowercase digit for a value in 0...15.
    @inline(__always)
    static func digit(_ value: UInt8) -> UInt8 {
        value < 10 ? value &+ UInt8(ascii: "0") : value &+ (UInt8(ascii: "a") &- 10)
    }
}
