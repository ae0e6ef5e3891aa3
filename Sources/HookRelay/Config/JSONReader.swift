extension JSONValue {
    /// The default nesting limit of ``parse(_:maxDepth:maxBytes:)``: arrays and objects inside each other.
    public static let defaultMaxDepth = 64
    /// The default size limit of ``parse(_:maxDepth:maxBytes:)``: 1 MiB.
    public static let defaultMaxBytes = 1 << 20

    /// Parses a JSON document (RFC 8259) strictly, recording the position of every node.
    ///
    /// Rejects what RFC 8259 rejects (comments, trailing commas, single quotes, leading zeros, `NaN`, control
    /// characters in strings, invalid UTF-8, lone surrogate escapes) plus duplicate object keys, numbers too large
    /// for a `Double`, nesting deeper than `maxDepth` and documents over `maxBytes`. A leading UTF-8 byte order
    /// mark is skipped. Errors carry the line and column of the problem.
    public static func parse(
        _ bytes: [UInt8], maxDepth: Int = defaultMaxDepth, maxBytes: Int = defaultMaxBytes
    ) throws(JSONSyntaxError) -> JSONValue {
        guard bytes.count <= maxBytes else { throw .tooLarge(size: bytes.count, limit: maxBytes) }
        var reader = JSONReader(bytes: bytes, maxDepth: maxDepth)
        return try reader.readDocument()
    }

    /// Parses JSON text; see ``parse(_:maxDepth:maxBytes:)``.
    public static func parse(
        _ text: String, maxDepth: Int = defaultMaxDepth, maxBytes: Int = defaultMaxBytes
    ) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth, maxBytes: maxBytes)
    }
}

/// A recursive-descent reader over validated UTF-8 that tracks lines and columns.
struct JSONReader {
    private let bytes: [UInt8]
    private let maxDepth: Int
    /// Where the document starts (after a byte order mark).
    private let start: Int
    private var index: Int
    private var line = 1
    /// The offset of the first byte of the current line.
    private var lineStart: Int
    /// A known column on the current line, so columns are computed incrementally.
    private var cachedOffset: Int
    private var cachedColumn = 1

