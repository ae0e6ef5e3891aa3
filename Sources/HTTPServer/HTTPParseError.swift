/// Why a request could not be parsed, with the status the server answers before closing the connection.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case invalidRequestLine, requestLineTooLong, unsupportedVersion, invalidLineEnding
        case invalidHeaderName, invalidHeaderValue, obsoleteLineFolding, headersTooLarge, tooManyHeaders
        case missingHost, duplicateHost, invalidHost
        case invalidContentLength, duplicateContentLength, contentLengthWithTransferEncoding
        case unsupportedTransferEncoding, transferEncodingInHTTP10
        case invalidChunkSize, invalidChunkExtension, invalidChunkData
        case bodyTooLarge, unsupportedExpectation
    }

    private let code: Code
    /// The HTTP status the server answers with.
    public let status: Int
    /// A short reason for the response body; never echoes request bytes.
    public let reason: String

    private init(_ code: Code, _ status: Int, _ reason: String) {
        self.code = code
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    public static let invalidRequestLine = Self(.invalidRequestLine, 400, "invalid request line")
    public static let requestLineTooLong = Self(.requestLineTooLong, 414, "request line too long")
    public static let unsupportedVersion = Self(.unsupportedVersion, 505, "HTTP version not supported")
    /// A CR not followed by LF, or a bare LF, where a line must end.
    public static let invalidLineEnding = Self(.invalidLineEnding, 400, "invalid line ending")
    public static let invalidHeaderName = Self(.invalidHeaderName, 400, "invalid header name")
    public static let invalidHeaderValue = Self(.invalidHeaderValue, 400, "invalid header value")
    public static let obsoleteLineFolding = Self(.obsoleteLineFolding, 400, "obsolete header line folding")
    public static let headersTooLarge = Self(.headersTooLarge, 431, "request header fields too large")
    public static let tooManyHeaders = Self(.tooManyHeaders, 431, "too many header fields")
    public static let missingHost = Self(.missingHost, 400, "missing Host header")
    public static let duplicateHost = Self(.duplicateHost, 400, "more than one Host header")
    /// A Host value with bytes that cannot appear in `uri-host [ ":" port ]` (RFC 9112 §3.2: answer 400).
    public static let invalidHost = Self(.invalidHost, 400, "invalid Host header")
    public static let invalidContentLength = Self(.invalidContentLength, 400, "invalid Content-Length")
    public static let duplicateContentLength = Self(.duplicateContentLength, 400, "more than one Content-Length")
    public static let contentLengthWithTransferEncoding = Self(.contentLengthWithTransferEncoding, 400,
                                                              "both Content-Length and Transfer-Encoding")
    public static let unsupportedTransferEncoding = Self(.unsupportedTransferEncoding, 501, "unsupported Transfer-Encoding")
    public static let transferEncodingInHTTP10 = Self(.transferEncodingInHTTP10, 400, "Transfer-Encoding in an HTTP/1.0 request")
    public static let invalidChunkSize = Self(.invalidChunkSize, 400, "invalid chunk size")
    public static let invalidChunkExtension = Self(.invalidChunkExtension, 400, "invalid chunk extension")
    public static let invalidChunkData = Self(.invalidChunkData, 400, "chunk data not followed by CRLF")
    public static let bodyTooLarge = Self(.bodyTooLarge, 413, "request body too large")
    public static let unsupportedExpectation = Self(.unsupportedExpectation, 417, "unsupported expectation")
}
