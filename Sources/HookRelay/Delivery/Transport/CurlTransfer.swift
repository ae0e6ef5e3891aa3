import CCurl
import Glibc
import HTTPServer

/// One easy handle and the state of the attempt it runs. Owned by the transport thread and reused across attempts
/// (`curl_easy_reset` between them), so its error buffer and handle are allocated once.
///
/// Lifetimes libcurl relies on: the handle's `CURLOPT_PRIVATE`, `WRITEDATA` and `OPENSOCKETDATA` point at this
/// object unretained, which is safe because the loop keeps a strong reference while the handle is in the multi
/// handle; the header list and the error buffer live here until the handle is removed; the body is passed with
/// `CURLOPT_COPYPOSTFIELDS`, so libcurl owns its copy.
final class CurlTransfer {
    let easy: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: UnsafeMutablePointer<curl_slist>?

    private(set) var completion: (@Sendable (AttemptResultValue) -> Void)?
    private(set) var startedAt: ContinuousClock.Instant = .now
    private var bodyPrefix: [UInt8] = []
    private var bodyPrefixLimit = 0
    private var maxResponseBytes = 0
    private var receivedByteCount = 0
    /// Set when the write callback stopped the transfer at `maxResponseBytes`.
    private var stoppedReading = false
    /// An address the private-network check refused.
    private var blockedAddress: String?

