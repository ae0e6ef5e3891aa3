/// What the parser produces, in order, for each request: `.head`, then `.end`.
public enum HTTPParserEvent: Sendable, Equatable {
    /// The request line and headers are complete and valid.
    case head(HTTPRequestHead)
    /// The body is complete (empty when the request has none).
    case end(body: [UInt8], trailers: HTTPHeaders)
}

/// A pure, incremental HTTP/1.1 request parser: bytes in, request parts or a typed error out. No sockets.
public struct HTTPRequestParser: Sendable {
    private let limits: HTTPLimits

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Appends received bytes to the parser's buffer.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        fatalError("not implemented")
    }

    public var bufferedByteCount: Int { 0 }
    public var isIdle: Bool { true }
    public mutating func limitBody(to maxBytes: Int) {}

    /// The next event, or nil when more bytes are needed. After an error the parser is finished.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? {
        fatalError("not implemented")
    }
}
