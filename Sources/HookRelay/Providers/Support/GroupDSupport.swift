import HTTPServer
import Synchronization

/// Small helpers shared by the group D presets (mailgun, telegram, adyen, asana, dropbox, pipedrive, salesforce,
/// teams, okta, msgraph, x): query parameters, plain-token comparison, handshake answers, raw JSON reads.
enum GroupD {
    /// The decoded value of the first query parameter called `name`; nil when absent or not decodable.
    static func queryValue(_ name: String, in request: WebhookRequest) -> String? {
        guard let query = request.query, let pairs = try? FormURLEncoded.parse(Array(query.utf8)) else { return nil }
        return pairs.first { $0.name == name }?.value
    }

    /// Whether `presented` equals one of `tokens`. Every token is compared, each in time that depends only on the
    /// lengths, so neither the position of a match nor the contents leak.
    static func matchesAny(_ presented: some MessageBytes, _ tokens: [[UInt8]]) -> Bool {
        var matched = false
        for token in tokens where constantTimeEquals(presented, token) { matched = true }
        return matched
    }

    /// A handshake echo: `text/plain` with `X-Content-Type-Options: nosniff` (so a reflected challenge can never be
    /// sniffed into HTML), the body exactly `text`.
    static func plainEcho(_ text: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"),
                                                        ("X-Content-Type-Options", "nosniff")]),
                     body: Array(text.utf8))
    }

    /// A `{"<key>":"<value>"}` JSON answer, `value` escaped.
    static func jsonObject(_ status: Int, _ key: String, _ value: String) -> HTTPResponse {
        var body: [UInt8] = [0x7B]
        JSONString.appendQuoted(key, to: &body)
        body.append(0x3A)
        JSONString.appendQuoted(value, to: &body)
        body.append(0x7D)
        return HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }

    /// Handshake challenges longer than this are refused (providers send tens of bytes).
    static let maxChallengeLength = 2048

    /// Whether a handshake challenge is sendable back: non-empty, bounded, no control characters.
    static func isEchoable(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maxChallengeLength && !text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// The answer to a `GET ?<parameter>=<challenge>` handshake (Dropbox, X): nil for other methods; 400
    /// `missing <parameter> parameter` without it; 400 `malformed <parameter> parameter` when it is not echoable or
    /// `answer` gives nil; else `answer`'s response.
    static func answerChallenge(_ parameter: String, in request: WebhookRequest,
                                _ answer: (String) -> HTTPResponse?) -> HTTPResponse? {
        guard request.method == "GET" else { return nil }
        guard let challenge = queryValue(parameter, in: request) else { return .text(400, "missing \(parameter) parameter") }
        guard isEchoable(challenge), let response = answer(challenge) else { return .text(400, "malformed \(parameter) parameter") }
        return response
    }

    /// A time field as unix milliseconds: an RFC 3339 string, or a number of seconds (fractions kept to the ms).
    static func milliseconds(_ path: [RawJSON.PathComponent], in body: [UInt8]) -> Int64? {
        body.withUnsafeBytes { bytes in
            guard let range = RawJSON.range(of: path, in: bytes) else { return nil }
            return milliseconds(at: range, in: bytes)
        }
    }

    /// ``milliseconds(_:in:)`` for a value already found.
    static func milliseconds(at range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Int64? {
        if let text = RawJSON.string(at: range, in: bytes) { return RFC3339.parse(text)?.milliseconds }
        guard let number = RawJSON.number(at: range, in: bytes) else { return nil }
        if let integer = number.int64Value { return integer.multipliedReportingOverflow(by: 1000).overflow ? nil : integer * 1000 }
        guard let seconds = number.doubleValue, seconds.isFinite, abs(seconds) < 1e14 else { return nil }
        return Int64((seconds * 1000).rounded(.down))
    }

    /// A string or number at `path` inside the value at `range`, as text.
    static func identifier(_ path: [RawJSON.PathComponent], inValueAt range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> String? {
        guard let found = RawJSON.range(of: path, inValueAt: range, in: bytes) else { return nil }
        return RawJSON.string(at: found, in: bytes) ?? RawJSON.number(at: found, in: bytes)?.text
    }

    /// Reports `message` about the secret at `index` (at its reference in the file when the resolved secrets line up
    /// with the file's list; when they do not, a reference failed to resolve and that error already rejects the source).
    static func reportSecret(_ message: String, index: Int, of settings: SourceSettings, in source: ConfigObject,
                             decoder: inout ConfigDecoder) {
        let nodes = source["secrets"]?.arrayValue ?? []
        let path = source.path.appending("secrets").appending(index: index)
        if nodes.count == settings.secrets.count {
            decoder.error(message, at: nodes[index].position, path: path)
        } else if nodes.isEmpty {
            decoder.error(message, at: source.position, path: path)
        }
    }

    /// Throws `bad_signature` unless `signature` is the HMAC of `message` under one of `keys`. Every key is tried, so
    /// the time taken does not say which one matched.
    static func requireMatch(_ signature: [UInt8], keys: [HMACKey], _ message: some MessageBytes) throws(VerificationFailure) {
        var matched = false
        for key in keys where key.isValidAuthenticationCode(signature, for: message) { matched = true }
        guard matched else { throw .noMatch(secrets: keys.count) }
    }

    /// The HMAC keys for `secrets` used as their literal bytes (configure-time checks make them non-empty).
    static func literalKeys(_ secrets: [Secret], _ algorithm: DigestAlgorithm = .sha256) -> [HMACKey] {
        secrets.compactMap { try? HMACKey(algorithm: algorithm, key: $0.bytes) }
    }
}

/// Remembers, for a while, which tokens signed requests have used and for which body, shared by a source's
/// providers on every event loop. Mailgun signs only `timestamp + token`, not the body: without this a captured
/// request's signature could carry a different body until the timestamp goes stale.
final class GroupDTokenLedger: Sendable {
    private struct State {
        var bodies: [String: [UInt8]] = [:]
        var expiries: [(token: String, expiresAt: Int64)] = []
        var head = 0
    }

    private let state = Mutex(State())
    /// Entries kept at most; the oldest go first (they are also the first to expire).
    let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// Records `token` for a body with `bodyDigest`, kept until `expiresAt` (unix seconds). False when the token was
    /// already seen with a different body: a replayed signature. The same body again (a retry) is fine.
    func admit(token: String, bodyDigest: [UInt8], now: Int64, expiresAt: Int64) -> Bool {
        state.withLock { state in
            // Drop expired entries (in arrival order; expiries arrive roughly in order).
            while state.head < state.expiries.count, state.expiries[state.head].expiresAt <= now || state.bodies.count > capacity {
                state.bodies[state.expiries[state.head].token] = nil
                state.head += 1
            }
            if state.head > 4096 && state.head * 2 > state.expiries.count {
                state.expiries.removeFirst(state.head)
                state.head = 0
            }
            if let seen = state.bodies[token] { return constantTimeEquals(seen, bodyDigest) }
            state.bodies[token] = bodyDigest
            state.expiries.append((token, expiresAt))
            return true
        }
    }
}
