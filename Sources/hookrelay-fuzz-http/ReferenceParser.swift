import HTTPServer

/// A second HTTP/1.1 request parser for differential fuzzing, written from the rules rather than from
/// ``HTTPRequestParser``'s code: it takes the whole input at once, goes line by line with array slices, and only says
/// which requests came out and whether the input failed (not which error: that depends on which check runs first).
///
/// It follows the same documented rules, including when an incomplete input has already failed: a line fails as soon
/// as `budget` of its bytes arrived without a line end, as soon as its bytes so far cannot start a valid line, or at a
/// CR where the line cannot end yet (request line before its version, field line before its colon).
struct ReferenceParser {
    struct Field: Equatable {
        var name: [UInt8]
        var value: [UInt8]
    }

    enum Event: Equatable {
        case head(method: [UInt8], target: [UInt8], minorVersion: Int, raw: [UInt8], fields: [Field],
                  framing: HTTPBodyFraming, isKeepAlive: Bool, expectsContinue: Bool)
        case end(body: [UInt8], raw: [UInt8], fields: [Field])
    }

    enum Stop: Error {
        /// The input ends before the next event; nothing is wrong so far.
        case incomplete
        /// The input is invalid.
        case failed
    }

    private let b: [UInt8]
    private let limits: HTTPLimits
    private let putBodyLimit: Int
    private var p = 0
    private var events: [Event] = []

    /// The events for `input` and whether it failed.
    static func parse(_ input: [UInt8], limits: HTTPLimits, putBodyLimit: Int) -> (events: [Event], failed: Bool) {
        var parser = ReferenceParser(b: input, limits: limits, putBodyLimit: putBodyLimit)
        do {
            while true { try parser.request() }
        } catch {
            return (parser.events, error == .failed)
        }
    }

    /// Our parser's events in the same form.
    static func event(_ event: HTTPParserEvent) -> Event {
        func fields(_ headers: HTTPHeaders) -> [Field] {
            (0..<headers.count).map { Field(name: Array(headers.name(at: $0).utf8), value: Array(headers.valueBytes(at: $0))) }
        }
        switch event {
        case .head(let head):
            return .head(method: Array(head.method.utf8), target: Array(head.target.utf8), minorVersion: head.version.minor,
                         raw: head.headers.raw, fields: fields(head.headers), framing: head.framing,
                         isKeepAlive: head.isKeepAlive, expectsContinue: head.expectsContinue)
        case .end(let body, let trailers):
            return .end(body: body, raw: trailers.raw, fields: fields(trailers))
        }
    }

    private init(b: [UInt8], limits: HTTPLimits, putBodyLimit: Int) {
        self.b = b
        self.limits = limits
        self.putBodyLimit = putBodyLimit
    }

    // MARK: Requests

    private mutating func request() throws(Stop) {
        var emptyLines = 0
        while true {
            guard p < b.count else { throw .incomplete }
            if b[p] == 10 { throw .failed }
            if b[p] != 13 { break }
            if emptyLines == 8 { throw .failed }
            guard p + 1 < b.count else { throw .incomplete }
            guard b[p + 1] == 10 else { throw .failed }
            p += 2
            emptyLines += 1
        }

        let requestLine = try line(budget: limits.maxRequestLineBytes, isValidStart: Self.isRequestLineStart,
                                   mayEnd: { $0.filter { $0 == 0x20 }.count >= 2 })
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].count == 8 else { throw .failed }
        let version = Array(parts[2])
        guard version[5] == 0x31, version[7] == 0x30 || version[7] == 0x31 else { throw .failed }
        let minor = Int(version[7] - 0x30)
        let method = Array(parts[0])

        let (raw, fields) = try fieldSection()
        func values(_ name: String) -> [[UInt8]] {
            fields.filter { lowercased($0.name) == Array(name.utf8) }.map(\.value)
        }
        let hosts = values("host")
        guard hosts.count <= 1, minor == 0 || hosts.count == 1 else { throw .failed }
        let hostBytes = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%".utf8)
        guard hosts.allSatisfy({ $0.allSatisfy { hostBytes.contains($0) } }) else { throw .failed }

