@testable import HookRelay
import Testing

/// Runs `body` over the UTF-8 bytes of `text`.
func withJSON<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try Array(text.utf8).withUnsafeBytes(body)
}

/// The error `validate` throws for `bytes`, if any.
func validationError(_ bytes: [UInt8]) -> RawJSONError? {
    bytes.withUnsafeBytes { buffer in
        do throws(RawJSONError) {
            try RawJSON.validate(buffer)
            return nil
        } catch {
            return error
        }
    }
}

/// The text of `range` in `text`.
func slice(_ text: String, _ range: Range<Int>?) -> String? {
    guard let range else { return nil }
    return String(decoding: Array(text.utf8)[range], as: UTF8.self)
}

@Suite struct RawJSONValidationTests {
    static let valid: [String] = [
        "{}", "[]", "0", "-0", "1.5e10", "-12.25E-3", "1E+2", "\"\"", "\"a\"", "true", "false", "null",
        " \t\r\n{ \"a\" : [ 1 , 2 , { } , [ ] ] } \n",
        #"{"a":{"b":{"c":[1,"x",null,true,false,-1.0e-2]}}}"#,
        #""\" \\ \/ \b \f \n \r \t \u00e4 \uD83D\uDE00""#,
        #""\ud800 lone surrogate escapes are grammatical""#,
        "\"J\u{FC}rgen \u{1F600} \u{0800} \u{10FFFF}\"",
        #"{"a":1,"a":2}"#,
        String(repeating: "[", count: 128) + String(repeating: "]", count: 128),
        #"{"long":"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789"}"#,
    ]

    @Test(arguments: valid)
    func acceptsWellFormedJSON(_ text: String) throws {
        try withJSON(text) { try RawJSON.validate($0) }
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let bytes: [UInt8]
        let offset: Int
        let reason: String
        var testDescription: String { String(decoding: bytes, as: UTF8.self) }

        init(_ text: String, _ offset: Int, _ reason: String) {
            self.init(Array(text.utf8), offset, reason)
        }

        init(_ bytes: [UInt8], _ offset: Int, _ reason: String) {
            self.bytes = bytes
            self.offset = offset
            self.reason = reason
        }
    }

