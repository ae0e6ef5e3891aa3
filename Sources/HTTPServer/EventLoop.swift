import CLinux
import COpenSSL
import Glibc
import Synchronization

/// State shared by all loops of one server.
final class ServerShared: Sendable {
    let limits: HTTPLimits
    let tls: TLSContextHolder?
    let clientAddresses: ClientAddressResolver
    let logger: Logger
    let connectionCount = Atomic<Int>(0)

    init(limits: HTTPLimits, tls: TLSContextHolder?, clientAddresses: ClientAddressResolver, logger: Logger) {
        self.limits = limits
        self.tls = tls
        self.clientAddresses = clientAddresses
        self.logger = logger
    }
}

/// One request slot awaiting its response, in request order.
struct ResponseSlot {
    var response: HTTPResponse?
    let isKeepAlive: Bool
    let isHeadRequest: Bool
    let isHTTP10: Bool
}

/// One client connection, owned by one loop.
final class Connection {
    let fd: Int32
    let id: UInt64
    let peer: IPAddress?
    let peerText: String
    /// The client address of a request that no trusted proxy forwarded: the peer, as `IPAddress` prints it.
    let peerClientText: String
    /// Whether the peer is a trusted proxy (its requests' forwarding headers are read).
    let peerIsTrustedProxy: Bool
    let ssl: OpaquePointer?
    var parser: HTTPRequestParser
    var head: HTTPRequestHead?
    var slots: [ResponseSlot] = []
    var firstSequence: UInt64 = 0
    var output: [UInt8] = []
    var outputOffset = 0
    var timer: ConnectionTimer
    var interest: UInt32 = 0
    var isRegistered = false
    /// No more requests are read (error, `Connection: close`, EOF, shutdown).
    var isReadClosed = false
    /// The peer sent EOF.
    var isPeerClosed = false
    /// The final response is queued; close once it is written.
    var closesAfterOutput = false
    var isLingering = false
    /// A TLS read needs the socket to be writable first.
    var tlsReadWantsWrite = false
    /// Shutdown: finish the request in progress, then close.
    var isDraining = false

    init(fd: Int32, id: UInt64, peer: IPAddress?, peerText: String, peerIsTrustedProxy: Bool, ssl: OpaquePointer?, limits: HTTPLimits,
         now: UInt64) {
        self.fd = fd
        self.id = id
        self.peer = peer
        self.peerText = peerText
        peerClientText = peer?.description ?? peerText
        self.peerIsTrustedProxy = peerIsTrustedProxy
        self.ssl = ssl
        parser = HTTPRequestParser(limits: limits)
        timer = ConnectionTimer(limits: limits, acceptedAt: now)
    }

    var hasPendingOutput: Bool { outputOffset < output.count }

    /// Nothing in progress: no request being read, none awaiting a response, nothing to write.
    var isIdle: Bool { slots.isEmpty && head == nil && parser.isIdle && !hasPendingOutput }
}

/// One epoll event loop on its own thread: accepts on its own `SO_REUSEPORT` listener, reads, parses, calls the
/// handler, and writes responses in order. Built on its thread, so it needs no `Sendable`.
final class EventLoop {
    private let epfd: Int32
    private var listenFD: Int32
    private let mailbox: LoopMailbox
    private let shared: ServerShared
    private let limits: HTTPLimits
    private let handler: any HTTPRequestHandler
    private let logger: Logger
    private var connections: [Connection?] = []
    private var nextConnectionID: UInt64 = 1
    private var liveConnections = 0
    private var encoder = ResponseEncoder()
    /// The mailbox's messages being processed (``LoopMailbox/take(into:)``; kept to reuse its buffer).
    private var mailboxBatch: [LoopMailbox.Message] = []
    private let scratch: UnsafeMutableRawBufferPointer
    private let events: UnsafeMutablePointer<epoll_event>
    private let eventCapacity: Int32 = 256
    private var now: UInt64 = Syscall.monotonicNanoseconds()
    private var nextSweep: UInt64 = 0
    private let sweepInterval: UInt64
    private var acceptPausedUntil: UInt64?
    private var shutdownDeadline: UInt64?

