import CLinux
import Glibc

/// A failed system call, named, with its `errno`.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    /// The system call that failed, e.g. `bind`.
    public let call: String
    /// The `errno` it set.
    public let code: Int32

    public init(_ call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// The error for `call` with the current `errno`.
    init(_ call: String) {
        self.init(call, code: errno)
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// The outcome of a non-blocking I/O call.
enum IOResult: Equatable {
    case processed(Int)
    case wouldBlock
}

/// The only place that makes socket syscalls: each retries on `EINTR`, maps `EAGAIN` to `.wouldBlock`
/// and throws a ``SystemError`` naming the call otherwise.
enum Syscall {
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return .processed(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw SystemError("read")
            }
        }
    }

    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult {
        while true {
            let n = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .processed(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw SystemError("send")
            }
        }
    }

    /// Accepts one connection: the new descriptor (non-blocking, close-on-exec) and the peer address, or nil when none waits.
    static func accept(_ fd: Int32) throws(SystemError) -> (fd: Int32, peer: sockaddr_storage)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept4(fd, $0, &length, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
                }
            }
            if client >= 0 { return (client, storage) }
            switch errno {
            case EINTR, ECONNABORTED: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: throw SystemError("accept4")
            }
        }
    }

    /// Connects a blocking socket to `address` (bounded by the socket's `SO_SNDTIMEO`, which Linux applies to
    /// `connect`). An interrupted connect is not retried: it goes on in the background, so wait for it with `poll`.
    static func connect(_ fd: Int32, to address: sockaddr_storage, length: socklen_t) throws(SystemError) {
        var storage = address
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        if rc == 0 { return }
        guard errno == EINTR || errno == EINPROGRESS else { throw SystemError("connect") }
        var pollFD = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var timeout = timeval()
        var timeoutLength = socklen_t(MemoryLayout<timeval>.size)
        getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, &timeoutLength)
        let millis = Int32(clamping: timeout.tv_sec * 1000 + timeout.tv_usec / 1000)
        while true {
            let ready = poll(&pollFD, 1, millis == 0 ? -1 : millis)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { throw SystemError("connect", code: ETIMEDOUT) }
            if ready < 0 { throw SystemError("poll") }
            break
        }
        var code: Int32 = 0
        var codeLength = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &codeLength)
        if code != 0 { throw SystemError("connect", code: code) }
    }

    /// Sets `SO_RCVTIMEO` and `SO_SNDTIMEO` on a blocking socket.
    static func setTimeouts(_ fd: Int32, _ duration: Duration) throws(SystemError) {
        let micros = duration.nanoseconds / 1000
        var tv = timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
        for (option, name) in [(SO_RCVTIMEO, "setsockopt(SO_RCVTIMEO)"), (SO_SNDTIMEO, "setsockopt(SO_SNDTIMEO)")]
        where setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            throw SystemError(name)
        }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ callName: String) throws(SystemError) {
        var v = value
        if setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) != 0 { throw SystemError(callName) }
    }

    static func epollControl(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ events: UInt32) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        if epoll_ctl(epfd, op, fd, &event) != 0 { throw SystemError("epoll_ctl") }
    }

    /// Adds one to an eventfd counter, waking whoever waits on it.
    static func signal(eventFD fd: Int32) {
        var one: UInt64 = 1
        while Glibc.write(fd, &one, 8) < 0 && errno == EINTR {}
    }

    /// Resets an eventfd counter.
    static func drain(eventFD fd: Int32) {
        var value: UInt64 = 0
        while Glibc.read(fd, &value, 8) < 0 && errno == EINTR {}
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)  // never retried: on Linux the descriptor is released even on EINTR
    }

    /// Monotonic time in nanoseconds (coarse clock: cheap, a few ms resolution, good enough for timeouts).
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (ns, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : ns &+ UInt64(attoseconds / 1_000_000_000)
    }
}
