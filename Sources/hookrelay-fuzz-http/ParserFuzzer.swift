import HTTPServer

/// The fuzz body for ``HTTPRequestParser``: feeds one input in several split patterns and traps (so libFuzzer records a
/// crash) when an invariant breaks:
/// - the events, the error, the bytes left buffered and idleness are the same however the input is split;
/// - after an error every later `next()` throws the same error, even after more bytes;
/// - `bufferedByteCount` never exceeds the bytes given;
/// - events alternate `.head`/`.end`, and each satisfies an independent check of the head (token method, target bytes,
///   field syntax, header locations inside `raw`, Host/framing/keep-alive/Expect recomputed from the fields) and of the
///   body (within its limit, as long as its Content-Length, trailers only when chunked);
/// - each complete request, written out again (chunked bodies as one chunk), parses to the same events;
/// - a simple reference parser (ReferenceParser.swift) gives the same events and fails exactly when ours fails.
enum ParserFuzzer {
    /// Limits small enough for inputs of a few KiB to reach every one of them.
    static let limits: HTTPLimits = {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 64
        limits.maxHeaderBytes = 256
        limits.maxHeaderCount = 8
        limits.maxBodyBytes = 1024
        limits.maxChunkExtensionBytes = 32
        return limits
    }()
    /// PUT requests get this body limit through `limitBody(to:)`, to exercise it.
    static let putBodyLimit = 40

    /// Runs every check on `input`.
    static func run(_ input: UnsafeBufferPointer<UInt8>) {
        let whole = feed(input, limits: limits) { _ in input.count }
        let byteByByte = feed(input, limits: limits) { _ in 1 }
        let varied = feed(input, limits: limits) { piece in
            input.isEmpty ? 1 : Int(input[(piece &* 7) % input.count] % 16) + 1
        }
        require(whole == byteByByte, "byte-by-byte feeding differs:\n  whole: \(whole)\n  bytes: \(byteByByte)")
        require(whole == varied, "feeding in varied pieces differs:\n  whole: \(whole)\n  varied: \(varied)")
        _ = feed(input, limits: HTTPLimits()) { _ in input.count }
        checkRoundTrip(whole.events)
        let reference = ReferenceParser.parse(Array(input), limits: limits, putBodyLimit: putBodyLimit)
        require(whole.events.map(ReferenceParser.event) == reference.events && (whole.error != nil) == reference.failed,
                "the reference parser disagrees: \(reference.events.count) events, failed \(reference.failed); ours: \(whole)")
    }

    /// What one feeding gave.
    struct Outcome: Equatable, CustomStringConvertible {
        var events: [HTTPParserEvent] = []
        var error: HTTPParseError?
        var bufferedByteCount = 0
        var isIdle = false

        var description: String {
            "\(events.count) events, error \(error.map { "\($0)" } ?? "none"), \(bufferedByteCount) buffered, idle \(isIdle)"
        }
    }

