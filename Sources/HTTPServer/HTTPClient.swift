import Glibc

/// A minimal blocking HTTP/1.1 client: one request per connection, plain HTTP to a numeric address (no DNS, no TLS,
/// no proxy), `Connection: close`, the response read to the end. For the CLI talking to the local admin API, not for
/// deliveries (those go through libcurl).
///
/// ```swift
/// let response = try HTTPClient.send("POST", "/api/replay", to: ListenAddress("127.0.0.1:9090")!,
///                                    headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
/// print(response.status, String(decoding: response.body, as: UTF8.self))
/// ```
public enum HTTPClient {
    /// A response: status, header fields in order, body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        /// The first value of the header named `name` (ASCII case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// The most response bytes read (head and body).
    public static let maxResponseBytes = 16 << 20

    /// Sends one request and reads the response; every step is bounded by `timeout`.
    ///
    /// - Throws: ``HTTPClientError`` when the connection fails or times out, or the answer is not an HTTP/1.x response.
    public static func send(_ method: String, _ target: String, to address: ListenAddress, headers: [(String, String)] = [],
                            body: [UInt8] = [], timeout: Duration = .seconds(60)) throws(HTTPClientError) -> Response {
        var request = "\(method) \(target) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Content-Length: \(body.count)\r\n\r\n"
        let raw: [UInt8]
        do {
            raw = try exchange(Array(request.utf8) + body, with: address, timeout: timeout)
        } catch {
            throw HTTPClientError("\(address): \(error.call == "recv" && error.code == EAGAIN ? "timed out" : error.description)")
        }
        return try parse(raw)
    }

    private static func exchange(_ request: [UInt8], with address: ListenAddress, timeout: Duration) throws(SystemError) -> [UInt8] {
        let (storage, length) = try address.makeSockaddr()
        let fd = socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        defer { Syscall.close(fd) }
        try Syscall.setTimeouts(fd, timeout)
        try Syscall.connect(fd, to: storage, length: length)
        var sent = 0
        while sent < request.count {
            let result = try request.withUnsafeBytes { raw in
                Result { () throws(SystemError) in try Syscall.send(fd, UnsafeRawBufferPointer(rebasing: raw[sent...])) }
            }.get()
            guard case .processed(let n) = result else { throw SystemError("send", code: EAGAIN) }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while response.count < maxResponseBytes {
            let result = try chunk.withUnsafeMutableBytes { raw in Result { () throws(SystemError) in try Syscall.read(fd, raw) } }.get()
            guard case .processed(let n) = result else { throw SystemError("recv", code: EAGAIN) }
            if n == 0 { break }
            response.append(contentsOf: chunk[0..<n])
        }
        return response
    }

    /// Splits a `Connection: close` response into status, headers and body (cut at `Content-Length` when present).
    static func parse(_ raw: [UInt8]) throws(HTTPClientError) -> Response {
        guard let end = raw.firstRange(of: [13, 10, 13, 10]) else {
            throw HTTPClientError(raw.isEmpty ? "the connection closed without an answer" : "the answer is not an HTTP response")
        }
        let lines = String(decoding: raw[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw HTTPClientError("the answer is not an HTTP response")
        }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: " \t"))
        }
        var body = Array(raw[end.upperBound...])
        if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }), length < body.count {
            body.removeLast(body.count - length)
        }
        return Response(status: status, headers: headers, body: body)
    }
}

/// Why ``HTTPClient/send(_:_:to:headers:body:timeout:)`` got no response.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let first = s.first, set.contains(first) { s.removeFirst() }
        while let last = s.last, set.contains(last) { s.removeLast() }
        return String(s)
    }
}
