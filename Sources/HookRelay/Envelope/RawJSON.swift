/// Scans raw JSON bytes in place: validation, path lookup, iteration and scalar decoding, without building a tree.
///
/// Everything works on an `UnsafeRawBufferPointer` over the payload and answers with byte ranges into it, so the
/// caller can splice values byte for byte (the envelope's `data`, one element of a batch) or decode just the
/// scalars it needs. Nothing allocates per byte; a lookup skips over everything that is not on its path.
///
/// ```swift
/// try body.withUnsafeBytes { bytes in
///     try RawJSON.validate(bytes)
///     if let id = RawJSON.range(of: ["data", "object", "id"], in: bytes) {
///         subject = RawJSON.string(at: id, in: bytes)
///     }
///     if let entries = RawJSON.range(of: ["entry"], in: bytes), let items = RawJSON.elements(ofArrayAt: entries, in: bytes) {
///         for item in items { split(bytes[item]) }
///     }
/// }
/// ```
///
/// Run ``validate(_:maxDepth:)`` once per payload first. The other functions assume well-formed input: on malformed
/// input they stay inside the buffer and return `nil` or some range within it, but the answer is unspecified.
///
/// Ranges are byte offsets into the buffer passed in. A value range starts at the value's first byte and ends after
/// its last (a string's range includes both quotes); surrounding whitespace is never included. Functions that look
/// inside an object or array use only the start of the range they are given (and never read past its end), so
/// `start..<bytes.count` works as well as the exact range; scalar decoders need the exact range. When an object has
/// the same key twice, lookups find the **first** one (like gjson and simdjson; unlike `JSON.parse`, where the last
/// wins). Providers do not send duplicate keys, and stopping at the first match keeps lookups short.
public enum RawJSON {
    /// The nesting depth ``validate(_:maxDepth:)`` allows by default: 128 arrays/objects inside each other.
    public static let defaultMaxDepth = 128

    /// One step of a path: an object member's name or an array index (zero-based).
    ///
    /// Paths can be written as literals: `["entry", 0, "changes"]`.
    public enum PathComponent: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
                               CustomStringConvertible {
        /// An object member, by its decoded name.
        case key(String)
        /// An array element, counting from 0.
        case index(Int)

        public init(stringLiteral value: String) { self = .key(value) }
        public init(integerLiteral value: Int) { self = .index(value) }

        public var description: String {
            switch self {
            case .key(let key): key
            case .index(let index): "[\(index)]"
            }
        }
    }

    /// The JSON type of a value, known from its first byte.
    public enum Kind: Sendable, Hashable {
        /// `{` `[` `"` `-`/digit, `t`/`f`, `n`.
        case object, array, string, number, bool, null
    }

    // MARK: Lookup

    /// The range of the top-level value, without surrounding whitespace; `nil` for an empty or blank buffer.
    public static func valueRange(in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        let start = skipWhitespace(bytes, 0, bytes.count)
        guard start < bytes.count, let end = skipValue(bytes, start, bytes.count) else { return nil }
        return start..<end
    }

    /// The range of the value at `path` inside the top-level value, or `nil` when the path does not exist.
    ///
    /// An empty path is the top-level value itself. A `.key` step needs an object, an `.index` step an array;
    /// anything else is "not found".
    public static func range(of path: [PathComponent], in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard !path.isEmpty else { return valueRange(in: bytes) }
        // A container lookup needs only where the container starts: no pass over the whole payload to find its end.
        let start = skipWhitespace(bytes, 0, bytes.count)
        guard start < bytes.count else { return nil }
        return range(of: path, inValueAt: start..<bytes.count, in: bytes)
    }

    /// The range of the value at `path` inside the value at `range` (for example one element of a batch).
    public static func range(of path: [PathComponent], inValueAt range: Range<Int>,
                             in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let (start, end) = bounds(of: range, in: bytes),
              let valueStart = valueStart(of: path, from: start, end: end, in: bytes),
              let valueEnd = skipValue(bytes, valueStart, end) else { return nil }
        return valueStart..<valueEnd
    }

