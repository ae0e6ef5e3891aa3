import Glibc

/// A numeric address and port to listen on: `0.0.0.0:8080`, `127.0.0.1:0`, `[::]:8080`, `:8080` (all IPv4),
/// `localhost:8080` (127.0.0.1). No DNS.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; nil when malformed.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            guard host.contains(":") else { return nil }
        } else if host.contains(":") {
            return nil  // IPv6 needs brackets
        }
        if host.isEmpty { host = "0.0.0.0" }
        if host == "localhost" { host = "127.0.0.1" }
        self.init(host: host, port: port)
        guard (try? makeSockaddr()) != nil else { return nil }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var isIPv6: Bool { host.contains(":") }

    /// The address as a `sockaddr_storage` and its length.
    func makeSockaddr() throws(SystemError) -> (sockaddr_storage, socklen_t) {
        var storage = sockaddr_storage()
        if isIPv6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1 else { throw SystemError("inet_pton", code: EINVAL) }
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: sin6) { dst.copyMemory(from: $0) } }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &sin.sin_addr) == 1 else { throw SystemError("inet_pton", code: EINVAL) }
        withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: sin) { dst.copyMemory(from: $0) } }
        return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
    }

    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1`, or `::ffff:127.x.y.z`): reachable only from this
    /// machine. `0.0.0.0` and `::` (every interface) are not.
    public var isLoopback: Bool {
        guard let address = IPAddress(host) else { return false }
        return Self.loopbackRanges.contains { $0.contains(address) }
    }

    private static let loopbackRanges = [CIDR("127.0.0.0/8")!, CIDR("::1/128")!]

    /// A non-blocking listening socket with `SO_REUSEADDR` (and `SO_REUSEPORT` unless `reusePort` is false), and the
    /// port it got.
    func listen(backlog: Int32, reusePort: Bool = true) throws(SystemError) -> (fd: Int32, port: Int) {
        let (storage, length) = try makeSockaddr()
        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        do throws(SystemError) {
            try Syscall.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)")
            if reusePort { try Syscall.setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)") }
            var s = storage
            let rc = withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard rc == 0 else { throw SystemError("bind \(self)") }
            guard Glibc.listen(fd, backlog) == 0 else { throw SystemError("listen") }
            var bound = sockaddr_storage()
            var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
            }
            return (fd, Self.port(of: bound))
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    static func port(of storage: sockaddr_storage) -> Int {
        var s = storage
        return withUnsafeBytes(of: &s) { raw in
            // sin_port and sin6_port sit at the same offset (2) in both layouts.
            Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
        }
    }

    /// The numeric host of a peer address (IPv4-mapped IPv6 shown as IPv4).
    static func host(of storage: sockaddr_storage) -> String {
        var s = storage
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return withUnsafeBytes(of: &s) { raw -> String in
            let family = Int32(raw.load(as: sa_family_t.self))
            if family == AF_INET {
                var addr = raw.load(fromByteOffset: 4, as: in_addr.self)
                inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
            } else if family == AF_INET6 {
                var addr = raw.load(fromByteOffset: 8, as: in6_addr.self)
                let bytes = withUnsafeBytes(of: &addr) { Array($0) }
                if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                    return "\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])"
                }
                inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
            } else {
                return "unknown"
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
