/// Standard base64 (RFC 4648 §4: `A–Z a–z 0–9 + /`), as used by many webhook signatures and secrets.
///
/// Decoding is strict: no whitespace or line breaks, no characters outside the alphabet, `=` only as trailing
/// padding, and the unused bits of the last character must be zero (so every byte string has exactly one accepted
/// encoding). ``decode(_:padding:)`` requires padding by default; pass `.optional` for senders that strip it.
///
/// ```swift
/// Base64.encode(Array("hi".utf8))                 // "aGk="
/// Base64.decode("aGk=")                           // [0x68, 0x69]
/// Base64.decode("aGk")                            // nil: padding missing
/// Base64.decode("aGk", padding: .optional)        // [0x68, 0x69]
/// ```
public enum Base64 {
    /// Whether a decoder insists on `=` padding.
    public enum Padding: Sendable, Hashable {
        /// The input must be padded to a multiple of 4 characters.
        case required
        /// The input may be padded correctly or not padded at all; wrong padding is still rejected.
        case optional
    }

    /// Returns the standard base64 text of `bytes`, with padding.
    public static func encode(_ bytes: some MessageBytes) -> String {
        bytes.withMessageBytes { base64Encode($0, alphabet: .standard, padded: true) }
    }

    /// Decodes standard base64 text, or returns `nil` if it is not valid under the rules above.
    public static func decode(_ text: some MessageBytes, padding: Padding = .required) -> [UInt8]? {
        text.withMessageBytes { base64Decode($0, alphabet: .standard, padding: padding == .required ? .required : .optional) }
    }
}

/// Base64url without padding (RFC 4648 §5, RFC 7515 §2: `A–Z a–z 0–9 - _`), as used by JWTs and JWKs.
///
/// Decoding is strict as for ``Base64``, and rejects `=` entirely.
public enum Base64URL {
    /// Returns the unpadded base64url text of `bytes`.
    public static func encode(_ bytes: some MessageBytes) -> String {
        bytes.withMessageBytes { base64Encode($0, alphabet: .url, padded: false) }
    }

    /// Decodes unpadded base64url text, or returns `nil` if it is not valid.
    public static func decode(_ text: some MessageBytes) -> [UInt8]? {
        text.withMessageBytes { base64Decode($0, alphabet: .url, padding: .forbidden) }
    }
}

enum Base64Alphabet {
    case standard, url
}

enum Base64PaddingRule {
    case required, optional, forbidden
}

func base64Encode(_ input: UnsafeRawBufferPointer, alphabet: Base64Alphabet, padded: Bool) -> String {
    let fullGroups = input.count / 3, remainder = input.count % 3
    let length = fullGroups * 4 + (remainder == 0 ? 0 : (padded ? 4 : remainder + 1))
    return String(unsafeUninitializedCapacity: length) { output in
        var i = 0, o = 0
        while i + 3 <= input.count {
            let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            output[o] = base64Character(UInt8(truncatingIfNeeded: value >> 18) & 63, alphabet)
            output[o + 1] = base64Character(UInt8(truncatingIfNeeded: value >> 12) & 63, alphabet)
            output[o + 2] = base64Character(UInt8(truncatingIfNeeded: value >> 6) & 63, alphabet)
            output[o + 3] = base64Character(UInt8(truncatingIfNeeded: value) & 63, alphabet)
            i += 3
            o += 4
        }
        if remainder > 0 {
            let value = UInt32(input[i]) << 16 | (remainder == 2 ? UInt32(input[i + 1]) << 8 : 0)
            output[o] = base64Character(UInt8(truncatingIfNeeded: value >> 18) & 63, alphabet)
            output[o + 1] = base64Character(UInt8(truncatingIfNeeded: value >> 12) & 63, alphabet)
            o += 2
            if remainder == 2 {
                output[o] = base64Character(UInt8(truncatingIfNeeded: value >> 6) & 63, alphabet)
                o += 1
            } else if padded {
                output[o] = UInt8(ascii: "=")
                o += 1
            }
            if padded {
                output[o] = UInt8(ascii: "=")
                o += 1
            }
        }
        return o
    }
}

