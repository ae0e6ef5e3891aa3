/// What the parser produces, in order, for each request: `.head`, then `.end`.
public enum HTTPParserEvent: Sendable, Equatable {
    /// The request line and headers are complete and valid.
    case head(HTTPRequestHead)
    /// The body is complete (empty when the request has none).
    case end(body: [UInt8], trailers: HTTPHeaders)
}

/// A pure, incremental HTTP/1.1 request parser: bytes in, request parts or a typed error out. No sockets.
///
/// It is strict (RFC 9112), because it is where request smuggling is stopped:
/// - lines end in CRLF; a bare LF or a CR not followed by LF is an error, and so is obs-fold;
/// - up to 8 empty lines before a request line are skipped;
/// - the method and field names are tokens, the target is 0x21–0x7E, the version is `HTTP/1.1` or `HTTP/1.0`;
/// - HTTP/1.1 needs exactly one Host (no request may have two);
/// - a body is framed by one Content-Length of digits only, or by `Transfer-Encoding: chunked` alone (one field, no
///   other coding, no Content-Length, not in HTTP/1.0); without either the body is empty;
/// - two Transfer-Encoding fields are `.unsupportedTransferEncoding` (501), like `chunked, chunked` in one field;
/// - every size is limited by ``HTTPLimits`` and an over-limit input fails as soon as the limit is passed. A request
///   line or chunk line counts with its CRLF, as do field lines toward `maxHeaderBytes` (the final empty line does
///   not), so a line fails once that many bytes of it arrived without its line end.
///
/// Errors are reported at the earliest byte that shows the input is invalid, so how the bytes are split into
/// ``append(_:)`` calls never changes the events or the error. After an error every ``next()`` throws it again.
///
/// ```swift
/// var parser = HTTPRequestParser(limits: limits)
/// parser.append(bytesReadFromSocket)
/// while let event = try parser.next() {
///     switch event {
///     case .head(let head): if let limit = routeLimit(head) { parser.limitBody(to: limit) }
///     case .end(let body, let trailers): handle(body, trailers)
///     }
/// }
/// ```
public struct HTTPRequestParser: Sendable {
    /// Empty lines skipped before a request line (RFC 9112 §2.2); one more is an error.
    static let maxEmptyLines = 8
    /// A buffer with at most this capacity is kept when it empties; a larger one is freed.
    static let retainedBufferCapacity = 16 * 1024
    /// A Content-Length body up to this size gets its exact capacity when its first bytes arrive; a larger one grows as
    /// its bytes arrive, so a client cannot make the server reserve memory it never sends.
    static let maxReservedBodyBytes = 64 * 1024

    private enum State: Sendable {
        case requestLine
        case headerSection
        /// The head was returned; the body (if any) starts here.
        case bodyStart
        case fixedBody(remaining: Int)
        case chunkLine
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailerSection
    }

    private let limits: HTTPLimits
    /// `limits.maxHeaderBytes`, kept within what `HTTPHeaders.Location` can index.
    private let fieldSectionBudget: Int

    /// Received bytes; those before `start` are consumed. Every position below is relative to `start`.
    private var buffer: [UInt8] = []
    private var start = 0
    private var state = State.requestLine
    /// The error that ended parsing; once set, `state` no longer matters. (Kept out of `State` so that stays trivial.)
    private var failure: HTTPParseError?
    private var cursor = LineCursor()

    // The request in progress.
    private var emptyLines = 0
    private var method = ""
    private var target = ""
    private var version = HTTPVersion.http1_1
    private var fields: [HTTPHeaders.Location] = []
    private var facts = HeadFacts()
    private var framing = HTTPBodyFraming.none
    private var bodyLimit: Int
    /// The body size declared so far: the Content-Length, or the sum of the chunk sizes read.
    private var declaredBodyBytes = 0
    private var body: [UInt8] = []