    /// The range of the member named `key` in the object at `range`; `nil` if there is none or it is not an object.
    public static func member(_ key: String, inObjectAt range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let (start, end) = bounds(of: range, in: bytes),
              let valueStart = withUTF8(of: key, { memberStart($0, inObjectAt: start, end: end, in: bytes) }),
              let valueEnd = skipValue(bytes, valueStart, end) else { return nil }
        return valueStart..<valueEnd
    }

    /// The range of element `index` of the array at `range`; `nil` if out of bounds or not an array.
    public static func element(_ index: Int, inArrayAt range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let (start, end) = bounds(of: range, in: bytes),
              let valueStart = elementStart(index, inArrayAt: start, end: end, in: bytes),
              let valueEnd = skipValue(bytes, valueStart, end) else { return nil }
        return valueStart..<valueEnd
    }

    /// Where the value at `path` starts, descending from the value at `start`. Values on the path are entered, never
    /// skipped to their end; only the members and elements before them are skipped.
    static func valueStart(of path: [PathComponent], from start: Int, end: Int, in bytes: UnsafeRawBufferPointer) -> Int? {
        var current = start
        for component in path {
            let next: Int?
            switch component {
            case .key(let key): next = withUTF8(of: key) { memberStart($0, inObjectAt: current, end: end, in: bytes) }
            case .index(let index): next = elementStart(index, inArrayAt: current, end: end, in: bytes)
            }
            guard let next else { return nil }
            current = next
        }
        return current
    }

    /// Where the value of the first member named `key` (UTF-8) starts in the object starting at `start`.
    static func memberStart(_ key: UnsafeRawBufferPointer, inObjectAt start: Int, end: Int, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard start < end, bytes[start] == JSONByte.openBrace else { return nil }
        var i = skipWhitespace(bytes, start + 1, end)
        while i < end, bytes[i] == JSONByte.quote {
            guard let afterKey = skipStringBody(bytes, i + 1, end) else { return nil }
            let isMatch = rawString(bytes, (i + 1)..<(afterKey - 1), equals: key)
            i = skipWhitespace(bytes, afterKey, end)
            guard i < end, bytes[i] == JSONByte.colon else { return nil }
            i = skipWhitespace(bytes, i + 1, end)
            guard i < end else { return nil }
            if isMatch { return i }
            guard let valueEnd = skipValue(bytes, i, end) else { return nil }
            i = skipWhitespace(bytes, valueEnd, end)
            guard i < end, bytes[i] == JSONByte.comma else { return nil }
            i = skipWhitespace(bytes, i + 1, end)
        }
        return nil
    }

    /// Where element `index` starts in the array starting at `start`.
    static func elementStart(_ index: Int, inArrayAt start: Int, end: Int, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard index >= 0, start < end, bytes[start] == JSONByte.openBracket else { return nil }
        var i = skipWhitespace(bytes, start + 1, end)
        guard i < end, bytes[i] != JSONByte.closeBracket else { return nil }
        var remaining = index
        while remaining > 0 {
            guard let valueEnd = skipValue(bytes, i, end) else { return nil }
            i = skipWhitespace(bytes, valueEnd, end)
            guard i < end, bytes[i] == JSONByte.comma else { return nil }
            i = skipWhitespace(bytes, i + 1, end)
            guard i < end else { return nil }
            remaining -= 1
        }
        return i
    }

    // MARK: Iteration

