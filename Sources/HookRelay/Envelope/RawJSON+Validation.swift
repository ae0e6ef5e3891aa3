extension RawJSON {
    /// Checks that `bytes` is exactly one well-formed JSON value (RFC 8259, strictly), in one pass.
    ///
    /// Strict means: UTF-8 only (overlong forms, encoded surrogates and bytes past U+10FFFF are rejected), no byte
    /// order mark, whitespace only as space/tab/CR/LF, no control characters inside strings, only the escapes the RFC
    /// lists, no leading zeros, `+`, `NaN`, comments or trailing commas, nothing but whitespace after the value, and at
    /// most `maxDepth` nested arrays/objects. Escaped lone surrogates (`"\uD800"`) are accepted, as the grammar allows
    /// them. Duplicate object keys are accepted (the RFC only says they SHOULD be unique).
    ///
    /// The nesting stack lives in a temporary allocation (on the stack for the default depth); nothing else allocates.
    public static func validate(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(RawJSONError) {
        precondition(maxDepth > 0, "maxDepth must be positive")
        try withUnsafeTemporaryAllocation(of: Bool.self, capacity: maxDepth) { stack throws(RawJSONError) in
            var validator = Validator(bytes: bytes, maxDepth: maxDepth, isObject: stack)
            try validator.run()
        }
    }
}

/// The validating scanner: an explicit stack of open containers instead of recursion.
private struct Validator {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    let maxDepth: Int
    /// For each open container, whether it is an object (else an array).
    let isObject: UnsafeMutableBufferPointer<Bool>
    var depth = 0
    var i = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int, isObject: UnsafeMutableBufferPointer<Bool>) {
        self.bytes = bytes
        self.end = bytes.count
        self.maxDepth = maxDepth
        self.isObject = isObject
    }

    mutating func run() throws(RawJSONError) {
        guard end > 0 else { throw RawJSONError(.empty, at: 0) }
        if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { throw RawJSONError(.byteOrderMark, at: 0) }
        skipWhitespace()
        guard i < end else { throw RawJSONError(.empty, at: i) }
        value: while true {
            // A value starts at i (whitespace already skipped).
            guard i < end else { throw RawJSONError(.unexpectedEnd, at: i) }
            switch bytes[i] {
            case JSONByte.openBrace:
                try push(object: true)
                i += 1
                skipWhitespace()
                guard i < end else { throw RawJSONError(.unexpectedEnd, at: i) }
                if bytes[i] == JSONByte.closeBrace {
                    depth -= 1
                    i += 1
                } else {
                    try key()
                    continue value
                }
            case JSONByte.openBracket:
                try push(object: false)
                i += 1
                skipWhitespace()
                guard i < end else { throw RawJSONError(.unexpectedEnd, at: i) }
                if bytes[i] == JSONByte.closeBracket {
                    depth -= 1
                    i += 1
                } else {
                    continue value
                }
            case JSONByte.quote:
                try string()
            case JSONByte.letterT:
                try literal("true")
            case JSONByte.letterF:
                try literal("false")
            case JSONByte.letterN:
                try literal("null")
            case JSONByte.minus, JSONByte.digit0...JSONByte.digit9:
                let scan = RawJSON.scanNumber(bytes, i, end)
                guard scan.isValid else { throw RawJSONError(scan.end < end ? .invalidNumber : .unexpectedEnd, at: scan.end) }
                i = scan.end
                if i < end, !isDelimiter(bytes[i]) { throw RawJSONError(.invalidNumber, at: i) }
            default:
                throw RawJSONError(.expectedValue, at: i)
            }
            // After a value: close containers, or move to the next element/member.
            while true {
                skipWhitespace()
                guard depth > 0 else {
                    guard i == end else { throw RawJSONError(.trailingCharacters, at: i) }
                    return
                }
                guard i < end else { throw RawJSONError(.unexpectedEnd, at: i) }
                let byte = bytes[i]
                if isObject[depth - 1] {
                    if byte == JSONByte.comma {
                        i += 1
                        skipWhitespace()
                        try key()
                        continue value
                    }
                    guard byte == JSONByte.closeBrace else { throw RawJSONError(.expectedCommaOrBrace, at: i) }
                } else {
                    if byte == JSONByte.comma {
                        i += 1
                        skipWhitespace()
                        continue value
                    }
                    guard byte == JSONByte.closeBracket else { throw RawJSONError(.expectedCommaOrBracket, at: i) }
                }
                depth -= 1
                i += 1
            }
        }
    }

    private mutating func push(object: Bool) throws(RawJSONError) {
        guard depth < maxDepth else { throw RawJSONError(.tooDeep, at: i) }
        isObject[depth] = object
        depth += 1
    }

    /// A member name, the colon and the whitespace before the value.
    private mutating func key() throws(RawJSONError) {
        guard i < end else { throw RawJSONError(.unexpectedEnd, at: i) }
        guard bytes[i] == JSONByte.quote else { throw RawJSONError(.expectedKey, at: i) }
        try string()
        skipWhitespace()
        guard i < end else { throw RawJSONError(.unexpectedEnd, at: i) }
        guard bytes[i] == JSONByte.colon else { throw RawJSONError(.expectedColon, at: i) }
        i += 1
        skipWhitespace()
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < end, RawJSON.isWhitespace(bytes[i]) { i += 1 }
    }

    @inline(__always)
    private func isDelimiter(_ byte: UInt8) -> Bool {
        byte == JSONByte.comma || byte == JSONByte.closeBrace || byte == JSONByte.closeBracket || RawJSON.isWhitespace(byte)
    }

    private mutating func literal(_ text: StaticString) throws(RawJSONError) {
        let count = text.utf8CodeUnitCount
        let pointer = text.utf8Start
        for k in 0..<count {
            guard i + k < end else { throw RawJSONError(.unexpectedEnd, at: i + k) }
            guard bytes[i + k] == pointer[k] else { throw RawJSONError(.invalidLiteral, at: i + k) }
        }
        i += count
        if i < end, !isDelimiter(bytes[i]) { throw RawJSONError(.invalidLiteral, at: i) }
    }

    /// A string token starting at the opening quote; leaves `i` after the closing quote.
    private mutating func string() throws(RawJSONError) {
        i += 1
        while true {
            // Fast path: eight plain ASCII bytes at a time (no quote, backslash, control or non-ASCII byte).
            while i + 8 <= end {
                let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if word & SWAR.highs != 0 || SWAR.hasLess(word, 0x20) || SWAR.hasByte(word, JSONByte.quote)
                    || SWAR.hasByte(word, JSONByte.backslash) { break }
                i += 8
            }
            guard i < end else { throw RawJSONError(.unexpectedEnd, at: i) }
            let byte = bytes[i]
            switch byte {
            case JSONByte.quote:
                i += 1
                return
            case JSONByte.backslash:
                try escape()
            case 0..<0x20:
                throw RawJSONError(.controlCharacter, at: i)
            case 0x20..<0x80:
                i += 1
            default:
                try utf8Sequence()
            }
        }
    }

    private mutating func escape() throws(RawJSONError) {
        guard i + 1 < end else { throw RawJSONError(.unexpectedEnd, at: i + 1) }
        switch bytes[i + 1] {
        case JSONByte.quote, JSONByte.backslash, JSONByte.slash, 0x62, 0x66, 0x6E, 0x72, 0x74:  // " \ / b f n r t
            i += 2
        case 0x75:  // u
            for k in 2..<6 {
                guard i + k < end else { throw RawJSONError(.unexpectedEnd, at: i + k) }
                guard RawJSON.hexValue(bytes[i + k]) != nil else { throw RawJSONError(.invalidUnicodeEscape, at: i) }
            }
            i += 6
        default:
            throw RawJSONError(.invalidEscape, at: i)
        }
    }

    /// One multi-byte UTF-8 sequence at `i` (Unicode Table 3-7: well-formed byte sequences).
    private mutating func utf8Sequence() throws(RawJSONError) {
        let lead = bytes[i]
        let count: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: count = 2
        case 0xE0: count = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: count = 3; high = 0x9F
        case 0xF0: count = 4; low = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4: count = 4; high = 0x8F
        default: throw RawJSONError(.invalidUTF8, at: i)
        }
        guard i + count <= end else { throw RawJSONError(.invalidUTF8, at: i) }
        let second = bytes[i + 1]
        guard second >= low, second <= high else { throw RawJSONError(.invalidUTF8, at: i) }
        for k in 2..<count where bytes[i + k] & 0xC0 != 0x80 { throw RawJSONError(.invalidUTF8, at: i) }
        i += count
    }
}