    /// A parser with the given limits (the timeouts in `limits` are not its business).
    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        self.fieldSectionBudget = Swift.min(limits.maxHeaderBytes, Int(Int32.max) - 2)
        self.bodyLimit = limits.maxBodyBytes
    }

    /// The number of received bytes not yet consumed by parsing (body bytes already handed to the request in progress
    /// are consumed). Zero after an error.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Whether no byte of a next request has been received: between requests (or before the first) with nothing
    /// buffered. Empty lines before a request line count as received bytes.
    public var isIdle: Bool {
        guard failure == nil, case .requestLine = state else { return false }
        return start == buffer.count && emptyLines == 0
    }

    /// Appends received bytes to the parser's buffer. Ignored after an error.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if failure != nil { return }
        if start > 0, start >= buffer.count - start {
            // At least half the buffer is consumed: drop it, so the buffer stays within twice what is unconsumed.
            buffer.removeSubrange(0..<start)
            start = 0
        }
        bytes.withMemoryRebound(to: UInt8.self) { buffer.append(contentsOf: $0) }
    }

    /// Appends received bytes to the parser's buffer. Ignored after an error.
    public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        let appended: Void? = bytes.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0)) }
        if appended == nil {
            Array(bytes).withUnsafeBytes { append($0) }
        }
    }

    /// Lowers the body limit for the request whose `.head` was just returned (for example to a per-source limit); the
    /// limit goes back to `limits.maxBodyBytes` for the next request. It never raises the limit above
    /// `limits.maxBodyBytes`, and does nothing outside a request's body.
    ///
    /// A Content-Length above the limit makes the next ``next()`` throw `.bodyTooLarge`; a chunked body throws as soon as
    /// its chunk sizes add up to more.
    public mutating func limitBody(to maxBytes: Int) {
        switch state {
        case .bodyStart, .fixedBody, .chunkLine, .chunkData, .chunkDataEnd, .trailerSection:
            bodyLimit = Swift.min(bodyLimit, Swift.max(maxBytes, 0))
        case .requestLine, .headerSection:
            break
        }
    }

    /// The next event, or nil when more bytes are needed. Each request gives `.head` then `.end`, and pipelined
    /// requests come out one after another. After an error every call throws the same error.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? {
        if let failure { throw failure }
        let event: HTTPParserEvent?
        do {
            event = try parseBuffered()
        } catch {
            failure = error
            buffer = []
            start = 0
            body = []
            fields = []
            throw error
        }
        if start == buffer.count, start > 0 {
            if buffer.capacity > Self.retainedBufferCapacity {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            start = 0
        }
        return event
    }

    /// Runs the state machine over the buffered bytes until it has an event or needs more bytes.
    private mutating func parseBuffered() throws(HTTPParseError) -> HTTPParserEvent? {
        let bytes = buffer
        return try bytes.withUnsafeBufferPointer { (all) throws(HTTPParseError) -> HTTPParserEvent? in
            while true {
                let buf = UnsafeBufferPointer(rebasing: all[start...])
                switch state {
                case .requestLine:
                    guard try readRequestLine(buf) else { return nil }
                case .headerSection:
                    guard let sectionEnd = try readFieldSection(buf, isTrailer: false) else { return nil }
                    return .head(try makeHead(buf, sectionEnd: sectionEnd))
                case .bodyStart:
                    switch framing {
                    case .none:
                        return finishRequest(trailers: HTTPHeaders())
                    case .contentLength(let length):
                        declaredBodyBytes = length
                        state = .fixedBody(remaining: length)
                    case .chunked:
                        state = .chunkLine
                    }
                case .fixedBody(let remaining):
                    try checkBodyLimit()
                    let count = Swift.min(remaining, buf.count)
                    if count == remaining, body.isEmpty {
                        body = Array(UnsafeBufferPointer(rebasing: buf[0..<count]))
                    } else if count > 0 {
                        if body.isEmpty, declaredBodyBytes <= Self.maxReservedBodyBytes {
                            body.reserveCapacity(declaredBodyBytes)
                        }
                        body.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<count]))
                    }
                    start += count
                    guard count == remaining else {
                        state = .fixedBody(remaining: remaining - count)
                        return nil
                    }
                    return finishRequest(trailers: HTTPHeaders())
                case .chunkLine:
                    try checkBodyLimit()
                    guard try readChunkLine(buf) else { return nil }
                case .chunkData(let remaining):
                    try checkBodyLimit()
                    let count = Swift.min(remaining, buf.count)
                    guard count > 0 else { return nil }
                    body.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<count]))
                    start += count
                    state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                case .chunkDataEnd:
                    try checkBodyLimit()
                    guard let first = buf.first else { return nil }
                    guard first == HTTPSyntax.cr else { throw .invalidChunkData }
                    guard buf.count >= 2 else { return nil }
                    guard buf[1] == HTTPSyntax.lf else { throw .invalidChunkData }
                    start += 2
                    state = .chunkLine
                case .trailerSection:
                    try checkBodyLimit()
                    guard let sectionEnd = try readFieldSection(buf, isTrailer: true) else { return nil }
                    let trailers = takeFields(buf, sectionEnd: sectionEnd)
                    start += sectionEnd + 2
                    return finishRequest(trailers: trailers)
                }
            }
        }
    }

    /// Skips an empty line or reads the request line; returns whether it made progress.
    private mutating func readRequestLine(_ buf: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Bool {
        if cursor.isAtLineStart, let first = buf.first, first == HTTPSyntax.cr || first == HTTPSyntax.lf {
            guard first == HTTPSyntax.cr else { throw .invalidLineEnding }
            guard emptyLines < Self.maxEmptyLines else { throw .invalidRequestLine }
            guard buf.count >= 2 else { return false }
            guard buf[1] == HTTPSyntax.lf else { throw .invalidLineEnding }
            emptyLines += 1
            start += 2
            return true
        }
        guard let cr = try HTTPSyntax.scanRequestLine(buf, &cursor, budget: limits.maxRequestLineBytes) else { return false }
        let versionStart = cursor.secondMark + 1
        switch (buf[versionStart + 5], buf[versionStart + 7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): version = .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): version = .http1_0
        default: throw .unsupportedVersion
        }
        method = String(decoding: UnsafeBufferPointer(rebasing: buf[0..<cursor.firstMark]), as: UTF8.self)
        target = String(decoding: UnsafeBufferPointer(rebasing: buf[(cursor.firstMark + 1)..<cursor.secondMark]), as: UTF8.self)
        start += cr + 2
        cursor = LineCursor()
        state = .headerSection
        return true
    }

    /// Reads field lines (headers or trailers, which start at relative 0) until the empty line; returns where the field
    /// lines end (the empty line's CR), or nil when more bytes are needed.
    private mutating func readFieldSection(_ buf: UnsafeBufferPointer<UInt8>, isTrailer: Bool) throws(HTTPParseError) -> Int? {
        while true {
            let lineStart = cursor.lineStart
            if cursor.isAtLineStart {
                guard lineStart < buf.count else { return nil }
                switch buf[lineStart] {
                case HTTPSyntax.cr:
                    guard lineStart + 1 < buf.count else { return nil }
                    guard buf[lineStart + 1] == HTTPSyntax.lf else { throw .invalidLineEnding }
                    return lineStart
                case HTTPSyntax.lf:
                    throw .invalidLineEnding
                case HTTPSyntax.sp, HTTPSyntax.htab:
                    throw .obsoleteLineFolding
                default:
                    guard fields.count < limits.maxHeaderCount else { throw .tooManyHeaders }
                }
            }
            // The section's field lines so far are exactly the bytes before `lineStart`.
            guard let cr = try HTTPSyntax.scanFieldLine(buf, &cursor, budget: fieldSectionBudget - lineStart) else {
                return nil
            }
            let colon = cursor.firstMark
            var valueStart = colon + 1
            var valueEnd = cr
            while valueStart < valueEnd, HTTPSyntax.isWhitespace(buf[valueStart]) { valueStart += 1 }
            while valueEnd > valueStart, HTTPSyntax.isWhitespace(buf[valueEnd - 1]) { valueEnd -= 1 }
            if fields.capacity == 0 { fields.reserveCapacity(16) }
            fields.append(HTTPHeaders.Location(nameStart: Int32(lineStart), nameEnd: Int32(colon),
                                               valueStart: Int32(valueStart), valueEnd: Int32(valueEnd)))
            if !isTrailer {
                facts.note(buf, name: lineStart..<colon, value: valueStart..<valueEnd)
            }
            cursor = LineCursor(lineStart: cr + 2)
        }
    }

    /// The fields read so far as headers over a copy of the section's bytes; resets the field list.
    private mutating func takeFields(_ buf: UnsafeBufferPointer<UInt8>, sectionEnd: Int) -> HTTPHeaders {
        guard sectionEnd > 0 else { return HTTPHeaders() }
        let headers = HTTPHeaders(raw: Array(UnsafeBufferPointer(rebasing: buf[0..<sectionEnd])), locations: fields)
        fields = []
        cursor = LineCursor()
        return headers
    }

    /// Checks the header section's semantics and builds the head; consumes the section.
    private mutating func makeHead(_ buf: UnsafeBufferPointer<UInt8>, sectionEnd: Int) throws(HTTPParseError) -> HTTPRequestHead {
        let facts = facts
        if facts.hostCount > 1 { throw .duplicateHost }
        if facts.hostCount == 0 {
            if version == .http1_1 { throw .missingHost }
        } else if !HTTPSyntax.isValidHost(buf, facts.host) {
            throw .invalidHost
        }

        if facts.transferEncodingCount > 0 {
            if version == .http1_0 { throw .transferEncodingInHTTP10 }
            if facts.contentLengthCount > 0 { throw .contentLengthWithTransferEncoding }
            guard facts.transferEncodingCount == 1, HTTPSyntax.equalsIgnoringCase(buf, facts.transferEncoding, "chunked") else {
                throw .unsupportedTransferEncoding
            }
            framing = .chunked
        } else if facts.contentLengthCount > 0 {
            guard facts.contentLengthCount == 1 else { throw .duplicateContentLength }
            guard let length = HTTPSyntax.contentLength(buf, facts.contentLength) else { throw .invalidContentLength }
            framing = .contentLength(length)
        } else {
            framing = .none
        }

        var expectsContinue = false
        if version == .http1_1, facts.expectCount > 0 {
            guard facts.expectCount == 1, HTTPSyntax.equalsIgnoringCase(buf, facts.expect, "100-continue") else {
                throw .unsupportedExpectation
            }
            expectsContinue = true
        }
        let isKeepAlive = version == .http1_1 ? !facts.closes : facts.keepsAlive && !facts.closes

        let head = HTTPRequestHead(method: method, target: target, version: version, headers: takeFields(buf, sectionEnd: sectionEnd),
                                   framing: framing, isKeepAlive: isKeepAlive, expectsContinue: expectsContinue)
        start += sectionEnd + 2
        method = ""
        target = ""
        state = .bodyStart
        return head
    }

    /// Reads a chunk line and moves to its data or to the trailers; returns whether it made progress.
    private mutating func readChunkLine(_ buf: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Bool {
        guard let cr = try HTTPSyntax.scanLine(buf, &cursor, budget: limits.maxChunkExtensionBytes,
                                               tooLong: .invalidChunkExtension) else { return false }
        let size = try HTTPSyntax.chunkSize(UnsafeBufferPointer(rebasing: buf[0..<cr]))
        start += cr + 2
        cursor = LineCursor()
        if size == 0 {
            state = .trailerSection
        } else {
            guard size <= bodyLimit - declaredBodyBytes else { throw .bodyTooLarge }
            declaredBodyBytes += size
            state = .chunkData(remaining: size)
        }
        return true
    }

    private func checkBodyLimit() throws(HTTPParseError) {
        if declaredBodyBytes > bodyLimit { throw .bodyTooLarge }
    }

    /// Ends the request in progress and gets ready for the next one.
    private mutating func finishRequest(trailers: HTTPHeaders) -> HTTPParserEvent {
        let completed = body
        body = []
        state = .requestLine
        cursor = LineCursor()
        emptyLines = 0
        facts = HeadFacts()
        framing = .none
        bodyLimit = limits.maxBodyBytes
        declaredBodyBytes = 0
        return .end(body: completed, trailers: trailers)
    }
}

