import CLinux
import Glibc
import Synchronization

/// Handles the requests of one event loop. The server makes one per loop, **on that loop's thread**,
/// so it may keep per-thread state (reusable HMAC contexts, buffers) without locks.
public protocol HTTPRequestHandler {
    /// Answers `request` through `responder`, now or later and from any thread. Must not block.
    func handle(_ request: HTTPRequest, responder: HTTPResponder)

    /// A lower body limit for this request than the server's, decided from its head (e.g. per source); nil keeps the server's.
    func bodyLimit(for head: HTTPRequestHead) -> Int?

    /// The server answered a request itself with `status`, without handing it to ``handle(_:responder:)``: a malformed
    /// or oversized request (400, 413, 414, 431, 501, 505), one that did not arrive in time (408), a handler that did
    /// not answer in time (503), or a connection over the limit (503). Called on the loop's thread; must not block.
    func rejected(status: Int)
}

extension HTTPRequestHandler {
    public func bodyLimit(for head: HTTPRequestHead) -> Int? { nil }
    public func rejected(status: Int) {}
}

/// Answers one request. Copyable and `Sendable`: call ``respond(_:)`` exactly once, from any thread;
/// later calls are ignored. Responses on a connection go out in request order.
public struct HTTPResponder: Sendable {
    let mailbox: LoopMailbox
    let fd: Int32
    let connectionID: UInt64
    let sequence: UInt64

    /// Sends `response` (from any thread; the owning event loop writes it).
    public func respond(_ response: HTTPResponse) {
        mailbox.post(.response(fd: fd, connectionID: connectionID, sequence: sequence, response: response))
    }
}

/// One event loop's inbox: other threads post messages, and an eventfd wakes the loop.
final class LoopMailbox: Sendable {
    enum Message: Sendable {
        case response(fd: Int32, connectionID: UInt64, sequence: UInt64, response: HTTPResponse)
        case shutdown(deadline: UInt64)
    }

    /// The eventfd the loop polls.
    let wakeFD: Int32
    private let messages = Mutex<[Message]>([])
    private let loopThread = Atomic<UInt>(0)

    init() throws(SystemError) {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemError("eventfd") }
        wakeFD = fd
    }

    deinit {
        Syscall.close(wakeFD)
    }

    /// Called by the loop's thread once, before it runs.
    func bindToCurrentThread() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
    }

    /// Queues `message`. The eventfd is written only when the queue was empty and the caller is another thread:
    /// the loop empties the queue before every wait, so a non-empty queue already has a wake-up coming.
    func post(_ message: Message) {
        let wasEmpty = messages.withLock { queue in
            let empty = queue.isEmpty
            queue.append(message)
            return empty
        }
        if wasEmpty && pthread_equal(pthread_self(), pthread_t(loopThread.load(ordering: .acquiring))) == 0 {
            Syscall.signal(eventFD: wakeFD)
        }
    }

    /// Moves everything queued so far into `batch`, which must be empty: the two arrays trade buffers, so once both
    /// have grown, taking a batch allocates nothing.
    func take(into batch: inout [Message]) {
        messages.withLock { queue in swap(&queue, &batch) }
    }
}
