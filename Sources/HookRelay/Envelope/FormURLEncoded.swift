/// `application/x-www-form-urlencoded` bodies (Twilio, Mailchimp, Mandrill, Slack commands): decoding them and
/// turning them into the JSON object the envelope's `data` carries.
///
/// ```swift
/// let pairs = try body.withUnsafeBytes { try FormURLEncoded.parse($0) }   // [("From", "+15551234567"), …]
/// let data = FormURLEncoded.jsonObject(pairs)                             // {"From":"+15551234567",…}
/// ```
public enum FormURLEncoded {
    /// Decodes a form body into name/value pairs, in order, repeated names kept.
    ///
    /// Pairs are separated by `&`; the first `=` separates name from value (a pair without `=` has an empty value);
    /// empty pairs (`a=1&&b=2`, a trailing `&`) are skipped, as in the WHATWG URL standard. `+` decodes to a space,
    /// `%XX` (either case) to that byte. Strict where WHATWG is lenient: a `%` not followed by two hex digits, or
    /// decoded bytes that are not UTF-8, throw instead of being passed through or replaced.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(FormURLEncodedError) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x26 { end += 1 }  // &
            if end > start {
                var equals = start
                while equals < end, bytes[equals] != 0x3D { equals += 1 }  // =
                let name = try decode(bytes, start..<equals)
                let value = equals < end ? try decode(bytes, (equals + 1)..<end) : ""
                pairs.append((name, value))
            }
            start = end + 1
        }
        return pairs
    }

    /// ``parse(_:)`` over a byte array.
    public static func parse(_ bytes: [UInt8]) throws(FormURLEncodedError) -> [(name: String, value: String)] {
        let result: Result<[(name: String, value: String)], FormURLEncodedError> = bytes.withUnsafeBytes { buffer in
            do throws(FormURLEncodedError) { return .success(try parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The pairs as one compact JSON object: each name once, in order of first appearance; a name that appears once
    /// maps to its string value, a repeated name to an array of its values in order.
    ///
    /// `a=1&b=x&b=y` → `{"a":"1","b":["x","y"]}`. Values stay strings (`"1"`, not `1`): forms carry no types, and
    /// guessing would turn a phone number or a zip code like `00501` into a different value. Names are kept literally:
    /// `data[email]` is a key of its own, not a nested object. The catch of the repeated-name rule is that a field's
    /// JSON type depends on how often it appears; routes that need to handle both can use `$in` / `$contains`.
    public static func jsonObject(_ pairs: [(name: String, value: String)]) -> [UInt8] {
        // Group values by name, keeping first-appearance order; small forms need no dictionary.
        var names: [String] = []
        var values: [[String]] = []
        var indexByName: [String: Int] = [:]
        let useDictionary = pairs.count > 16
        for (name, value) in pairs {
            let index: Int?
            if useDictionary {
                index = indexByName[name]
            } else {
                index = names.firstIndex { $0.utf8.elementsEqual(name.utf8) }
            }
            if let index {
                values[index].append(value)
            } else {
                if useDictionary { indexByName[name] = names.count }
                names.append(name)
                values.append([value])
            }
        }
        var output: [UInt8] = [JSONByte.openBrace]
        output.reserveCapacity(pairs.reduce(2) { $0 + $1.name.utf8.count + $1.value.utf8.count + 6 })
        for (index, name) in names.enumerated() {
            if index > 0 { output.append(JSONByte.comma) }
            JSONString.appendQuoted(name, to: &output)
            output.append(JSONByte.colon)
            let group = values[index]
            if group.count == 1 {
                JSONString.appendQuoted(group[0], to: &output)
            } else {
                output.append(JSONByte.openBracket)
                for (k, value) in group.enumerated() {
                    if k > 0 { output.append(JSONByte.comma) }
                    JSONString.appendQuoted(value, to: &output)
                }
                output.append(JSONByte.closeBracket)
            }
        }
        output.append(JSONByte.closeBrace)
        return output
    }

    /// Percent-decodes one name or value.
    private static func decode(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(FormURLEncodedError) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        var needsDecoding = false
        for byte in raw where byte == 0x25 || byte == JSONByte.plus || byte >= 0x80 {
            needsDecoding = true
            break
        }
        guard needsDecoding else { return String(decoding: raw, as: UTF8.self) }  // plain ASCII
        return try withUnsafeTemporaryAllocation(byteCount: raw.count, alignment: 1) { buffer throws(FormURLEncodedError) in
            var i = 0
            var count = 0
            while i < raw.count {
                var byte = raw[i]
                if byte == 0x25 {  // %
                    guard i + 2 < raw.count, let high = RawJSON.hexValue(raw[i + 1]), let low = RawJSON.hexValue(raw[i + 2]) else {
                        throw FormURLEncodedError(.invalidPercentEscape, at: range.lowerBound + i)
                    }
                    byte = high << 4 | low
                    i += 3
                } else {
                    if byte == JSONByte.plus { byte = JSONByte.space }
                    i += 1
                }
                buffer[count] = byte
                count += 1
            }
            let decoded = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            guard let string = String(validating: decoded, as: UTF8.self) else {
                throw FormURLEncodedError(.invalidUTF8, at: range.lowerBound)
            }
            return string
        }
    }
}

/// Why a form body could not be decoded: where, and a short reason that never echoes the body.
public struct FormURLEncodedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; private detail that can grow without breaking callers.
    enum Code: Sendable, Equatable {
        case invalidPercentEscape, invalidUTF8
    }

    /// What went wrong.
    let code: Code
    /// The byte offset of the bad escape, or of the start of the name/value that is not UTF-8.
    public let offset: Int

    /// An error of kind `code` at byte `offset`.
    init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// A short, constant reason.
    public var reason: String {
        switch code {
        case .invalidPercentEscape: "'%' not followed by two hex digits"
        case .invalidUTF8: "decoded bytes are not UTF-8"
        }
    }

    public var description: String { "invalid form body at byte \(offset): \(reason)" }
}