    /// The elements of the array at `range`, in order, as value ranges; `nil` if the value is not an array.
    ///
    /// Splitting a batch: `for item in RawJSON.elements(ofArrayAt: entries, in: bytes)! { … bytes[item] … }`.
    public static func elements(ofArrayAt range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> ArrayElements? {
        guard let (start, end) = bounds(of: range, in: bytes), bytes[start] == JSONByte.openBracket else { return nil }
        return ArrayElements(bytes: bytes, position: start + 1, end: end)
    }

    /// The members of the object at `range`, in order; `nil` if the value is not an object.
    public static func members(ofObjectAt range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> ObjectMembers? {
        guard let (start, end) = bounds(of: range, in: bytes), bytes[start] == JSONByte.openBrace else { return nil }
        return ObjectMembers(bytes: bytes, position: start + 1, end: end)
    }

    /// The element ranges of one array, produced by ``elements(ofArrayAt:in:)``.
    ///
    /// It holds the buffer pointer: use it only while the buffer is alive.
    public struct ArrayElements: Sequence, IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        let end: Int
        var isStarted = false
        var isFinished = false

        /// Elements from just after the `[` at `position - 1`, never reading at or past `end`.
        init(bytes: UnsafeRawBufferPointer, position: Int, end: Int) {
            self.bytes = bytes
            self.position = position
            self.end = end
        }

        /// The next element's value range.
        public mutating func next() -> Range<Int>? {
            guard !isFinished else { return nil }
            var i = RawJSON.skipWhitespace(bytes, position, end)
            if isStarted {
                guard i < end, bytes[i] == JSONByte.comma else { return finish() }
                i = RawJSON.skipWhitespace(bytes, i + 1, end)
            } else {
                isStarted = true
                guard i < end, bytes[i] != JSONByte.closeBracket else { return finish() }
            }
            guard i < end, let valueEnd = RawJSON.skipValue(bytes, i, end) else { return finish() }
            position = valueEnd
            return i..<valueEnd
        }

        private mutating func finish() -> Range<Int>? {
            isFinished = true
            return nil
        }
    }

    /// One object member: where its name and its value are.
    public struct Member: Sendable, Hashable {
        /// The name's string token, quotes included; decode it with ``RawJSON/string(at:in:)``.
        public let keyRange: Range<Int>
        /// The member's value.
        public let valueRange: Range<Int>

        /// The decoded name, read from the buffer the member came from.
        public func key(in bytes: UnsafeRawBufferPointer) -> String {
            RawJSON.string(at: keyRange, in: bytes) ?? ""
        }
    }

    /// The members of one object, produced by ``members(ofObjectAt:in:)``.
    ///
    /// It holds the buffer pointer: use it only while the buffer is alive.
    public struct ObjectMembers: Sequence, IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        let end: Int
        var isStarted = false
        var isFinished = false

        /// Members from just after the `{` at `position - 1`, never reading at or past `end`.
        init(bytes: UnsafeRawBufferPointer, position: Int, end: Int) {
            self.bytes = bytes
            self.position = position
            self.end = end
        }

        /// The next member.
        public mutating func next() -> Member? {
            guard !isFinished else { return nil }
            var i = RawJSON.skipWhitespace(bytes, position, end)
            if isStarted {
                guard i < end, bytes[i] == JSONByte.comma else { return finish() }
                i = RawJSON.skipWhitespace(bytes, i + 1, end)
            } else {
                isStarted = true
            }
            guard i < end, bytes[i] == JSONByte.quote, let keyEnd = RawJSON.skipStringBody(bytes, i + 1, end) else { return finish() }
            let keyRange = i..<keyEnd
            i = RawJSON.skipWhitespace(bytes, keyEnd, end)
            guard i < end, bytes[i] == JSONByte.colon else { return finish() }
            i = RawJSON.skipWhitespace(bytes, i + 1, end)
            guard i < end, let valueEnd = RawJSON.skipValue(bytes, i, end) else { return finish() }
            position = valueEnd
            return Member(keyRange: keyRange, valueRange: i..<valueEnd)
        }

        private mutating func finish() -> Member? {
            isFinished = true
            return nil
        }
    }

    // MARK: Scalars

