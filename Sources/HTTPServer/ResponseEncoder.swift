import Glibc

/// Writes responses onto a connection's output buffer: status line, `Date` (cached per second), the handler's
/// headers, `Content-Length`, `Connection`, body.
struct ResponseEncoder {
    private var dateSecond: Int = -1
    private var dateLine: [UInt8] = []

    /// Appends `response` to `output`. `isHeadRequest`: send the length but not the body.
    /// `closes`: add `Connection: close`; `keepAliveFor10`: the client is HTTP/1.0 and keeps the connection.
    mutating func encode(_ response: HTTPResponse, isHeadRequest: Bool, closes: Bool, keepAliveFor10: Bool,
                         into output: inout [UInt8]) {
        output.append(contentsOf: Self.statusLine(response.status))
        refreshDate()
        output.append(contentsOf: dateLine)
        output.append(contentsOf: response.headers.raw)
        let hasBody = !(response.status < 200 || response.status == 204 || response.status == 304)
        if hasBody {
            output.append(contentsOf: Self.contentLengthPrefix)
            Self.appendDecimal(response.body.count, to: &output)
            output.append(13)
            output.append(10)
        }
        if closes {
            output.append(contentsOf: Self.connectionClose)
        } else if keepAliveFor10 {
            output.append(contentsOf: Self.connectionKeepAlive)
        }
        output.append(13)
        output.append(10)
        if hasBody && !isHeadRequest { output.append(contentsOf: response.body) }
    }

    /// The interim response for `Expect: 100-continue`.
    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static let contentLengthPrefix = Array("Content-Length: ".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
    private static let commonStatusLines: [Int: [UInt8]] = Dictionary(uniqueKeysWithValues:
        [200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 413, 414, 417, 429, 431, 500, 501, 503, 505].map {
            ($0, Array("HTTP/1.1 \($0) \(HTTPResponse.reasonPhrase($0))\r\n".utf8))
        })

    private static func statusLine(_ status: Int) -> [UInt8] {
        commonStatusLines[status] ?? Array("HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n".utf8)
    }

    private static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        if value == 0 { output.append(0x30); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value, count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while n > 0 { buffer[count] = UInt8(0x30 + n % 10); n /= 10; count += 1 }
            for i in stride(from: count - 1, through: 0, by: -1) { output.append(buffer[i]) }
        }
    }

    private mutating func refreshDate() {
        let now = time(nil)
        if now == dateSecond { return }
        dateSecond = now
        dateLine = Array("Date: \(Self.httpDate(now))\r\n".utf8)
    }

    /// An IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ seconds: Int) -> String {
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