    init?() {
        guard let easy = curl_easy_init() else { return nil }
        self.easy = easy
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Sets up the handle for `request`; returns the error to complete with if it cannot be sent.
    func prepare(_ request: OutboundRequest, configuration: CurlMultiTransport.Configuration,
                 completion: @escaping @Sendable (AttemptResultValue) -> Void) -> AttemptResultValue.AttemptError? {
        self.completion = completion
        bodyPrefix = []
        bodyPrefixLimit = configuration.bodyPrefixLimit
        maxResponseBytes = configuration.maxResponseBytes
        receivedByteCount = 0
        stoppedReading = false
        blockedAddress = nil
        errorBuffer[0] = 0
        guard let headers = makeHeaderList(request.headers) else {
            return .init(kind: .other, message: "invalid header field in request (a name that is not a token, or CR, LF or NUL in a value)")
        }
        headerList = headers
        let me = Unmanaged.passUnretained(self).toOpaque()
        var failed: (option: String, code: CURLcode)?
        func set(_ name: String, _ code: CURLcode) {
            if code != CURLE_OK && failed == nil { failed = (name, code) }
        }
        set("URL", CCurl_easy_setopt_string(easy, CURLOPT_URL, request.url))
        set("PROTOCOLS_STR", CCurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set("REDIR_PROTOCOLS_STR", CCurl_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
        set("FOLLOWLOCATION", CCurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        set("NOSIGNAL", CCurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set("POST", CCurl_easy_setopt_long(easy, CURLOPT_POST, 1))
        set("POSTFIELDSIZE_LARGE", CCurl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
        // COPYPOSTFIELDS: libcurl copies the bytes now, so the Swift array's storage need not outlive this call.
        // An empty body still needs a valid pointer (libcurl copies max(1, size) bytes).
        let body = request.body.isEmpty ? [0] : request.body
        set("COPYPOSTFIELDS", body.withUnsafeBytes { CCurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) })
        set("HTTPHEADER", CCurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headers))
        set("TIMEOUT_MS", CCurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, milliseconds(request.timeout)))
        set("CONNECTTIMEOUT_MS", CCurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout)))
        let verify = request.insecureSkipVerify ? 0 : 1
        set("SSL_VERIFYPEER", CCurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, verify))
        set("SSL_VERIFYHOST", CCurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, verify * 2))
        if let path = configuration.caBundlePath {
            set("CAINFO", CCurl_easy_setopt_string(easy, CURLOPT_CAINFO, path))
        }
        set("HTTP_VERSION", CCurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
        set("PIPEWAIT", CCurl_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1))
        set("ERRORBUFFER", CCurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        set("PRIVATE", CCurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me))
        set("WRITEFUNCTION", CCurl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
                .receive(UnsafeRawBufferPointer(start: data, count: size * count))
        })
        set("WRITEDATA", CCurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me))
        if configuration.blockPrivateNetworks {
            set("OPENSOCKETFUNCTION", CCurl_easy_setopt_opensocket_callback(easy) { clientp, purpose, address in
                Unmanaged<CurlTransfer>.fromOpaque(clientp!).takeUnretainedValue().openSocket(purpose: purpose, address: address)
            })
            set("OPENSOCKETDATA", CCurl_easy_setopt_pointer(easy, CURLOPT_OPENSOCKETDATA, me))
        }
        if let (option, code) = failed {
            return .init(kind: .other, message: "curl_easy_setopt(CURLOPT_\(option)) failed: \(String(cString: curl_easy_strerror(code)))")
        }
        return nil
    }

    /// Marks the moment the handle joined the multi handle.
    func markStarted() {
        startedAt = .now
    }

    /// The result of a finished transfer (call after it left the multi handle).
    func result(code: CURLcode) -> AttemptResultValue {
        var result = AttemptResultValue(bodyPrefix: bodyPrefix, durationMs: elapsedMilliseconds)
        var status = 0
        if CCurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK, status > 0 {
            result.status = status
            result.retryAfter = responseHeader("Retry-After")
            result.location = responseHeader("Location")
        }
        if code == CURLE_WRITE_ERROR && stoppedReading { return result }  // stopped at maxResponseBytes on purpose
        if code != CURLE_OK {
            let libcurlMessage = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
            if code == CURLE_COULDNT_CONNECT, let blockedAddress {
                result.error = .init(kind: .blocked, message: "blockPrivateNetworks refused \(blockedAddress)")
            } else {
                result.error = .init(kind: Self.kind(of: code), message: Self.shortened(libcurlMessage))
            }
        }
        return result
    }

    /// A result for a transfer that never ran or was aborted.
    func cancelledResult(message: String) -> AttemptResultValue {
        AttemptResultValue(error: .init(kind: .cancelled, message: message), durationMs: elapsedMilliseconds)
    }

    /// Frees per-attempt state and resets the handle for the next attempt; returns the completion to call.
    func finish() -> (@Sendable (AttemptResultValue) -> Void)? {
        let completion = self.completion
        self.completion = nil
        curl_easy_reset(easy)
        curl_slist_free_all(headerList)
        headerList = nil
        bodyPrefix = []
        return completion
    }

    // MARK: Callbacks (on the transport thread, inside curl_multi_perform)

    /// `CURLOPT_WRITEFUNCTION`: keep a prefix, count the rest, stop past the limit.
    private func receive(_ data: UnsafeRawBufferPointer) -> Int {
        if bodyPrefix.count < bodyPrefixLimit {
            bodyPrefix.append(contentsOf: data.prefix(bodyPrefixLimit - bodyPrefix.count))
        }
        receivedByteCount += data.count
        if receivedByteCount > maxResponseBytes {
            stoppedReading = true
            return 0  // anything but data.count makes libcurl stop with CURLE_WRITE_ERROR
        }
        return data.count
    }

    /// `CURLOPT_OPENSOCKETFUNCTION`: refuses private addresses, else opens the socket as libcurl would (plus
    /// `SOCK_CLOEXEC`).
    private func openSocket(purpose: curlsocktype, address: UnsafeMutablePointer<curl_sockaddr>?) -> curl_socket_t {
        guard let address else { return curl_socket_t(CURL_SOCKET_BAD) }
        let family = address.pointee.family
        if purpose == CURLSOCKTYPE_IPCXN {
            let sockaddrPointer = UnsafeRawPointer(address) + MemoryLayout<curl_sockaddr>.offset(of: \curl_sockaddr.addr)!
            let ip: IPAddress?
            switch family {
            case AF_INET:
                let sin = sockaddrPointer.loadUnaligned(as: sockaddr_in.self)
                ip = IPAddress(ipv4: UInt32(bigEndian: sin.sin_addr.s_addr))
            case AF_INET6:
                let sin6 = sockaddrPointer.loadUnaligned(as: sockaddr_in6.self)
                ip = withUnsafeBytes(of: sin6.sin6_addr) { IPAddress(bytes: $0) }
            default:
                ip = nil  // unix sockets are never used: CURLOPT_UNIX_SOCKET_PATH is not set
            }
            if let ip, PrivateNetworks.contains(ip) {
                blockedAddress = ip.description
                return curl_socket_t(CURL_SOCKET_BAD)
            }
        }
        return socket(family, address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.protocol)
    }

    // MARK: Helpers

    private var elapsedMilliseconds: Int {
        let elapsed = ContinuousClock.now - startedAt
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The last value of a final-response header field, if present.
    private func responseHeader(_ name: String) -> String? {
        var header: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(easy, name, 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK,
              let value = header?.pointee.value else { return nil }
        return String(cString: value)
    }

    /// The libcurl header list for `headers`, or nil if one is invalid. Adds `Expect:` (never wait for
    /// 100-continue) and, without a `Content-Type`, `Content-Type:` (no form-urlencoded default).
    private func makeHeaderList(_ headers: [(name: String, value: String)]) -> UnsafeMutablePointer<curl_slist>? {
        var lines: [String] = []
        var hasContentType = false
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte),
                  !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { return nil }
            if name.lowercased() == "content-type" { hasContentType = true }
            // "Name:" would remove the field; libcurl sends an empty value for "Name;".
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        lines.append("Expect:")
        if !hasContentType { lines.append("Content-Type:") }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {  // copies the string
                curl_slist_free_all(list)
                return nil
            }
            list = appended
        }
        return list
    }

    private func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    static func kind(of code: CURLcode) -> AttemptResultValue.ErrorKind {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        default:
            return .other
        }
    }

    /// At most 200 bytes, cut at a character boundary.
    static func shortened(_ message: String) -> String {
        var result = ""
        for character in message {
            guard result.utf8.count + character.utf8.count <= 200 else { break }
            result.append(character)
        }
        return result
    }
}