    /// The JSON type of the value at `range`, from its first byte.
    public static func kind(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Kind? {
        guard let (start, _) = bounds(of: range, in: bytes) else { return nil }
        switch bytes[start] {
        case JSONByte.openBrace: return .object
        case JSONByte.openBracket: return .array
        case JSONByte.quote: return .string
        case JSONByte.letterT, JSONByte.letterF: return .bool
        case JSONByte.letterN: return .null
        case JSONByte.minus, JSONByte.digit0 ... JSONByte.digit9: return .number
        default: return nil
        }
    }

    /// The decoded string at `range` (escapes resolved, `\uD83D\uDE00` pairs joined); `nil` if it is not a string.
    ///
    /// A lone surrogate escape (`\uD800` without its pair) becomes U+FFFD, since a Swift `String` cannot hold it.
    public static func string(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> String? {
        guard let content = stringContent(at: range, in: bytes) else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[content])
        guard raw.contains(JSONByte.backslash) else { return String(decoding: raw, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: raw.count) { buffer in
            unescape(raw, into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// The number at `range`, its literal text kept; `nil` if it is not a number.
    public static func number(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> JSONNumber? {
        guard let value = numericValue(at: range, in: bytes) else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        return JSONNumber(text: text, value: value)
    }

    /// The boolean at `range`; `nil` if it is not `true` or `false`.
    public static func bool(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Bool? {
        guard let (start, end) = bounds(of: range, in: bytes) else { return nil }
        if end - start == 4, matches(bytes, start, "true") { return true }
        if end - start == 5, matches(bytes, start, "false") { return false }
        return nil
    }

    /// Whether the value at `range` is `null`.
    public static func isNull(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard let (start, end) = bounds(of: range, in: bytes) else { return false }
        return end - start == 4 && matches(bytes, start, "null")
    }

    /// The value at `range` as a scalar, with objects and arrays left as ranges; `nil` if it is not a JSON value.
    public static func scalar(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> JSONScalar? {
        switch kind(at: range, in: bytes) {
        case .object: return .object(range)
        case .array: return .array(range)
        case .string: return string(at: range, in: bytes).map(JSONScalar.string)
        case .number: return number(at: range, in: bytes).map(JSONScalar.number)
        case .bool: return bool(at: range, in: bytes).map(JSONScalar.bool)
        case .null: return isNull(at: range, in: bytes) ? .null : nil
        case nil: return nil
        }
    }
}

// MARK: - Internals shared by lookup, validation and routing

/// The ASCII bytes JSON scanning looks at.
enum JSONByte {
    static let tab: UInt8 = 0x09, newline: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D, space: UInt8 = 0x20
    static let quote: UInt8 = 0x22, plus: UInt8 = 0x2B, comma: UInt8 = 0x2C, minus: UInt8 = 0x2D, dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F, digit0: UInt8 = 0x30, digit9: UInt8 = 0x39, colon: UInt8 = 0x3A
    static let openBracket: UInt8 = 0x5B, backslash: UInt8 = 0x5C, closeBracket: UInt8 = 0x5D
    static let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D
    static let letterE: UInt8 = 0x65, upperE: UInt8 = 0x45, letterF: UInt8 = 0x66, letterN: UInt8 = 0x6E
    static let letterT: UInt8 = 0x74
}

extension RawJSON {
    /// Whether `byte` is JSON whitespace: space, tab, CR or LF.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == JSONByte.space || byte == JSONByte.newline || byte == JSONByte.carriageReturn || byte == JSONByte.tab
    }

    /// `range` clamped to the buffer, as (start, end) with start < end; `nil` when empty or outside.
    @inline(__always)
    static func bounds(of range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> (Int, Int)? {
        let end = Swift.min(range.upperBound, bytes.count)
        guard range.lowerBound >= 0, range.lowerBound < end else { return nil }
        return (range.lowerBound, end)
    }

    /// The first index at or after `start` that is not whitespace (or `end`).
    @inline(__always)
    static func skipWhitespace(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int {
        var i = start
        while i < end, isWhitespace(bytes[i]) { i += 1 }
        return i
    }

    /// Whether the bytes at `start` spell `literal` (ASCII); the caller has checked the length fits.
    @inline(__always)
    static func matches(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard start + count <= bytes.count else { return false }
        let pointer = literal.utf8Start
        for k in 0..<count where bytes[start + k] != pointer[k] { return false }
        return true
    }

    /// Given the index just after an opening quote, the index just after the closing quote; `nil` if unterminated.
    ///
    /// Eight bytes at a time while none of them is a quote or a backslash.
    @inline(__always)
    static func skipStringBody(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        var i = start
        while true {
            while i + 8 <= end {
                let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if SWAR.hasByte(word, JSONByte.quote) || SWAR.hasByte(word, JSONByte.backslash) { break }
                i += 8
            }
            while i < end {
                let byte = bytes[i]
                if byte == JSONByte.quote { return i + 1 }
                if byte == JSONByte.backslash { break }
                i += 1
            }
            guard i < end else { return nil }
            i += 2  // a backslash and the byte it escapes
        }
    }

    /// Given the index of a value's first byte, the index just after the value; `nil` if it runs past `end`.
    ///
    /// Containers are skipped by counting brackets outside strings; numbers and literals end at a delimiter.
    static func skipValue(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        let first = bytes[start]
        if first == JSONByte.quote { return skipStringBody(bytes, start + 1, end) }
        if first == JSONByte.openBrace || first == JSONByte.openBracket {
            var depth = 0
            var i = start
            while i < end {
                let byte = bytes[i]
                if byte == JSONByte.quote {
                    guard let next = skipStringBody(bytes, i + 1, end) else { return nil }
                    i = next
                    continue
                }
                if byte == JSONByte.openBrace || byte == JSONByte.openBracket {
                    depth += 1
                } else if byte == JSONByte.closeBrace || byte == JSONByte.closeBracket {
                    depth -= 1
                    if depth == 0 { return i + 1 }
                }
                i += 1
            }
            return nil
        }
        var i = start + 1
        while i < end {
            let byte = bytes[i]
            if byte == JSONByte.comma || byte == JSONByte.closeBrace || byte == JSONByte.closeBracket || isWhitespace(byte) { break }
            i += 1
        }
        return i
    }

    /// The range between the quotes of the string token at `range`; `nil` if it is not a string token.
    @inline(__always)
    static func stringContent(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let (start, end) = bounds(of: range, in: bytes), end - start >= 2,
              bytes[start] == JSONByte.quote, bytes[end - 1] == JSONByte.quote else { return nil }
        return (start + 1)..<(end - 1)
    }

    /// Calls `body` with the UTF-8 bytes of `string`, without copying native strings.
    @inline(__always)
    static func withUTF8<R>(of string: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(string.utf8).withUnsafeBytes(body)
    }

    /// Whether the raw string content at `content` (between the quotes) decodes to exactly `expected`.
    static func rawString(_ bytes: UnsafeRawBufferPointer, _ content: Range<Int>, equals expected: UnsafeRawBufferPointer) -> Bool {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[content])
        guard raw.contains(JSONByte.backslash) else { return raw.elementsEqual(expected) }
        guard expected.count <= raw.count else { return false }
        return withUnescaped(raw) { $0.elementsEqual(expected) }
    }

    /// Calls `body` with the decoded UTF-8 of raw string content: in place when there is no escape, else in a
    /// temporary buffer (on the stack when small).
    static func withUnescaped<R>(_ raw: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard raw.contains(JSONByte.backslash) else { return body(raw) }
        return withUnsafeTemporaryAllocation(byteCount: raw.count, alignment: 1) { buffer in
            let count = unescape(raw, into: buffer)
            return body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Decodes raw string content into `output` (at least `raw.count` bytes); returns the decoded byte count.
    ///
    /// Decoding never grows: `\n` is 2 bytes → 1, `\uXXXX` 6 → at most 3, a surrogate pair 12 → 4.
    static func unescape(_ raw: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        var i = 0
        var o = 0
        let end = raw.count
        while i < end {
            let byte = raw[i]
            guard byte == JSONByte.backslash, i + 1 < end else {
                output[o] = byte
                o += 1
                i += 1
                continue
            }
            let escaped = raw[i + 1]
            i += 2
            let simple: UInt8
            switch escaped {
            case 0x62: simple = 0x08  // \b
            case 0x66: simple = 0x0C  // \f
            case 0x6E: simple = 0x0A  // \n
            case 0x72: simple = 0x0D  // \r
            case 0x74: simple = 0x09  // \t
            case 0x75:  // \uXXXX
                guard let unit = hex4(raw, i, end) else {
                    simple = escaped  // malformed (not validated): keep the letter, stay in bounds
                    break
                }
                i += 4
                var scalar = UInt32(unit)
                if unit >= 0xD800, unit < 0xDC00, i + 6 <= end, raw[i] == JSONByte.backslash, raw[i + 1] == 0x75,
                   let low = hex4(raw, i + 2, end), low >= 0xDC00, low < 0xE000 {
                    scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    i += 6
                } else if unit >= 0xD800, unit < 0xE000 {
                    scalar = 0xFFFD
                }
                o += encodeUTF8(scalar, into: output, at: o)
                continue
            default: simple = escaped  // \" \\ \/
            }
            output[o] = simple
            o += 1
        }
        return o
    }

    /// The value of four hex digits at `start`; `nil` if any is not a hex digit or they run past `end`.
    @inline(__always)
    static func hex4(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UInt16? {
        guard start + 4 <= end else { return nil }
        var value: UInt16 = 0
        for k in 0..<4 {
            guard let digit = hexValue(bytes[start + k]) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// The value of one hex digit (either case).
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Writes `scalar` as UTF-8 at `offset`; returns the byte count (1–4).
    @inline(__always)
    static func encodeUTF8(_ scalar: UInt32, into output: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        switch scalar {
        case 0..<0x80:
            output[offset] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            output[offset] = UInt8(0xC0 | scalar >> 6)
            output[offset + 1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            output[offset] = UInt8(0xE0 | scalar >> 12)
            output[offset + 1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[offset + 2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            output[offset] = UInt8(0xF0 | scalar >> 18)
            output[offset + 1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[offset + 2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[offset + 3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }

    /// Scans a number per RFC 8259 from `start`; returns where it ends and whether it is an integer literal
    /// (no fraction, no exponent), or where it stopped being a number.
    static func scanNumber(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> (end: Int, isInteger: Bool, isValid: Bool) {
        var i = start
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < end && bytes[k] >= JSONByte.digit0 && bytes[k] <= JSONByte.digit9 }
        if i < end, bytes[i] == JSONByte.minus { i += 1 }
        guard isDigit(i) else { return (i, false, false) }
        if bytes[i] == JSONByte.digit0 {
            i += 1
        } else {
            while isDigit(i) { i += 1 }
        }
        var isInteger = true
        if i < end, bytes[i] == JSONByte.dot {
            isInteger = false
            i += 1
            guard isDigit(i) else { return (i, false, false) }
            while isDigit(i) { i += 1 }
        }
        if i < end, bytes[i] == JSONByte.letterE || bytes[i] == JSONByte.upperE {
            isInteger = false
            i += 1
            if i < end, bytes[i] == JSONByte.plus || bytes[i] == JSONByte.minus { i += 1 }
            guard isDigit(i) else { return (i, false, false) }
            while isDigit(i) { i += 1 }
        }
        return (i, isInteger, true)
    }

    /// The numeric value of the number token that spans exactly `range`; `nil` if it is not one.
    static func numericValue(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> NumericValue? {
        guard let (start, end) = bounds(of: range, in: bytes) else { return nil }
        let scan = scanNumber(bytes, start, end)
        guard scan.isValid, scan.end == end else { return nil }
        return NumericValue(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), isInteger: scan.isInteger)
    }
}

/// Byte-parallel tests on eight bytes at once ("SIMD within a register"); exact as yes/no answers.
enum SWAR {
    /// 0x01 in every byte.
    static let ones: UInt64 = 0x0101_0101_0101_0101
    /// 0x80 in every byte (the high bits).
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `word` equals `byte`.
    @inline(__always)
    static func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
        hasZero(word ^ (ones &* UInt64(byte)))
    }

    /// Whether any byte of `word` is zero.
    @inline(__always)
    static func hasZero(_ word: UInt64) -> Bool {
        (word &- ones) & ~word & highs != 0
    }

    /// Whether any byte of `word` is less than `limit` (limit ≤ 128).
    @inline(__always)
    static func hasLess(_ word: UInt64, _ limit: UInt8) -> Bool {
        (word &- ones &* UInt64(limit)) & ~word & highs != 0
    }
}