    /// A reader over a whole document (the size limit is checked by the caller).
    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        index = start
        lineStart = start
        cachedOffset = start
    }

    /// Validates the UTF-8, then reads exactly one value surrounded by optional whitespace.
    mutating func readDocument() throws(JSONSyntaxError) -> JSONValue {
        if let bad = Self.firstInvalidUTF8(in: bytes, from: start) { throw .invalidUTF8(at: errorPosition(bad)) }
        let value = try readValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw .unexpectedContent(at: errorPosition(index)) }
        return value
    }

    // MARK: Values

    private mutating func readValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw .unexpectedEndOfInput(at: errorPosition(index)) }
        let position = currentPosition()
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return try readObject(at: position, depth: depth + 1)
        case UInt8(ascii: "["):
            return try readArray(at: position, depth: depth + 1)
        case UInt8(ascii: "\""):
            return JSONValue(.string(try readString()), at: position)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONValue(.number(try readNumber()), at: position)
        case let c where Self.isWordByte(c):
            let wordStart = index
            while index < bytes.count, Self.isWordByte(bytes[index]), index - wordStart < 32 { index += 1 }
            let word = String(decoding: bytes[wordStart..<index], as: UTF8.self)
            switch word {
            case "true": return JSONValue(.bool(true), at: position)
            case "false": return JSONValue(.bool(false), at: position)
            case "null": return JSONValue(.null, at: position)
            default: throw .invalidLiteral(word, at: position)
            }
        default:
            throw .unexpected("expected a value", at: position)
        }
    }

    private mutating func readObject(at position: SourcePosition, depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= maxDepth else { throw .tooDeep(limit: maxDepth, at: position) }
        index += 1
        var members: [JSONMember] = []
        var seen: [String: SourcePosition] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return JSONValue(.object([]), at: position)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw .unexpectedEndOfInput(at: errorPosition(index)) }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw .unexpected("expected '\"' to start an object key", at: errorPosition(index))
            }
            let keyPosition = currentPosition()
            let key = try readString()
            skipWhitespace()
            guard index < bytes.count else { throw .unexpectedEndOfInput(at: errorPosition(index)) }
            guard bytes[index] == UInt8(ascii: ":") else {
                throw .unexpected("expected ':' after object key", at: errorPosition(index))
            }
            index += 1
            let value = try readValue(depth: depth)
            if let first = seen[key] { throw .duplicateKey(key, first: first, at: keyPosition) }
            seen[key] = keyPosition
            members.append(JSONMember(key: key, keyPosition: keyPosition, value: value))
            skipWhitespace()
            guard index < bytes.count else { throw .unexpectedEndOfInput(at: errorPosition(index)) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                let comma = index
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { throw .trailingComma(at: errorPosition(comma)) }
            case UInt8(ascii: "}"):
                index += 1
                return JSONValue(.object(members), at: position)
            default:
                throw .unexpected("expected ',' or '}' after object member", at: errorPosition(index))
            }
        }
    }

    private mutating func readArray(at position: SourcePosition, depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= maxDepth else { throw .tooDeep(limit: maxDepth, at: position) }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return JSONValue(.array([]), at: position)
        }
        while true {
            elements.append(try readValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw .unexpectedEndOfInput(at: errorPosition(index)) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                let comma = index
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { throw .trailingComma(at: errorPosition(comma)) }
            case UInt8(ascii: "]"):
                index += 1
                return JSONValue(.array(elements), at: position)
            default:
                throw .unexpected("expected ',' or ']' after array element", at: errorPosition(index))
            }
        }
    }

    /// Reads a string starting at its opening quote; the input is already known to be valid UTF-8.
    private mutating func readString() throws(JSONSyntaxError) -> String {
        let open = index
        index += 1
        var decoded: [UInt8] = []
        while true {
            guard index < bytes.count else { throw .unterminatedString(at: errorPosition(open)) }
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try readEscape(into: &decoded, stringStart: open)
            case 0..<0x20:
                throw .controlCharacter(at: errorPosition(index))
            default:
                decoded.append(c)
                index += 1
            }
        }
    }

    private mutating func readEscape(into decoded: inout [UInt8], stringStart: Int) throws(JSONSyntaxError) {
        let backslash = index
        guard index + 1 < bytes.count else { throw .unterminatedString(at: errorPosition(stringStart)) }
        let c = bytes[index + 1]
        index += 2
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(c)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = readHex4() else {
                throw .invalidEscape("\\u (expected four hex digits)", at: errorPosition(backslash))
            }
            var scalarValue = UInt32(unit)
            if (0xDC00...0xDFFF).contains(unit) {
                throw .loneSurrogate(Self.escapeText(unit), at: errorPosition(backslash))
            }
            if (0xD800...0xDBFF).contains(unit) {
                let saved = index
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw .loneSurrogate(Self.escapeText(unit), at: errorPosition(backslash)) }
                index += 2
                guard let low = readHex4(), (0xDC00...0xDFFF).contains(low) else {
                    index = saved
                    throw .loneSurrogate(Self.escapeText(unit), at: errorPosition(backslash))
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            }
            // Not a surrogate, or a valid pair: always a scalar.
            if let scalar = Unicode.Scalar(scalarValue) { UTF8.encode(scalar) { decoded.append($0) } }
        default:
            index = backslash + 1
            throw .invalidEscape("\\" + describe(at: backslash + 1, quoted: false), at: errorPosition(backslash))
        }
    }

    private mutating func readHex4() -> UInt16? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for c in bytes[index..<(index + 4)] {
            guard let digit = RawJSON.hexValue(c) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        index += 4
        return value
    }

    private static func escapeText(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    private mutating func readNumber() throws(JSONSyntaxError) -> ConfigNumber {
        let numberStart = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, Self.isDigit(bytes[index]) else {
            throw .invalidNumber("expected a digit after '-'", at: errorPosition(index))
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, Self.isDigit(bytes[index]) { throw .leadingZeros(at: errorPosition(numberStart)) }
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else {
                throw .invalidNumber("expected a digit after '.'", at: errorPosition(index))
            }
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, Self.isDigit(bytes[index]) else {
                throw .invalidNumber("expected a digit in exponent", at: errorPosition(index))
            }
            skipDigits()
        }
        let text = String(decoding: bytes[numberStart..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw .numberOutOfRange(at: errorPosition(numberStart)) }
        return ConfigNumber(text: text, doubleValue: value)
    }

    private mutating func skipDigits() {
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
    }

    // MARK: Whitespace and positions

    /// Skips JSON whitespace, counting lines (LF, CRLF, or a lone CR).
    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                index += 1
            case UInt8(ascii: "\n"):
                index += 1
                startLine()
            case UInt8(ascii: "\r"):
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "\n") { continue }
                startLine()
            default:
                return
            }
        }
    }

    private mutating func startLine() {
        line += 1
        lineStart = index
        cachedOffset = index
        cachedColumn = 1
    }

    /// The position of `index`, which is on the current line at or after any earlier request.
    private mutating func currentPosition() -> SourcePosition {
        if cachedOffset < lineStart || cachedOffset > index {
            cachedOffset = lineStart
            cachedColumn = 1
        }
        cachedColumn += Self.scalarCount(bytes[cachedOffset..<index])
        cachedOffset = index
        return SourcePosition(line: line, column: cachedColumn)
    }

    /// The position of any offset, by scanning from the start (used once, for an error).
    private func errorPosition(_ offset: Int) -> SourcePosition {
        var line = 1
        var lineStart = start
        var i = start
        let end = min(offset, bytes.count)
        while i < end {
            if bytes[i] == UInt8(ascii: "\n") || (bytes[i] == UInt8(ascii: "\r") && (i + 1 >= bytes.count || bytes[i + 1] != UInt8(ascii: "\n"))) {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return SourcePosition(line: line, column: Self.scalarCount(bytes[lineStart..<end]) + 1)
    }

    /// Unicode scalars in valid UTF-8: the bytes that are not continuation bytes.
    private static func scalarCount(_ slice: ArraySlice<UInt8>) -> Int {
        slice.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    /// The character at `offset` for a message: `'x'` for printable ASCII, `U+00E9` otherwise.
    private func describe(at offset: Int, quoted: Bool) -> String {
        guard offset < bytes.count else { return "end of input" }
        let c = bytes[offset]
        if c >= 0x21 && c < 0x7F { return quoted ? "'\(Character(Unicode.Scalar(c)))'" : String(Character(Unicode.Scalar(c))) }
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let scalar = String(decoding: bytes[offset..<end], as: UTF8.self).unicodeScalars.first?.value ?? UInt32(c)
        let hex = String(scalar, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// Letters, digits and `_`: what a mistyped literal (`True`, `NaN`, `yes`) is made of.
    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || isDigit(c) || c == UInt8(ascii: "_")
    }

    // MARK: UTF-8

    /// The offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629: no overlong forms,
    /// no surrogates, nothing above U+10FFFF), or nil.
    static func firstInvalidUTF8(in bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var lowest: UInt8 = 0x80, highest: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lowest = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; highest = 0x9F
            case 0xF0: length = 4; lowest = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; highest = 0x8F
            default: return i
            }
            guard i + length <= bytes.count else { return i }
            guard bytes[i + 1] >= lowest, bytes[i + 1] <= highest else { return i }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}
