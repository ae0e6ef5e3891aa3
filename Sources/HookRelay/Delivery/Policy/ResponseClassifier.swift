/// Judges an attempt's result: delivered, retry later, or dead, with the bridges' quirks.
///
/// Defaults (every kind):
///
/// | result | classification |
/// |---|---|
/// | 2xx | delivered |
/// | 3xx | dead, flags the destination: `HTTP 301: redirect to <Location> (redirects are not followed)` |
/// | 408, 425, 5xx | retry (`Retry-After` honoured) |
/// | 429 | retry with the 60 s floor (`Retry-After` honoured) |
/// | 410 and other 4xx | dead |
/// | any other status (1xx, ≥ 600) | retry |
/// | connect (incl. DNS), TLS, other transport error | retry |
/// | timeout | retry with the 60 s floor |
///
/// Per kind, checked before the defaults:
///
/// | kind | result | classification |
/// |---|---|---|
/// | n8n | 404 whose body contains `is not registered` | retry (workflow inactive or re-registering) |
/// | n8n | 401, 403 | retry on attempt 1; dead and flags the destination from attempt 2 (`credential problem`) |
/// | make | 410 | dead, flags the destination (the webhook is gone) |
/// | make | 400 whose body contains `Queue is full` | retry with the 60 s floor |
/// | make, zapier | 429 | retry with the floor, `Retry-After` honoured (as the default) |
///
/// Body checks are ASCII case-insensitive. Reasons are `HTTP <status>` followed, when the body has text, by `: ` and
/// an excerpt: the JSON body's `message` string if it has one, else the body; one line, at most
/// ``maxExcerptLength`` characters. Headers never appear in a reason, except a redirect's `Location`.
public struct ResponseClassifier: Sendable {
    /// The longest body excerpt (or `Location`) put into a reason, in characters.
    public var maxExcerptLength = 200

    /// A classifier with the default excerpt length.
    public init() {}

    /// Classifies `result` of attempt number `attemptNumber` (1-based) to a destination of `kind`.
    public func classify(_ result: AttemptResult, kind: DestinationKind, attemptNumber: Int) -> Classification {
        switch result {
        case .failure(let failure):
            return classify(failure)
        case .response(let status, let headers, let body):
            if let special = classifyQuirk(status: status, body: body, kind: kind, attemptNumber: attemptNumber) {
                return special
            }
            return classifyDefault(status: status, headers: headers, body: body)
        }
    }

    private func classify(_ failure: TransportFailure) -> Classification {
        switch failure {
        case .connect(let detail): .retry(reason: Self.join("connect failed", excerpt(detail)), retryAfter: nil, floor: false)
        case .tls(let detail): .retry(reason: Self.join("TLS failed", excerpt(detail)), retryAfter: nil, floor: false)
        case .timeout: .retry(reason: "timed out", retryAfter: nil, floor: true)
        case .other(let detail): .retry(reason: Self.join("transport error", excerpt(detail)), retryAfter: nil, floor: false)
        }
    }

    private func classifyQuirk(status: Int, body: [UInt8], kind: DestinationKind, attemptNumber: Int) -> Classification? {
        switch (kind, status) {
        case (.n8n, 404) where Self.contains(body, "is not registered"):
            return .retry(reason: reason(status, body), retryAfter: nil, floor: false)
        case (.n8n, 401), (.n8n, 403):
            let text = Self.join("HTTP \(status): credential problem", bodyExcerpt(body))
            return attemptNumber <= 1 ? .retry(reason: text, retryAfter: nil, floor: false) : .dead(reason: text, flagDestination: true)
        case (.make, 410):
            return .dead(reason: reason(status, body), flagDestination: true)
        case (.make, 400) where Self.contains(body, "Queue is full"):
            return .retry(reason: reason(status, body), retryAfter: nil, floor: true)
        default:
            return nil
        }
    }

    private func classifyDefault(status: Int, headers: ResponseHeaders, body: [UInt8]) -> Classification {
        let retryAfter = headers["Retry-After"].flatMap(RetryAfter.init)
        switch status {
        case 200...299:
            return .delivered
        case 300...399:
            let target = headers["Location"].map(excerpt).flatMap { $0.isEmpty ? nil : $0 }
            return .dead(reason: "HTTP \(status): redirect\(target.map { " to \($0)" } ?? "") (redirects are not followed)",
                         flagDestination: true)
        case 429:
            return .retry(reason: reason(status, body), retryAfter: retryAfter, floor: true)
        case 408, 425, 500...599:
            return .retry(reason: reason(status, body), retryAfter: retryAfter, floor: false)
        case 400...499:
            return .dead(reason: reason(status, body), flagDestination: false)
        default:
            return .retry(reason: Self.join("HTTP \(status) (unexpected status)", bodyExcerpt(body)), retryAfter: retryAfter, floor: false)
        }
    }

    // MARK: Reason text

    private func reason(_ status: Int, _ body: [UInt8]) -> String {
        Self.join("HTTP \(status)", bodyExcerpt(body))
    }

    private static func join(_ head: String, _ excerpt: String) -> String {
        excerpt.isEmpty ? head : head + ": " + excerpt
    }

    /// The JSON body's `message` string when it has one, else the body, as one short line.
    func bodyExcerpt(_ body: [UInt8]) -> String {
        if body.first == UInt8(ascii: "{"), let json = try? JSONValue.parse(body, maxDepth: 16),
           let message = json["message"]?.stringValue, !message.isEmpty {
            return excerpt(message)
        }
        return excerpt(String(decoding: body, as: UTF8.self))
    }

    /// `text` on one line: control, line-separator and bidi-override characters become spaces, runs of white space collapse,
    /// ends trimmed, a trailing replacement character (a UTF-8 sequence cut by the body prefix) dropped, and at most
    /// ``maxExcerptLength`` characters (the last being `…` when cut).
    func excerpt(_ text: String) -> String {
        var result = ""
        var pendingSpace = false
        var count = 0
        for scalar in text.unicodeScalars {
            // White space (incl. U+2028/2029), C0/C1 controls and bidi overrides, so a reason stays one plain line.
            let isSpace = scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
            if isSpace {
                pendingSpace = !result.isEmpty
                continue
            }
            if pendingSpace {
                result.unicodeScalars.append(" ")
                pendingSpace = false
            }
            result.unicodeScalars.append(scalar)
            count += 1
            if count > maxExcerptLength * 2 { break }  // enough to cut; don't scan a huge prefix
        }
        while result.last == "\u{FFFD}" || result.last == " " { result.removeLast() }
        if result.count > maxExcerptLength {
            result = String(result.prefix(max(0, maxExcerptLength - 1))) + "…"
        }
        return result
    }

    /// Whether `body` contains `needle` (ASCII case-insensitive).
    static func contains(_ body: [UInt8], _ needle: StaticString) -> Bool {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount).map(asciiLowercase)
        guard !pattern.isEmpty, body.count >= pattern.count else { return pattern.isEmpty }
        outer: for start in 0...(body.count - pattern.count) {
            for k in 0..<pattern.count where asciiLowercase(body[start + k]) != pattern[k] { continue outer }
            return true
        }
        return false
    }
}
