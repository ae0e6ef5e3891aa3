import Testing
@testable import HTTPServer

// MARK: - Fixture table

/// One input and what the parser must make of it, however the bytes are split.
struct ParserFixture: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    var limits = HTTPLimits()
    /// The events before the end of input or the error.
    let events: [HTTPParserEvent]
    /// The error, or nil when the input ends without one.
    let error: HTTPParseError?

    var testDescription: String { name }
}

/// What came out of one feeding.
struct ParseOutcome: Equatable, CustomStringConvertible {
    var events: [HTTPParserEvent] = []
    var error: HTTPParseError?
    var description: String { "\(events.count) events, error: \(error.map { "\($0)" } ?? "none")" }
}

/// Feeds `bytes` in the given pieces, draining events after each piece; stops at the first error.
func parse(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits(), pieces: [Range<Int>]) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    for piece in pieces {
        parser.append(contentsOf: bytes[piece])
        do {
            while let event = try parser.next() { outcome.events.append(event) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    return outcome
}

func pieces(of count: Int, size: Int) -> [Range<Int>] {
    stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func head(_ method: String = "GET", _ target: String = "/", _ version: HTTPVersion = .http1_1,
          _ headers: [(String, String)] = [("Host", "a")], framing: HTTPBodyFraming = .none,
          keepAlive: Bool = true, expectsContinue: Bool = false) -> HTTPParserEvent {
    .head(HTTPRequestHead(method: method, target: target, version: version, headers: HTTPHeaders(headers),
                          framing: framing, isKeepAlive: keepAlive, expectsContinue: expectsContinue))
}

func end(_ body: String = "", trailers: [(String, String)] = []) -> HTTPParserEvent {
    .end(body: bytes(body), trailers: HTTPHeaders(trailers))
}

func valid(_ name: String, _ text: String, limits: HTTPLimits = HTTPLimits(), _ events: [HTTPParserEvent]) -> ParserFixture {
    ParserFixture(name: name, bytes: bytes(text), limits: limits, events: events, error: nil)
}

func invalid(_ name: String, _ text: String, limits: HTTPLimits = HTTPLimits(), _ error: HTTPParseError,
             after events: [HTTPParserEvent] = []) -> ParserFixture {
    ParserFixture(name: name, bytes: bytes(text), limits: limits, events: events, error: error)
}

func limits(requestLine: Int? = nil, headerBytes: Int? = nil, headerCount: Int? = nil, body: Int? = nil,
            chunkLine: Int? = nil) -> HTTPLimits {
    var limits = HTTPLimits()
    if let requestLine { limits.maxRequestLineBytes = requestLine }
    if let headerBytes { limits.maxHeaderBytes = headerBytes }
    if let headerCount { limits.maxHeaderCount = headerCount }
    if let body { limits.maxBodyBytes = body }
    if let chunkLine { limits.maxChunkExtensionBytes = chunkLine }
    return limits
}

let getA = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
/// A head for a chunked POST to `/`, ready for chunk lines.
let chunkedHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
let chunkedHeadEvent = head("POST", "/", .http1_1, [("Host", "a"), ("Transfer-Encoding", "chunked")], framing: .chunked)
func clHead(_ value: String) -> String { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n" }

let validFixtures: [ParserFixture] = [
    valid("GET without a body ends with an empty body", getA, [head(), end()]),
    valid("POST with Content-Length carries the body",
          "POST /hooks/github?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
          [head("POST", "/hooks/github?x=1", .http1_1, [("Host", "a"), ("Content-Length", "5")], framing: .contentLength(5)),
           end("hello")]),
    valid("Content-Length zero gives an empty body", clHead("0"),
          [head("POST", "/", .http1_1, [("Host", "a"), ("Content-Length", "0")], framing: .contentLength(0)), end()]),
    valid("Content-Length with leading zeros and surrounding OWS is accepted", clHead("  \t003 \t") + "abc",
          [head("POST", "/", .http1_1, [("Host", "a"), ("Content-Length", "003")], framing: .contentLength(3)), end("abc")]),
    valid("chunked body with extensions and trailers",
          chunkedHead + "5;name=value;flag\r\nhello\r\n6 ; q=\"a \\\"b\\\" c\" ; x = y\r\n world\r\n0;last\r\n"
              + "X-Checksum: abc\r\nX-Other:  v \r\n\r\n",
          [chunkedHeadEvent, end("hello world", trailers: [("X-Checksum", "abc"), ("X-Other", "v")])]),
    valid("chunk sizes accept upper case hex and leading zeros; the last chunk may be 000",
          chunkedHead + "000A\r\n0123456789\r\n000\r\n\r\n", [chunkedHeadEvent, end("0123456789")]),
    valid("chunk size of 16 hex digits is accepted when small",
          chunkedHead + "0000000000000003\r\nabc\r\n0\r\n\r\n", [chunkedHeadEvent, end("abc")]),
    valid("three pipelined requests come out in order",
          getA + "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi" + chunkedHead + "2\r\nyo\r\n0\r\n\r\n",
          [head(), end(),
           head("POST", "/b", .http1_1, [("Host", "a"), ("Content-Length", "2")], framing: .contentLength(2)), end("hi"),
           chunkedHeadEvent, end("yo")]),
    valid("HTTP/1.0 closes by default and needs no Host", "GET / HTTP/1.0\r\n\r\n",
          [head("GET", "/", .http1_0, [], keepAlive: false), end()]),
    valid("HTTP/1.0 with Connection: keep-alive stays open", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
          [head("GET", "/", .http1_0, [("Connection", "Keep-Alive")], keepAlive: true), end()]),
    valid("HTTP/1.0 keep-alive plus close closes", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
          [head("GET", "/", .http1_0, [("Connection", "keep-alive, close")], keepAlive: false), end()]),
    valid("HTTP/1.1 Connection list with close closes", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade ,\tCLOSE\r\n\r\n",
          [head("GET", "/", .http1_1, [("Host", "a"), ("Connection", "Upgrade ,\tCLOSE")], keepAlive: false), end()]),
    valid("HTTP/1.1 Connection without close stays open", "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, keep-alive\r\n\r\n",
          [head("GET", "/", .http1_1, [("Host", "a"), ("Connection", "closed, keep-alive")]), end()]),
    valid("Expect: 100-continue is reported, in any case",
          "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
          [head("PUT", "/x", .http1_1, [("Host", "a"), ("Expect", "100-Continue"), ("Content-Length", "2")],
                framing: .contentLength(2), expectsContinue: true), end("ok")]),
    valid("HTTP/1.0 ignores Expect", "GET / HTTP/1.0\r\nExpect: whatever\r\n\r\n",
          [head("GET", "/", .http1_0, [("Expect", "whatever")], keepAlive: false), end()]),
    valid("header values may carry obs-text", "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\u{E9} \u{1F600}\r\n\r\n",
          [head("GET", "/", .http1_1, [("Host", "a"), ("X-Name", "caf\u{E9} \u{1F600}")]), end()]),
    valid("OWS around values is trimmed and empty values are kept", "GET / HTTP/1.1\r\nHost:a\r\nX-A: \t in \t side \t\r\nX-B:\r\nX-C: \t \r\n\r\n",
          [head("GET", "/", .http1_1, [("Host", "a"), ("X-A", "in \t side"), ("X-B", ""), ("X-C", "")]), end()]),
    valid("field names may use every tchar", "GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n",
          [head("GET", "/", .http1_1, [("Host", "a"), ("!#$%&'*+-.^_`|~09azAZ", "v")]), end()]),
    valid("up to eight leading empty lines are skipped", String(repeating: "\r\n", count: 8) + getA, [head(), end()]),
    valid("empty lines between pipelined requests are skipped", getA + "\r\n\r\n" + getA, [head(), end(), head(), end()]),
    valid("absolute-form and asterisk-form targets",
          "GET http://a.example/p?q HTTP/1.1\r\nHost: a.example\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
          [head("GET", "http://a.example/p?q", .http1_1, [("Host", "a.example")]), end(), head("OPTIONS", "*"), end()]),
    valid("Host with port, IPv6 literal, and empty Host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\nGET / HTTP/1.1\r\nHost:\r\n\r\n",
          [head("GET", "/", .http1_1, [("Host", "[::1]:8080")]), end(), head("GET", "/", .http1_1, [("Host", "")]), end()]),
    valid("method case is kept (methods are case-sensitive tokens)", "get / HTTP/1.1\r\nHost: a\r\n\r\n", [head("get"), end()]),
    valid("Transfer-Encoding chunked with OWS and any case",
          "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tChunKed \r\n\r\n0\r\n\r\n",
          [head("POST", "/", .http1_1, [("Host", "a"), ("Transfer-Encoding", "ChunKed")], framing: .chunked), end()]),
    valid("an unfinished body gives the head only", clHead("10") + "abc",
          [head("POST", "/", .http1_1, [("Host", "a"), ("Content-Length", "10")], framing: .contentLength(10))]),
    valid("an unfinished head gives nothing", "GET / HTTP/1.1\r\nHost: a\r\n", []),
    valid("request line exactly at the limit (with CRLF) is accepted", "GET /23456789 HTTP/1.1\r\nHost: a\r\n\r\n",
          limits: limits(requestLine: 24), [head("GET", "/23456789"), end()]),
    valid("header section exactly at the limit is accepted", "GET / HTTP/1.1\r\nHost: a\r\nX: 1234\r\n\r\n",
          limits: limits(headerBytes: 18), [head("GET", "/", .http1_1, [("Host", "a"), ("X", "1234")]), end()]),
    valid("header count exactly at the limit is accepted", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n",
          limits: limits(headerCount: 3), [head("GET", "/", .http1_1, [("Host", "a"), ("A", "1"), ("B", "2")]), end()]),
    valid("body exactly at the limit via Content-Length", clHead("4") + "abcd", limits: limits(body: 4),
          [head("POST", "/", .http1_1, [("Host", "a"), ("Content-Length", "4")], framing: .contentLength(4)), end("abcd")]),
    valid("body exactly at the limit via chunks", chunkedHead + "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", limits: limits(body: 4),
          [chunkedHeadEvent, end("abcd")]),
    valid("chunk line exactly at the limit is accepted", chunkedHead + "1;abcd\r\nx\r\n0\r\n\r\n", limits: limits(chunkLine: 8),
          [chunkedHeadEvent, end("x")]),
]

let invalidFixtures: [ParserFixture] = [
    // Request smuggling: framing.
    invalid("Content-Length with Transfer-Encoding is rejected",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .contentLengthWithTransferEncoding),
    invalid("Transfer-Encoding before Content-Length is rejected too",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", .contentLengthWithTransferEncoding),
    invalid("two identical Content-Length fields are rejected",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", .duplicateContentLength),
    invalid("two conflicting Content-Length fields are rejected",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello!", .duplicateContentLength),
    invalid("Content-Length with a sign is rejected", clHead("+5") + "hello", .invalidContentLength),
    invalid("Content-Length with a space inside is rejected", clHead("5 5"), .invalidContentLength),
    invalid("Content-Length as a comma list is rejected", clHead("5,5"), .invalidContentLength),
    invalid("Content-Length as a spaced comma list is rejected", clHead("5, 5"), .invalidContentLength),
    invalid("negative Content-Length is rejected", clHead("-1"), .invalidContentLength),
    invalid("hex Content-Length is rejected", clHead("0x5"), .invalidContentLength),
    invalid("empty Content-Length is rejected", clHead(""), .invalidContentLength),
    invalid("huge Content-Length fails before the body arrives", clHead("99999999999999999999999999999999"), .bodyTooLarge,
            after: [head("POST", "/", .http1_1, [("Host", "a"), ("Content-Length", "99999999999999999999999999999999")],
                         framing: .contentLength(Int.max))]),
    invalid("Content-Length over the body limit fails right after the head", clHead("5"), limits: limits(body: 4), .bodyTooLarge,
            after: [head("POST", "/", .http1_1, [("Host", "a"), ("Content-Length", "5")], framing: .contentLength(5))]),
    invalid("chunked body over the limit fails at the chunk size that passes it",
            chunkedHead + "2\r\nab\r\n3\r\n", limits: limits(body: 4), .bodyTooLarge, after: [chunkedHeadEvent]),
    invalid("xchunked is not chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
            .unsupportedTransferEncoding),
    invalid("chunked, identity is unsupported", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
            .unsupportedTransferEncoding),
    invalid("gzip, chunked is unsupported", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            .unsupportedTransferEncoding),
    invalid("chunked, chunked is unsupported", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            .unsupportedTransferEncoding),
    invalid("identity is unsupported", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
            .unsupportedTransferEncoding),
    invalid("chunked with parameters is unsupported", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
            .unsupportedTransferEncoding),
    invalid("empty Transfer-Encoding is unsupported", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n",
            .unsupportedTransferEncoding),
    invalid("two Transfer-Encoding fields are unsupported",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .unsupportedTransferEncoding),
    invalid("space before the colon of Transfer-Encoding is rejected",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", .invalidHeaderName),
    invalid("Transfer-Encoding folded onto a continuation line is rejected",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\tchunked\r\n\r\n", .obsoleteLineFolding),
    invalid("Transfer-Encoding in HTTP/1.0 is rejected", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .transferEncodingInHTTP10),
    // Chunks.
    invalid("chunk size 0x5 is rejected", chunkedHead + "0x5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize, after: [chunkedHeadEvent]),
    invalid("chunk size -1 is rejected", chunkedHead + "-1\r\n", .invalidChunkSize, after: [chunkedHeadEvent]),
    invalid("chunk size of 17 hex digits is rejected", chunkedHead + "fffffffffffffffff\r\n", .invalidChunkSize,
            after: [chunkedHeadEvent]),
    invalid("chunk size of 17 digits is rejected even with leading zeros", chunkedHead + "00000000000000001\r\n",
            .invalidChunkSize, after: [chunkedHeadEvent]),
    invalid("chunk size overflowing Int is rejected", chunkedHead + "8000000000000000\r\n", .invalidChunkSize,
            after: [chunkedHeadEvent]),
    invalid("chunk size with a leading space is rejected", chunkedHead + " 5\r\nhello\r\n", .invalidChunkSize,
            after: [chunkedHeadEvent]),
    invalid("chunk size with a trailing space is rejected", chunkedHead + "5 \r\nhello\r\n", .invalidChunkSize,
            after: [chunkedHeadEvent]),
    invalid("empty chunk size is rejected", chunkedHead + "\r\n", .invalidChunkSize, after: [chunkedHeadEvent]),
    invalid("non-hex chunk size is rejected", chunkedHead + "g\r\n", .invalidChunkSize, after: [chunkedHeadEvent]),
    invalid("chunk size followed by junk is rejected", chunkedHead + "5g\r\n", .invalidChunkSize, after: [chunkedHeadEvent]),
    invalid("chunk line over the limit is rejected", chunkedHead + "1;abcde\r\nx\r\n", limits: limits(chunkLine: 8),
            .invalidChunkExtension, after: [chunkedHeadEvent]),
    invalid("endless chunk extension fails at the limit", chunkedHead + "1;" + String(repeating: "a", count: 2000),
            .invalidChunkExtension, after: [chunkedHeadEvent]),
    invalid("chunk extension without a name is rejected", chunkedHead + "5;\r\n", .invalidChunkExtension, after: [chunkedHeadEvent]),
    invalid("chunk extension with an empty value is rejected", chunkedHead + "5;a=\r\n", .invalidChunkExtension,
            after: [chunkedHeadEvent]),
    invalid("chunk extension with an unterminated quote is rejected", chunkedHead + "5;a=\"b\r\n", .invalidChunkExtension,
            after: [chunkedHeadEvent]),
    invalid("chunk extension with trailing whitespace is rejected", chunkedHead + "5;a=b \r\n", .invalidChunkExtension,
            after: [chunkedHeadEvent]),
    invalid("chunk data without CRLF is rejected", chunkedHead + "5\r\nhelloX\r\n", .invalidChunkData, after: [chunkedHeadEvent]),
    invalid("chunk data followed by CR and junk is rejected", chunkedHead + "5\r\nhello\rX", .invalidChunkData,
            after: [chunkedHeadEvent]),
    invalid("chunk data followed by a bare LF is rejected", chunkedHead + "5\r\nhello\n0\r\n\r\n", .invalidChunkData,
            after: [chunkedHeadEvent]),
    invalid("trailers over the count limit are rejected", chunkedHead + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            limits: limits(headerCount: 2), .tooManyHeaders,
            after: [head("POST", "/", .http1_1, [("Host", "a"), ("Transfer-Encoding", "chunked")], framing: .chunked)]),
    invalid("trailers over the byte limit are rejected", chunkedHead + "0\r\nX-Trailer: 12345678901234567890123456789012\r\n\r\n",
            limits: limits(headerBytes: 40), .headersTooLarge, after: [chunkedHeadEvent]),
    invalid("trailer with an invalid name is rejected", chunkedHead + "0\r\nBad Name: x\r\n\r\n", .invalidHeaderName,
            after: [chunkedHeadEvent]),
    // Line endings and bytes.
    invalid("bare LF ending the request line is rejected", "GET / HTTP/1.1\nHost: a\r\n\r\n", .invalidLineEnding),
    invalid("bare LF ending a header line is rejected", "GET / HTTP/1.1\r\nHost: a\n\r\n", .invalidLineEnding),
    invalid("bare LF ending the header section is rejected", "GET / HTTP/1.1\r\nHost: a\r\n\n", .invalidLineEnding),
    invalid("bare LF as a leading empty line is rejected", "\n" + getA, .invalidLineEnding),
    invalid("bare CR inside a header value is rejected", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", .invalidLineEnding),
    invalid("bare CR ending the request line is rejected", "GET / HTTP/1.1\rHost: a\r\n\r\n", .invalidLineEnding),
    invalid("bare CR ending the header section is rejected", "GET / HTTP/1.1\r\nHost: a\r\n\rX", .invalidLineEnding),
    invalid("NUL in a header value is rejected", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", .invalidHeaderValue),
    invalid("DEL in a header value is rejected", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7F}b\r\n\r\n", .invalidHeaderValue),
    invalid("vertical tab in a header value is rejected", "GET / HTTP/1.1\r\nHost: a\r\nX: \u{0B}5\r\n\r\n", .invalidHeaderValue),
    invalid("separator in the method is rejected", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("NUL in the method is rejected", "G\u{0}ET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("TLS handshake bytes are rejected at once", "\u{16}\u{03}\u{01}", .invalidRequestLine),
    invalid("separator in a header name is rejected", "GET / HTTP/1.1\r\nHost: a\r\nX(Y): z\r\n\r\n", .invalidHeaderName),
    invalid("space inside a header name is rejected", "GET / HTTP/1.1\r\nHost: a\r\nX Y: z\r\n\r\n", .invalidHeaderName),
    invalid("empty header name is rejected", "GET / HTTP/1.1\r\nHost: a\r\n: z\r\n\r\n", .invalidHeaderName),
    invalid("header line without a colon is rejected", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", .invalidHeaderName),
    invalid("non-ASCII header name is rejected", "GET / HTTP/1.1\r\nHost: a\r\nX\u{E9}: z\r\n\r\n", .invalidHeaderName),
    invalid("obs-fold continuing a value is rejected", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", .obsoleteLineFolding),
    invalid("whitespace before the first header is rejected", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsoleteLineFolding),
    // Request line.
    invalid("two spaces after the method are rejected", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("two spaces before the version are rejected", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("a missing version is rejected", "GET /\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("a leading space is rejected", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("a tab between parts is rejected", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("non-ASCII in the target is rejected", "GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("DEL in the target is rejected", "GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("trailing space after the version is rejected", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("HTTP/2.0 is a version we do not support", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion),
    invalid("HTTP/1.2 is a version we do not support", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", .unsupportedVersion),
    invalid("HTTP/1.1x is malformed", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("HTTP/1 is malformed", "GET / HTTP/1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("lower case http is malformed", "GET / http/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    invalid("nine leading empty lines are too many", String(repeating: "\r\n", count: 9) + getA, .invalidRequestLine),
    // Limits.
    invalid("request line one byte over the limit is 414", "GET /234567890 HTTP/1.1\r\nHost: a\r\n\r\n",
            limits: limits(requestLine: 24), .requestLineTooLong),
    invalid("endless request line is 414 as soon as the limit is reached", "GET /" + String(repeating: "a", count: 100),
            limits: limits(requestLine: 32), .requestLineTooLong),
    invalid("header section one byte over the limit is 431", "GET / HTTP/1.1\r\nHost: a\r\nX: 12345\r\n\r\n",
            limits: limits(headerBytes: 18), .headersTooLarge),
    invalid("endless header value is 431 as soon as the limit is passed", "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 300),
            limits: limits(headerBytes: 64), .headersTooLarge),
    invalid("one header over the count limit is 431", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            limits: limits(headerCount: 3), .tooManyHeaders),
    // Host and Expect.
    invalid("HTTP/1.1 without Host is rejected", "GET / HTTP/1.1\r\nX: y\r\n\r\n", .missingHost),
    invalid("two Host fields are rejected", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .duplicateHost),
    invalid("two Host fields are rejected in HTTP/1.0 too", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .duplicateHost),
    invalid("Host with a path is rejected", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", .invalidHost),
    invalid("Host with user info is rejected", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", .invalidHost),
    invalid("unknown expectation is 417", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue-please\r\n\r\n", .unsupportedExpectation),
    invalid("two Expect fields are 417", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: 100-continue\r\n\r\n",
            .unsupportedExpectation),
    invalid("an error in a pipelined request keeps the events before it", getA + "GET / HTTP/1.1\r\n\r\n", .missingHost,
            after: [head(), end()]),
]

@Suite struct HTTPRequestParserTests {
    // MARK: Fixtures under every feeding

    @Test(arguments: validFixtures + invalidFixtures)
    func fixtureGivesSameResultHoweverSplit(_ fixture: ParserFixture) {
        let count = fixture.bytes.count
        let expected = ParseOutcome(events: fixture.events, error: fixture.error)

        let whole = parse(fixture.bytes, limits: fixture.limits, pieces: [0..<count])
        #expect(whole == expected, "all at once")
        let byteByByte = parse(fixture.bytes, limits: fixture.limits, pieces: pieces(of: count, size: 1))
        #expect(byteByByte == expected, "one byte at a time")
        for size in 2...7 {
            let outcome = parse(fixture.bytes, limits: fixture.limits, pieces: pieces(of: count, size: size))
            #expect(outcome == expected, "in pieces of \(size)")
        }
        guard count <= 1024 else { return }
        for split in 1..<max(count, 1) {
            let outcome = parse(fixture.bytes, limits: fixture.limits, pieces: [0..<split, split..<count])
            #expect(outcome == expected, "split at \(split)")
            if outcome != expected { break }
        }
    }

    @Test func fixtureNamesAreUnique() {
        let names = (validFixtures + invalidFixtures).map(\.name)
        #expect(Set(names).count == names.count)
    }

    // MARK: Errors

    @Test func errorIsRepeatedByEveryLaterCall() throws {
        var parser = HTTPRequestParser()
        parser.append(contentsOf: bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"))
        #expect(throws: HTTPParseError.duplicateContentLength) { try parser.next() }
        #expect(throws: HTTPParseError.duplicateContentLength) { try parser.next() }
        parser.append(contentsOf: bytes(getA))
        #expect(throws: HTTPParseError.duplicateContentLength) { try parser.next() }
        #expect(parser.bufferedByteCount == 0)
        #expect(!parser.isIdle)
    }

    @Test func errorsCarryTheirHTTPStatus() {
        #expect(HTTPParseError.requestLineTooLong.status == 414)
        #expect(HTTPParseError.headersTooLarge.status == 431)
        #expect(HTTPParseError.tooManyHeaders.status == 431)
        #expect(HTTPParseError.bodyTooLarge.status == 413)
        #expect(HTTPParseError.unsupportedTransferEncoding.status == 501)
        #expect(HTTPParseError.unsupportedVersion.status == 505)
        #expect(HTTPParseError.unsupportedExpectation.status == 417)
        #expect(HTTPParseError.invalidHost.status == 400)
    }

    // MARK: limitBody(to:)

    @Test func limitBodyRejectsContentLengthAboveThePerRequestLimit() throws {
        var parser = HTTPRequestParser()
        parser.append(contentsOf: bytes(clHead("5") + "hello"))
        guard case .head = try parser.next() else { Issue.record("expected a head"); return }
        parser.limitBody(to: 4)
        #expect(throws: HTTPParseError.bodyTooLarge) { try parser.next() }
    }

    @Test func limitBodyAcceptsContentLengthAtThePerRequestLimit() throws {
        var parser = HTTPRequestParser()
        parser.append(contentsOf: bytes(clHead("5") + "hello"))
        _ = try parser.next()
        parser.limitBody(to: 5)
        #expect(try parser.next() == end("hello"))
    }

    @Test func limitBodyRejectsChunkedBodyAsSoonAsExceeded() throws {
        var parser = HTTPRequestParser()
        parser.append(contentsOf: bytes(chunkedHead + "3\r\nabc\r\n"))
        #expect(try parser.next() == chunkedHeadEvent)
        parser.limitBody(to: 5)
        #expect(try parser.next() == nil)
        parser.append(contentsOf: bytes("3\r\n"))
        #expect(throws: HTTPParseError.bodyTooLarge) { try parser.next() }
    }

    @Test func limitBodyAppliesToOneRequestOnly() throws {
        var parser = HTTPRequestParser()
        parser.append(contentsOf: bytes(clHead("2") + "ab" + clHead("5") + "hello"))
        _ = try parser.next()
        parser.limitBody(to: 2)
        #expect(try parser.next() == end("ab"))
        _ = try parser.next()
        #expect(try parser.next() == end("hello"))
    }

    @Test func limitBodyNeverRaisesTheServerLimit() throws {
        var parser = HTTPRequestParser(limits: limits(body: 3))
        parser.append(contentsOf: bytes(clHead("5") + "hello"))
        _ = try parser.next()
        parser.limitBody(to: 1_000)
        #expect(throws: HTTPParseError.bodyTooLarge) { try parser.next() }
    }

    @Test func limitBodyOutsideABodyDoesNothing() throws {
        var parser = HTTPRequestParser()
        parser.limitBody(to: 0)
        parser.append(contentsOf: bytes(clHead("5") + "hello"))
        _ = try parser.next()
        #expect(try parser.next() == end("hello"))
    }

    // MARK: State and buffering

    @Test func isIdleOnlyBetweenRequestsWithNothingBuffered() throws {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle)
        parser.append(contentsOf: bytes("G"))
        #expect(!parser.isIdle)
        parser.append(contentsOf: bytes(String(getA.dropFirst())))
        _ = try parser.next()
        #expect(!parser.isIdle, "the .end is still to come")
        _ = try parser.next()
        #expect(parser.isIdle)
        parser.append(contentsOf: bytes("\r\n"))
        #expect(try parser.next() == nil)
        #expect(!parser.isIdle, "an empty line may start the next request")
    }

    @Test func bufferedByteCountCountsWhatIsNotYetConsumed() throws {
        var parser = HTTPRequestParser()
        #expect(parser.bufferedByteCount == 0)
        parser.append(contentsOf: bytes(getA + getA + "GET"))
        #expect(parser.bufferedByteCount == 2 * getA.utf8.count + 3)
        _ = try parser.next()
        #expect(parser.bufferedByteCount == getA.utf8.count + 3)
        _ = try parser.next()
        _ = try parser.next()
        _ = try parser.next()
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 3)
    }

    @Test(.timeLimit(.minutes(1)))
    func largeBodyFedByteByByteStaysLinearAndUnbuffered() throws {
        let size = 1 << 20
        var parser = HTTPRequestParser()
        parser.append(contentsOf: bytes(clHead("\(size)")))
        _ = try parser.next()
        var byte: UInt8 = 0x61
        var maxBuffered = 0
        var earlyEvents = 0
        for _ in 0..<(size - 1) {
            withUnsafeBytes(of: &byte) { parser.append($0) }
            if try parser.next() != nil { earlyEvents += 1 }
            maxBuffered = max(maxBuffered, parser.bufferedByteCount)
        }
        #expect(earlyEvents == 0)
        withUnsafeBytes(of: &byte) { parser.append($0) }
        guard case .end(let body, _) = try parser.next() else { Issue.record("expected the end"); return }
        #expect(body.count == size)
        #expect(maxBuffered == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func largeChunkedBodyFedInSmallPiecesIsComplete() throws {
        let chunk = String(repeating: "x", count: 4096)
        let chunkCount = 256
        let text = chunkedHead + String(repeating: "1000\r\n" + chunk + "\r\n", count: chunkCount) + "0\r\n\r\n"
        let outcome = parse(bytes(text), pieces: pieces(of: text.utf8.count, size: 3))
        #expect(outcome.error == nil)
        guard outcome.events.count == 2, case .end(let body, _) = outcome.events[1] else {
            Issue.record("expected a head and an end"); return
        }
        #expect(body.count == 4096 * chunkCount)
    }

    @Test func pipelinedRequestsSplitAnywhereComeOutInOrder() {
        let text = String(repeating: getA, count: 50)
        let outcome = parse(bytes(text), pieces: pieces(of: text.utf8.count, size: 7))
        #expect(outcome == ParseOutcome(events: Array(repeating: [head(), end()], count: 50).flatMap { $0 }))
    }

    // MARK: Headers and trailers

    @Test func headersKeepTheExactReceivedBytes() throws {
        let fieldLines = "Host:  a \r\nX-Y:\tv  w\t\r\nEmpty:\r\n"
        var parser = HTTPRequestParser()
        parser.append(contentsOf: bytes("GET / HTTP/1.1\r\n" + fieldLines + "\r\n"))
        guard case .head(let head) = try parser.next() else { Issue.record("expected a head"); return }
        #expect(head.headers.raw == bytes(fieldLines))
        #expect(head.headers.pairs.map { "\($0.name)=\($0.value)" } == ["Host=a", "X-Y=v  w", "Empty="])
        #expect(Array(head.headers.valueBytes(at: 1)) == bytes("v  w"))
        #expect(head.headers["x-y"] == "v  w")
    }

    @Test func trailersAreNotMergedIntoHeaders() throws {
        var parser = HTTPRequestParser()
        parser.append(contentsOf: bytes(chunkedHead + "1\r\nx\r\n0\r\nX-Sig: t\r\n\r\n"))
        guard case .head(let head) = try parser.next() else { Issue.record("expected a head"); return }
        guard case .end(_, let trailers) = try parser.next() else { Issue.record("expected the end"); return }
        #expect(!head.headers.contains("X-Sig"))
        #expect(trailers["x-sig"] == "t")
        #expect(trailers.raw == bytes("X-Sig: t\r\n"))
    }

    @Test func appendAcceptsAnySequenceOfBytes() throws {
        var parser = HTTPRequestParser()
        parser.append(contentsOf: getA.utf8)
        #expect(try parser.next() == head())
        #expect(try parser.next() == end())
    }

    // MARK: Character classes

    @Test func tokenBytesAreExactlyRFC9110Tchar() {
        let tchar = Set(bytes("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPSyntax.isTokenByte(byte) == tchar.contains(byte), "byte \(byte)")
        }
    }

    @Test func wordChecksAgreeWithByteChecksForEveryByteInEveryLane() {
        for filler: UInt8 in [0x41, 0x21, 0x7E, 0x80, 0xFF] {
            for lane in 0..<8 {
                for byte in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: filler, count: 8)
                    bytes[lane] = byte
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    let valueBytesOK = bytes.allSatisfy { HTTPSyntax.isFieldValueByte($0) && $0 != HTTPSyntax.htab }
                    let targetBytesOK = bytes.allSatisfy(HTTPSyntax.isTargetByte)
                    #expect(HTTPSyntax.containsNonFieldValueByte(word) == !valueBytesOK, "value: byte \(byte) lane \(lane)")
                    #expect(HTTPSyntax.containsNonTargetByte(word) == !targetBytesOK, "target: byte \(byte) lane \(lane)")
                }
            }
        }
    }

    @Test func hostBytesAreExactlyRFC3986HostAndPortBytes() {
        let allowed = Set(bytes("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%"))
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPSyntax.isHostByte(byte) == allowed.contains(byte), "byte \(byte)")
        }
    }
}