    /// Feeds `input` in pieces of `pieceSize(pieceIndex)` bytes (at least 1), draining events after each.
    static func feed(_ input: UnsafeBufferPointer<UInt8>, limits: HTTPLimits, pieceSize: (Int) -> Int) -> Outcome {
        var parser = HTTPRequestParser(limits: limits)
        var checker = EventChecker(limits: limits)
        var outcome = Outcome()
        require(parser.isIdle && parser.bufferedByteCount == 0, "a new parser is not idle")
        var given = 0
        var piece = 0
        feeding: while given < input.count {
            let count = min(max(pieceSize(piece), 1), input.count - given)
            parser.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[given..<(given + count)])))
            given += count
            piece += 1
            require(parser.bufferedByteCount <= given, "buffers \(parser.bufferedByteCount) of \(given) bytes given")
            do {
                while let event = try parser.next() {
                    checker.check(event)
                    if case .head(let head) = event, head.method == "PUT" {
                        parser.limitBody(to: putBodyLimit)
                        checker.bodyLimit = min(checker.bodyLimit, putBodyLimit)
                    }
                    outcome.events.append(event)
                    require(parser.bufferedByteCount <= given, "buffers \(parser.bufferedByteCount) of \(given) bytes given")
                }
            } catch {
                outcome.error = error
                checkErrorRepeats(&parser, error)
                break feeding
            }
        }
        outcome.bufferedByteCount = parser.bufferedByteCount
        outcome.isIdle = parser.isIdle
        if outcome.isIdle {
            require(outcome.error == nil && outcome.bufferedByteCount == 0 && checker.pendingHead == nil,
                    "idle with an error, buffered bytes or a request in progress")
        }
        return outcome
    }

    static func checkErrorRepeats(_ parser: inout HTTPRequestParser, _ error: HTTPParseError) {
        for round in 0..<3 {
            if round == 2 { parser.append(contentsOf: "GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8) }
            do {
                let event = try parser.next()
                fail("next() after \(error) returned \(String(describing: event))")
            } catch let again {
                require(again == error, "next() after \(error) threw \(again)")
            }
        }
        require(parser.bufferedByteCount == 0 && !parser.isIdle, "a failed parser buffers bytes or is idle")
    }

    /// Writes each complete request out again and parses it: the events must be the same.
    static func checkRoundTrip(_ events: [HTTPParserEvent]) {
        var i = 0
        while i + 1 < events.count {
            guard case .head(let head) = events[i], case .end(let body, let trailers) = events[i + 1] else {
                fail("events do not alternate head/end")
            }
            var bytes = Array("\(head.method) \(head.target) \(head.version)\r\n".utf8) + head.headers.raw + [13, 10]
            switch head.framing {
            case .none:
                break
            case .contentLength:
                bytes += body
            case .chunked:
                if !body.isEmpty { bytes += Array("\(String(body.count, radix: 16))\r\n".utf8) + body + [13, 10] }
                bytes += Array("0\r\n".utf8) + trailers.raw + [13, 10]
            }
            var parser = HTTPRequestParser(limits: limits)
            parser.append(contentsOf: bytes)
            do {
                let again = try parser.next()
                require(again == events[i], "the head parses differently when written out again")
                if head.method == "PUT" { parser.limitBody(to: putBodyLimit) }
                let end = try parser.next()
                require(end == events[i + 1], "the body parses differently when written out again")
            } catch {
                fail("a request written out again fails with \(error)")
            }
            require(parser.bufferedByteCount == 0 && parser.isIdle, "bytes left after a request written out again")
            i += 2
        }
    }
}

/// Checks each event on its own, from the public API only, without the parser's code.
struct EventChecker {
    let limits: HTTPLimits
    var pendingHead: HTTPRequestHead?
    var bodyLimit: Int

    init(limits: HTTPLimits) {
        self.limits = limits
        self.bodyLimit = limits.maxBodyBytes
    }

    mutating func check(_ event: HTTPParserEvent) {
        switch event {
        case .head(let head):
            require(pendingHead == nil, "a head before the previous request's end")
            checkHead(head)
            pendingHead = head
            bodyLimit = limits.maxBodyBytes
        case .end(let body, let trailers):
            guard let head = pendingHead else { fail("an end without a head") }
            require(body.count <= bodyLimit, "body of \(body.count) bytes over its limit \(bodyLimit)")
            switch head.framing {
            case .none:
                require(body.isEmpty && trailers.isEmpty, "body or trailers without framing")
            case .contentLength(let length):
                require(body.count == length && trailers.isEmpty, "body \(body.count) for Content-Length \(length)")
            case .chunked:
                checkFields(trailers)
            }
            pendingHead = nil
        }
    }

    func checkHead(_ head: HTTPRequestHead) {
        require(!head.method.isEmpty && head.method.utf8.allSatisfy(isTokenByte), "method is not a token")
        require(!head.target.isEmpty && head.target.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }, "bad target bytes")
        require(head.version == .http1_1 || head.version == .http1_0, "version \(head.version)")
        let headers = head.headers
        checkFields(headers)

        let is11 = head.version == .http1_1
        let hosts = values(headers, "host")
        require(is11 ? hosts.count == 1 : hosts.count <= 1, "\(hosts.count) Host fields")
        let lengths = values(headers, "content-length")
        let codings = values(headers, "transfer-encoding")
        switch head.framing {
        case .none:
            require(lengths.isEmpty && codings.isEmpty, "no framing despite Content-Length or Transfer-Encoding")
        case .contentLength(let length):
            require(lengths.count == 1 && codings.isEmpty, "Content-Length framing with other framing fields")
            let digits = lengths[0]
            require(!digits.isEmpty && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }, "Content-Length not digits")
            let significant = digits.drop { $0 == 0x30 }
            let expected = significant.count > 18 ? nil : significant.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            require(expected == nil ? length >= 1_000_000_000_000_000_000 : length == expected, "Content-Length value")
        case .chunked:
            require(is11 && lengths.isEmpty && codings.count == 1 && lowercased(codings[0]) == Array("chunked".utf8), "chunked framing")
        }
        let options = values(headers, "connection").flatMap { $0.split(separator: 0x2C, omittingEmptySubsequences: false) }
            .map { lowercased($0.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()) }
        let closes = options.contains(Array("close".utf8))
        let keepAlive = !closes && (is11 || options.contains(Array("keep-alive".utf8)))
        require(head.isKeepAlive == keepAlive, "isKeepAlive \(head.isKeepAlive) for \(head.version)")
        let expectations = values(headers, "expect")
        require(head.expectsContinue == (is11 && !expectations.isEmpty), "expectsContinue")
        if is11 && !expectations.isEmpty {
            require(expectations.count == 1 && lowercased(expectations[0]) == Array("100-continue".utf8), "accepted Expect")
        }
    }

    /// The values of the fields named `lowercaseName`, as bytes.
    func values(_ fields: HTTPHeaders, _ lowercaseName: String) -> [[UInt8]] {
        (0..<fields.count).filter { lowercased(fields.name(at: $0).utf8) == Array(lowercaseName.utf8) }
            .map { Array(fields.valueBytes(at: $0)) }
    }

    func checkFields(_ fields: HTTPHeaders) {
        let raw = fields.raw
        require(fields.count <= limits.maxHeaderCount, "\(fields.count) fields over the limit")
        require(raw.count <= limits.maxHeaderBytes, "\(raw.count) field bytes over the limit")
        require(raw.isEmpty || raw.suffix(2) == [13, 10], "raw does not end in CRLF")
        require(raw.filter { $0 == 10 }.count == fields.count, "raw lines differ from the field count")
        for i in 0..<fields.count {
            let value = fields.valueBytes(at: i)
            require(value.startIndex >= 0 && value.startIndex <= value.endIndex && value.endIndex <= raw.count,
                    "value location outside raw")
            require(value.allSatisfy { $0 >= 0x20 ? $0 != 0x7F : $0 == 0x09 }, "value has control bytes")
            require(value.first.map { $0 != 0x20 && $0 != 0x09 } ?? true, "value starts with whitespace")
            require(value.last.map { $0 != 0x20 && $0 != 0x09 } ?? true, "value ends with whitespace")
            let name = fields.name(at: i)
            require(!name.isEmpty && name.utf8.allSatisfy(isTokenByte), "name is not a token")
            require(raw[..<value.startIndex].reversed().firstIndex(of: UInt8(ascii: ":")) != nil, "no colon before the value")
        }
    }
}

/// RFC 9110 tchar, written independently of the parser's table.
func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
        true
    default:
        "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

/// ASCII lower case, byte by byte (as HTTP compares tokens).
func lowercased(_ bytes: some Sequence<UInt8>) -> [UInt8] {
    bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
}

/// Traps with `message` when `condition` is false, so the fuzzer records the input.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

func fail(_ message: String) -> Never {
    fatalError("invariant broken: \(message)")
}
