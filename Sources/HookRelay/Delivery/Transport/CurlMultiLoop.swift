import CCurl

/// The transport thread's state and loop. Made on that thread and never shared, so it needs no `Sendable`.
///
/// Each turn: take new jobs, start as many as `maxInFlight` allows, let libcurl work (`curl_multi_perform`),
/// complete finished transfers, then wait in `curl_multi_poll` until a socket is ready, a libcurl timer is due, or
/// `curl_multi_wakeup` signals new work or a shutdown.
final class CurlMultiLoop {
    private let shared: CurlMultiShared
    private let configuration: CurlMultiTransport.Configuration
    private var multi: UnsafeMutableRawPointer { shared.multi.pointer }
    /// Jobs not started yet, oldest first from `waitingStart`.
    private var waiting: [CurlJob] = []
    private var waitingStart = 0
    /// Transfers in the multi handle, by easy handle. Holds the strong references libcurl's pointers rely on.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Finished transfers kept for reuse.
    private var idle: [CurlTransfer] = []

    init(shared: CurlMultiShared, configuration: CurlMultiTransport.Configuration) {
        self.shared = shared
        self.configuration = configuration
    }

    func run() {
        while true {
            let (jobs, shutdownDeadline) = shared.take()
            waiting.append(contentsOf: jobs)
            if let shutdownDeadline {
                cancelWaiting()
                if ContinuousClock.now >= shutdownDeadline { abortActive() }
                if active.isEmpty { break }
            } else {
                startWaiting()
            }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            completeFinished()
            var timeout: Int32 = 1000
            if let shutdownDeadline {
                if active.isEmpty { break }
                timeout = min(timeout, Self.milliseconds(until: shutdownDeadline))
            } else if waitingCount > 0 && active.count < configuration.maxInFlight {
                timeout = 0  // completions freed room: start the next jobs at once
            }
            _ = curl_multi_poll(multi, nil, 0, timeout, nil)
        }
        idle.removeAll()
    }

    /// Milliseconds from now until `deadline`, rounded up; 0 once it passed.
    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return 0 }
        return Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
    }

    private var waitingCount: Int { waiting.count - waitingStart }

    /// Adds waiting jobs to the multi handle while there is room.
    private func startWaiting() {
        while waitingCount > 0 && active.count < configuration.maxInFlight {
            let job = waiting[waitingStart]
            waitingStart += 1
            start(job)
        }
        if waitingStart == waiting.count {
            waiting.removeAll(keepingCapacity: waiting.capacity <= 1024)
            waitingStart = 0
        } else if waitingStart > 1024 && waitingStart * 2 > waiting.count {
            waiting.removeFirst(waitingStart)
            waitingStart = 0
        }
    }

    private func start(_ job: CurlJob) {
        guard let transfer = idle.popLast() ?? CurlTransfer() else {
            complete(job.completion, AttemptResultValue(error: .init(kind: .other, message: "curl_easy_init failed")))
            return
        }
        if let error = transfer.prepare(job.request, configuration: configuration, completion: job.completion) {
            recycle(transfer, result: AttemptResultValue(error: error))
            return
        }
        transfer.markStarted()
        let code = curl_multi_add_handle(multi, transfer.easy)
        guard code == CURLM_OK else {
            let message = "curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(code)))"
            recycle(transfer, result: AttemptResultValue(error: .init(kind: .other, message: message)))
            return
        }
        active[transfer.easy] = transfer
    }

    /// Completes every transfer libcurl reports as done.
    private func completeFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = active.removeValue(forKey: easy) else { continue }
            let code = message.pointee.data.result  // read before remove_handle invalidates the message
            curl_multi_remove_handle(multi, easy)
            recycle(transfer, result: transfer.result(code: code))
        }
    }

    /// Completes queued jobs that never started.
    private func cancelWaiting() {
        while waitingCount > 0 {
            let job = waiting[waitingStart]
            waitingStart += 1
            complete(job.completion, AttemptResultValue(error: .init(kind: .cancelled, message: "transport shut down before the attempt started")))
        }
        waiting.removeAll()
        waitingStart = 0
    }

    /// Aborts every running transfer.
    private func abortActive() {
        let transfers = active.values
        active.removeAll()
        for transfer in transfers {
            curl_multi_remove_handle(multi, transfer.easy)
            recycle(transfer, result: transfer.cancelledResult(message: "transport shut down during the attempt"))
        }
    }

    /// Resets `transfer` for reuse (or drops it past the pool size), then runs its completion.
    private func recycle(_ transfer: CurlTransfer, result: AttemptResultValue) {
        let completion = transfer.finish()
        if idle.count < configuration.maxInFlight { idle.append(transfer) }
        if let completion { complete(completion, result) }
    }

    private func complete(_ completion: @Sendable (AttemptResultValue) -> Void, _ result: AttemptResultValue) {
        shared.pendingCount.subtract(1, ordering: .relaxed)
        completion(result)
    }
}
