/// Byte-level HTTP/1.1 syntax (RFC 9110, RFC 9112) for ``HTTPRequestParser``: character classes, the line scanners,
/// chunk lines and the few field values the parser interprets. Everything here is pure and allocation-free.
enum HTTPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let comma: UInt8 = 0x2C

    // MARK: Character classes

    /// Whether `byte` is a `tchar` (RFC 9110 §5.6.2): ``!#$%&'*+-.^_`|~``, digits and letters.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        inBitmap(byte, low: 0x03FF_6CFA_0000_0000, high: 0x57FF_FFFF_C7FF_FFFE)
    }

    /// Whether `byte` may appear in a field value (RFC 9110 §5.5): VCHAR, obs-text, SP or HTAB.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte >= 0x20 ? byte != 0x7F : byte == htab
    }

    /// Whether `byte` may appear in a request-target: 0x21–0x7E (no controls, no spaces, no non-ASCII).
    @inline(__always)
    static func isTargetByte(_ byte: UInt8) -> Bool {
        byte &- 0x21 < 0x5E
    }

    /// Whether `byte` may appear in a Host value (RFC 3986 `uri-host [ ":" port ]`): unreserved, sub-delims, `%`, `:`, `[`, `]`.
    @inline(__always)
    static func isHostByte(_ byte: UInt8) -> Bool {
        inBitmap(byte, low: 0x2FFF_7FF2_0000_0000, high: 0x47FF_FFFE_AFFF_FFFE)
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == sp || byte == htab }

    /// Whether any of the 8 bytes in `word` is not a field value byte (a control other than HTAB, or DEL); HTAB counts
    /// as not, so the caller rechecks byte by byte. Exact (no false negatives), from the classic "has byte less than n"
    /// and "has byte equal to v" bit tricks.
    @inline(__always)
    static func containsNonFieldValueByte(_ word: UInt64) -> Bool {
        (hasByte(in: word, lessThan: 0x20) | hasByte(in: word, equalTo: 0x7F)) != 0
    }

    /// Whether any of the 8 bytes in `word` is not a request-target byte (0x21–0x7E).
    @inline(__always)
    static func containsNonTargetByte(_ word: UInt64) -> Bool {
        (hasByte(in: word, lessThan: 0x21) | hasByte(in: word, equalTo: 0x7F) | (word & highBits)) != 0
    }

    private static let lowBits: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Non-zero exactly when some byte of `word` is below `limit` (`limit` at most 0x80).
    @inline(__always)
    private static func hasByte(in word: UInt64, lessThan limit: UInt8) -> UInt64 {
        (word &- lowBits &* UInt64(limit)) & ~word & highBits
    }

    /// Non-zero exactly when some byte of `word` equals `value`.
    @inline(__always)
    private static func hasByte(in word: UInt64, equalTo value: UInt8) -> UInt64 {
        let difference = word ^ (lowBits &* UInt64(value))
        return (difference &- lowBits) & ~difference & highBits
    }

    /// The 8 bytes at `index` of `buf` (which must hold them).
    @inline(__always)
    private static func word(_ buf: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt64 {
        UnsafeRawPointer(buf.baseAddress.unsafelyUnwrapped + index).loadUnaligned(as: UInt64.self)
    }

    @inline(__always)
    private static func inBitmap(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        if byte < 64 { return (low >> UInt64(byte)) & 1 != 0 }
        if byte < 128 { return (high >> UInt64(byte &- 64)) & 1 != 0 }
        return false
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte &- 0x30
        case 0x41...0x46: byte &- 0x41 &+ 10
        case 0x61...0x66: byte &- 0x61 &+ 10
        default: nil
        }
    }

    // MARK: Line scanners

    /// Scans a request line (`method SP request-target SP HTTP-version CRLF`) from `cursor.scan`, validating each byte as
    /// it goes so garbage is rejected at once. Returns the index of the CR when the line is complete, nil when more bytes
    /// are needed (the cursor remembers where to resume). The line with its CRLF must fit in `budget` bytes.
    static func scanRequestLine(_ buf: UnsafeBufferPointer<UInt8>, _ cursor: inout HTTPRequestParser.LineCursor,
                                budget: Int) throws(HTTPParseError) -> Int? {
        let stop = scanStop(buf, cursor, budget: budget)
        var i = cursor.scan
        if cursor.phase == 0 {
            while i < stop, isTokenByte(buf[i]) { i += 1 }
            if i < stop {
                guard buf[i] == sp, i > cursor.lineStart else { throw .invalidRequestLine }
                cursor.firstMark = i
                cursor.phase = 1
                i += 1
            }
        }
        if cursor.phase == 1 {
            while i + 8 <= stop, !containsNonTargetByte(word(buf, at: i)) { i += 8 }
            while i < stop, isTargetByte(buf[i]) { i += 1 }
            if i < stop {
                guard buf[i] == sp, i > cursor.firstMark + 1 else { throw .invalidRequestLine }
                cursor.secondMark = i
                cursor.phase = 2
                i += 1
            }
        }
        if cursor.phase == 2 {
            while i < stop {
                let byte = buf[i]
                if byte == cr {
                    guard i + 1 < buf.count else {
                        cursor.scan = i
                        return nil
                    }
                    guard buf[i + 1] == lf else { throw .invalidLineEnding }
                    guard i - cursor.secondMark - 1 == 8 else { throw .invalidRequestLine }
                    return i
                }
                if byte == lf { throw .invalidLineEnding }
                guard isVersionByte(byte, at: i - cursor.secondMark - 1) else { throw .invalidRequestLine }
                i += 1
            }
        }
        cursor.scan = i
        if stop < buf.count { throw .requestLineTooLong }
        return nil
    }

    /// Scans a field line (`field-name ":" OWS field-value OWS CRLF`) from `cursor.scan`; on return `cursor.firstMark` is
    /// the colon. Returns the index of the CR when complete, nil when more bytes are needed. The line with its CRLF must
    /// fit in `budget` bytes (what is left of the section's budget), else `.headersTooLarge`.
    static func scanFieldLine(_ buf: UnsafeBufferPointer<UInt8>, _ cursor: inout HTTPRequestParser.LineCursor,
                              budget: Int) throws(HTTPParseError) -> Int? {
        let stop = scanStop(buf, cursor, budget: budget)
        var i = cursor.scan
        if cursor.phase == 0 {
            while i < stop, isTokenByte(buf[i]) { i += 1 }
            if i < stop {
                guard buf[i] == colon, i > cursor.lineStart else { throw .invalidHeaderName }
                cursor.firstMark = i
                cursor.phase = 1
                i += 1
            }
        }
        if cursor.phase == 1 {
            while i < stop {
                if i + 8 <= stop, !containsNonFieldValueByte(word(buf, at: i)) {
                    i += 8
                    continue
                }
                let byte = buf[i]
                if isFieldValueByte(byte) {
                    i += 1
                    continue
                }
                if byte == cr {
                    guard i + 1 < buf.count else {
                        cursor.scan = i
                        return nil
                    }
                    guard buf[i + 1] == lf else { throw .invalidLineEnding }
                    return i
                }
                throw byte == lf ? .invalidLineEnding : .invalidHeaderValue
            }
        }
        cursor.scan = i
        if stop < buf.count { throw .headersTooLarge }
        return nil
    }

    /// Scans any line for its CRLF (content is validated by the caller once the line is complete). Returns the index of
    /// the CR, or nil when more bytes are needed. The line with its CRLF must fit in `budget` bytes, else `tooLong`.
    static func scanLine(_ buf: UnsafeBufferPointer<UInt8>, _ cursor: inout HTTPRequestParser.LineCursor, budget: Int,
                         tooLong: HTTPParseError) throws(HTTPParseError) -> Int? {
        let stop = scanStop(buf, cursor, budget: budget)
        var i = cursor.scan
        while i < stop {
            let byte = buf[i]
            if byte == cr {
                guard i + 1 < buf.count else {
                    cursor.scan = i
                    return nil
                }
                guard buf[i + 1] == lf else { throw .invalidLineEnding }
                return i
            }
            if byte == lf { throw .invalidLineEnding }
            i += 1
        }
        cursor.scan = i
        if stop < buf.count { throw tooLong }
        return nil
    }

    /// Where a scan must stop: the end of the bytes, or the line's `budget`-th byte. A line whose CRLF fits in `budget`
    /// bytes has its CR before that byte and its LF on it; any other byte there means the line is too long, so the error
    /// comes as soon as `budget` bytes of the line have arrived without a line end.
    @inline(__always)
    private static func scanStop(_ buf: UnsafeBufferPointer<UInt8>, _ cursor: HTTPRequestParser.LineCursor, budget: Int) -> Int {
        Swift.min(buf.count, cursor.lineStart + Swift.max(budget - 1, 0))
    }

    /// Whether `byte` fits position `index` of `HTTP/d.d`.
    @inline(__always)
    private static func isVersionByte(_ byte: UInt8, at index: Int) -> Bool {
        switch index {
        case 0: byte == UInt8(ascii: "H")
        case 1, 2: byte == UInt8(ascii: "T")
        case 3: byte == UInt8(ascii: "P")
        case 4: byte == UInt8(ascii: "/")
        case 5, 7: byte &- 0x30 < 10
        case 6: byte == UInt8(ascii: ".")
        default: false
        }
    }

    // MARK: Chunk lines

    /// The size of a chunk from its line without CRLF: `chunk-size [ chunk-ext ]`, where chunk-size is 1–16 hex digits
    /// (at most `Int.max`) and chunk-ext is `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`
    /// (RFC 9112 §7.1.1), validated and ignored.
    static func chunkSize(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        var i = 0
        var size: UInt64 = 0
        while i < line.count, let digit = hexValue(line[i]) {
            guard i < 16 else { throw .invalidChunkSize }
            size = size << 4 | UInt64(digit)
            i += 1
        }
        guard i > 0, size <= UInt64(Int.max) else { throw .invalidChunkSize }
        if i < line.count {
            let semicolonIndex = skipWhitespace(line, from: i)
            guard semicolonIndex < line.count, line[semicolonIndex] == semicolon else { throw .invalidChunkSize }
            try validateChunkExtensions(line, from: semicolonIndex)
        }
        return Int(size)
    }

    /// Validates chunk extensions starting at the `;` at `start` through the end of `line`.
    private static func validateChunkExtensions(_ line: UnsafeBufferPointer<UInt8>, from start: Int) throws(HTTPParseError) {
        var i = start
        while true {
            let nameStart = skipWhitespace(line, from: i + 1)
            i = skipToken(line, from: nameStart)
            guard i > nameStart else { throw .invalidChunkExtension }
            var next = skipWhitespace(line, from: i)
            if next < line.count, line[next] == equals {
                let valueStart = skipWhitespace(line, from: next + 1)
                if valueStart < line.count, line[valueStart] == quote {
                    i = try quotedStringEnd(line, from: valueStart)
                } else {
                    i = skipToken(line, from: valueStart)
                    guard i > valueStart else { throw .invalidChunkExtension }
                }
                next = skipWhitespace(line, from: i)
            }
            if i == line.count { return }
            guard next < line.count, line[next] == semicolon else { throw .invalidChunkExtension }
            i = next
        }
    }

    /// The index after the closing quote of the quoted-string whose opening quote is at `start`.
    private static func quotedStringEnd(_ line: UnsafeBufferPointer<UInt8>, from start: Int) throws(HTTPParseError) -> Int {
        var i = start + 1
        while i < line.count {
            let byte = line[i]
            if byte == quote { return i + 1 }
            if byte == backslash {
                guard i + 1 < line.count, isFieldValueByte(line[i + 1]) else { throw .invalidChunkExtension }
                i += 2
                continue
            }
            guard isFieldValueByte(byte) else { throw .invalidChunkExtension }
            i += 1
        }
        throw .invalidChunkExtension
    }

    @inline(__always)
    private static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        while i < bytes.count, isWhitespace(bytes[i]) { i += 1 }
        return i
    }

    @inline(__always)
    private static func skipToken(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        while i < bytes.count, isTokenByte(bytes[i]) { i += 1 }
        return i
    }

    // MARK: Field values the parser interprets

    /// Whether `bytes[range]` equals `lowercaseLiteral` ignoring ASCII case.
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                                   _ lowercaseLiteral: StaticString) -> Bool {
        guard range.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
        let literal = lowercaseLiteral.utf8Start
        var k = 0
        while k < range.count {
            if HTTPHeaders.lowercased(bytes[range.lowerBound + k]) != literal[k] { return false }
            k += 1
        }
        return true
    }

    /// A Content-Length value: one or more ASCII digits and nothing else; values beyond `Int.max` saturate to it.
    static func contentLength(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return nil }
        var value = 0
        for i in range {
            let digit = bytes[i] &- 0x30
            guard digit < 10 else { return nil }
            value = value > (Int.max - 9) / 10 ? Int.max : value * 10 + Int(digit)
        }
        return value
    }

    /// Whether a Host value is a plausible `uri-host [ ":" port ]`: only the bytes RFC 3986 allows there (may be empty).
    static func isValidHost(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        for i in range where !isHostByte(bytes[i]) { return false }
        return true
    }

    /// Which of `close` and `keep-alive` a Connection value lists (comma-separated, OWS around elements, any case).
    static func connectionOptions(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (close: Bool, keepAlive: Bool) {
        var close = false
        var keepAlive = false
        var i = range.lowerBound
        while i < range.upperBound {
            var elementEnd = i
            while elementEnd < range.upperBound, bytes[elementEnd] != comma { elementEnd += 1 }
            var lower = i
            var upper = elementEnd
            while lower < upper, isWhitespace(bytes[lower]) { lower += 1 }
            while upper > lower, isWhitespace(bytes[upper - 1]) { upper -= 1 }
            if equalsIgnoringCase(bytes, lower..<upper, "close") { close = true }
            if equalsIgnoringCase(bytes, lower..<upper, "keep-alive") { keepAlive = true }
            i = elementEnd + 1
        }
        return (close, keepAlive)
    }
}
