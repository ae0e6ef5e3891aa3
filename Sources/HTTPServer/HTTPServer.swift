import CLinux
import Glibc
import Synchronization

/// An HTTP/1.1 server (plain or TLS): one epoll event loop per core, each on its own thread with its own
/// `SO_REUSEPORT` listener. Knows nothing about webhooks: it hands complete requests to a handler.
///
/// ```swift
/// let server = try HTTPServer(configuration: .init(address: ListenAddress("127.0.0.1:0")!), logger: logger) {
///     MyHandler()  // made once per loop, on that loop's thread
/// }
/// server.start()
/// print(server.localAddress)
/// server.shutdown(gracePeriod: .seconds(10))
/// server.wait()
/// ```
public final class HTTPServer: Sendable {
    /// How to listen and what to accept.
    public struct Configuration: Sendable {
        public var address: ListenAddress
        /// Event loops (threads); default: one per online core.
        public var loopCount: Int
        public var limits: HTTPLimits
        /// Serve TLS with this certificate and key instead of plain HTTP.
        public var tls: TLSConfiguration?
        /// Peers in these ranges may set the client address through `Forwarded` / `X-Forwarded-For`.
        public var trustedProxies: [CIDR]
        public var backlog: Int32
        /// Share the port with other sockets that set `SO_REUSEPORT` (default `true`: how the loops share one port).
        /// With `false` (one loop only), binding a port another process already serves fails with `EADDRINUSE`
        /// instead of splitting its connections with that process: what a control listener such as the admin API
        /// needs.
        public var reusePort: Bool

        public init(address: ListenAddress, loopCount: Int? = nil, limits: HTTPLimits = HTTPLimits(),
                    tls: TLSConfiguration? = nil, trustedProxies: [CIDR] = [], backlog: Int32 = 1024, reusePort: Bool = true) {
            self.address = address
            self.loopCount = reusePort ? max(1, loopCount ?? HTTPServer.onlineCores) : 1
            self.limits = limits
            self.tls = tls
            self.trustedProxies = trustedProxies
            self.backlog = backlog
            self.reusePort = reusePort
        }
    }

    /// Ignores SIGPIPE for the whole process, as nginx does: `send` uses `MSG_NOSIGNAL`, but OpenSSL's `SSL_write` uses
    /// `write(2)`, and a peer that closed must cost an `EPIPE`, not the process.
    /// A handler an embedder installed is left alone; only the default (terminate) is replaced.
    public static func ignoreSIGPIPE() {
        var current = sigaction()
        guard sigaction(SIGPIPE, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil else { return }
        signal(SIGPIPE, SIG_IGN)
    }

    /// The number of online cores.
    public static var onlineCores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// The address actually bound (with the real port when 0 was asked for).
    public let localAddress: ListenAddress
    public let configuration: Configuration
    private let shared: ServerShared
    private let listeners: Mutex<[Int32]>
    private let mailboxes: [LoopMailbox]
    private let threads = Mutex<[OSThread]>([])
    private let makeHandler: @Sendable () -> any HTTPRequestHandler

    /// Binds the listeners (errors surface here) without serving yet; `makeHandler` runs once per loop, on its thread.
    public init(configuration: Configuration, logger: Logger,
                makeHandler: @escaping @Sendable () -> any HTTPRequestHandler) throws {
        Self.ignoreSIGPIPE()
        self.configuration = configuration
        self.makeHandler = makeHandler
        let tls = try configuration.tls.map { configuration throws(TLSError) in try TLSContextHolder(configuration) }
        shared = ServerShared(limits: configuration.limits, tls: tls,
                              clientAddresses: ClientAddressResolver(trustedProxies: configuration.trustedProxies),
                              logger: logger)
        // The first listener picks the port (when 0); the others share it through SO_REUSEPORT.
        var fds: [Int32] = []
        var address = configuration.address
        do {
            for _ in 0..<configuration.loopCount {
                let (fd, port) = try address.listen(backlog: configuration.backlog, reusePort: configuration.reusePort)
                fds.append(fd)
                address.port = port
            }
            mailboxes = try (0..<configuration.loopCount).map { _ throws(SystemError) in try LoopMailbox() }
        } catch {
            fds.forEach(Syscall.close)
            throw error
        }
        listeners = Mutex(fds)
        localAddress = address
    }

    /// Whether the server speaks TLS.
    public var isTLS: Bool { shared.tls != nil }

    /// Starts one thread per loop.
    public func start() {
        let fds = listeners.withLock { fds in
            let taken = fds
            fds = []
            return taken
        }
        let started = zip(fds, mailboxes).enumerated().map { index, pair in
            let (fd, mailbox) = pair
            let shared = shared
            let makeHandler = makeHandler
            return OSThread(name: "http-loop-\(index)") {
                do {
                    let loop = try EventLoop(listenFD: fd, mailbox: mailbox, shared: shared, handler: makeHandler())
                    loop.run()
                } catch {
                    shared.logger.critical("event loop failed to start", ["error": "\(error)"])
                    Syscall.close(fd)
                }
            }
        }
        threads.withLock { $0.append(contentsOf: started) }
    }

    /// Re-reads the TLS certificate and key for new connections; live connections keep theirs.
    /// On error the running pair stays and the error is thrown.
    public func reloadTLS() throws {
        try shared.tls?.reload()
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish for up to `gracePeriod`,
    /// then closes the rest. Returns at once; ``wait()`` returns when every loop has stopped.
    public func shutdown(gracePeriod: Duration) {
        let deadline = Syscall.monotonicNanoseconds() &+ gracePeriod.nanoseconds
        for mailbox in mailboxes { mailbox.post(.shutdown(deadline: deadline)) }
        listeners.withLock { fds in  // never started
            fds.forEach(Syscall.close)
            fds = []
        }
    }

    /// Blocks until every loop has stopped.
    public func wait() {
        for thread in threads.withLock({ $0 }) { thread.join() }
    }

    /// Open connections across all loops.
    public var connectionCount: Int { shared.connectionCount.load(ordering: .relaxed) }
}