        let lengths = values("content-length")
        let codings = values("transfer-encoding")
        var framing = HTTPBodyFraming.none
        if !codings.isEmpty {
            guard minor == 1, lengths.isEmpty, codings.count == 1, lowercased(codings[0]) == Array("chunked".utf8) else {
                throw .failed
            }
            framing = .chunked
        } else if !lengths.isEmpty {
            guard lengths.count == 1, !lengths[0].isEmpty, lengths[0].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw .failed
            }
            framing = .contentLength(Int(String(decoding: lengths[0], as: UTF8.self)) ?? Int.max)
        }

        let expectations = values("expect")
        let expectsContinue = minor == 1 && !expectations.isEmpty
        if expectsContinue, expectations.count != 1 || lowercased(expectations[0]) != Array("100-continue".utf8) {
            throw .failed
        }
        let options = values("connection").flatMap { $0.split(separator: 0x2C, omittingEmptySubsequences: false) }
            .map { lowercased(trimmed($0)) }
        let isKeepAlive = !options.contains(Array("close".utf8)) && (minor == 1 || options.contains(Array("keep-alive".utf8)))

        events.append(.head(method: method, target: Array(parts[1]), minorVersion: minor, raw: raw, fields: fields,
                            framing: framing, isKeepAlive: isKeepAlive, expectsContinue: expectsContinue))
        let bodyLimit = method == Array("PUT".utf8) ? min(limits.maxBodyBytes, putBodyLimit) : limits.maxBodyBytes

        switch framing {
        case .none:
            events.append(.end(body: [], raw: [], fields: []))
        case .contentLength(let length):
            guard length <= bodyLimit else { throw .failed }
            guard length <= b.count - p else { throw .incomplete }
            events.append(.end(body: Array(b[p..<(p + length)]), raw: [], fields: []))
            p += length
        case .chunked:
            var body: [UInt8] = []
            while true {
                let chunkLine = try line(budget: limits.maxChunkExtensionBytes, isValidStart: { _ in true }, mayEnd: { _ in true })
                let size = try Self.chunkSize(chunkLine)
                if size == 0 { break }
                guard size <= bodyLimit - body.count else { throw .failed }
                guard size <= b.count - p else { throw .incomplete }
                body += b[p..<(p + size)]
                p += size
                guard p < b.count else { throw .incomplete }
                guard b[p] == 13 else { throw .failed }
                guard p + 1 < b.count else { throw .incomplete }
                guard b[p + 1] == 10 else { throw .failed }
                p += 2
            }
            let (trailerRaw, trailers) = try fieldSection()
            events.append(.end(body: body, raw: trailerRaw, fields: trailers))
        }
    }

    private mutating func fieldSection() throws(Stop) -> (raw: [UInt8], fields: [Field]) {
        let start = p
        var fields: [Field] = []
        while true {
            guard p < b.count else { throw .incomplete }
            switch b[p] {
            case 13:
                guard p + 1 < b.count else { throw .incomplete }
                guard b[p + 1] == 10 else { throw .failed }
                let raw = Array(b[start..<p])
                p += 2
                return (raw, fields)
            case 10, 0x20, 0x09:
                throw .failed
            default:
                guard fields.count < limits.maxHeaderCount else { throw .failed }
            }
            let content = try line(budget: limits.maxHeaderBytes - (p - start), isValidStart: Self.isFieldLineStart,
                                   mayEnd: { $0.contains(0x3A) })
            let colon = content.firstIndex(of: 0x3A)!
            fields.append(Field(name: Array(content[..<colon]), value: trimmed(content[(colon + 1)...])))
        }
    }

    /// The content of the line at `p` (which must end in CRLF and fit in `budget` bytes with it); moves past it.
    private mutating func line(budget: Int, isValidStart: ([UInt8]) -> Bool,
                               mayEnd: ([UInt8]) -> Bool) throws(Stop) -> [UInt8] {
        let examinable = max(budget - 1, 0)
        let end = b[p...].firstIndex { $0 == 13 || $0 == 10 } ?? b.count
        let content = Array(b[p..<end])
        guard isValidStart(Array(content.prefix(examinable))) else { throw .failed }
        if content.count >= examinable { throw b.count - p > examinable ? .failed : .incomplete }
        guard end < b.count else { throw .incomplete }
        guard b[end] == 13, mayEnd(content) else { throw .failed }
        guard end + 1 < b.count else { throw .incomplete }
        guard b[end + 1] == 10 else { throw .failed }
        p = end + 2
        return content
    }

    // MARK: Line grammar

    /// Whether `bytes` can begin `method SP target SP HTTP/d.d`.
    private static func isRequestLineStart(_ bytes: [UInt8]) -> Bool {
        let parts = bytes.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts[0].allSatisfy(isTokenByte), parts.count == 1 || !parts[0].isEmpty else { return false }
        guard parts.count > 1 else { return true }
        guard parts[1].allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }), parts.count == 2 || !parts[1].isEmpty else { return false }
        guard parts.count > 2 else { return true }
        let pattern = Array("HTTP/0.0".utf8)
        let version = Array(parts[2])
        guard version.count <= 8 else { return false }
        return version.indices.allSatisfy { i in
            pattern[i] == 0x30 ? version[i] >= 0x30 && version[i] <= 0x39 : version[i] == pattern[i]
        }
    }

    /// Whether `bytes` can begin `token ":" field-value`.
    private static func isFieldLineStart(_ bytes: [UInt8]) -> Bool {
        guard let colon = bytes.firstIndex(where: { !isTokenByte($0) }) else { return true }
        return bytes[colon] == 0x3A && colon > 0 && bytes[(colon + 1)...].allSatisfy(isFieldValueByte)
    }

    /// The size in a chunk line `1*16HEXDIG *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`.
    private static func chunkSize(_ line: [UInt8]) throws(Stop) -> Int {
        let digits = line.prefix { hexDigits.contains($0) }
        guard (1...16).contains(digits.count),
              let size = UInt64(String(decoding: digits, as: UTF8.self), radix: 16), size <= UInt64(Int.max) else {
            throw .failed
        }
        var rest = line[digits.count...]
        func dropWhitespace() { rest = rest.drop { $0 == 0x20 || $0 == 0x09 } }
        func dropToken() throws(Stop) {
            let token = rest.prefix(while: isTokenByte)
            guard !token.isEmpty else { throw .failed }
            rest = rest.dropFirst(token.count)
        }
        while !rest.isEmpty {
            dropWhitespace()
            guard rest.first == 0x3B else { throw .failed }
            rest = rest.dropFirst()
            dropWhitespace()
            try dropToken()
            let beforeWhitespace = rest
            dropWhitespace()
            guard rest.first == 0x3D else {
                rest = beforeWhitespace
                continue
            }
            rest = rest.dropFirst()
            dropWhitespace()
            guard rest.first == 0x22 else {
                try dropToken()
                continue
            }
            rest = rest.dropFirst()
            while true {
                guard let byte = rest.popFirst() else { throw .failed }
                if byte == 0x22 { break }
                if byte == 0x5C {
                    guard let escaped = rest.popFirst(), isFieldValueByte(escaped) else { throw .failed }
                } else if !isFieldValueByte(byte) {
                    throw .failed
                }
            }
        }
        return Int(size)
    }

    private static let hexDigits = Array("0123456789abcdefABCDEF".utf8)
}

/// VCHAR, obs-text, SP or HTAB.
func isFieldValueByte(_ byte: UInt8) -> Bool {
    byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
}

/// `bytes` without leading and trailing SP and HTAB.
func trimmed(_ bytes: some Collection<UInt8>) -> [UInt8] {
    Array(bytes.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed())
}
