import CCurl
import Glibc
import HookRelay

/// `hookrelay-bench curl-multi`: the leanest honest libcurl-multi client, as a baseline for the fan-out rate.
///
/// One thread, one `CURLM`, one easy handle per concurrency slot. Each handle is set up once (URL, body, header
/// list, options) and, when its transfer finishes, is taken out of the multi handle and added straight back, so its
/// next request reuses a kept-alive connection from the multi handle's pool and costs no allocation of ours. The
/// request is the one the dispatcher would send for `--envelope` to `--destination` (`OutboundRequest.make`, built
/// once): the same URL, body, headers and timeouts as `hookrelay-bench transport`. The response body is discarded.
///
/// Runs until `--count` requests completed, or for `--seconds` (default 10 when `--count` is not given), whichever
/// comes first; then prints `curl-multi N requests in S s: R req/s, non-2xx K, errors E` (completed requests, so
/// transfers still running at the deadline are not counted). A failing libcurl call exits 1.
enum RawCurlMulti {
    static let options: Set<String> = ["routes", "destination", "envelope", "count", "seconds", "concurrency"]

    static func run(_ arguments: Arguments) {
        let destination = loadDestination(arguments.string("destination"), routes: arguments.string("routes"))
        let envelope = readFile(arguments.string("envelope"))
        let concurrency = max(1, arguments.count("concurrency", default: 64))
        let count = arguments.optional("count").map { _ in arguments.count("count") }
        let seconds = arguments.optional("seconds") != nil || count == nil ? arguments.count("seconds", default: 10) : nil
        let request = OutboundRequest.make(eventID: makeUUIDv7(), envelope: envelope,
                                           rawHeaders: Array("Content-Type: application/json\r\n".utf8), rawBody: [],
                                           destination: destination, now: wallMilliseconds())

        check(curl_global_init(Int(CURL_GLOBAL_DEFAULT)), "curl_global_init")
        // CURLOPT_NOSIGNAL: libcurl then leaves SIGPIPE to us.
        signal(SIGPIPE, SIG_IGN)
        guard let multi = curl_multi_init() else { fail("curl_multi_init failed", status: 1) }
        // As the transport writes them: "Name;" sends an empty value ("Name:" would remove the field), and an empty
        // `Expect:` means never wait for 100-continue.
        var headers: UnsafeMutablePointer<curl_slist>?
        for line in request.headers.map({ $0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)" }) + ["Expect:"] {
            guard let appended = curl_slist_append(headers, line) else { fail("curl_slist_append failed", status: 1) }
            headers = appended
        }
        let handles = (0..<concurrency).map { _ in makeHandle(for: request, headers: headers) }

        let limit = count ?? Int.max
        var started = 0
        var inFlight = 0
        var ok = 0
        var non2xx = 0
        var errors = 0
        var firstError: String?
        let start = monotonicSeconds()
        let deadline = seconds.map { start + Double($0) }
        for easy in handles.prefix(limit) {
            check(curl_multi_add_handle(multi, easy), "curl_multi_add_handle")
            started += 1
            inFlight += 1
        }
        var end = start
        while inFlight > 0 {
            var running: Int32 = 0
            check(curl_multi_perform(multi, &running), "curl_multi_perform")
            end = monotonicSeconds()
            let isOver = deadline.map { end >= $0 } ?? false
            var restarted = false
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result  // read before remove_handle invalidates the message
                check(curl_multi_remove_handle(multi, easy), "curl_multi_remove_handle")
                inFlight -= 1
                if result == CURLE_OK {
                    var status = 0
                    check(CCurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status), "curl_easy_getinfo(RESPONSE_CODE)")
                    if (200..<300).contains(status) { ok += 1 } else { non2xx += 1 }
                } else {
                    errors += 1
                    if firstError == nil { firstError = String(cString: curl_easy_strerror(result)) }
                }
                if started < limit && !isOver {
                    check(curl_multi_add_handle(multi, easy), "curl_multi_add_handle")
                    started += 1
                    inFlight += 1
                    restarted = true
                }
            }
            if isOver { break }  // transfers still running are abandoned, not counted
            // A handle just added needs a curl_multi_perform to send its request, not a wait.
            if inFlight > 0 && !restarted {
                let timeout = deadline.map { Int32(max(1, min(100, (($0 - end) * 1000).rounded(.up)))) } ?? 100
                check(curl_multi_poll(multi, nil, 0, timeout, nil), "curl_multi_poll")
            }
        }
        let elapsed = end - start

        for easy in handles {
            check(curl_multi_remove_handle(multi, easy), "curl_multi_remove_handle")  // a no-op for handles not in it
            curl_easy_cleanup(easy)
        }
        check(curl_multi_cleanup(multi), "curl_multi_cleanup")
        curl_slist_free_all(headers)
        curl_global_cleanup()

        if let firstError { printError("curl-multi: first transfer error: \(firstError)") }
        let completed = ok + non2xx + errors
        print(String(format: "curl-multi %d requests in %.2f s: %.0f req/s, non-2xx %d, errors %d", completed, elapsed,
                     Double(completed) / max(elapsed, 1e-9), non2xx, errors))
    }

    /// An easy handle set up to send `request` with `headers` (which must outlive it), discarding the response body.
    private static func makeHandle(for request: OutboundRequest, headers: UnsafeMutablePointer<curl_slist>?) -> UnsafeMutableRawPointer {
        guard let easy = curl_easy_init() else { fail("curl_easy_init failed", status: 1) }
        func set(_ name: String, _ code: CURLcode) { check(code, "curl_easy_setopt(CURLOPT_\(name))") }
        set("URL", CCurl_easy_setopt_string(easy, CURLOPT_URL, request.url))
        set("POST", CCurl_easy_setopt_long(easy, CURLOPT_POST, 1))
        set("POSTFIELDSIZE_LARGE", CCurl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
        // Copied once per handle, here; the handle keeps it across transfers (it is never reset).
        let body = request.body.isEmpty ? [0] : request.body
        set("COPYPOSTFIELDS", body.withUnsafeBytes {
            CCurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
        })
        set("HTTPHEADER", CCurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headers))
        set("HTTP_VERSION", CCurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)))
        set("NOSIGNAL", CCurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set("TCP_NODELAY", CCurl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        set("FORBID_REUSE", CCurl_easy_setopt_long(easy, CURLOPT_FORBID_REUSE, 0))  // keep-alive (libcurl's default)
        set("TIMEOUT_MS", CCurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, milliseconds(request.timeout)))
        set("CONNECTTIMEOUT_MS", CCurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout)))
        set("WRITEFUNCTION", CCurl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { _, size, count, _ in size * count })
        return easy
    }

    private static func check(_ code: CURLcode, _ call: String) {
        guard code != CURLE_OK else { return }
        fail("\(call) failed: \(String(cString: curl_easy_strerror(code)))", status: 1)
    }

    private static func check(_ code: CURLMcode, _ call: String) {
        guard code != CURLM_OK else { return }
        fail("\(call) failed: \(String(cString: curl_multi_strerror(code)))", status: 1)
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