    init(listenFD: Int32, mailbox: LoopMailbox, shared: ServerShared, handler: any HTTPRequestHandler) throws(SystemError) {
        let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw SystemError("epoll_create1") }
        self.epfd = epfd
        self.listenFD = listenFD
        self.mailbox = mailbox
        self.shared = shared
        self.limits = shared.limits
        self.logger = shared.logger
        self.handler = handler
        scratch = .allocate(byteCount: 64 * 1024, alignment: 16)
        events = .allocate(capacity: Int(eventCapacity))
        let shortest = [limits.headerReadTimeout, limits.bodyReadTimeout, limits.idleTimeout, limits.writeTimeout,
                        limits.responseTimeout].map(\.nanoseconds).min() ?? 1_000_000_000
        sweepInterval = max(10_000_000, min(250_000_000, shortest / 4))
        try Syscall.epollControl(epfd, EPOLL_CTL_ADD, listenFD, EPOLLIN.rawValue)
        try Syscall.epollControl(epfd, EPOLL_CTL_ADD, mailbox.wakeFD, EPOLLIN.rawValue)
    }

    deinit {
        scratch.deallocate()
        events.deallocate()
        Syscall.close(epfd)
    }

    /// Runs until shutdown completes.
    func run() {
        mailbox.bindToCurrentThread()
        while true {
            let timeout: Int32 = liveConnections == 0 && acceptPausedUntil == nil && shutdownDeadline == nil
                ? -1 : Int32(clamping: (nextSweep > now ? nextSweep - now : 0) / 1_000_000 + 1)
            let n = epoll_wait(epfd, events, eventCapacity, timeout)
            now = Syscall.monotonicNanoseconds()
            if n < 0 && errno != EINTR {
                logger.critical("epoll_wait failed", ["error": SystemError("epoll_wait").description])
                break
            }
            for i in 0..<Int(max(n, 0)) {
                let event = events[i]
                let fd = event.data.fd
                if fd == mailbox.wakeFD {
                    Syscall.drain(eventFD: fd)
                } else if fd == listenFD {
                    acceptConnections()
                } else if fd >= 0 && Int(fd) < connections.count, let connection = connections[Int(fd)] {
                    handle(event.events, on: connection)
                }
            }
            processMailbox()
            if now >= nextSweep {
                sweep()
                nextSweep = now + sweepInterval
            }
            if let deadline = shutdownDeadline {
                if liveConnections == 0 { break }
                if now >= deadline {
                    for case let connection? in connections { close(connection) }
                    break
                }
            }
        }
        if listenFD >= 0 { Syscall.close(listenFD) }
    }

    // MARK: - Accepting

    private func acceptConnections() {
        for _ in 0..<64 {
            let accepted: (fd: Int32, peer: sockaddr_storage)?
            do {
                accepted = try Syscall.accept(listenFD)
            } catch {
                // Out of descriptors or memory: stop accepting for a moment instead of spinning on a readable listener.
                logger.error("accept failed; pausing accepts for 100ms", ["error": error.description])
                _ = try? Syscall.epollControl(epfd, EPOLL_CTL_DEL, listenFD, 0)
                acceptPausedUntil = now + 100_000_000
                nextSweep = min(nextSweep, acceptPausedUntil!)
                return
            }
            guard let (fd, peerStorage) = accepted else { return }
            if shared.connectionCount.add(1, ordering: .relaxed).newValue > limits.maxConnections {
                shared.connectionCount.subtract(1, ordering: .relaxed)
                rejectOverCapacity(fd)
                continue
            }
            try? Syscall.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)")
            var ssl: OpaquePointer?
            if let tls = shared.tls {
                ERR_clear_error()
                ssl = SSL_new(tls.context.pointer)
                guard let ssl, SSL_set_fd(ssl, fd) == 1 else {
                    if let ssl { SSL_free(ssl) }
                    Syscall.close(fd)
                    shared.connectionCount.subtract(1, ordering: .relaxed)
                    continue
                }
                SSL_set_accept_state(ssl)
            }
            let peerText = ListenAddress.host(of: peerStorage)
            let peer = IPAddress(peerText)
            let connection = Connection(fd: fd, id: nextConnectionID, peer: peer, peerText: peerText,
                                        peerIsTrustedProxy: peer.map(shared.clientAddresses.isTrusted) ?? false,
                                        ssl: ssl, limits: limits, now: now)
            nextConnectionID += 1
            if Int(fd) >= connections.count {
                connections.append(contentsOf: repeatElement(nil, count: max(Int(fd) + 1 - connections.count, connections.count)))
            }
            connections[Int(fd)] = connection
            liveConnections += 1
            if shutdownDeadline != nil { connection.isDraining = true }
            updateInterest(connection)
        }
    }

    /// Over the connection limit: a best-effort 503 (plain HTTP only) and close.
    private func rejectOverCapacity(_ fd: Int32) {
        handler.rejected(status: 503)
        if shared.tls == nil {
            Self.overCapacityResponse.withUnsafeBytes { _ = Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
        Syscall.close(fd)
    }

    private static let overCapacityResponse = Array(("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: 21\r\nRetry-After: 1\r\nConnection: close\r\n\r\ntoo many connections\n").utf8)

    // MARK: - Events

    private func handle(_ events: UInt32, on connection: Connection) {
        if connection.isLingering {
            discardInput(connection)
            return
        }
        if events & EPOLLERR.rawValue != 0 {
            close(connection)
            return
        }
        if events & EPOLLOUT.rawValue != 0 {
            if connection.tlsReadWantsWrite {
                connection.tlsReadWantsWrite = false
                readAvailable(connection)
                if connections[Int(connection.fd)] !== connection { return }
            }
            flush(connection)
            if connections[Int(connection.fd)] !== connection { return }
        }
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0 {
            readAvailable(connection)
        }
    }

    /// Reads what the socket has, parses, dispatches. TLS: until OpenSSL holds nothing more (decrypted or still
    /// encrypted); what is left in the socket comes with the next (level-triggered) event, so no read ends in EAGAIN.
    private func readAvailable(_ connection: Connection) {
        guard !connection.isReadClosed else { return }
        let wasIdle = connection.parser.isIdle
        if let ssl = connection.ssl {
            while true {
                ERR_clear_error()
                let n = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
                if n > 0 {
                    connection.parser.append(UnsafeRawBufferPointer(rebasing: scratch[0..<Int(n)]))
                    if SSL_has_pending(ssl) == 1 { continue }
                    break
                }
                let error = SSL_get_error(ssl, n)
                if error == SSL_ERROR_WANT_READ { break }
                if error == SSL_ERROR_WANT_WRITE {
                    connection.tlsReadWantsWrite = true
                    break
                }
                if error == SSL_ERROR_ZERO_RETURN {
                    connection.isPeerClosed = true
                    break
                }
                close(connection)  // handshake failure, protocol error, or reset
                return
            }
        } else {
            do {
                switch try Syscall.read(connection.fd, scratch) {
                case .processed(0): connection.isPeerClosed = true
                case .processed(let n): connection.parser.append(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                case .wouldBlock: break
                }
            } catch {
                close(connection)
                return
            }
        }
        if wasIdle && !connection.parser.isIdle { connection.timer.requestBytesArrived(at: now) }
        processRequests(connection)
        guard connections[Int(connection.fd)] === connection else { return }
        if connection.isPeerClosed {
            connection.isReadClosed = true
            connection.timer.stopReading()
            if connection.slots.isEmpty && !connection.hasPendingOutput {
                close(connection)
                return
            }
        }
        updateInterest(connection)
    }

    /// Takes complete requests out of the parser and hands them to the handler, up to the pipelining limit.
    private func processRequests(_ connection: Connection) {
        while !connection.isReadClosed && !connection.closesAfterOutput && connection.slots.count < limits.maxPipelinedRequests {
            let event: HTTPParserEvent?
            do {
                event = try connection.parser.next()
            } catch {
                reject(connection, status: error.status, reason: error.reason)
                return
            }
            guard let event else { break }
            switch event {
            case .head(let head):
                connection.head = head
                if let limit = handler.bodyLimit(for: head) { connection.parser.limitBody(to: limit) }
                connection.timer.headReceived(at: now)
                if head.expectsContinue && head.framing != .none && connection.slots.isEmpty
                    && connection.parser.bufferedByteCount == 0 {
                    connection.output.append(contentsOf: ResponseEncoder.continueResponse)
                    flush(connection)
                    if connections[Int(connection.fd)] !== connection { return }
                }
            case .end(let body, let trailers):
                guard let head = connection.head else { return }
                connection.head = nil
                let sequence = connection.firstSequence + UInt64(connection.slots.count)
                connection.slots.append(ResponseSlot(isKeepAlive: head.isKeepAlive && !connection.isDraining,
                                                     isHeadRequest: head.method == "HEAD",
                                                     isHTTP10: head.version == .http1_0))
                let last = !head.isKeepAlive || connection.isDraining
                if last {
                    connection.isReadClosed = true
                    connection.timer.stopReading()
                }
                connection.timer.requestCompleted(at: now, moreBuffered: !last && !connection.parser.isIdle)
                var client = connection.peerClientText
                if connection.peerIsTrustedProxy, let peer = connection.peer {
                    client = shared.clientAddresses.clientAddress(trustedPeer: peer, headers: head.headers).description
                }
                let request = HTTPRequest(head: head, body: body, trailers: trailers, peerAddress: connection.peerText,
                                          clientAddress: client, isSecure: connection.ssl != nil)
                handler.handle(request, responder: HTTPResponder(mailbox: mailbox, fd: connection.fd,
                                                                 connectionID: connection.id, sequence: sequence))
            }
        }
        if connection.slots.count >= limits.maxPipelinedRequests { connection.timer.stopReading() }
    }

    /// A malformed request (or one too slow to arrive): answer `status` with a short reason after the responses
    /// already owed, then close.
    private func reject(_ connection: Connection, status: Int, reason: String) {
        handler.rejected(status: status)
        connection.isReadClosed = true
        connection.timer.stopReading()
        connection.head = nil
        connection.slots.append(ResponseSlot(response: .text(status, reason, closesConnection: true),
                                             isKeepAlive: false, isHeadRequest: false, isHTTP10: false))
        writeReadyResponses(connection)
    }

    // MARK: - Responses

    private func processMailbox() {
        while true {
            mailboxBatch.removeAll(keepingCapacity: true)
            mailbox.take(into: &mailboxBatch)
            if mailboxBatch.isEmpty { return }
            for message in mailboxBatch {
                switch message {
                case .response(let fd, let id, let sequence, let response):
                    guard fd >= 0 && Int(fd) < connections.count, let connection = connections[Int(fd)], connection.id == id,
                          sequence >= connection.firstSequence else { continue }
                    let index = Int(sequence - connection.firstSequence)
                    guard index < connection.slots.count, connection.slots[index].response == nil else { continue }
                    connection.slots[index].response = response
                    let wasAtLimit = connection.slots.count >= limits.maxPipelinedRequests
                    writeReadyResponses(connection)
                    guard connections[Int(fd)] === connection else { continue }
                    if wasAtLimit && connection.slots.count < limits.maxPipelinedRequests && !connection.isReadClosed {
                        if !connection.parser.isIdle { connection.timer.requestBytesArrived(at: now) }
                        processRequests(connection)  // requests buffered while paused
                        guard connections[Int(fd)] === connection else { continue }
                    }
                    updateInterest(connection)
                case .shutdown(let deadline):
                    beginShutdown(deadline: deadline)
                }
            }
        }
    }

    /// Encodes the responses at the front of the queue that are ready, in order, and writes them.
    private func writeReadyResponses(_ connection: Connection) {
        var wrote = false
        while let first = connection.slots.first, let response = first.response {
            connection.slots.removeFirst()
            connection.firstSequence += 1
            let closes = response.closesConnection || !first.isKeepAlive
                || (connection.isDraining && connection.slots.isEmpty && connection.head == nil && connection.parser.isIdle)
            encoder.encode(response, isHeadRequest: first.isHeadRequest, closes: closes,
                           keepAliveFor10: first.isHTTP10 && !closes, into: &connection.output)
            wrote = true
            if closes {
                connection.closesAfterOutput = true
                connection.isReadClosed = true
                connection.slots.removeAll()
                break
            }
        }
        guard wrote else { return }
        connection.timer.responseArrived(at: now, outstanding: connection.slots.count)
        flush(connection)
    }

    /// Writes pending output; closes or lingers when the final response is out.
    private func flush(_ connection: Connection) {
        var progressed = false
        while connection.hasPendingOutput {
            let result: IOResult
            if let ssl = connection.ssl {
                ERR_clear_error()
                let n = connection.output.withUnsafeBytes { buffer in
                    SSL_write(ssl, buffer.baseAddress! + connection.outputOffset,
                              Int32(clamping: buffer.count - connection.outputOffset))
                }
                if n > 0 {
                    result = .processed(Int(n))
                } else {
                    let error = SSL_get_error(ssl, n)
                    guard error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ else {
                        close(connection)
                        return
                    }
                    result = .wouldBlock
                }
            } else {
                do {
                    result = try connection.output.withUnsafeBytes { buffer throws(SystemError) in
                        try Syscall.send(connection.fd, UnsafeRawBufferPointer(rebasing: buffer[connection.outputOffset...]))
                    }
                } catch {
                    close(connection)
                    return
                }
            }
            switch result {
            case .processed(let n):
                connection.outputOffset += n
                progressed = true
            case .wouldBlock:
                connection.timer.outputPending(at: now, progressed: progressed)
                updateInterest(connection)
                return
            }
        }
        if connection.output.capacity > 1 << 20 {
            connection.output = []
        } else {
            connection.output.removeAll(keepingCapacity: true)
        }
        connection.outputOffset = 0
        if connection.closesAfterOutput {
            startLingering(connection)
            return
        }
        if connection.isPeerClosed && connection.slots.isEmpty {
            close(connection)
            return
        }
        if connection.isDraining && connection.isIdle {
            close(connection)
            return
        }
        connection.timer.outputDrained(at: now, isIdle: connection.isIdle)
        updateInterest(connection)
    }

    // MARK: - Closing

    /// After the final response: send FIN (and TLS close_notify), then read and discard briefly so unread request
    /// bytes do not make the kernel reset the connection before the client has read the response.
    private func startLingering(_ connection: Connection) {
        if connection.isPeerClosed {
            close(connection)
            return
        }
        if let ssl = connection.ssl {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
        }
        _ = Glibc.shutdown(connection.fd, Int32(SHUT_WR))
        connection.isLingering = true
        connection.timer.startLingering(at: now)
        updateInterest(connection)
    }

    private func discardInput(_ connection: Connection) {
        while true {
            switch try? Syscall.read(connection.fd, scratch) {
            case .processed(let n) where n > 0: continue
            case .wouldBlock: return
            default:
                close(connection)
                return
            }
        }
    }

    private func close(_ connection: Connection) {
        guard connections[Int(connection.fd)] === connection else { return }
        connections[Int(connection.fd)] = nil
        if let ssl = connection.ssl { SSL_free(ssl) }
        Syscall.close(connection.fd)  // also removes it from the epoll set
        liveConnections -= 1
        shared.connectionCount.subtract(1, ordering: .relaxed)
    }

    private func updateInterest(_ connection: Connection) {
        var wanted: UInt32 = 0
        let reads = connection.isLingering
            || (!connection.isReadClosed && connection.slots.count < limits.maxPipelinedRequests)
        if reads { wanted |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if connection.hasPendingOutput || connection.tlsReadWantsWrite { wanted |= EPOLLOUT.rawValue }
        guard wanted != connection.interest else { return }
        let op = connection.interest == 0 && !connection.isRegistered ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
        do {
            try Syscall.epollControl(epfd, op, connection.fd, wanted)
            connection.interest = wanted
            connection.isRegistered = true
        } catch {
            close(connection)
        }
    }

    // MARK: - Timers and shutdown

    private func sweep() {
        if let until = acceptPausedUntil, now >= until, listenFD >= 0, shutdownDeadline == nil {
            acceptPausedUntil = nil
            try? Syscall.epollControl(epfd, EPOLL_CTL_ADD, listenFD, EPOLLIN.rawValue)
        }
        for case let connection? in connections {
            guard let expiry = connection.timer.expiry(at: now) else { continue }
            switch expiry {
            case .headerRead, .bodyRead:
                // A request that is not arriving in time. Answer 408 only if nothing else is owed first.
                if connection.slots.isEmpty && !connection.hasPendingOutput && !(connection.parser.isIdle && connection.head == nil) {
                    reject(connection, status: 408, reason: "request timeout")
                } else {
                    close(connection)
                }
            case .response:
                // The handler did not answer in time: 503 for the oldest request, then close.
                if let index = connection.slots.firstIndex(where: { $0.response == nil }) {
                    handler.rejected(status: 503)
                    connection.slots[index].response = .text(503, "handler timed out", closesConnection: true)
                    writeReadyResponses(connection)
                } else {
                    close(connection)
                }
            case .idle, .write, .linger:
                close(connection)
            }
        }
    }

    private func beginShutdown(deadline: UInt64) {
        guard shutdownDeadline == nil else { return }
        shutdownDeadline = deadline
        if listenFD >= 0 {
            Syscall.close(listenFD)
            listenFD = -1
        }
        for case let connection? in connections {
            connection.isDraining = true
            if connection.isIdle && !connection.isLingering {
                close(connection)
            } else if connection.head == nil && connection.parser.isIdle {
                connection.isReadClosed = true  // no new requests; the ones owed are answered, then close
                updateInterest(connection)
            }
        }
    }
}
