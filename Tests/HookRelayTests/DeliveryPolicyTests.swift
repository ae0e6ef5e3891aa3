@testable import HookRelay
import Testing

/// The delivery policy layer: classification, Retry-After, retry schedule, rate limit, concurrency, circuit breaker
/// and the per-destination bundle. Pure values: times are unix ms chosen by the test, randomness is seeded.
@Suite struct DeliveryPolicyTests {
    /// An arbitrary "now": 2023-11-14T22:13:20Z.
    static let t0: Int64 = 1_700_000_000_000

    static func settings(_ kind: DestinationKind = .http, concurrency: Int = 8, rateLimit: String? = nil,
                         schedule: [Duration] = DestinationSettings.defaultRetrySchedule, maxAge: Duration? = nil) -> DestinationSettings {
        var settings = DestinationSettings(name: "dest", kind: kind, url: "https://example.com/hook")
        settings.concurrency = concurrency
        settings.rateLimit = rateLimit.map { try! Rate(configText: $0) }
        settings.retrySchedule = schedule
        settings.maxAge = maxAge
        return settings
    }
}

// MARK: - Classification

/// One row of the classification table.
struct ClassificationRow: Sendable, CustomTestStringConvertible {
    var kind: DestinationKind
    var result: AttemptResult
    var attempt = 1
    var expected: Classification
    var countsAsFailure: Bool

    var testDescription: String {
        switch result {
        case .response(let status, _, let body): "\(kind) HTTP \(status) \(String(decoding: body.prefix(30), as: UTF8.self)) attempt \(attempt)"
        case .failure(let failure): "\(kind) \(failure) attempt \(attempt)"
        }
    }

    static func response(_ kind: DestinationKind, _ status: Int, headers: ResponseHeaders = [:], body: String = "", attempt: Int = 1,
                         _ expected: Classification, counts: Bool) -> ClassificationRow {
        ClassificationRow(kind: kind, result: .response(status: status, headers: headers, bodyPrefix: Array(body.utf8)),
                          attempt: attempt, expected: expected, countsAsFailure: counts)
    }

    static func failure(_ failure: TransportFailure, _ expected: Classification) -> ClassificationRow {
        ClassificationRow(kind: .http, result: .failure(failure), expected: expected, countsAsFailure: true)
    }
}

extension DeliveryPolicyTests {
    static let n8nNotRegistered =
        #"{"code":404,"message":"The requested webhook \"POST billing\" is not registered.","hint":"Activate the workflow"}"#