func base64Decode(_ input: UnsafeRawBufferPointer, alphabet: Base64Alphabet, padding: Base64PaddingRule) -> [UInt8]? {
    var end = input.count
    var padCount = 0
    while end > 0, padCount < 2, input[end - 1] == UInt8(ascii: "=") {
        end -= 1
        padCount += 1
    }
    let remainder = end % 4  // characters in the last, partial group
    guard remainder != 1 else { return nil }
    switch padding {
    case .forbidden:
        guard padCount == 0 else { return nil }
    case .required:
        guard (end + padCount) % 4 == 0, padCount == (4 - remainder) % 4 else { return nil }
    case .optional:
        guard padCount == 0 || ((end + padCount) % 4 == 0 && padCount == (4 - remainder) % 4) else { return nil }
    }
    let length = end / 4 * 3 + (remainder == 0 ? 0 : remainder - 1)
    var invalid: UInt8 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: length) { output, initialized in
        var i = 0, o = 0
        while i + 4 <= end {
            let a = base64Value(input[i], alphabet), b = base64Value(input[i + 1], alphabet)
            let c = base64Value(input[i + 2], alphabet), d = base64Value(input[i + 3], alphabet)
            invalid |= a | b | c | d
            let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
            output[o] = UInt8(truncatingIfNeeded: value >> 16)
            output[o + 1] = UInt8(truncatingIfNeeded: value >> 8)
            output[o + 2] = UInt8(truncatingIfNeeded: value)
            i += 4
            o += 3
        }
        if remainder >= 2 {
            let a = base64Value(input[i], alphabet), b = base64Value(input[i + 1], alphabet)
            let c = remainder == 3 ? base64Value(input[i + 2], alphabet) : 0
            invalid |= a | b | c
            let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
            output[o] = UInt8(truncatingIfNeeded: value >> 16)
            o += 1
            if remainder == 3 {
                output[o] = UInt8(truncatingIfNeeded: value >> 8)
                o += 1
                if value & 0xff != 0 { invalid |= 0x80 }  // non-zero unused bits: not the canonical encoding
            } else if value & 0xffff != 0 {
                invalid |= 0x80
            }
        }
        initialized = o
    }
    return invalid & 0x80 == 0 ? bytes : nil
}

@inline(__always)
private func base64Character(_ value: UInt8, _ alphabet: Base64Alphabet) -> UInt8 {
    switch value {
    case 0..<26: value &+ UInt8(ascii: "A")
    case 26..<52: value &+ (UInt8(ascii: "a") &- 26)
    case 52..<62: value &- (52 &- UInt8(ascii: "0"))
    case 62: alphabet == .standard ? UInt8(ascii: "+") : UInt8(ascii: "-")
    default: alphabet == .standard ? UInt8(ascii: "/") : UInt8(ascii: "_")
    }
}

/// The 6-bit value of one base64 character, or 0xff for anything outside the alphabet (including `=`).
@inline(__always)
private func base64Value(_ c: UInt8, _ alphabet: Base64Alphabet) -> UInt8 {
    switch c {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): c &- UInt8(ascii: "A")
    case UInt8(ascii: "a")...UInt8(ascii: "z"): c &- (UInt8(ascii: "a") &- 26)
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c &+ (52 &- UInt8(ascii: "0"))
    case UInt8(ascii: "+"): alphabet == .standard ? 62 : 0xff
    case UInt8(ascii: "/"): alphabet == .standard ? 63 : 0xff
    case UInt8(ascii: "-"): alphabet == .url ? 62 : 0xff
    case UInt8(ascii: "_"): alphabet == .url ? 63 : 0xff
    default: 0xff
    }
}
