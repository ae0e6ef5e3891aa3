/// An HTTP protocol version such as 1.1.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    public var description: String { "HTTP/\(major).\(minor)" }
}

/// How a request's body is delimited on the wire.
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body (no Content-Length and no Transfer-Encoding).
    case none
    /// `Content-Length: n`.
    case contentLength(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
}

/// The request line and header section of a request, as the parser hands them over.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method token, exactly as sent (methods are case-sensitive).
    public var method: String
    /// The request target, exactly as sent (origin-form `/path?query`, absolute-form, or `*`).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: HTTPBodyFraming
    /// Whether the connection stays open after this request (HTTP/1.1 default, `Connection: close`, HTTP/1.0 rules).
    public var isKeepAlive: Bool
    /// Whether the client sent `Expect: 100-continue` (HTTP/1.1 only) and waits before sending the body.
    public var expectsContinue: Bool

    public init(method: String, target: String, version: HTTPVersion, headers: HTTPHeaders,
                framing: HTTPBodyFraming, isKeepAlive: Bool, expectsContinue: Bool) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.isKeepAlive = isKeepAlive
        self.expectsContinue = expectsContinue
    }
}

/// A complete request as a handler sees it: head, raw body bytes, and where it came from.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    /// The body bytes exactly as received (chunked framing removed).
    public var body: [UInt8]
    /// Trailer fields of a chunked body (empty otherwise).
    public var trailers: HTTPHeaders
    /// The TCP peer's address.
    public var peerAddress: String
    /// The client's address: the peer, or the forwarded client when the peer is a trusted proxy.
    public var clientAddress: String
    /// Whether the request arrived over TLS.
    public var isSecure: Bool

    public init(head: HTTPRequestHead, body: [UInt8] = [], trailers: HTTPHeaders = HTTPHeaders(),
                peerAddress: String = "", clientAddress: String? = nil, isSecure: Bool = false) {
        self.head = head
        self.body = body
        self.trailers = trailers
        self.peerAddress = peerAddress
        self.clientAddress = clientAddress ?? peerAddress
        self.isSecure = isSecure
    }

    public var method: String { head.method }
    public var target: String { head.target }
    public var headers: HTTPHeaders { head.headers }

    /// The path part of the target (before `?`), still percent-encoded.
    public var path: Substring {
        let t = head.target[...]
        return t.firstIndex(of: "?").map { t[..<$0] } ?? t
    }

    /// The query part of the target (after `?`), if any, still percent-encoded.
    public var query: Substring? {
        let t = head.target[...]
        return t.firstIndex(of: "?").map { t[t.index(after: $0)...] }
    }
}

/// A response a handler produces. The server adds `Date`, `Content-Length` and `Connection`.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Close the connection after this response even if the client asked to keep it open.
    public var closesConnection: Bool

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], closesConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closesConnection = closesConnection
    }

    /// A `text/plain` response with a short reason, as the server's own errors carry.
    public static func text(_ status: Int, _ text: String, closesConnection: Bool = false) -> HTTPResponse {
        var body = Array(text.utf8)
        body.append(UInt8(ascii: "\n"))
        return HTTPResponse(status: status, headers: textHeaders, body: body, closesConnection: closesConnection)
    }

    /// An `application/json` response with `json` as the exact body.
    public static func json(_ status: Int, _ json: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders, body: Array(json.utf8))
    }

    /// An `application/json` response with already encoded `body` bytes.
    public static func json(_ status: Int, bytes body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders, body: body)
    }

    /// Built once and shared (copy-on-write), so the common responses allocate only their bodies.
    private static let textHeaders = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")])
    private static let jsonHeaders = HTTPHeaders([("Content-Type", "application/json")])

    /// The standard reason phrase for `status`.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
