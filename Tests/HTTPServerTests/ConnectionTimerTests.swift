@testable import HTTPServer
import Testing

@Suite struct ConnectionTimerTests {
    let ms: UInt64 = 1_000_000
    var limits: HTTPLimits {
        var limits = HTTPLimits()
        limits.headerReadTimeout = .milliseconds(100)
        limits.bodyReadTimeout = .milliseconds(200)
        limits.idleTimeout = .milliseconds(300)
        limits.responseTimeout = .milliseconds(400)
        limits.writeTimeout = .milliseconds(500)
        return limits
    }

    @Test func headerDeadlineRunsFromAccept() {
        let timer = ConnectionTimer(limits: limits, acceptedAt: 1000 * ms)
        #expect(timer.expiry(at: 1099 * ms) == nil)
        #expect(timer.expiry(at: 1100 * ms) == .headerRead)
    }

    @Test func bodyDeadlineReplacesHeaderDeadline() {
        var timer = ConnectionTimer(limits: limits, acceptedAt: 0)
        timer.headReceived(at: 50 * ms)
        #expect(timer.expiry(at: 150 * ms) == nil)
        #expect(timer.expiry(at: 250 * ms) == .bodyRead)
    }

    @Test func waitsForTheHandlerThenGoesIdle() {
        var timer = ConnectionTimer(limits: limits, acceptedAt: 0)
        timer.headReceived(at: 10 * ms)
        timer.requestCompleted(at: 20 * ms, moreBuffered: false)
        #expect(timer.expiry(at: 300 * ms) == nil)  // no read deadline while a response is owed
        #expect(timer.expiry(at: 420 * ms) == .response)
        timer.responseArrived(at: 100 * ms, outstanding: 0)
        timer.outputDrained(at: 100 * ms, isIdle: true)
        #expect(timer.expiry(at: 399 * ms) == nil)
        #expect(timer.expiry(at: 400 * ms) == .idle)
        timer.requestBytesArrived(at: 200 * ms)
        #expect(timer.expiry(at: 299 * ms) == nil)
        #expect(timer.expiry(at: 300 * ms) == .headerRead)
    }

    @Test func writeDeadlineResetsOnProgress() {
        var timer = ConnectionTimer(limits: limits, acceptedAt: 0)
        timer.stopReading()
        timer.outputPending(at: 0, progressed: false)
        timer.outputPending(at: 400 * ms, progressed: false)
        #expect(timer.expiry(at: 500 * ms) == .write)
        timer.outputPending(at: 400 * ms, progressed: true)
        #expect(timer.expiry(at: 899 * ms) == nil)
        #expect(timer.expiry(at: 900 * ms) == .write)
    }

    @Test func lingeringEndsAfterTwoSeconds() {
        var timer = ConnectionTimer(limits: limits, acceptedAt: 0)
        timer.startLingering(at: 0)
        #expect(timer.expiry(at: 1999 * ms) == nil)
        #expect(timer.expiry(at: 2000 * ms) == .linger)
    }
}