extension HTTPRequestParser {
    /// Where the scan of the current line stands; positions are relative to the first unconsumed byte.
    struct LineCursor: Sendable {
        /// The line's first byte.
        var lineStart: Int
        /// The next byte to examine.
        var scan: Int
        /// The part of the line `scan` is in (request line: 0 method, 1 target, 2 version; field line: 0 name, 1 value).
        var phase: UInt8 = 0
        /// Request line: the SP after the method. Field line: the colon.
        var firstMark = 0
        /// Request line: the SP after the target.
        var secondMark = 0

        init(lineStart: Int = 0) {
            self.lineStart = lineStart
            self.scan = lineStart
        }

        /// Whether no byte of the line has been examined yet.
        var isAtLineStart: Bool { scan == lineStart }
    }

    /// What the header fields say about framing and connection handling; value ranges are OWS-trimmed.
    struct HeadFacts: Sendable {
        var hostCount = 0
        var host = 0..<0
        var contentLengthCount = 0
        var contentLength = 0..<0
        var transferEncodingCount = 0
        var transferEncoding = 0..<0
        var expectCount = 0
        var expect = 0..<0
        var closes = false
        var keepsAlive = false

        /// Records the field at `name`/`value` if it is one the parser interprets.
        mutating func note(_ buf: UnsafeBufferPointer<UInt8>, name: Range<Int>, value: Range<Int>) {
            switch name.count {
            case 4 where HTTPSyntax.equalsIgnoringCase(buf, name, "host"):
                hostCount += 1
                if hostCount == 1 { host = value }
            case 6 where HTTPSyntax.equalsIgnoringCase(buf, name, "expect"):
                expectCount += 1
                if expectCount == 1 { expect = value }
            case 10 where HTTPSyntax.equalsIgnoringCase(buf, name, "connection"):
                let options = HTTPSyntax.connectionOptions(buf, value)
                closes = closes || options.close
                keepsAlive = keepsAlive || options.keepAlive
            case 14 where HTTPSyntax.equalsIgnoringCase(buf, name, "content-length"):
                contentLengthCount += 1
                if contentLengthCount == 1 { contentLength = value }
            case 17 where HTTPSyntax.equalsIgnoringCase(buf, name, "transfer-encoding"):
                transferEncodingCount += 1
                if transferEncodingCount == 1 { transferEncoding = value }
            default:
                break
            }
        }
    }
}