    static let invalid: [Invalid] = [
        Invalid("", 0, "empty payload"),
        Invalid("  \n", 3, "empty payload"),
        Invalid([0xEF, 0xBB, 0xBF, 0x7B, 0x7D], 0, "byte order mark"),
        Invalid("{", 1, "unexpected end of payload"),
        Invalid(#"{"a"}"#, 4, "expected ':'"),
        Invalid(#"{"a":}"#, 5, "expected a value"),
        Invalid("{,}", 1, "expected a string key"),
        Invalid("{'a':1}", 1, "expected a string key"),
        Invalid(#"{"a":1,}"#, 7, "expected a string key"),
        Invalid("[1,]", 3, "expected a value"),
        Invalid("[1 2]", 3, "expected ',' or ']'"),
        Invalid(#"{"a":1 "b":2}"#, 7, "expected ',' or '}'"),
        Invalid("[1}", 2, "expected ',' or ']'"),
        Invalid("01", 1, "invalid number"),
        Invalid("1.", 2, "unexpected end of payload"),
        Invalid("1.x", 2, "invalid number"),
        Invalid(".5", 0, "expected a value"),
        Invalid("+1", 0, "expected a value"),
        Invalid("-", 1, "unexpected end of payload"),
        Invalid("[-a]", 2, "invalid number"),
        Invalid("1e", 2, "unexpected end of payload"),
        Invalid("[1e+]", 4, "invalid number"),
        Invalid("[1x]", 2, "invalid number"),
        Invalid("NaN", 0, "expected a value"),
        Invalid("tru", 3, "unexpected end of payload"),
        Invalid("trux", 3, "invalid literal"),
        Invalid("truex", 4, "invalid literal"),
        Invalid("[nul]", 4, "invalid literal"),
        Invalid(#""abc"#, 4, "unexpected end of payload"),
        Invalid("\"a\u{01}b\"", 2, "unescaped control character in string"),
        Invalid("\"a\tb\"", 2, "unescaped control character in string"),
        Invalid(#""\x""#, 1, "invalid escape in string"),
        Invalid(#""\u12G4""#, 1, "invalid \\u escape in string"),
        Invalid(#""\u12""#, 1, "invalid \\u escape in string"),
        Invalid([0x22, 0xC0, 0x80, 0x22], 1, "invalid UTF-8"),  // overlong NUL
        Invalid([0x22, 0xE0, 0x80, 0xAF, 0x22], 1, "invalid UTF-8"),  // overlong '/'
        Invalid([0x22, 0xED, 0xA0, 0x80, 0x22], 1, "invalid UTF-8"),  // UTF-8-encoded surrogate
        Invalid([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, "invalid UTF-8"),  // past U+10FFFF
        Invalid([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], 1, "invalid UTF-8"),
        Invalid([0x22, 0x61, 0x80, 0x22], 2, "invalid UTF-8"),  // stray continuation byte
        Invalid([0x22, 0xE2, 0x82, 0x22], 1, "invalid UTF-8"),  // truncated sequence
        Invalid([0x22, 0xE2, 0x82], 1, "invalid UTF-8"),
        Invalid([0x5B, 0xC3, 0xA4, 0x5D], 1, "expected a value"),  // non-ASCII outside a string
        Invalid(#"{"a":1}}"#, 7, "unexpected data after the value"),
        Invalid("[1] x", 4, "unexpected data after the value"),
        Invalid("1 2", 2, "unexpected data after the value"),
        Invalid("[1]/* c */", 3, "unexpected data after the value"),
        Invalid("[1,\u{0B}2]", 3, "expected a value"),  // vertical tab is not JSON whitespace
        Invalid(String(repeating: "[", count: 129) + String(repeating: "]", count: 129), 128, "nested too deeply"),
    ]

    @Test(arguments: invalid)
    func rejectsMalformedJSONWithOffsetAndReason(_ input: Invalid) {
        let error = validationError(input.bytes)
        #expect(error?.reason == input.reason)
        #expect(error?.offset == input.offset)
    }

    @Test func honoursACustomDepthLimit() throws {
        try withJSON("[[1]]") { try RawJSON.validate($0, maxDepth: 2) }
        #expect(throws: RawJSONError.self) { try withJSON("[[[1]]]") { try RawJSON.validate($0, maxDepth: 2) } }
    }

    /// The eight-bytes-at-a-time string scan must see a special byte at every position of a word.
    @Test func findsSpecialBytesAtEveryPositionOfALongString() {
        for position in 0..<24 {
            for (special, reason) in [(UInt8(0x01), "unescaped control character in string"), (0x1F, "unescaped control character in string"),
                                      (0xFF, "invalid UTF-8"), (0x80, "invalid UTF-8")] {
                var bytes = Array("\"abcdefghijklmnopqrstuvwxyz\"".utf8)
                bytes[1 + position] = special
                let error = validationError(bytes)
                #expect(error?.offset == 1 + position, "position \(position), byte \(special)")
                #expect(error?.reason == reason)
            }
            var quoted = Array("\"abcdefghijklmnopqrstuvwxyz\"".utf8)
            quoted[1 + position] = 0x22  // an early closing quote leaves trailing letters
            let error = validationError(quoted)
            #expect(error?.offset == 2 + position)
        }
    }

    @Test func errorDescriptionNamesOffsetAndReason() {
        let error = validationError(Array("[1,]".utf8))
        #expect(error?.description == "invalid JSON at byte 3: expected a value")
    }

    /// Mutated payloads must never make any scanning function read outside the buffer (debug builds trap on that).
    @Test func scanningFunctionsStayInBoundsOnMangledInput() {
        let seed = Array(#"{"a":[1,{"b":"x\"y\u00e4"},[true,null]],"c":-1.5e3,"d":{"e":"ü"}}"#.utf8)
        var generator = SplitMix64(seed: 42)
        let alphabet = Array(#"{}[]",:\u0123456789-+.eEtrufalsn "#.utf8) + [0x80, 0xC3, 0xFF, 0x00]
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.removeSubrange(position...)
                }
                if bytes.isEmpty { bytes = [0x5B] }
            }
            bytes.withUnsafeBytes { buffer in
                _ = try? RawJSON.validate(buffer)
                for path: [RawJSON.PathComponent] in [["a", 1, "b"], ["a", 2, 1], ["c"], ["d", "e"], [0]] {
                    if let range = RawJSON.range(of: path, in: buffer) {
                        #expect(range.lowerBound >= 0 && range.upperBound <= buffer.count)
                        _ = RawJSON.scalar(at: range, in: buffer)
                    }
                }
                if let root = RawJSON.valueRange(in: buffer), let members = RawJSON.members(ofObjectAt: root, in: buffer) {
                    for member in members {
                        _ = RawJSON.string(at: member.keyRange, in: buffer)
                        _ = RawJSON.scalar(at: member.valueRange, in: buffer)
                        for element in RawJSON.elements(ofArrayAt: member.valueRange, in: buffer).map(Array.init) ?? [] {
                            _ = RawJSON.scalar(at: element, in: buffer)
                        }
                    }
                }
            }
        }
    }
}

/// A small deterministic generator for mutation tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RawJSONLookupTests {
    static let stripe = """
        {
          "id": "evt_1P",
          "object": "event",
          "created": 1763720100,
          "data": {
            "object": { "id": "in_1P", "amount_due": 2000, "lines": { "data": [ {"id": "il_1"}, {"id": "il_2", "tags": ["a", "b"]} ] },
                        "livemode": false, "customer_name": "J\\u00fcrgen", "note": null }
          },
          "type": "invoice.payment_failed"
        }
        """

    @Test(arguments: [
        (["id"], #""evt_1P""#),
        (["created"], "1763720100"),
        (["data", "object", "id"], #""in_1P""#),
        (["data", "object", "lines", "data", 1, "id"], #""il_2""#),
        (["data", "object", "lines", "data", 1, "tags", 0], #""a""#),
        (["data", "object", "livemode"], "false"),
        (["data", "object", "note"], "null"),
        (["data", "object", "customer_name"], #""J\u00fcrgen""#),
        (["type"], #""invoice.payment_failed""#),
        (["data", "object", "lines", "data", 0], #"{"id": "il_1"}"#),
    ] as [([RawJSON.PathComponent], String)])
    func findsTheRangeOfTheValueAtAPath(path: [RawJSON.PathComponent], expected: String) {
        let found = withJSON(Self.stripe) { RawJSON.range(of: path, in: $0) }
        #expect(slice(Self.stripe, found) == expected)
    }

    @Test(arguments: [
        ["missing"], ["data", "missing"], ["data", "object", "lines", "data", 2], ["data", "object", "lines", "data", -1],
        ["id", "x"], ["data", 0], ["data", "object", "lines", "data", "0"], ["created", 0],
    ] as [[RawJSON.PathComponent]])
    func returnsNilForPathsThatDoNotExist(path: [RawJSON.PathComponent]) {
        #expect(withJSON(Self.stripe) { RawJSON.range(of: path, in: $0) } == nil)
    }

    @Test func emptyPathIsTheTopLevelValueWithoutWhitespace() {
        let text = " \n [1, 2] \t"
        #expect(slice(text, withJSON(text) { RawJSON.range(of: [], in: $0) }) == "[1, 2]")
        #expect(slice("42", withJSON("42") { RawJSON.valueRange(in: $0) }) == "42")
        #expect(withJSON("   ") { RawJSON.valueRange(in: $0) } == nil)
    }

    @Test func matchesKeysWrittenWithEscapes() {
        let text = #"{"\u0061b\"c": 1, "\u00e4\/x": 2, "😀": 3}"#
        #expect(slice(text, withJSON(text) { RawJSON.range(of: ["ab\"c"], in: $0) }) == "1")
        #expect(slice(text, withJSON(text) { RawJSON.range(of: ["ä/x"], in: $0) }) == "2")
        #expect(slice(text, withJSON(text) { RawJSON.range(of: ["😀"], in: $0) }) == "3")
        #expect(withJSON(text) { RawJSON.range(of: ["ab"], in: $0) } == nil)
    }

    @Test func firstDuplicateKeyWins() {
        let text = #"{"a": 1, "a": 2}"#
        #expect(slice(text, withJSON(text) { RawJSON.range(of: ["a"], in: $0) }) == "1")
    }

    @Test func skipsBracketsAndQuotesInsideStrings() {
        let text = #"{"s": "}]\"{[", "t": ["]", {"u": "\\"}], "v": true}"#
        #expect(slice(text, withJSON(text) { RawJSON.range(of: ["v"], in: $0) }) == "true")
        #expect(slice(text, withJSON(text) { RawJSON.range(of: ["t", 1, "u"], in: $0) }) == #""\\""#)
    }

    @Test func looksUpInsideASubValue() {
        let text = #"{"entry": [{"id": "1", "time": 5}, {"id": "2", "time": 6}]}"#
        let ids = withJSON(text) { bytes -> [String] in
            let entries = RawJSON.range(of: ["entry"], in: bytes)!
            return RawJSON.elements(ofArrayAt: entries, in: bytes)!.compactMap { element in
                RawJSON.range(of: ["id"], inValueAt: element, in: bytes).flatMap { RawJSON.string(at: $0, in: bytes) }
            }
        }
        #expect(ids == ["1", "2"])
    }

    @Test func iteratesArrayElementsAsRanges() {
        let text = #"[ 1 ,"two", {"three": [3]} ,[ ], null ]"#
        let elements = withJSON(text) { bytes in Array(RawJSON.elements(ofArrayAt: RawJSON.valueRange(in: bytes)!, in: bytes)!) }
        #expect(elements.map { slice(text, $0)! } == ["1", #""two""#, #"{"three": [3]}"#, "[ ]", "null"])
        #expect(withJSON("[ ]") { bytes in Array(RawJSON.elements(ofArrayAt: 0..<3, in: bytes)!) }.isEmpty)
        #expect(withJSON("{}") { bytes in RawJSON.elements(ofArrayAt: 0..<2, in: bytes) } == nil)
    }

    @Test func iteratesObjectMembersWithKeyTextAndValueRange() {
        let text = #"{ "a" : 1, "b\u0063": {"x": [1]}, "": "" }"#
        let members = withJSON(text) { bytes in
            RawJSON.members(ofObjectAt: RawJSON.valueRange(in: bytes)!, in: bytes)!.map { member in
                (member.key(in: bytes), slice(text, member.valueRange)!)
            }
        }
        #expect(members.map(\.0) == ["a", "bc", ""])
        #expect(members.map(\.1) == ["1", #"{"x": [1]}"#, #""""#])
        #expect(withJSON("{ }") { bytes in Array(RawJSON.members(ofObjectAt: 0..<3, in: bytes)!) }.isEmpty)
        #expect(withJSON("[]") { bytes in RawJSON.members(ofObjectAt: 0..<2, in: bytes) } == nil)
    }

    @Test func elementAtIndex() {
        let text = "[10, 20, 30]"
        #expect(slice(text, withJSON(text) { RawJSON.element(2, inArrayAt: 0..<12, in: $0) }) == "30")
        #expect(withJSON(text) { RawJSON.element(3, inArrayAt: 0..<12, in: $0) } == nil)
    }
}

@Suite struct RawJSONScalarTests {
    func decodeString(_ literal: String) -> String? {
        withJSON(literal) { RawJSON.string(at: 0..<$0.count, in: $0) }
    }

    @Test func decodesStringEscapes() {
        #expect(decodeString(#""plain""#) == "plain")
        #expect(decodeString(#""""#) == "")
        #expect(decodeString(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == "a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti")
        #expect(decodeString(#""J\u00fcrgen \ud83d\ude00 M\u00FCller""#) == "Jürgen 😀 Müller")
        #expect(decodeString(#""\u0000\u001f\u20AC""#) == "\u{0}\u{1F}€")
        #expect(decodeString("\"Jürgen 😀\"") == "Jürgen 😀")
    }

    @Test func replacesLoneSurrogatesWithReplacementCharacter() {
        #expect(decodeString(#""a\ud800b""#) == "a\u{FFFD}b")
        #expect(decodeString(#""\ude00\ud83d""#) == "\u{FFFD}\u{FFFD}")
        #expect(decodeString(#""\ud83d\u0041""#) == "\u{FFFD}A")
    }

    @Test func stringAtANonStringIsNil() {
        #expect(decodeString("42") == nil)
        #expect(decodeString("null") == nil)
    }

    func number(_ literal: String) -> JSONNumber? {
        withJSON(literal) { RawJSON.number(at: 0..<$0.count, in: $0) }
    }

    @Test func decodesNumbersKeepingTheirText() {
        #expect(number("42")?.int64Value == 42)
        #expect(number("-9223372036854775808")?.int64Value == .min)
        #expect(number("9223372036854775807")?.int64Value == .max)
        #expect(number("9223372036854775808")?.int64Value == nil)
        #expect(number("9223372036854775808")?.doubleValue == 9_223_372_036_854_775_808)
        #expect(number("1.5e3")?.int64Value == nil)
        #expect(number("1.5e3")?.doubleValue == 1500)
        #expect(number("-12.50")?.text == "-12.50")
        #expect(number("1e400")?.doubleValue == nil)
        #expect(number("1e400")?.text == "1e400")
        #expect(number("01") == nil)
        #expect(number("1 ") == nil)
        #expect(number("\"1\"") == nil)
    }

    @Test func comparesNumbersNumericallyAndExactly() {
        #expect(JSONNumber("1") == JSONNumber("1.0"))
        #expect(JSONNumber("100") == JSONNumber("1e2"))
        #expect(JSONNumber("-0") == JSONNumber("0.0"))
        #expect(JSONNumber("9007199254740993") != JSONNumber("9007199254740992"))
        #expect(JSONNumber("9007199254740993")! > JSONNumber("9007199254740992.0")!)
        #expect(JSONNumber("9007199254740992")! == JSONNumber("9007199254740992.0")!)
        #expect(JSONNumber("2")! < JSONNumber("2.5")!)
        #expect(JSONNumber("-3")! < JSONNumber("-2.5")!)
        #expect(JSONNumber("9223372036854775807")! < JSONNumber("1e19")!)
        #expect(Set([JSONNumber("1")!, JSONNumber("1.0")!, JSONNumber("1e0")!]).count == 1)
        #expect(JSONNumber("1.") == nil)
    }

    @Test func decodesBoolsNullsAndScalars() {
        let text = #"{"t": true, "f": false, "n": null, "s": "x", "o": {"a": 1}, "a": [1], "num": 2.5}"#
        withJSON(text) { bytes in
            func at(_ key: String) -> Range<Int> { RawJSON.range(of: [.key(key)], in: bytes)! }
            #expect(RawJSON.bool(at: at("t"), in: bytes) == true)
            #expect(RawJSON.bool(at: at("f"), in: bytes) == false)
            #expect(RawJSON.bool(at: at("n"), in: bytes) == nil)
            #expect(RawJSON.isNull(at: at("n"), in: bytes))
            #expect(!RawJSON.isNull(at: at("f"), in: bytes))
            #expect(RawJSON.scalar(at: at("s"), in: bytes) == .string("x"))
            #expect(RawJSON.scalar(at: at("num"), in: bytes) == .number(JSONNumber("2.5")!))
            #expect(RawJSON.scalar(at: at("n"), in: bytes) == .null)
            #expect(RawJSON.scalar(at: at("o"), in: bytes) == .object(at("o")))
            #expect(RawJSON.scalar(at: at("a"), in: bytes) == .array(at("a")))
            #expect(RawJSON.kind(at: at("t"), in: bytes) == .bool)
            #expect(RawJSON.kind(at: at("num"), in: bytes) == .number)
        }
    }
}