    static let defaultRows: [ClassificationRow] = [
        .response(.http, 200, .delivered, counts: false),
        .response(.http, 201, body: "created", .delivered, counts: false),
        .response(.http, 204, .delivered, counts: false),
        .response(.http, 299, .delivered, counts: false),
        .response(.http, 301, headers: ["Location": "https://example.com/new"],
                  .dead(reason: "HTTP 301: redirect to https://example.com/new (redirects are not followed)", flagDestination: true), counts: true),
        .response(.http, 302, .dead(reason: "HTTP 302: redirect (redirects are not followed)", flagDestination: true), counts: true),
        .response(.http, 308, headers: ["location": "/webhook/x"],
                  .dead(reason: "HTTP 308: redirect to /webhook/x (redirects are not followed)", flagDestination: true), counts: true),
        .response(.http, 408, .retry(reason: "HTTP 408", retryAfter: nil, floor: false), counts: true),
        .response(.http, 425, .retry(reason: "HTTP 425", retryAfter: nil, floor: false), counts: true),
        .response(.http, 429, headers: ["Retry-After": "30"], .retry(reason: "HTTP 429", retryAfter: .seconds(30), floor: true), counts: true),
        .response(.http, 429, body: "slow down", .retry(reason: "HTTP 429: slow down", retryAfter: nil, floor: true), counts: true),
        .response(.http, 500, body: "boom\n  at line 3", .retry(reason: "HTTP 500: boom at line 3", retryAfter: nil, floor: false), counts: true),
        .response(.http, 502, .retry(reason: "HTTP 502", retryAfter: nil, floor: false), counts: true),
        .response(.http, 503, headers: ["Retry-After": "120"], body: "maintenance",
                  .retry(reason: "HTTP 503: maintenance", retryAfter: .seconds(120), floor: false), counts: true),
        .response(.http, 599, .retry(reason: "HTTP 599", retryAfter: nil, floor: false), counts: true),
        .response(.http, 400, body: #"{"message":"bad field"}"#, .dead(reason: "HTTP 400: bad field", flagDestination: false), counts: false),
        .response(.http, 401, .dead(reason: "HTTP 401", flagDestination: false), counts: false),
        .response(.http, 403, .dead(reason: "HTTP 403", flagDestination: false), counts: false),
        .response(.http, 404, body: "is not registered", .dead(reason: "HTTP 404: is not registered", flagDestination: false), counts: false),
        .response(.http, 410, .dead(reason: "HTTP 410", flagDestination: false), counts: false),
        .response(.http, 422, .dead(reason: "HTTP 422", flagDestination: false), counts: false),
        .response(.http, 400, body: "Queue is full.", .dead(reason: "HTTP 400: Queue is full.", flagDestination: false), counts: false),
        .response(.http, 101, .retry(reason: "HTTP 101 (unexpected status)", retryAfter: nil, floor: false), counts: true),
        .response(.http, 600, .retry(reason: "HTTP 600 (unexpected status)", retryAfter: nil, floor: false), counts: true),
        .failure(.connect("Could not resolve host: n8n.example.com"),
                 .retry(reason: "connect failed: Could not resolve host: n8n.example.com", retryAfter: nil, floor: false)),
        .failure(.connect("Connection refused"), .retry(reason: "connect failed: Connection refused", retryAfter: nil, floor: false)),
        .failure(.tls("certificate has expired"), .retry(reason: "TLS failed: certificate has expired", retryAfter: nil, floor: false)),
        .failure(.timeout, .retry(reason: "timed out", retryAfter: nil, floor: true)),
        .failure(.other("Connection reset by peer"), .retry(reason: "transport error: Connection reset by peer", retryAfter: nil, floor: false)),
    ]

    static let bridgeRows: [ClassificationRow] = [
        // n8n: an inactive (or re-registering) workflow's production URL answers 404 "… is not registered".
        .response(.n8n, 404, body: n8nNotRegistered,
                  .retry(reason: #"HTTP 404: The requested webhook "POST billing" is not registered."#, retryAfter: nil, floor: false), counts: true),
        .response(.n8n, 404, body: "Cannot POST /webhook/x",
                  .dead(reason: "HTTP 404: Cannot POST /webhook/x", flagDestination: false), counts: false),
        .response(.n8n, 401, body: #"{"code":401,"message":"Authorization is required!"}"#, attempt: 1,
                  .retry(reason: "HTTP 401: credential problem: Authorization is required!", retryAfter: nil, floor: false), counts: true),
        .response(.n8n, 403, body: #"{"code":403,"message":"Authorization data is wrong!"}"#, attempt: 1,
                  .retry(reason: "HTTP 403: credential problem: Authorization data is wrong!", retryAfter: nil, floor: false), counts: true),
        .response(.n8n, 401, attempt: 2, .dead(reason: "HTTP 401: credential problem", flagDestination: true), counts: true),
        .response(.n8n, 403, body: #"{"code":403,"message":"Authorization data is wrong!"}"#, attempt: 5,
                  .dead(reason: "HTTP 403: credential problem: Authorization data is wrong!", flagDestination: true), counts: true),
        .response(.n8n, 410, .dead(reason: "HTTP 410", flagDestination: false), counts: false),
        .response(.n8n, 200, body: #"{"message":"Workflow was started"}"#, .delivered, counts: false),
        .response(.n8n, 503, .retry(reason: "HTTP 503", retryAfter: nil, floor: false), counts: true),
        // Make: 410 = the webhook is gone; 400 "Queue is full" = overloaded; 429 with Retry-After.
        .response(.make, 410, body: "There is no scenario listening for this webhook.",
                  .dead(reason: "HTTP 410: There is no scenario listening for this webhook.", flagDestination: true), counts: true),
        .response(.make, 400, body: "Queue is full.", .retry(reason: "HTTP 400: Queue is full.", retryAfter: nil, floor: true), counts: true),
        .response(.make, 400, body: "QUEUE IS FULL", .retry(reason: "HTTP 400: QUEUE IS FULL", retryAfter: nil, floor: true), counts: true),
        .response(.make, 400, body: "Bad request", .dead(reason: "HTTP 400: Bad request", flagDestination: false), counts: false),
        .response(.make, 429, headers: ["Retry-After": "15"], .retry(reason: "HTTP 429", retryAfter: .seconds(15), floor: true), counts: true),
        .response(.make, 401, attempt: 1, .dead(reason: "HTTP 401", flagDestination: false), counts: false),
        .response(.make, 404, body: "is not registered", .dead(reason: "HTTP 404: is not registered", flagDestination: false), counts: false),
        .response(.make, 200, body: "Accepted", .delivered, counts: false),
        // Zapier: 429 with Retry-After; 200 even when the Zap is off.
        .response(.zapier, 429, headers: ["Retry-After": "Tue, 14 Apr 2026 03:50:12 GMT"],
                  .retry(reason: "HTTP 429", retryAfter: .date(unixSeconds: 1_776_138_612), floor: true), counts: true),
        .response(.zapier, 200, body: #"{"status":"success"}"#, .delivered, counts: false),
        .response(.zapier, 410, .dead(reason: "HTTP 410", flagDestination: false), counts: false),
        .response(.zapier, 400, body: "Queue is full", .dead(reason: "HTTP 400: Queue is full", flagDestination: false), counts: false),
    ]

    @Test(arguments: defaultRows)
    func classifiesByDefault(_ row: ClassificationRow) {
        // Every kind follows the defaults except where its quirks (the other table) apply.
        for kind in DestinationKind.allCases where !Self.hasQuirk(row, kind: kind) {
            let classification = ResponseClassifier().classify(row.result, kind: kind, attemptNumber: row.attempt)
            #expect(classification == row.expected, "\(kind)")
            #expect(classification.countsAsDestinationFailure == row.countsAsFailure, "\(kind)")
        }
    }

    /// Rows of the default table that a bridge's quirk overrides.
    static func hasQuirk(_ row: ClassificationRow, kind: DestinationKind) -> Bool {
        guard case .response(let status, _, _) = row.result else { return false }
        switch (kind, status) {
        case (.n8n, 401), (.n8n, 403), (.n8n, 404), (.make, 410), (.make, 400): return true
        default: return false
        }
    }

    @Test(arguments: bridgeRows)
    func classifiesBridgeQuirks(_ row: ClassificationRow) {
        let classification = ResponseClassifier().classify(row.result, kind: row.kind, attemptNumber: row.attempt)
        #expect(classification == row.expected)
        #expect(classification.countsAsDestinationFailure == row.countsAsFailure)
    }

    @Test func n8nCredentialProblemRetriesOnceThenDies() {
        let result = AttemptResult.response(status: 403, headers: [:], bodyPrefix: [])
        let verdicts = (1...4).map { ResponseClassifier().classify(result, kind: .n8n, attemptNumber: $0) }
        #expect(verdicts[0] == .retry(reason: "HTTP 403: credential problem", retryAfter: nil, floor: false))
        #expect(verdicts.dropFirst().allSatisfy { $0 == .dead(reason: "HTTP 403: credential problem", flagDestination: true) })
    }

    @Test func reasonIsOneShortLineOfTheBodyNeverHeaders() throws {
        let long = String(repeating: "é", count: 150) + "\r\n\t" + String(repeating: "x", count: 300)
        let result = AttemptResult.response(status: 500, headers: ["X-Api-Key": "s3cr3t-value", "Set-Cookie": "session=abc"],
                                            bodyPrefix: Array(long.utf8))
        let reason = try #require(ResponseClassifier().classify(result, kind: .http, attemptNumber: 1).reason)
        #expect(!reason.contains("s3cr3t") && !reason.contains("session"))
        #expect(!reason.contains("\n") && !reason.contains("\r") && !reason.contains("\t"))
        let excerpt = try #require(reason.split(separator: ": ", maxSplits: 1).last)
        #expect(excerpt.count == 200)
        #expect(excerpt.hasSuffix("…") && excerpt.hasPrefix("ééé") && excerpt.contains("é x"))
        #expect(reason.hasPrefix("HTTP 500: "))
    }

    @Test func reasonDropsASequenceCutByThePrefixAndControlCharacters() {
        var body = Array("  Service\u{0}\u{1B}[31m unavailable \u{202E}gnp.exe ".utf8)
        body += Array("ü".utf8).prefix(1)  // a cut two-byte sequence
        let classification = ResponseClassifier().classify(.response(status: 503, headers: [:], bodyPrefix: body), kind: .http, attemptNumber: 1)
        #expect(classification == .retry(reason: "HTTP 503: Service [31m unavailable gnp.exe", retryAfter: nil, floor: false))
    }

    @Test func garbageRetryAfterIsIgnored() {
        let result = AttemptResult.response(status: 503, headers: ["Retry-After": "soon"], bodyPrefix: [])
        #expect(ResponseClassifier().classify(result, kind: .http, attemptNumber: 1) == .retry(reason: "HTTP 503", retryAfter: nil, floor: false))
    }
}

// MARK: - Retry-After

extension DeliveryPolicyTests {
    @Test(arguments: [("120", Int64(120_000)), ("0", 0), (" 7\t", 7_000), ("-5", 0), ("007", 7_000),
                      ("99999999999999999999999", RetryAfter.maxSeconds * 1000)])
    func retryAfterDeltaSeconds(_ text: String, _ milliseconds: Int64) throws {
        let value = try #require(RetryAfter(text))
        #expect(value.delay(after: Self.t0) == milliseconds)
    }

    @Test func retryAfterHTTPDateIsRelativeToNow() throws {
        // 2023-11-14T22:13:20Z is t0; ten minutes later:
        let value = try #require(RetryAfter("Tue, 14 Nov 2023 22:23:20 GMT"))
        #expect(value == .date(unixSeconds: 1_700_000_600))
        #expect(value.delay(after: Self.t0) == 600_000)
        #expect(value.delay(after: Self.t0 + 599_250) == 750)
        #expect(value.delay(after: Self.t0 + 600_000) == 0)
    }

    @Test func retryAfterInThePastIsZero() throws {
        #expect(try #require(RetryAfter("Sun, 06 Nov 1994 08:49:37 GMT")).delay(after: Self.t0) == 0)
    }

    @Test(arguments: ["", "  ", "soon", "1.5", "120s", "+120", "-", "12 0", "Tue, 14 Nov 2023 22:23:20 UTC",
                      "Tuesday, 14-Nov-23 22:23:20 GMT", "Tue Nov 14 22:23:20 2023", "Tue, 31 Feb 2023 22:23:20 GMT"])
    func retryAfterGarbageIsNil(_ text: String) {
        #expect(RetryAfter(text) == nil)
    }
}

// MARK: - Retry schedule

extension DeliveryPolicyTests {
    static func exact(_ schedule: [Duration] = DestinationSettings.defaultRetrySchedule, maxAge: Duration? = nil) -> RetryPolicy {
        var policy = RetryPolicy(schedule: schedule, maxAge: maxAge)
        policy.jitterPercent = 0
        return policy
    }

    static func next(_ policy: RetryPolicy, after attempt: Int, reason: String = "HTTP 503", retryAfter: RetryAfter? = nil,
                     floor: Bool = false, receivedAt: Int64 = t0, now: Int64 = t0, seed: UInt64 = 1) -> RetryDecision {
        var generator = SplitMix64(seed: seed)
        return policy.next(afterAttempt: attempt, reason: reason, retryAfter: retryAfter, floor: floor,
                           eventReceivedAt: receivedAt, now: now, using: &generator)
    }

    @Test func stepsThroughTheDefaultScheduleThenGivesUp() {
        let policy = Self.exact()
        #expect(policy.maxAttempts == 8 && policy.firstAttemptDelay == 0)
        let expected: [Int64] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]
        for (index, delay) in expected.enumerated() {
            #expect(Self.next(policy, after: index + 1) == .retry(at: Self.t0 + delay), "after attempt \(index + 1)")
        }
        #expect(Self.next(policy, after: 8, reason: "HTTP 502: Bad Gateway") == .dead(reason: "gave up after 8 attempts: HTTP 502: Bad Gateway"))
        #expect(Self.next(policy, after: 9) == .dead(reason: "gave up after 9 attempts: HTTP 503"))
    }

    @Test func aOneStepScheduleAllowsOneAttempt() {
        #expect(Self.next(Self.exact([.seconds(0)]), after: 1, reason: "timed out") == .dead(reason: "gave up after 1 attempt: timed out"))
    }

    @Test func jitterStaysWithinTwentyPercentAndIsUsed() {
        let policy = RetryPolicy()
        var generator = SplitMix64(seed: 2024)
        for attempt in 1..<policy.maxAttempts {
            let step = policy.schedule[attempt]
            var low = Int64.max, high = Int64.min
            for _ in 0..<1000 {
                let decision = policy.next(afterAttempt: attempt, reason: "HTTP 500", retryAfter: nil, floor: false,
                                           eventReceivedAt: Self.t0, now: Self.t0, using: &generator)
                guard case .retry(let at) = decision else {
                    Issue.record("expected a retry, got \(decision)")
                    return
                }
                low = min(low, at - Self.t0)
                high = max(high, at - Self.t0)
            }
            #expect(low >= step - step / 5 && high <= step + step / 5, "attempt \(attempt): \(low)...\(high) for step \(step)")
            // The draws spread over most of the band (the jitter is really applied).
            #expect(low < step - step / 6 && high > step + step / 6, "attempt \(attempt): \(low)...\(high) for step \(step)")
        }
    }

    @Test func jitterDependsOnlyOnTheSeed() {
        let policy = RetryPolicy()
        #expect(Self.next(policy, after: 3, seed: 42) == Self.next(policy, after: 3, seed: 42))
        #expect(Self.next(policy, after: 3, seed: 42) != Self.next(policy, after: 3, seed: 43))
    }

    @Test func floorsTimeoutsAnd429AtSixtySeconds() {
        let jittered = RetryPolicy()
        for seed in UInt64(0)..<200 {
            // Step 5 s ± 1 s: the floor wins.
            #expect(Self.next(jittered, after: 1, floor: true, seed: seed) == .retry(at: Self.t0 + 60_000))
            #expect(Self.next(jittered, after: 1, floor: false, seed: seed) != .retry(at: Self.t0 + 60_000))
        }
        // Step 5 m: already above the floor.
        #expect(Self.next(Self.exact(), after: 2, floor: true) == .retry(at: Self.t0 + 300_000))
        // Classified results carry the floor: timeout and 429.
        let timeout = ResponseClassifier().classify(.failure(.timeout), kind: .http, attemptNumber: 1)
        let tooMany = ResponseClassifier().classify(.response(status: 429, headers: [:], bodyPrefix: []), kind: .zapier, attemptNumber: 1)
        for case .retry(let reason, let retryAfter, let floor) in [timeout, tooMany] {
            #expect(Self.next(jittered, after: 1, reason: reason, retryAfter: retryAfter, floor: floor) == .retry(at: Self.t0 + 60_000))
        }
    }

    @Test func retryAfterIsHonouredBetweenTheStepAndTwiceTheStep() {
        let policy = Self.exact()  // after attempt 2 the step is 5 m
        #expect(Self.next(policy, after: 2, retryAfter: .seconds(60)) == .retry(at: Self.t0 + 300_000))
        #expect(Self.next(policy, after: 2, retryAfter: .seconds(300)) == .retry(at: Self.t0 + 300_000))
        #expect(Self.next(policy, after: 2, retryAfter: .seconds(420)) == .retry(at: Self.t0 + 420_000))
        #expect(Self.next(policy, after: 2, retryAfter: .seconds(600)) == .retry(at: Self.t0 + 600_000))
        #expect(Self.next(policy, after: 2, retryAfter: .seconds(86_400)) == .retry(at: Self.t0 + 600_000))
        #expect(Self.next(policy, after: 2, retryAfter: .date(unixSeconds: Self.t0 / 1000 + 450)) == .retry(at: Self.t0 + 450_000))
        #expect(Self.next(policy, after: 2, retryAfter: .date(unixSeconds: Self.t0 / 1000 - 450)) == .retry(at: Self.t0 + 300_000))
        // Honoured exactly even with jitter on; still at least the jittered step when earlier.
        for seed in UInt64(0)..<100 {
            #expect(Self.next(RetryPolicy(), after: 2, retryAfter: .seconds(420), seed: seed) == .retry(at: Self.t0 + 420_000))
        }
        // With the floor: Retry-After of 1 s after a 429 at step 5 s (clamped to 10 s) still waits 60 s.
        #expect(Self.next(policy, after: 1, retryAfter: .seconds(1), floor: true) == .retry(at: Self.t0 + 60_000))
        #expect(Self.next(policy, after: 1, retryAfter: .seconds(9)) == .retry(at: Self.t0 + 9_000))
    }

    @Test func expiresWhenTheNextAttemptWouldPassMaxAge() {
        let policy = Self.exact(maxAge: .seconds(3600))
        // Received at t0, failing at t0 + 10 m after attempt 2: next at t0 + 15 m, within the hour.
        #expect(Self.next(policy, after: 2, now: Self.t0 + 600_000) == .retry(at: Self.t0 + 900_000))
        // After attempt 3 at t0 + 40 m: next would be t0 + 70 m.
        #expect(Self.next(policy, after: 3, reason: "HTTP 502", now: Self.t0 + 2_400_000) == .dead(reason: "expired after 1h: HTTP 502"))
        // Exactly at the deadline is still allowed.
        #expect(Self.next(policy, after: 3, now: Self.t0 + 1_800_000) == .retry(at: Self.t0 + 3_600_000))
        // Age counts from receipt (a replay passes its replay time instead).
        #expect(Self.next(policy, after: 1, receivedAt: Self.t0 - 3_598_000, now: Self.t0) == .dead(reason: "expired after 1h: HTTP 503"))
        #expect(Self.next(policy, after: 1, receivedAt: Self.t0, now: Self.t0) == .retry(at: Self.t0 + 5_000))
        // Without maxAge nothing expires.
        #expect(Self.next(Self.exact(), after: 3, receivedAt: 0) == .retry(at: Self.t0 + 1_800_000))
    }

    @Test func readsScheduleAndMaxAgeFromSettings() {
        let policy = RetryPolicy(Self.settings(schedule: [.seconds(1), .milliseconds(1500)], maxAge: .seconds(86_400)))
        #expect(policy.schedule == [1000, 1500] && policy.maxAge == 86_400_000 && policy.firstAttemptDelay == 1000)
    }
}

// MARK: - Token bucket

extension DeliveryPolicyTests {
    static func bucket(_ rate: String) -> TokenBucket {
        TokenBucket(rate: try! Rate(configText: rate))
    }

    @Test func perSecondRateGrantsExactlyNThenWaitsForTheNextToken() {
        var bucket = Self.bucket("5/s")
        #expect(bucket.capacity == 5)
        for _ in 0..<5 { #expect(bucket.take(now: Self.t0) == .granted) }
        #expect(bucket.take(now: Self.t0) == .wait(until: Self.t0 + 200))
        #expect(bucket.take(now: Self.t0 + 199) == .wait(until: Self.t0 + 200))
        #expect(bucket.take(now: Self.t0 + 200) == .granted)
        #expect(bucket.take(now: Self.t0 + 200) == .wait(until: Self.t0 + 400))
        // Idle for a long time: refills to capacity, no more.
        for _ in 0..<5 { #expect(bucket.take(now: Self.t0 + 60_000) == .granted) }
        #expect(bucket.take(now: Self.t0 + 60_000) == .wait(until: Self.t0 + 60_200))
    }

    @Test func aDriverFollowingTheWaitsSendsAtTheRateWithoutPolling() {
        var bucket = Self.bucket("5/s")
        var now = Self.t0
        var granted: [Int64] = []
        var calls = 0
        while now <= Self.t0 + 10_000 {
            calls += 1
            switch bucket.take(now: now) {
            case .granted: granted.append(now)
            case .wait(let until):
                #expect(until > now)
                now = until
            }
        }
        #expect(granted.count == 5 + 50)
        #expect(calls <= 2 * granted.count)  // every wait is followed by a grant
        for window in stride(from: Self.t0, to: Self.t0 + 9_000, by: 100) {
            #expect(granted.filter { $0 >= window && $0 < window + 1000 }.count <= 5 + 5)
        }
    }

    @Test func perMinuteRatesAreSmoothed() {
        var twoPerSecond = Self.bucket("120/m")
        #expect(twoPerSecond.capacity == 2)
        #expect(twoPerSecond.take(now: Self.t0) == .granted && twoPerSecond.take(now: Self.t0) == .granted)
        #expect(twoPerSecond.take(now: Self.t0) == .wait(until: Self.t0 + 500))

        var slow = Self.bucket("30/m")
        #expect(slow.capacity == 1)
        #expect(slow.take(now: Self.t0) == .granted)
        #expect(slow.take(now: Self.t0 + 1) == .wait(until: Self.t0 + 2_000))
        #expect(slow.take(now: Self.t0 + 2_000) == .granted)

        // No more than N in any minute.
        var bucket = Self.bucket("30/m")
        var granted = 0
        for ms in stride(from: Self.t0, to: Self.t0 + 60_000, by: 50) where bucket.take(now: ms) == .granted { granted += 1 }
        #expect(granted == 30)

        var hourly = Self.bucket("100/h")
        #expect(hourly.take(now: Self.t0) == .granted)
        #expect(hourly.take(now: Self.t0) == .wait(until: Self.t0 + 36_000))
    }

    @Test func aRateThatDoesNotDivideTheIntervalRoundsTheWaitUp() {
        var bucket = Self.bucket("3/s")
        for _ in 0..<3 { #expect(bucket.take(now: Self.t0) == .granted) }
        #expect(bucket.take(now: Self.t0) == .wait(until: Self.t0 + 334))
        #expect(bucket.take(now: Self.t0 + 333) == .wait(until: Self.t0 + 334))
        #expect(bucket.take(now: Self.t0 + 334) == .granted)
        #expect(bucket.take(now: Self.t0 + 666) == .wait(until: Self.t0 + 667))
        #expect(bucket.take(now: Self.t0 + 667) == .granted)
    }

    @Test func timeGoingBackwardsGrantsNothingExtra() {
        var bucket = Self.bucket("1/s")
        #expect(bucket.take(now: Self.t0) == .granted)
        #expect(bucket.take(now: Self.t0 - 5_000) == .wait(until: Self.t0 + 1_000))
        #expect(bucket.take(now: Self.t0 + 1_000) == .granted)
    }
}

// MARK: - Concurrency

extension DeliveryPolicyTests {
    @Test func concurrencyNeverExceedsTheLimitUnderRandomAcquireAndRelease() {
        var generator = SplitMix64(seed: 99)
        for limit in [1, 2, 3, 8] {
            var limiter = ConcurrencyLimiter(limit: limit)
            var held = 0
            var refusals = 0
            for _ in 0..<10_000 {
                if Bool.random(using: &generator) {
                    let acquired = limiter.tryAcquire()
                    #expect(acquired == (held < limit))
                    if acquired { held += 1 } else { refusals += 1 }
                } else if held > 0, Bool.random(using: &generator) {
                    limiter.release()
                    held -= 1
                }
                #expect(limiter.inFlight == held && limiter.inFlight <= limit)
            }
            #expect(refusals > 0)  // the limit was really reached
        }
    }

    @Test func releaseWithoutAcquireIsIgnored() {
        var limiter = ConcurrencyLimiter(limit: 1)
        limiter.release()
        #expect(limiter.inFlight == 0)
        #expect(limiter.tryAcquire() && !limiter.tryAcquire())
        #expect(ConcurrencyLimiter(limit: 0).limit == 1)
    }
}

// MARK: - Circuit breaker

extension DeliveryPolicyTests {
    static func fail(_ breaker: inout CircuitBreaker, times: Int, at now: Int64 = t0) {
        for _ in 0..<times { breaker.record(success: false, now: now) }
    }

    @Test func opensAfterFiveConsecutiveFailuresAndDeniesWithRetryAt() {
        var breaker = CircuitBreaker()
        Self.fail(&breaker, times: 4)
        #expect(breaker.state == .closed && breaker.permit(now: Self.t0) == .allowed)
        breaker.record(success: true, now: Self.t0)  // resets the run
        Self.fail(&breaker, times: 4)
        #expect(breaker.state == .closed)
        breaker.record(success: false, now: Self.t0 + 10)
        #expect(breaker.state == .open)
        #expect(breaker.permit(now: Self.t0 + 10) == .denied(retryAt: Self.t0 + 30_010))
        #expect(breaker.permit(now: Self.t0 + 30_009) == .denied(retryAt: Self.t0 + 30_010))
        #expect(breaker.state == .open)
    }

    @Test func opensOnTheFailureRatioOnceTheWindowHasTenSamples() {
        var breaker = CircuitBreaker()
        // F S F S F S F S F: 5 of 9 failed, but fewer than 10 samples.
        for k in 0..<9 { breaker.record(success: k % 2 == 1, now: Self.t0) }
        #expect(breaker.state == .closed && breaker.consecutiveFailures == 1)
        breaker.record(success: true, now: Self.t0)  // 5 of 10: ratio reached, but on a success
        #expect(breaker.state == .closed)
        breaker.record(success: false, now: Self.t0 + 1)  // 6 of 11
        #expect(breaker.state == .open && breaker.reopensAt == Self.t0 + 30_001)
    }

    @Test func theRatioLooksOnlyAtTheLastTwentyOutcomes() {
        var breaker = CircuitBreaker()
        Self.fail(&breaker, times: 4)
        for _ in 0..<20 { breaker.record(success: true, now: Self.t0) }
        // 4 old failures have left the window: 9 failures among the last 20 (F S F S … ) don't open it.
        for k in 0..<18 { breaker.record(success: k % 2 == 1, now: Self.t0) }
        #expect(breaker.windowCount == 20 && breaker.windowFailures == 9 && breaker.state == .closed)
        breaker.record(success: false, now: Self.t0)  // 10 of 20
        #expect(breaker.state == .open)
    }

    @Test func fewFailuresAmongManySuccessesStayClosed() {
        var breaker = CircuitBreaker()
        for k in 0..<200 { breaker.record(success: k % 3 != 0, now: Self.t0) }  // one in three fails
        #expect(breaker.state == .closed)
    }

    @Test func halfOpenAllowsExactlyOneProbeAndSuccessCloses() {
        var breaker = CircuitBreaker()
        Self.fail(&breaker, times: 5)
        let reopen = Self.t0 + 30_000
        #expect(breaker.permit(now: reopen) == .probe)
        #expect(breaker.state == .halfOpen)
        for k in 0..<10 { #expect(breaker.permit(now: reopen + Int64(k)) == .denied(retryAt: reopen + 15_000)) }
        breaker.record(success: true, now: reopen + 200)
        #expect(breaker.state == .closed && breaker.permit(now: reopen + 200) == .allowed)
        // Counters were reset: it takes five new failures to open again, for the base 30 s.
        #expect(breaker.consecutiveFailures == 0 && breaker.windowCount == 0)
        Self.fail(&breaker, times: 4, at: reopen + 300)
        #expect(breaker.state == .closed)
        Self.fail(&breaker, times: 1, at: reopen + 300)
        #expect(breaker.permit(now: reopen + 300) == .denied(retryAt: reopen + 30_300))
    }

    @Test func failedProbesDoubleTheOpenPeriodUpToTenMinutes() {
        var breaker = CircuitBreaker()
        var now = Self.t0
        Self.fail(&breaker, times: 5, at: now)
        var periods: [Int64] = []
        for _ in 0..<8 {
            let reopen = breaker.reopensAt!
            periods.append(reopen - now)
            #expect(breaker.permit(now: reopen - 1) == .denied(retryAt: reopen))
            #expect(breaker.permit(now: reopen) == .probe)
            now = reopen + 100
            breaker.record(success: false, now: now)
            #expect(breaker.state == .open)
        }
        #expect(periods == [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000])
        // A successful probe resets the period.
        #expect(breaker.permit(now: breaker.reopensAt!) == .probe)
        breaker.record(success: true, now: breaker.reopensAt ?? now)
        Self.fail(&breaker, times: 5, at: now)
        #expect(breaker.reopensAt == now + 30_000)
    }

    @Test func anUnreportedProbeIsGivenUpAfterTheProbeTimeoutAndACancelledOneAtOnce() {
        var breaker = CircuitBreaker()
        Self.fail(&breaker, times: 5)
        let reopen = Self.t0 + 30_000
        #expect(breaker.permit(now: reopen) == .probe)
        #expect(breaker.permit(now: reopen + 14_999) == .denied(retryAt: reopen + 15_000))
        #expect(breaker.permit(now: reopen + 15_000) == .probe)
        #expect(breaker.permit(now: reopen + 15_001) == .denied(retryAt: reopen + 30_000))
        breaker.cancelProbe()
        #expect(breaker.check(now: reopen + 15_002) == .probe)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.permit(now: reopen + 15_002) == .probe)
        #expect(breaker.permit(now: reopen + 15_003) == .denied(retryAt: reopen + 30_002))
    }

    @Test func outcomesWhileOpenAreIgnored() {
        var breaker = CircuitBreaker()
        Self.fail(&breaker, times: 5)
        breaker.record(success: true, now: Self.t0 + 1)
        Self.fail(&breaker, times: 3, at: Self.t0 + 2)
        #expect(breaker.state == .open && breaker.reopensAt == Self.t0 + 30_000)
    }

    @Test func checkChangesNothing() {
        var breaker = CircuitBreaker()
        Self.fail(&breaker, times: 5)
        #expect(breaker.check(now: Self.t0 + 30_000) == .probe)
        #expect(breaker.state == .open)
        #expect(breaker.check(now: Self.t0 + 30_000) == .probe)
    }
}

// MARK: - Destination policy

extension DeliveryPolicyTests {
    static let ok = AttemptResult.response(status: 200, headers: [:], bodyPrefix: [])
    static let unavailable = AttemptResult.response(status: 503, headers: [:], bodyPrefix: [])
    static let badRequest = AttemptResult.response(status: 400, headers: [:], bodyPrefix: Array("invalid payload".utf8))

    static func send(_ policy: inout DestinationPolicy, at now: Int64) -> AdmissionTicket? {
        if case .send(let ticket) = policy.admit(now: now) { return ticket }
        return nil
    }

    static func complete(_ policy: inout DestinationPolicy, _ ticket: AdmissionTicket, _ result: AttemptResult, attempt: Int = 1,
                         at now: Int64, seed: UInt64 = 5) -> Outcome {
        var generator = SplitMix64(seed: seed)
        return policy.complete(ticket, result: result, attemptNumber: attempt, eventReceivedAt: t0, now: now, using: &generator)
    }

    @Test func fourHundredDeadLettersDoNotOpenTheBreaker() throws {
        var policy = DestinationPolicy(settings: Self.settings())
        for k in 0..<40 {
            let ticket = try #require(Self.send(&policy, at: Self.t0 + Int64(k)))
            #expect(Self.complete(&policy, ticket, Self.badRequest, at: Self.t0 + Int64(k))
                    == .dead(reason: "HTTP 400: invalid payload", flagDestination: false))
        }
        #expect(policy.breaker.state == .closed)
        // Four 503s, then a dead letter (the destination answered), then four more: never five in a row.
        for k in 0..<9 {
            let ticket = try #require(Self.send(&policy, at: Self.t0 + 100))
            _ = Self.complete(&policy, ticket, k == 4 ? Self.badRequest : Self.unavailable, at: Self.t0 + 100)
        }
        #expect(policy.breaker.state == .closed)
        let ticket = try #require(Self.send(&policy, at: Self.t0 + 100))
        _ = Self.complete(&policy, ticket, Self.unavailable, at: Self.t0 + 100)
        #expect(policy.breaker.state == .open)
    }

    @Test func admitsUpToTheConcurrencyLimit() throws {
        var policy = DestinationPolicy(settings: Self.settings(concurrency: 2))
        let first = try #require(Self.send(&policy, at: Self.t0))
        _ = try #require(Self.send(&policy, at: Self.t0))
        #expect(policy.admit(now: Self.t0) == .atCapacity)
        #expect(policy.limiter.inFlight == 2)
        #expect(Self.complete(&policy, first, Self.ok, at: Self.t0 + 5) == .delivered)
        #expect(policy.limiter.inFlight == 1)
        let third = try #require(Self.send(&policy, at: Self.t0 + 5))
        policy.cancel(third)
        #expect(policy.limiter.inFlight == 1)
    }

    @Test func admitsAtTheRateLimitAndSaysWhenToComeBack() throws {
        var policy = DestinationPolicy(settings: Self.settings(concurrency: 10, rateLimit: "2/s"))
        for _ in 0..<2 { _ = try #require(Self.send(&policy, at: Self.t0)) }
        #expect(policy.admit(now: Self.t0) == .later(until: Self.t0 + 500))
        #expect(policy.limiter.inFlight == 2)  // a refusal takes no slot
        _ = try #require(Self.send(&policy, at: Self.t0 + 500))
    }

    @Test func anOpenBreakerDelaysAdmissionsAndTakesNoToken() throws {
        var policy = DestinationPolicy(settings: Self.settings(concurrency: 10, rateLimit: "100/s"))
        for _ in 0..<5 {
            let ticket = try #require(Self.send(&policy, at: Self.t0))
            let outcome = Self.complete(&policy, ticket, .failure(.connect("Connection refused")), at: Self.t0)
            guard case .retry(let at, let reason) = outcome else {
                Issue.record("expected a retry, got \(outcome)")
                return
            }
            #expect((Self.t0 + 4_000...Self.t0 + 6_000).contains(at) && reason == "connect failed: Connection refused")
        }
        let tokens = policy.bucket?.availableAt(now: Self.t0 + 1_000)
        #expect(policy.admit(now: Self.t0 + 1_000) == .later(until: Self.t0 + 30_000))
        #expect(policy.bucket?.availableAt(now: Self.t0 + 1_000) == tokens)
        #expect(policy.bucket?.tokens == 95)
        #expect(policy.limiter.inFlight == 0)
    }

    @Test func probeThroughThePolicyClosesOnSuccessAndIgnoresStragglers() throws {
        var policy = DestinationPolicy(settings: Self.settings(concurrency: 10))
        let straggler = try #require(Self.send(&policy, at: Self.t0))
        for _ in 0..<5 {
            let ticket = try #require(Self.send(&policy, at: Self.t0))
            _ = Self.complete(&policy, ticket, .failure(.timeout), at: Self.t0)
        }
        let reopen = Self.t0 + 30_000
        let probe = try #require(Self.send(&policy, at: reopen))
        #expect(probe.isProbe)
        #expect(policy.admit(now: reopen + 1) == .later(until: reopen + 15_000))
        // A request admitted before the breaker opened reports now: not the probe, not recorded.
        #expect(Self.complete(&policy, straggler, Self.ok, at: reopen + 2) == .delivered)
        #expect(policy.breaker.state == .halfOpen)
        #expect(Self.complete(&policy, probe, Self.ok, at: reopen + 3) == .delivered)
        #expect(policy.breaker.state == .closed)
        let next = try #require(Self.send(&policy, at: reopen + 3))
        #expect(!next.isProbe)
    }

    @Test func aFailedProbeReopensAndACancelledProbeCanBeRetaken() throws {
        var policy = DestinationPolicy(settings: Self.settings())
        for _ in 0..<5 {
            let ticket = try #require(Self.send(&policy, at: Self.t0))
            _ = Self.complete(&policy, ticket, Self.unavailable, at: Self.t0)
        }
        var probe = try #require(Self.send(&policy, at: Self.t0 + 30_000))
        policy.cancel(probe)
        probe = try #require(Self.send(&policy, at: Self.t0 + 30_001))
        #expect(probe.isProbe && policy.limiter.inFlight == 1)
        _ = Self.complete(&policy, probe, .failure(.tls("handshake failure")), at: Self.t0 + 31_000)
        #expect(policy.admit(now: Self.t0 + 31_000) == .later(until: Self.t0 + 91_000))
    }

    @Test func theProbeTimeoutCoversTheRequestTimeout() {
        var settings = Self.settings()
        settings.timeout = .seconds(60)
        #expect(DestinationPolicy(settings: settings).breaker.configuration.probeTimeout == .seconds(65))
        #expect(DestinationPolicy(settings: Self.settings()).breaker.configuration.probeTimeout == .seconds(15))
    }

    @Test func completeTurnsClassificationsIntoOutcomes() throws {
        var make = DestinationPolicy(settings: Self.settings(.make))
        var ticket = try #require(Self.send(&make, at: Self.t0))
        #expect(Self.complete(&make, ticket, .response(status: 410, headers: [:], bodyPrefix: []), at: Self.t0)
                == .dead(reason: "HTTP 410", flagDestination: true))
        ticket = try #require(Self.send(&make, at: Self.t0))
        #expect(Self.complete(&make, ticket, Self.unavailable, attempt: 8, at: Self.t0)
                == .dead(reason: "gave up after 8 attempts: HTTP 503", flagDestination: false))
        ticket = try #require(Self.send(&make, at: Self.t0))
        // Retry-After 90 s is before the 30 m step: the jittered step applies.
        let outcome = Self.complete(&make, ticket, .response(status: 429, headers: ["Retry-After": "90"], bodyPrefix: []), attempt: 3, at: Self.t0)
        guard case .retry(let at, "HTTP 429") = outcome else {
            Issue.record("expected a retry for HTTP 429, got \(outcome)")
            return
        }
        #expect((Self.t0 + 1_440_000...Self.t0 + 2_160_000).contains(at))

        var expiring = DestinationPolicy(settings: Self.settings(.n8n, maxAge: .seconds(60)))
        ticket = try #require(Self.send(&expiring, at: Self.t0 + 1_000))
        #expect(Self.complete(&expiring, ticket, .failure(.timeout), at: Self.t0 + 1_000)
                == .dead(reason: "expired after 1m: timed out", flagDestination: false))
    }
}
