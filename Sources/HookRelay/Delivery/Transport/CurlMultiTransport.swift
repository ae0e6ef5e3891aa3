import CCurl
import Glibc
import HTTPServer
import Synchronization

/// Sends outbound requests with libcurl's multi interface: one dedicated thread drives one `CURLM` with
/// `curl_multi_poll`, so thousands of attempts share a handful of keep-alive connections (HTTP/2 multiplexed where
/// the destination offers it over TLS).
///
/// ```swift
/// let transport = try CurlMultiTransport()
/// transport.send(request) { result in
///     // on the transport's thread: hand the result over, do not block
/// }
/// transport.shutdown(gracePeriod: .seconds(5))
/// ```
///
/// - ``send(_:completion:)`` may be called from any thread, including from a completion. Requests beyond
///   ``Configuration/maxInFlight`` wait in a queue, in order.
/// - Each attempt: `POST`, no redirects followed (a 3xx is the result), only `http` and `https`, TLS verified against
///   the system CA bundle unless the request says `insecureSkipVerify`, `Expect: 100-continue` never sent, libcurl's
///   default `Content-Type` suppressed, the request's timeouts. The first ``Configuration/bodyPrefixLimit`` bytes
///   of the response body are kept; the rest is read and discarded, up to ``Configuration/maxResponseBytes``, after
///   which the transfer stops (the status still counts; the connection is closed).
/// - Proxies: libcurl's defaults apply (`http_proxy`, `https_proxy`, `no_proxy` from the environment).
public final class CurlMultiTransport: Transport {
    /// Limits and policies of a transport.
    public struct Configuration: Sendable {
        /// Transfers running at once; more wait in the queue. Default 256.
        public var maxInFlight: Int
        /// Connections per host and port (`CURLMOPT_MAX_HOST_CONNECTIONS`); 0 means no limit (default), leaving
        /// the bound to the dispatcher's per-destination concurrency. Transfers over the limit wait inside libcurl,
        /// and their timeout runs while they wait.
        public var maxHostConnections: Int
        /// Refuse to connect to loopback, private, link-local and other non-public addresses (see
        /// `PrivateNetworks`): checked for every address libcurl is about to connect to, after name resolution,
        /// so a host name that resolves to `127.0.0.1` is refused too. Default `false`: most deployments deliver
        /// to internal workflow engines. With an HTTP proxy configured, the proxy's address is what is checked.
        public var blockPrivateNetworks: Bool
        /// Response body bytes kept in ``AttemptResultValue/bodyPrefix``. Default 1024.
        public var bodyPrefixLimit: Int
        /// Response body bytes read (and discarded past the prefix) before the transfer is stopped. Default 1 MiB.
        public var maxResponseBytes: Int
        /// A PEM bundle of CA certificates to trust instead of the system bundle; `nil` (default) uses libcurl's
        /// built-in path (`/etc/ssl/certs/ca-certificates.crt` on Debian).
        public var caBundlePath: String?
        /// The transport thread's name (at most 15 bytes are kept).
        public var threadName: String

        public init(maxInFlight: Int = 256, maxHostConnections: Int = 0, blockPrivateNetworks: Bool = false,
                    bodyPrefixLimit: Int = 1024, maxResponseBytes: Int = 1 << 20, caBundlePath: String? = nil,
                    threadName: String = "delivery-curl") {
            self.maxInFlight = max(1, maxInFlight)
            self.maxHostConnections = max(0, maxHostConnections)
            self.blockPrivateNetworks = blockPrivateNetworks
            self.bodyPrefixLimit = max(0, bodyPrefixLimit)
            self.maxResponseBytes = max(self.bodyPrefixLimit, maxResponseBytes)
            self.caBundlePath = caBundlePath
            self.threadName = threadName
        }
    }

    /// The configuration the transport runs with.
    public let configuration: Configuration
    private let shared: CurlMultiShared
    private let thread: OSThread

    /// Makes the multi handle and starts the transport thread.
    ///
    /// - Throws: ``TransportSetupError`` when libcurl cannot be initialised.
    public init(configuration: Configuration = Configuration()) throws(TransportSetupError) {
        // With CURLOPT_NOSIGNAL libcurl does not guard against SIGPIPE itself, and OpenSSL writes with write(2).
        HTTPServer.ignoreSIGPIPE()
        guard curlGlobalInitResult == CURLE_OK else {
            throw TransportSetupError("curl_global_init failed: \(String(cString: curl_easy_strerror(curlGlobalInitResult)))")
        }
        guard let multi = curl_multi_init() else { throw TransportSetupError("curl_multi_init failed") }
        for (option, value) in [(CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX),
                                (CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxHostConnections)] {
            let code = CCurl_multi_setopt_long(multi, option, value)
            guard code == CURLM_OK else {
                curl_multi_cleanup(multi)
                throw TransportSetupError("curl_multi_setopt(\(option.rawValue)) failed: \(String(cString: curl_multi_strerror(code)))")
            }
        }
        self.configuration = configuration
        let shared = CurlMultiShared(multi: multi)
        self.shared = shared
        thread = OSThread(name: configuration.threadName) {
            CurlMultiLoop(shared: shared, configuration: configuration).run()
        }
    }

