import Foundation
@testable import HookRelay
import Testing

/// Golden files: `Golden/<name>.payload.*` is what a provider sends; `Golden/<name>.envelope(s).json(l)` is what
/// hookrelay must produce, byte for byte (one envelope per line for batches; files end with a newline).
/// Regenerate after an intended change with `HOOKRELAY_UPDATE_GOLDEN=1 swift test --filter EnvelopeGoldenTests`,
/// then review the diff.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func read(_ name: String) throws -> [UInt8] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return [UInt8](data)
    }

    /// Compares `actual` with the expected file (or rewrites it in update mode).
    static func expect(_ actual: [UInt8], matches name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["HOOKRELAY_UPDATE_GOLDEN"] == "1" {
            try Data(actual).write(to: directory.appendingPathComponent(name))
            return
        }
        let expected = try read(name)
        #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self), sourceLocation: sourceLocation)
        #expect(actual == expected, sourceLocation: sourceLocation)
    }
}

/// The bytes between `,"data":` and `,"provider":` in an encoded envelope, found without RawJSON.
func splicedData(in envelope: [UInt8]) -> ArraySlice<UInt8>? {
    func find(_ needle: String, from start: Int) -> Int? {
        let needle = Array(needle.utf8)
        guard envelope.count >= needle.count else { return nil }
        for i in start...(envelope.count - needle.count) where envelope[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
    guard let dataKey = find(#","data":"#, from: 0), let providerKey = find(#","provider":""#, from: dataKey) else { return nil }
    // The provider key may also occur inside data; the envelope's own one is the last.
    var last = providerKey
    while let next = find(#","provider":""#, from: last + 1) { last = next }
    return envelope[(dataKey + 8)..<last]
}

/// Parses with Foundation, which shares no code with RawJSON.
func foundationJSON(_ bytes: some Collection<UInt8>) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
}

/// A parsed value re-serialized with sorted keys, for comparing JSON semantically.
func canonicalJSON(_ value: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
}

@Suite struct EnvelopeGoldenTests {
    let id = "0193a5e2-7c1f-7b7e-9f0a-3c5d2e1b4a99"
    let receivedAt = RFC3339.string(fromUnixMilliseconds: 1_763_720_100_123)

    /// Asserts what every golden envelope must satisfy: valid JSON, attributes as given, data spliced byte for byte.
    func check(_ encoded: [UInt8], splices payload: ArraySlice<UInt8>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let object = try #require(try foundationJSON(encoded) as? [String: Any], sourceLocation: sourceLocation)
        #expect(object["specversion"] as? String == "1.0", sourceLocation: sourceLocation)
        #expect(object["datacontenttype"] as? String == "application/json", sourceLocation: sourceLocation)
        #expect(splicedData(in: encoded).map(Array.init) == Array(payload), sourceLocation: sourceLocation)
        let viaRawJSON = encoded.withUnsafeBytes { bytes in RawJSON.range(of: ["data"], in: bytes).map { Array(encoded[$0]) } }
        #expect(viaRawJSON == Array(payload), sourceLocation: sourceLocation)
        let parsedData = try #require(object["data"], sourceLocation: sourceLocation)
        #expect(try canonicalJSON(parsedData) == canonicalJSON(try foundationJSON(payload)), sourceLocation: sourceLocation)
    }

    @Test func stripeInvoiceEnvelope() throws {
        let payload = try Golden.read("stripe-invoice.payload.json")
        let envelope = payload.withUnsafeBytes { bytes in
            let root = RawJSON.valueRange(in: bytes)!
            func string(_ path: [RawJSON.PathComponent]) -> String? {
                RawJSON.range(of: path, in: bytes).flatMap { RawJSON.string(at: $0, in: bytes) }
            }
            let created = RawJSON.range(of: ["created"], in: bytes).flatMap { RawJSON.number(at: $0, in: bytes)?.int64Value }!
            return Envelope(id: id, source: Envelope.source(forSourceNamed: "stripe"), type: "stripe." + string(["type"])!,
                            time: RFC3339.string(fromUnixSeconds: created), subject: string(["data", "object", "id"]),
                            data: payload[root], provider: "stripe", providerEventID: string(["id"]), receivedAt: receivedAt)
        }
        #expect(envelope.type == "stripe.invoice.payment_failed")
        #expect(envelope.time == "2025-11-21T10:15:00Z")
        let encoded = envelope.encoded()
        try check(encoded, splices: payload[...])
        try Golden.expect(encoded + [0x0A], matches: "stripe-invoice.envelope.json")
    }

    /// Meta signs `\u00e4`-escaped payloads: the escapes, `\/`, literal UTF-8, CRLF, tabs and odd spacing must all
    /// reach the receiver exactly as sent.
    @Test func nonASCIIPayloadIsSplicedByteIdentical() throws {
        let payload = try Golden.read("meta-unicode.payload.json")
        try payload.withUnsafeBytes { try RawJSON.validate($0) }
        #expect(payload.contains(0x0D) && payload.contains(0x09))
        #expect(String(decoding: payload, as: UTF8.self).contains(#""name":"J\u00fcrgen \ud83d\ude00 M\u00fcller""#))
        let envelope = Envelope(id: id, source: "/hooks/meta", type: "meta.page.messages",
                                time: RFC3339.string(fromUnixMilliseconds: 1_763_720_100_000), subject: nil,
                                data: payload[...], provider: "meta", providerEventID: "m_AbC/dEf==", receivedAt: receivedAt)
        let encoded = envelope.encoded()
        try check(encoded, splices: payload[...])
        let name = payload.withUnsafeBytes { bytes in
            RawJSON.range(of: ["entry", 0, "messaging", 0, "message", "name"], in: bytes).flatMap { RawJSON.string(at: $0, in: bytes) }
        }
        #expect(name == "Jürgen 😀 Müller")
        try Golden.expect(encoded + [0x0A], matches: "meta-unicode.envelope.json")
    }

    @Test func formBodyBecomesAJSONObject() throws {
        let payload = try Golden.read("twilio-sms.payload.txt")
        let pairs = try FormURLEncoded.parse(payload)
        let data = FormURLEncoded.jsonObject(pairs)
        let envelope = Envelope(id: id, source: "/hooks/twilio-sms", type: "twilio.message.received",
                                time: RFC3339.string(fromUnixSeconds: 1_763_720_100), subject: "+15551234567",
                                data: data[...], provider: "twilio", providerEventID: "SM1f0e8a4b2c", receivedAt: receivedAt)
        let encoded = envelope.encoded()
        try check(encoded, splices: data[...])
        let object = try #require(try foundationJSON(data) as? [String: Any])
        #expect(object["Body"] as? String == "Hello wörld 😀 50% off!")
        #expect(object["Tag"] as? [String] == ["a", "b&c"])
        #expect(object["MediaUrl0"] as? String == "")
        #expect(object["Note"] as? String == "say \"hi\"\nbye")
        try Golden.expect(encoded + [0x0A], matches: "twilio-sms.envelope.json")
    }

    @Test func batchIsSplitIntoOneEnvelopePerEntry() throws {
        let payload = try Golden.read("meta-batch.payload.json")
        var lines: [UInt8] = []
        var count = 0
        try payload.withUnsafeBytes { bytes in
            let entries = try #require(RawJSON.range(of: ["entry"], in: bytes))
            for (index, entry) in try #require(RawJSON.elements(ofArrayAt: entries, in: bytes)).enumerated() {
                let change = RawJSON.range(of: ["changes", 0, "value"], inValueAt: entry, in: bytes)!
                let item = RawJSON.range(of: ["messages", 0], inValueAt: change, in: bytes)
                    ?? RawJSON.range(of: ["statuses", 0], inValueAt: change, in: bytes)!
                let itemID = RawJSON.range(of: ["id"], inValueAt: item, in: bytes).flatMap { RawJSON.string(at: $0, in: bytes) }
                let timestamp = RawJSON.range(of: ["timestamp"], inValueAt: item, in: bytes)
                    .flatMap { RawJSON.string(at: $0, in: bytes) }.flatMap { Int64($0) }!
                let envelope = Envelope(id: "0193a5e2-7c1f-7b7e-9f0a-3c5d2e1b4a9\(index)", source: "/hooks/whatsapp",
                                        type: "meta.whatsapp_business_account.messages",
                                        time: RFC3339.string(fromUnixSeconds: timestamp), subject: "WABA_1",
                                        data: payload[entry], provider: "meta", providerEventID: itemID, receivedAt: receivedAt)
                let encoded = envelope.encoded()
                try check(encoded, splices: payload[entry])
                envelope.encode(into: &lines)
                lines.append(0x0A)
                count += 1
            }
        }
        #expect(count == 2)
        try Golden.expect(lines, matches: "meta-batch.envelopes.jsonl")
    }
}

@Suite struct EnvelopeEncodingTests {
    func envelope(subject: String? = "in_1", providerEventID: String? = "evt_1", data: String = #"{"a":1}"#) -> Envelope {
        Envelope(id: "id-1", source: "/hooks/s", type: "p.t", time: "2026-11-21T10:15:00Z", subject: subject,
                 data: Array(data.utf8)[...], provider: "p", providerEventID: providerEventID,
                 receivedAt: "2026-11-21T10:15:00.123Z")
    }

    @Test func writesAttributesInDesignOrder() {
        let text = String(decoding: envelope().encoded(), as: UTF8.self)
        #expect(text == #"{"specversion":"1.0","id":"id-1","source":"/hooks/s","type":"p.t","time":"2026-11-21T10:15:00Z","#
            + #""subject":"in_1","datacontenttype":"application/json","data":{"a":1},"provider":"p","providereventid":"evt_1","#
            + #""receivedat":"2026-11-21T10:15:00.123Z"}"#)
    }

    @Test func omitsAbsentSubjectAndProviderEventID() {
        let text = String(decoding: envelope(subject: nil, providerEventID: nil).encoded(), as: UTF8.self)
        #expect(!text.contains("subject") && !text.contains("providereventid"))
        #expect((try? foundationJSON(Array(text.utf8))) != nil)
    }

    @Test func appendsExtraMembersForTheCLI() {
        let text = String(decoding: envelope().encoded(extra: [("status", "pending"), ("note", "a\"b")]), as: UTF8.self)
        #expect(text.hasSuffix(#""receivedat":"2026-11-21T10:15:00.123Z","status":"pending","note":"a\"b"}"#))
    }

    @Test func encodeIntoAppendsToAnExistingBuffer() {
        var buffer = Array("prefix ".utf8)
        envelope().encode(into: &buffer)
        #expect(buffer.starts(with: Array("prefix {".utf8)))
        #expect(Array(buffer.dropFirst(7)) == envelope().encoded())
    }

    @Test func dataSliceKeepsItsOwnBytesOnly() throws {
        let body = Array(#"[{"x":1},{"y":"\u00e4"}]"#.utf8)
        let second = body.withUnsafeBytes { bytes in RawJSON.element(1, inArrayAt: RawJSON.valueRange(in: bytes)!, in: bytes)! }
        var envelope = envelope()
        envelope.data = body[second]
        #expect(splicedData(in: envelope.encoded()).map(Array.init) == Array(#"{"y":"\u00e4"}"#.utf8))
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote \" backslash \\ slash /", #""quote \" backslash \\ slash /""#),
        ("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#),
        ("\u{00}\u{01}\u{1F}\u{7F}", #""\u0000\u0001\u001f"# + "\u{7F}\""),
        ("Jürgen 😀 \u{2028}", "\"Jürgen 😀 \u{2028}\""),
        ("", #""""#),
    ])
    func escapesStrings(input: String, expected: String) throws {
        let quoted = JSONString.quoted(input)
        #expect(String(decoding: quoted, as: UTF8.self) == expected)
        #expect(try foundationJSON(quoted) as? String == input)
    }

    @Test func escapedAttributesStillMakeValidJSON() throws {
        var envelope = envelope()
        envelope.subject = "line\nbreak \"quoted\" \u{1} ü"
        let object = try #require(try foundationJSON(envelope.encoded()) as? [String: Any])
        #expect(object["subject"] as? String == envelope.subject)
    }

    @Test func decodesWhatItEncodes() throws {
        let original = envelope(data: #" { "k" : [1, "\u00e4"] } "#.trimmingCharacters(in: .whitespaces))
        let decoded = try #require(Envelope(decoding: original.encoded()))
        #expect(decoded == original)
        let withoutOptionals = envelope(subject: nil, providerEventID: nil)
        #expect(Envelope(decoding: withoutOptionals.encoded()) == withoutOptionals)
        #expect(Envelope(decoding: Array(#"{"specversion":"1.0"}"#.utf8)) == nil)
        #expect(Envelope(decoding: Array("not json".utf8)) == nil)
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (1_763_720_100, "2025-11-21T10:15:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_709_164_800, "2024-02-29T00:00:00Z"),
        (-2_203_891_200, "1900-03-01T00:00:00Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
        (-62_167_219_200, "0000-01-01T00:00:00Z"),
        (Int64.max, "9999-12-31T23:59:59Z"),
        (Int64.min, "0000-01-01T00:00:00Z"),
    ])
    func formatsUnixSeconds(seconds: Int64, expected: String) {
        #expect(RFC3339.string(fromUnixSeconds: seconds) == expected)
    }

    @Test(arguments: [
        (Int64(1_763_720_100_123), "2025-11-21T10:15:00.123Z"),
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (1_000, "1970-01-01T00:00:01.000Z"),
        (7, "1970-01-01T00:00:00.007Z"),
    ])
    func formatsUnixMilliseconds(milliseconds: Int64, expected: String) {
        #expect(RFC3339.string(fromUnixMilliseconds: milliseconds) == expected)
        #expect(RFC3339.string(from: UnixTime(milliseconds: milliseconds), includeMilliseconds: true) == expected)
    }

    @Test func agreesWithFoundationOverFourCenturies() throws {
        var generator = SplitMix64(seed: 7)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        for _ in 0..<2000 {
            // 1600-01-01 … 9999-12-31 (Foundation switches to the Julian calendar before 1582).
            let seconds = Int64(generator.next() % UInt64(253_402_300_799 + 11_676_096_000)) - 11_676_096_000
            let ours = RFC3339.string(fromUnixSeconds: seconds)
            #expect(ours == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))), "\(seconds)")
            #expect(RFC3339.parse(ours) == UnixTime(seconds: seconds))
        }
    }

    @Test(arguments: [
        ("2026-11-21T10:15:00Z", 1_795_256_100, 0),
        ("2026-11-21T10:15:00.5Z", 1_795_256_100, 500_000_000),
        ("2026-11-21T10:15:00.123456789Z", 1_795_256_100, 123_456_789),
        ("2026-11-21T10:15:00.1234567891234Z", 1_795_256_100, 123_456_789),
        ("2026-11-21T11:15:00+01:00", 1_795_256_100, 0),
        ("2026-11-21T04:45:00.000-05:30", 1_795_256_100, 0),
        ("2026-11-21t10:15:00z", 1_795_256_100, 0),
        ("2026-11-21 10:15:00Z", 1_795_256_100, 0),
        ("2026-11-21T10:15:00-00:00", 1_795_256_100, 0),
        ("2016-12-31T23:59:60Z", 1_483_228_800, 0),
        ("1969-12-31T23:59:59.999Z", -1, 999_000_000),
        ("2024-02-29T00:00:00Z", 1_709_164_800, 0),
    ] as [(String, Int64, Int32)])
    func parsesRFC3339(text: String, seconds: Int64, nanoseconds: Int32) {
        #expect(RFC3339.parse(text) == UnixTime(seconds: seconds, nanoseconds: nanoseconds))
    }

    @Test(arguments: [
        "", "2026-11-21", "2026-11-21T10:15:00", "2026-11-21T10:15Z", "2026-11-21T10:15:00.Z", "2026-1-21T10:15:00Z",
        "2026-11-21T10:15:00+0100", "2026-11-21T10:15:00+24:00", "2026-11-21T24:00:00Z", "2026-11-21T10:60:00Z",
        "2026-11-21T10:15:61Z", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
        "2026-11-00T00:00:00Z", "2026-11-21T10:15:00Zjunk", "2026-11-21X10:15:00Z", " 2026-11-21T10:15:00Z",
        "+2026-11-21T10:15:00Z", "1763720100",
    ])
    func rejectsMalformedRFC3339(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func parsesHTTPDates() {
        #expect(HTTPDate.parse("Tue, 14 Apr 2026 03:50:12 GMT") == RFC3339.parse("2026-04-14T03:50:12Z")?.seconds)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        for text in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 gmt",
                     "Sun, 6 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                     "Sun, 30 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
                     "Sun, 06 Nov 1994 08:49:37 GMT ", ""] {
            #expect(HTTPDate.parse(text) == nil, "\(text)")
        }
    }

    @Test func formatsHTTPDatesWithTheRightWeekday() {
        #expect(HTTPDate.string(fromUnixSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.string(fromUnixSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.string(fromUnixSeconds: -86_400) == "Wed, 31 Dec 1969 00:00:00 GMT")
        var generator = SplitMix64(seed: 9)
        for _ in 0..<500 {
            let seconds = Int64(generator.next() % 4_102_444_800)
            #expect(HTTPDate.parse(HTTPDate.string(fromUnixSeconds: seconds)) == seconds)
        }
    }

    @Test func unixTimeConvertsMilliseconds() {
        #expect(UnixTime(milliseconds: -1) == UnixTime(seconds: -1, nanoseconds: 999_000_000))
        #expect(UnixTime(milliseconds: -1).milliseconds == -1)
        #expect(UnixTime(seconds: 5, nanoseconds: 999_999_999).milliseconds == 5_999)
        #expect(UnixTime(seconds: 1) < UnixTime(seconds: 1, nanoseconds: 1))
    }
}

@Suite struct FormURLEncodedTests {
    func parse(_ text: String) throws(FormURLEncodedError) -> [String] {
        try FormURLEncoded.parse(Array(text.utf8)).map { "\($0.name)=\($0.value)" }
    }

    @Test func decodesPairs() throws {
        #expect(try parse("a=1&b=two+words&c=%41%2b%2F%e2%82%AC") == ["a=1", "b=two words", "c=A+/€"])
        #expect(try parse("") == [])
        #expect(try parse("a=1&&b=2&") == ["a=1", "b=2"])
        #expect(try parse("flag&empty=&=noname") == ["flag=", "empty=", "=noname"])
        #expect(try parse("eq=a=b") == ["eq=a=b"])
        #expect(try parse("k%3D=v%26") == ["k==v&"])
        #expect(try parse("raw=ü") == ["raw=ü"])
        #expect(try parse("dup=1&dup=2") == ["dup=1", "dup=2"])
    }

    @Test(arguments: [
        ("a=%", 2, "'%' not followed by two hex digits"),
        ("a=%4", 2, "'%' not followed by two hex digits"),
        ("a=1&b=%G1", 6, "'%' not followed by two hex digits"),
        ("%zz=1", 0, "'%' not followed by two hex digits"),
        ("a=%C3%28", 2, "decoded bytes are not UTF-8"),
        ("a=%FF", 2, "decoded bytes are not UTF-8"),
        ("x=1&a=%ED%A0%80", 6, "decoded bytes are not UTF-8"),
    ])
    func rejectsBadEscapesAndNonUTF8(text: String, offset: Int, reason: String) {
        #expect {
            try FormURLEncoded.parse(Array(text.utf8))
        } throws: { error in
            let error = error as? FormURLEncodedError
            return error?.offset == offset && error?.reason == reason
        }
    }

    @Test func jsonObjectGroupsRepeatedNamesInFirstAppearanceOrder() throws {
        let pairs = try FormURLEncoded.parse(Array("b=1&a=x&b=2&c=%22q%22%0A&a=y&b=3".utf8))
        let json = String(decoding: FormURLEncoded.jsonObject(pairs), as: UTF8.self)
        #expect(json == #"{"b":["1","2","3"],"a":["x","y"],"c":"\"q\"\n"}"#)
        #expect(String(decoding: FormURLEncoded.jsonObject([]), as: UTF8.self) == "{}")
    }

    @Test func jsonObjectHandlesManyNames() throws {
        let text = (0..<40).map { "k\($0 % 20)=\($0)" }.joined(separator: "&")
        let json = FormURLEncoded.jsonObject(try FormURLEncoded.parse(Array(text.utf8)))
        let object = try #require(try foundationJSON(json) as? [String: [String]])
        #expect(object.count == 20)
        #expect(object["k3"] == ["3", "23"])
        #expect(String(decoding: json, as: UTF8.self).hasPrefix(#"{"k0":["0","20"],"k1":["1","21"]"#))
    }
}
