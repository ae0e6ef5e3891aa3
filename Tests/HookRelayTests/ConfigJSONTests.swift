import Foundation
import Testing

@testable import HookRelay

/// The position-tracking JSON reader, JSON paths, config diagnostics, the typed decoding helper,
/// and config durations and rates.
struct ConfigJSONTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    private func pos(_ line: Int, _ column: Int) -> SourcePosition { SourcePosition(line: line, column: column) }

    // MARK: Valid documents and positions

    @Test func recordsPositionsOfNestedNodesAndKeys() throws {
        let text = """
            {
              "sources": [
                { "name": "stripe", "secrets": ["env:A", "env:B"] }
              ],
              "routes": [ {"to": [1, 2.5, true, null]} ]
            }
            """
        let root = try parse(text)
        #expect(root.position == pos(1, 1))
        let members = try #require(root.members)
        #expect(members.map(\.key) == ["sources", "routes"])
        #expect(members[0].keyPosition == pos(2, 3))
        #expect(members[1].keyPosition == pos(5, 3))

        let sources = try #require(root["sources"])
        #expect(sources.position == pos(2, 14))
        let source = try #require(sources.arrayValue?.first)
        #expect(source.position == pos(3, 5))
        #expect(source.member("name")?.keyPosition == pos(3, 7))
        #expect(source["name"]?.position == pos(3, 15))
        #expect(source["name"]?.stringValue == "stripe")
        let secrets = try #require(source["secrets"]?.arrayValue)
        #expect(secrets.map(\.position) == [pos(3, 37), pos(3, 46)])
        #expect(secrets.compactMap(\.stringValue) == ["env:A", "env:B"])

        let to = try #require(root["routes"]?.arrayValue?.first?["to"]?.arrayValue)
        #expect(to.map(\.position) == [pos(5, 23), pos(5, 26), pos(5, 31), pos(5, 37)])
        #expect(to[0].numberValue?.intValue == 1)
        #expect(to[1].numberValue?.doubleValue == 2.5)
        #expect(to[2].boolValue == true)
        #expect(to[3].isNull)
    }

    @Test func columnsCountUnicodeScalars() throws {
        // "é" is 2 bytes, "😀" is 4 bytes, "e\u{301}" is two scalars: each scalar is one column.
        let root = try parse(#"{"é": "😀", "x": ["e\#u{301}", 1]}"#)
        #expect(root.member("x")?.keyPosition == pos(1, 12))
        #expect(root["x"]?.arrayValue?.map(\.position) == [pos(1, 18), pos(1, 24)])
        let error = #expect(throws: JSONSyntaxError.self) { try self.parse(#"{"ключ": "значение", "b": tru}"#) }
        #expect(error?.position == pos(1, 27))
    }

    @Test func decodesEscapesAndKeepsColumnsAfterThem() throws {
        let root = try parse(#"["a\"b\\c\/d\b\f\n\r\t\u00e9\u00E9\uD83D\uDE00\u0000", 7]"#)
        let elements = try #require(root.arrayValue)
        #expect(elements[0].stringValue == "a\"b\\c/d\u{8}\u{C}\n\r\té\u{E9}😀\u{0}")
        // Columns count the escapes as written, not as decoded.
        #expect(elements[1].position == pos(1, 56))
        let lines = try parse("[\"line one\\nline two\",\n  \"x\\ty\", 3]")
        #expect(lines.arrayValue?.map(\.position) == [pos(1, 2), pos(2, 3), pos(2, 11)])
        #expect(lines.arrayValue?[0].stringValue == "line one\nline two")
    }

    @Test func countsLinesForLFCRLFAndLoneCR() throws {
        let root = try parse("[1,\r\n 2,\r  3,\n\n    4]")
        #expect(root.arrayValue?.map(\.position) == [pos(1, 2), pos(2, 2), pos(3, 3), pos(5, 5)])
        let error = #expect(throws: JSONSyntaxError.self) { try self.parse("[1,\r\n 2,\r  x]") }
        #expect(error?.position == pos(3, 3))
    }

    @Test func skipsByteOrderMark() throws {
        let root = try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8))
        #expect(root.position == pos(1, 1))
        #expect(root["a"]?.position == pos(1, 7))
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[x]".utf8)) }
        #expect(error?.position == pos(1, 2))
        // A BOM anywhere else is just an unexpected character.
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(" ".utf8) + [0xEF, 0xBB, 0xBF] + Array("1".utf8)) }
    }

    @Test func keepsNumberLiteralsAndViews() throws {
        let root = try parse("[0, -0, 42, -17, 1.50, 1e3, 2E-2, 123456789012345678901234567890, 9223372036854775807]")
        let numbers = try #require(root.arrayValue).compactMap(\.numberValue)
        #expect(numbers.map(\.text) == ["0", "-0", "42", "-17", "1.50", "1e3", "2E-2", "123456789012345678901234567890",
                                        "9223372036854775807"])
        #expect(numbers.map(\.intValue) == [0, 0, 42, -17, nil, nil, nil, nil, Int.max])
        #expect(numbers[4].doubleValue == 1.5)
        #expect(numbers[5].doubleValue == 1000)
        #expect(numbers[6].doubleValue == 0.02)
        #expect(numbers[7].isInteger)
        #expect(numbers[7].doubleValue == 1.2345678901234568e29)
        #expect(ConfigNumber("-1.5e3")?.doubleValue == -1500)
        #expect(ConfigNumber(" 1") == nil)
        #expect(ConfigNumber("01") == nil)
        #expect(ConfigNumber("\"1\"") == nil)
        #expect(ConfigNumber(-7).text == "-7")
    }

    @Test func acceptsScalarDocumentsAndWhitespace() throws {
        #expect(try parse(" \t\n 1 \n").numberValue?.intValue == 1)
        #expect(try parse(#""s""#).stringValue == "s")
        #expect(try parse("null").isNull)
        #expect(try parse("true").boolValue == true)
        #expect(try parse("[]").arrayValue?.isEmpty == true)
        #expect(try parse("{ }").members?.isEmpty == true)
        #expect(try parse("\n\n  false").position == pos(3, 3))
    }

    // MARK: Syntax errors

    @Test(arguments: [
        (#"{"a": 1 "b": 2}"#, 1, 9, "expected ',' or '}' after object member"),
        ("{\"a\": 1\n  \"b\": 2}", 2, 3, "expected ',' or '}' after object member"),
        ("[1 2]", 1, 4, "expected ',' or ']' after array element"),
        (#"{"a" 1}"#, 1, 6, "expected ':' after object key"),
        ("{a: 1}", 1, 2, "expected '\"' to start an object key"),
        ("{'a': 1}", 1, 2, "expected '\"' to start an object key"),
        ("{\"a\": 1,}", 1, 8, "trailing comma"),
        ("{\"a\": 1,\n}", 1, 8, "trailing comma"),
        ("[1,]", 1, 3, "trailing comma"),
        ("[1,\n  ]", 1, 3, "trailing comma"),
        ("[,1]", 1, 2, "expected a value"),
        ("[1,,2]", 1, 4, "expected a value"),
        ("", 1, 1, "unexpected end of input"),
        ("  \n  ", 2, 3, "unexpected end of input"),
        ("[1,", 1, 4, "unexpected end of input"),
        ("[1", 1, 3, "unexpected end of input"),
        (#"{"a":"#, 1, 6, "unexpected end of input"),
        (#"{"a""#, 1, 5, "unexpected end of input"),
        ("{", 1, 2, "unexpected end of input"),
        (#"{"a": 1"#, 1, 8, "unexpected end of input"),
        (#"["abc"#, 1, 2, "unterminated string"),
        ("[\"abc\\", 1, 2, "unterminated string"),
        (#"["a\qb"]"#, 1, 4, #"invalid escape \q"#),
        (#"["a\'b"]"#, 1, 4, #"invalid escape \'"#),
        (#"["\u12G4"]"#, 1, 3, #"invalid escape \u (expected four hex digits)"#),
        (#"["\u12"]"#, 1, 3, #"invalid escape \u (expected four hex digits)"#),
        ("[\"a\tb\"]", 1, 4, "control character in string"),
        ("[\"a\nb\"]", 1, 4, "control character in string"),
        ("[\"\u{0}\"]", 1, 3, "control character in string"),
        (#"["\uD800"]"#, 1, 3, #"lone surrogate escape \uD800"#),
        (#"["\uDC00"]"#, 1, 3, #"lone surrogate escape \uDC00"#),
        (#"["x\ud83d\u0041"]"#, 1, 4, #"lone surrogate escape \uD83D"#),
        (#"["\uD83Dx"]"#, 1, 3, #"lone surrogate escape \uD83D"#),
        (#"["\uD83D\uD83D"]"#, 1, 3, #"lone surrogate escape \uD83D"#),
        ("[01]", 1, 2, "leading zeros are not allowed"),
        ("[-01]", 1, 2, "leading zeros are not allowed"),
        ("[00]", 1, 2, "leading zeros are not allowed"),
        ("[-]", 1, 3, "expected a digit after '-'"),
        ("[-a]", 1, 3, "expected a digit after '-'"),
        ("[1.]", 1, 4, "expected a digit after '.'"),
        ("[.5]", 1, 2, "expected a value"),
        ("[1e]", 1, 4, "expected a digit in exponent"),
        ("[1e+]", 1, 5, "expected a digit in exponent"),
        ("[+1]", 1, 2, "expected a value"),
        ("[1e999]", 1, 2, "number out of range"),
        ("[-1e400]", 1, 2, "number out of range"),
        ("[True]", 1, 2, "invalid literal 'True'; expected true, false, null, a number, or a quoted string"),
        ("[tru]", 1, 2, "invalid literal 'tru'; expected true, false, null, a number, or a quoted string"),
        ("[NaN]", 1, 2, "invalid literal 'NaN'; expected true, false, null, a number, or a quoted string"),
        ("[nullx]", 1, 2, "invalid literal 'nullx'; expected true, false, null, a number, or a quoted string"),
        ("[whsec_abc123]", 1, 2, "unquoted text; strings need double quotes (expected true, false, null, a number, or a quoted string)"),
        ("[1x]", 1, 3, "expected ',' or ']' after array element"),
        ("{} {}", 1, 4, "unexpected content after the top-level value"),
        ("[1]\n]", 2, 1, "unexpected content after the top-level value"),
        ("// comment\n{}", 1, 1, "expected a value"),
        ("{\"a\": 1, /* c */ \"b\": 2}", 1, 10, "expected '\"' to start an object key"),
        ("[\"é\", ü]", 1, 7, "expected a value"),
        ("{\"a\": 1,\n \"a\": 2}", 2, 2, #"duplicate key "a" (first at 1:2)"#),
        ("[{\"x\": {\"k\": 1, \"k\": {}}}]", 1, 17, #"duplicate key "k" (first at 1:9)"#),
    ])
    func reportsSyntaxErrorsWithPosition(input: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(input) }
        #expect(error?.line == line)
        #expect(error?.column == column)
        #expect(error?.message == message)
        #expect(error?.description == "\(line):\(column): \(message)")
    }

    @Test(arguments: [
        ([UInt8(ascii: "[")] + [0x22, 0xFF, 0x22, 0x5D], 1, 3),        // never valid
        ([0x22, 0xC0, 0x80, 0x22], 1, 2),                               // overlong NUL
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], 1, 2),                         // overlong '/'
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1, 2),                         // encoded surrogate
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, 2),                   // above U+10FFFF
        ([0x22, 0xC3], 1, 2),                                           // truncated at the end
        ([0x22, 0xE2, 0x82, 0x22], 1, 2),                               // truncated before a quote
        ([0x22, 0x80, 0x22], 1, 2),                                     // stray continuation byte
        (Array("[\"é\",\n \"".utf8) + [0xC3, 0x22, 0x5D], 2, 3),        // after multi-byte text
        (Array("[1] ".utf8) + [0xFE], 1, 5),                            // outside strings too
    ] as [([UInt8], Int, Int)])
    func rejectsInvalidUTF8(bytes: [UInt8], line: Int, column: Int) {
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(bytes) }
        #expect(error?.position == pos(line, column))
        #expect(error?.message == "invalid UTF-8")
    }

    @Test func limitsNestingDepth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try parse(ok).arrayValue != nil)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = #expect(throws: JSONSyntaxError.self) { try self.parse(tooDeep) }
        #expect(error?.position == pos(1, 65))
        #expect(error?.message == "nesting deeper than 64 levels")

        let objects = String(repeating: #"{"a":"#, count: 3) + "1" + String(repeating: "}", count: 3)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(objects, maxDepth: 2) }
        #expect(try JSONValue.parse(objects, maxDepth: 3).members != nil)

        // A hostile document is refused at the limit, long before the stack could matter.
        let hostile = String(repeating: "[", count: 500_000)
        let deep = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(hostile, maxBytes: 1 << 20) }
        #expect(deep?.position == pos(1, 65))
    }

    @Test func limitsDocumentSize() throws {
        let big = "[" + String(repeating: "1,", count: 600_000) + "1]"
        let error = #expect(throws: JSONSyntaxError.self) { try self.parse(big) }
        #expect(error?.position == pos(1, 1))
        #expect(error?.message == "document too large (\(big.utf8.count) bytes; the limit is 1048576)")
        #expect(try JSONValue.parse(big, maxBytes: 2 << 20).arrayValue?.count == 600_001)
    }

    @Test func rejectsDuplicateKeysAtTheSecondOne() {
        let text = """
            {
              "name": "a",
              "nested": { "name": "fine: different object" },
              "name": "b"
            }
            """
        let error = #expect(throws: JSONSyntaxError.self) { try self.parse(text) }
        #expect(error?.description == #"4:3: duplicate key "name" (first at 2:3)"#)
    }

    /// Random edits of a valid document never crash the reader; whatever it accepts, Foundation accepts too,
    /// with the same structure.
    @Test func mutatedDocumentsNeverCrashAndAgreeWithFoundation() throws {
        let seed = Array("""
            {"sources": [{"name": "stripe", "secrets": ["env:A", "\\u00e9\\n"], "n": -1.5e3}],
             "routes": [{"to": [true, false, null, 0, "é😀"]}], "x": {}}
            """.utf8)
        let pieces: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "\\", "0", "-", "e", ".", " ", "\n", "tru", "\\u",
                                 "D800", "01"].map { Array($0.utf8) } + [[0xC3], [0xFF], [0x09]]
        var rng = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(contentsOf: pieces.randomElement(using: &rng)!, at: at)
                default: bytes[at] = pieces.randomElement(using: &rng)!.first!
                }
            }
            guard let ours = try? JSONValue.parse(bytes) else { continue }
            accepted += 1
            let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            #expect(theirs != nil, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(Self.plain(ours) == theirs.map(Self.plain), "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(accepted > 100)
    }

    /// A comparable rendering of a parsed tree (ours or Foundation's): sorted keys, numbers as doubles.
    private static func plain(_ value: JSONValue) -> String {
        switch value.kind {
        case .null: "null"
        case .bool(let b): "\(b ? 1.0 : 0.0)"  // Foundation's booleans are NSNumbers
        case .number(let n): "\(n.doubleValue == 0 ? 0 : n.doubleValue)"  // Foundation reads -0 as 0
        case .string(let s): "s:\(s.unicodeScalars.map { String($0.value) })"
        case .array(let a): "[" + a.map(plain).joined(separator: ",") + "]"
        case .object(let m): "{" + m.sorted { $0.key < $1.key }.map { "\($0.key)=\(plain($0.value))" }.joined(separator: ",") + "}"
        }
    }

    private static func plain(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case let n as NSNumber: return "\(n.doubleValue == 0 ? 0 : n.doubleValue)"
        case let s as String: return "s:\(s.unicodeScalars.map { String($0.value) })"
        case let a as [Any]: return "[" + a.map(plain).joined(separator: ",") + "]"
        case let d as [String: Any]:
            return "{" + d.sorted { $0.key < $1.key }.map { "\($0.key)=\(plain($0.value))" }.joined(separator: ",") + "}"
        default: return "?"
        }
    }

    // MARK: JSONPath

    @Test func rendersPaths() {
        #expect(JSONPath.root.description == "")
        #expect((["routes", 0, "to", 1] as JSONPath).description == "routes[0].to[1]")
        #expect((["sources", 2, "secrets"] as JSONPath).description == "sources[2].secrets")
        #expect((["when", "data.object.livemode"] as JSONPath).description == #"when["data.object.livemode"]"#)
        #expect((["routes", 0, "when", "data.object.livemode", "$eq"] as JSONPath).description
            == #"routes[0].when["data.object.livemode"].$eq"#)
        #expect((["auth", "X-N8N-Key"] as JSONPath).description == #"auth["X-N8N-Key"]"#)
        #expect(([0, "a"] as JSONPath).description == "[0].a")
        #expect((["a b", "2x", "", "q\"\\\n"] as JSONPath).description == #"["a b"]["2x"][""]["q\"\\\n"]"#)
        #expect((["_x1", "é"] as JSONPath).description == #"_x1["é"]"#)
        #expect(JSONPath.root.appending("routes").appending(index: 3).appending("name").description == "routes[3].name")
        #expect(JSONPath.root.isRoot)
    }

    // MARK: ConfigDiagnostic

    @Test func rendersDiagnostics() throws {
        let error = ConfigDiagnostic(.error, file: "routes/stripe.json", at: pos(12, 5), path: ["routes", 0, "to", 1],
                                     message: #"unknown destination "billing-n88""#)
        #expect(error.description == #"routes/stripe.json:12:5: routes[0].to[1]: unknown destination "billing-n88""#)
        let warning = ConfigDiagnostic(severity: .warning, file: "routes/a.json", line: 3, column: 7,
                                       path: "sources[0].secrets[0]", message: "literal secret; use env:NAME or file:PATH")
        #expect(warning.description
            == "routes/a.json:3:7: warning: sources[0].secrets[0]: literal secret; use env:NAME or file:PATH")
        let root = ConfigDiagnostic(.error, file: "a.json", at: pos(1, 1), message: "expected an object, found an array")
        #expect(root.description == "a.json:1:1: expected an object, found an array")
        let file = ConfigDiagnostic(.error, file: "b.json", at: nil, message: "cannot read file")
        #expect(file.description == "b.json: cannot read file")
        #expect(file.position == nil)
        #expect(ConfigDiagnostic.Severity.warning < .error)
        let syntaxError = try #require(throws: JSONSyntaxError.self) { try JSONValue.parse("[1,]") }
        let syntax = ConfigDiagnostic(file: "c.json", syntaxError: syntaxError)
        #expect(syntax.description == "c.json:1:3: trailing comma")
    }

    // MARK: Durations and rates

    @Test(arguments: [
        ("0s", Duration.zero), ("0ms", .zero), ("500ms", .milliseconds(500)), ("10s", .seconds(10)),
        ("5m", .seconds(300)), ("2h", .seconds(7200)), ("3d", .seconds(259_200)), ("1ms", .milliseconds(1)),
        ("9223372036854775807ms", .milliseconds(Int64.max)), ("106751991167d", .seconds(Int64(106_751_991_167) * 86_400)),
    ])
    func parsesDurations(text: String, expected: Duration) throws {
        #expect(try Duration(configText: text) == expected)
    }

    @Test(arguments: [
        ("", "expected a number followed by ms, s, m, h or d"),
        ("5 m", "expected a number followed by ms, s, m, h or d"),
        (" 5m", "expected a number followed by ms, s, m, h or d"),
        ("5m ", "expected a number followed by ms, s, m, h or d"),
        ("5", "expected a number followed by ms, s, m, h or d"),
        ("m", "expected a number followed by ms, s, m, h or d"),
        ("5M", "expected a number followed by ms, s, m, h or d"),
        ("5sec", "expected a number followed by ms, s, m, h or d"),
        ("5us", "expected a number followed by ms, s, m, h or d"),
        ("+5s", "expected a number followed by ms, s, m, h or d"),
        ("５s", "expected a number followed by ms, s, m, h or d"),
        ("-5s", "must not be negative"),
        ("1.5s", "only whole numbers are allowed; use a smaller unit"),
        ("1h30m", "mixed units are not supported; write 90m"),
        ("1m30s", "mixed units are not supported; write 90s"),
        ("1d1ms", "mixed units are not supported; write 86400001ms"),
        ("05s", "leading zeros are not allowed"),
        ("00s", "leading zeros are not allowed"),
        ("9223372036854775808ms", "too large"),
        ("106751991168d", "too large"),
        ("99999999999999999999999s", "too large"),
    ])
    func rejectsInvalidDurations(text: String, reason: String) {
        let error = #expect(throws: ConfigValueError.self) { try Duration(configText: text) }
        #expect(error?.message == "invalid duration \(JSONPath.quoted(text)): \(reason)")
        #expect(error?.isInvalidDuration == true)
    }

    @Test func quotesLongBadValuesShortened() {
        let text = String(repeating: "x", count: 100)
        let error = #expect(throws: ConfigValueError.self) { try Duration(configText: text) }
        #expect(error?.message == "invalid duration \"\(String(repeating: "x", count: 40))\"…: "
            + "expected a number followed by ms, s, m, h or d")
    }

    @Test(arguments: [
        ("20/s", 20, 1, 20.0), ("1/s", 1, 1, 1.0), ("120/m", 120, 60, 2.0), ("30/h", 30, 3600, 30.0 / 3600),
        ("1000000000/s", 1_000_000_000, 1, 1e9),
    ])
    func parsesRates(text: String, count: Int, seconds: Int64, perSecond: Double) throws {
        let rate = try Rate(configText: text)
        #expect(rate.count == count)
        #expect(rate.interval == .seconds(seconds))
        #expect(rate.eventsPerSecond == perSecond)
        #expect(rate.text == text)
        #expect(rate.description == text)
    }

    @Test(arguments: [
        ("", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("20", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("20/", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("/s", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("20 /s", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("20/ s", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("20/sec", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("20/S", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("20/d", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("1.5/s", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("20/s/s", "expected a whole number followed by /s, /m or /h, such as 20/s"),
        ("-1/s", "must not be negative"),
        ("0/s", "must be at least 1"),
        ("020/s", "leading zeros are not allowed"),
        ("1000000001/s", "too large (at most 1000000000 per interval)"),
        ("99999999999999999999999/s", "too large (at most 1000000000 per interval)"),
    ])
    func rejectsInvalidRates(text: String, reason: String) {
        let error = #expect(throws: ConfigValueError.self) { try Rate(configText: text) }
        #expect(error?.message == "invalid rate \(JSONPath.quoted(text)): \(reason)")
        #expect(error?.isInvalidRate == true)
    }

    // MARK: Suggestions

    @Test(arguments: [
        ("secret", "secrets"), ("sercets", "secrets"), ("nmae", "name"), ("Name", "name"), ("provder", "provider"),
        ("publicurl", "publicURL"), ("PUBLICURL", "publicURL"), ("tolerence", "tolerance"), ("rate_limit", nil),
        ("xyz", nil), ("nam", "name"), ("names", "name"), ("n", nil), ("secretz", "secrets"), ("maxbody", "maxBody"),
    ] as [(String, String?)])
    func suggestsNearKeys(word: String, expected: String?) {
        let allowed = ["name", "provider", "secrets", "publicURL", "tolerance", "maxBody", "split"]
        #expect(ConfigDecoder.suggestion(for: word, among: allowed) == expected)
    }

    @Test func editDistanceCountsTranspositionsOnce() {
        func distance(_ a: String, _ b: String) -> Int {
            ConfigDecoder.editDistance(Array(a.unicodeScalars), Array(b.unicodeScalars), limit: 5)
        }
        #expect(distance("secrets", "sercets") == 1)
        #expect(distance("abc", "abc") == 0)
        #expect(distance("", "abc") == 3)
        #expect(distance("kitten", "sitting") == 3)
        #expect(ConfigDecoder.editDistance(Array("abcdefgh".unicodeScalars), Array("hgfedcba".unicodeScalars), limit: 2) == 3)
    }

    // MARK: Typed decoding

    @Test func collectsEveryProblemInOneDocument() throws {
        let text = """
            {
              "sources": [
                { "name": "stripe", "provider": "stripe", "secret": ["env:A"], "tolerance": 300 },
                { "provider": "githbu", "secrets": ["env:B", 7, ""], "tolerance": "5 m", "split": "yes" }
              ],
              "destinations": [
                { "name": "billing", "concurrency": 400, "rateLimit": "20/sec", "timeout": "10s", "body": null }
              ],
              "rutes": []
            }
            """
        var decoder = ConfigDecoder(file: "routes/stripe.json")
        let rootNode = decoder.parse(Array(text.utf8))
        let root = try #require(rootNode)
        let topNode = decoder.object(root, at: .root)
        let top = try #require(topNode)
        decoder.checkKeys(of: top, allowed: ["sources", "destinations", "routes"])

        var names: [String] = []
        let sources = decoder.optional("sources", in: top, as: .array(of: .object)) ?? []
        for source in sources {
            decoder.checkKeys(of: source, allowed: ["name", "provider", "secrets", "tolerance", "split"])
            if let name = decoder.required("name", in: source, as: .nonEmptyString) { names.append(name) }
            _ = decoder.required("provider", in: source, as: .oneOf(["stripe", "github", "none"]))
            _ = decoder.optional("secrets", in: source, as: .array(of: .nonEmptyString, minCount: 1))
            _ = decoder.optional("tolerance", in: source, as: .duration, default: .seconds(300))
            _ = decoder.optional("split", in: source, as: .bool)
        }
        for destination in decoder.required("destinations", in: top, as: .array(of: .object)) ?? [] {
            _ = decoder.required("name", in: destination, as: .string)
            _ = decoder.optional("concurrency", in: destination, as: .int(in: 1...64))
            _ = decoder.optional("rateLimit", in: destination, as: .rate)
            #expect(decoder.optional("timeout", in: destination, as: .duration) == .seconds(10))
            _ = decoder.optional("body", in: destination, as: .oneOf(["envelope", "data", "raw"]))
        }
        decoder.warning("no routes", at: top.position, path: .root)

        #expect(names == ["stripe"])
        #expect(decoder.hasErrors)
        #expect(decoder.diagnostics.map(\.description) == [
            #"routes/stripe.json:9:3: rutes: unknown key "rutes"; did you mean "routes"?"#,
            #"routes/stripe.json:3:47: sources[0].secret: unknown key "secret"; did you mean "secrets"?"#,
            #"routes/stripe.json:3:81: sources[0].tolerance: expected a duration such as "10s", found 300"#,
            #"routes/stripe.json:4:5: sources[1]: missing required key "name""#,
            #"routes/stripe.json:4:19: sources[1].provider: unknown value "githbu"; did you mean "github"?"#,
            #"routes/stripe.json:4:50: sources[1].secrets[1]: expected a non-empty string, found 7"#,
            #"routes/stripe.json:4:53: sources[1].secrets[2]: must not be empty"#,
            #"routes/stripe.json:4:71: sources[1].tolerance: invalid duration "5 m": expected a number followed by ms, s, m, h or d"#,
            #"routes/stripe.json:4:87: sources[1].split: expected true or false, found "yes""#,
            #"routes/stripe.json:7:41: destinations[0].concurrency: must be from 1 to 64, found 400"#,
            #"routes/stripe.json:7:59: destinations[0].rateLimit: invalid rate "20/sec": "#
                + "expected a whole number followed by /s, /m or /h, such as 20/s",
            #"routes/stripe.json:7:95: destinations[0].body: expected one of envelope, data, raw, found null"#,
            "routes/stripe.json:1:1: warning: no routes",
        ])
    }

    @Test func reportsTypeMismatchesWithWhatWasFound() throws {
        let root = try parse(#"{"a": [1], "b": {}, "c": 2.5, "d": 99999999999999999999, "e": "x", "f": true, "g": []}"#)
        var decoder = ConfigDecoder(file: "f.json")
        let objectNode = decoder.object(root, at: .root)
        let object = try #require(objectNode)
        #expect(decoder.required("a", in: object, as: .string) == nil)
        #expect(decoder.required("b", in: object, as: .int) == nil)
        #expect(decoder.required("c", in: object, as: .int) == nil)
        #expect(decoder.required("d", in: object, as: .int) == nil)
        #expect(decoder.required("e", in: object, as: .object) == nil)
        #expect(decoder.required("f", in: object, as: .array(of: .string)) == nil)
        #expect(decoder.required("g", in: object, as: .array(of: .string, minCount: 2)) == nil)
        #expect(decoder.required("c", in: object, as: .number) == 2.5)
        #expect(decoder.required("f", in: object, as: .bool) == true)
        #expect(decoder.required("g", in: object, as: .array(of: .int)) == [])
        #expect(decoder.required("e", in: object, as: .any)?.stringValue == "x")
        #expect(decoder.optional("missing", in: object, as: .string) == nil)
        #expect(decoder.optional("missing", in: object, as: .int, default: 4) == 4)
        #expect(decoder.object(try parse("[1]"), at: ["x"]) == nil)
        #expect(decoder.diagnostics.map(\.description) == [
            "f.json:1:7: a: expected a string, found an array",
            "f.json:1:17: b: expected an integer, found an object",
            "f.json:1:26: c: expected an integer, found 2.5",
            "f.json:1:36: d: integer 99999999999999999999 is too large",
            "f.json:1:63: e: expected an object, found \"x\"",
            "f.json:1:73: f: expected an array, found true",
            "f.json:1:84: g: must have at least 2 elements",
            "f.json:1:1: x: expected an object, found an array",
        ])
    }

    @Test func customFieldsReportAtTheValue() throws {
        let https = ConfigField.string.map(expecting: "an https URL") { url throws(ConfigValueError) in
            guard url.hasPrefix("https://") else { throw ConfigValueError("must be an https URL") }
            return url
        }
        let root = try parse("{\n  \"url\": \"http://x\",\n  \"urls\": [\"https://a\", \"ftp://b\"]\n}")
        var decoder = ConfigDecoder(file: "d.json")
        let objectNode = decoder.object(root, at: .root)
        let object = try #require(objectNode)
        #expect(decoder.required("url", in: object, as: https) == nil)
        #expect(decoder.required("urls", in: object, as: .array(of: https)) == nil)
        decoder.checkKeys(of: object, allowed: ["url"])
        #expect(decoder.diagnostics.map(\.description) == [
            "d.json:2:10: url: must be an https URL",
            "d.json:3:25: urls[1]: must be an https URL",
            #"d.json:3:3: urls: unknown key "urls"; did you mean "url"?"#,
        ])
    }

    @Test func unknownKeysWithoutSuggestionListTheAllowedKeys() throws {
        var decoder = ConfigDecoder(file: "e.json")
        let objectNode = decoder.object(try parse(#"{"header": "X", "zzz": 1, "data.x": 2}"#), at: ["auth"])
        let object = try #require(objectNode)
        decoder.checkKeys(of: object, allowed: ["header", "value"])
        let emptyNode = decoder.object(try parse(#"{"a": 1}"#), at: .root)
        let empty = try #require(emptyNode)
        decoder.checkKeys(of: empty, allowed: [])
        #expect(decoder.diagnostics.map(\.description) == [
            #"e.json:1:17: auth.zzz: unknown key "zzz"; expected one of header, value"#,
            #"e.json:1:27: auth["data.x"]: unknown key "data.x"; expected one of header, value"#,
            #"e.json:1:2: a: unknown key "a"; this object takes no keys"#,
        ])
    }

    @Test func syntaxErrorsBecomeDiagnostics() {
        var decoder = ConfigDecoder(file: "routes/x.json")
        #expect(decoder.parse(Array("{\n  \"a\": 01\n}".utf8)) == nil)
        #expect(decoder.parse(Array("[1]".utf8), maxBytes: 2) == nil)
        #expect(decoder.diagnostics.map(\.description) == [
            "routes/x.json:2:8: leading zeros are not allowed",
            "routes/x.json:1:1: document too large (3 bytes; the limit is 2)",
        ])
    }
}