    deinit {
        // Without a shutdown() the thread would run forever: stop it now, aborting what is in flight. (The thread is
        // not joined here; call shutdown() to wait for it.)
        shared.requestShutdown(deadline: .now)
    }

    /// Queues `request`. `completion` runs exactly once, on the transport thread (keep it short; it may call `send`).
    /// After ``shutdown(gracePeriod:)`` began, it runs at once on the caller's thread with a `.cancelled` error.
    public func send(_ request: OutboundRequest, completion: @escaping @Sendable (AttemptResultValue) -> Void) {
        guard shared.post(CurlJob(request: request, completion: completion)) else {
            completion(AttemptResultValue(error: .init(kind: .cancelled, message: "transport shut down")))
            return
        }
    }

    /// Stops the transport and returns when its thread has ended.
    ///
    /// New sends complete at once with `.cancelled`. Queued requests that have not started complete with
    /// `.cancelled` (nothing was sent). In-flight transfers get until `gracePeriod` has passed to finish normally;
    /// those still running then are aborted and complete with `.cancelled` (the receiver may have seen them).
    /// Every completion has run when this returns. Must not be called from a completion.
    public func shutdown(gracePeriod: Duration = .seconds(5)) {
        precondition(!thread.isCurrent, "CurlMultiTransport.shutdown called from its own thread (a completion)")
        shared.requestShutdown(deadline: .now + gracePeriod)
        thread.join()
    }

    /// Transfers running or queued, for metrics.
    public var pendingCount: Int { shared.pendingCount.load(ordering: .relaxed) }
}

/// A transport could not start.
public struct TransportSetupError: Error, Sendable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// `curl_global_init`, once per process before any other libcurl call (Swift runs a global's initialiser once).
private let curlGlobalInitResult: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// A request waiting for the transport thread.
struct CurlJob: Sendable {
    let request: OutboundRequest
    let completion: @Sendable (AttemptResultValue) -> Void
}

/// The multi handle. Only the transport thread uses it, except for `curl_multi_wakeup`, which libcurl allows from
/// any thread; it is cleaned up when the last owner (the thread or the transport) lets go.
struct CurlMultiHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

/// What the transport and its thread share: the queue, the shutdown request and the wake-up.
final class CurlMultiShared: Sendable {
    struct State {
        var queue: [CurlJob] = []
        var shutdownDeadline: ContinuousClock.Instant?
    }

    let multi: CurlMultiHandle
    let state = Mutex(State())
    /// Queued plus running transfers.
    let pendingCount = Atomic<Int>(0)

    init(multi: UnsafeMutableRawPointer) {
        self.multi = CurlMultiHandle(pointer: multi)
    }

    deinit {
        curl_multi_cleanup(multi.pointer)
    }

    /// Queues `job` and wakes the thread; `false` once shutdown began.
    func post(_ job: CurlJob) -> Bool {
        let wasEmpty: Bool? = state.withLock { state in
            guard state.shutdownDeadline == nil else { return nil }
            pendingCount.add(1, ordering: .relaxed)  // before the thread can take (and complete) the job
            state.queue.append(job)
            return state.queue.count == 1
        }
        guard let wasEmpty else { return false }
        // The thread takes the whole queue before each wait, so a non-empty queue already has a wake-up coming.
        if wasEmpty { curl_multi_wakeup(multi.pointer) }
        return true
    }

    /// Everything queued, and the shutdown deadline if one was requested.
    func take() -> (jobs: [CurlJob], shutdownDeadline: ContinuousClock.Instant?) {
        state.withLock { state in
            let jobs = state.queue
            state.queue = []
            return (jobs, state.shutdownDeadline)
        }
    }

    /// Asks the thread to stop by `deadline` (the earliest deadline asked for wins).
    func requestShutdown(deadline: ContinuousClock.Instant) {
        state.withLock { state in
            state.shutdownDeadline = min(state.shutdownDeadline ?? deadline, deadline)
        }
        curl_multi_wakeup(multi.pointer)
    }
}
