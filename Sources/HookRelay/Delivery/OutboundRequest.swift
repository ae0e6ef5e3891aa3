/// One delivery attempt as it goes on the wire: always a `POST` of `body` to `url` with `headers`.
///
/// A plain value, built by ``make(eventID:envelope:rawHeaders:rawBody:destination:now:)`` for each attempt (the
/// `webhook-timestamp` and signature change between attempts; the `Idempotency-Key` does not) and handed to a
/// ``Transport``.
public struct OutboundRequest: Sendable {
    /// The destination URL (`http` or `https`).
    public var url: String
    /// Header fields in order. A name may repeat. libcurl adds `Host`, `Content-Length` and `Accept: */*`.
    public var headers: [(name: String, value: String)]
    /// The exact body bytes.
    public var body: [UInt8]
    /// The whole attempt, connect included (libcurl's `CURLOPT_TIMEOUT_MS`). Default 10 s.
    public var timeout: Duration
    /// Name resolution plus TCP and TLS handshakes (`CURLOPT_CONNECTTIMEOUT_MS`). Default 10 s.
    public var connectTimeout: Duration
    /// Accept any TLS certificate and host name. Only for destinations configured so.
    public var insecureSkipVerify: Bool

    /// Makes a request value.
    public init(url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                timeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(10), insecureSkipVerify: Bool = false) {
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// The first value of the header named `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of headers named `name`, in order.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}

extension OutboundRequest {
    /// The connect timeout used when the destination sets only `timeout`: the smaller of the two.
    public static let defaultConnectTimeout: Duration = .seconds(10)

    /// Builds the attempt at `now` (unix milliseconds) for `destination` (DESIGN §7).
    ///
    /// - Body, by `destination.body`:
    ///   - `envelope`: `envelope` as is, `Content-Type: application/json`;
    ///   - `data`: the bytes of the envelope's `data` value, spliced out unchanged (`null` if it has none),
    ///     `Content-Type: application/json`;
    ///   - `raw`: `rawBody` unchanged, with the original `Content-Type` (none if there was none) and the original
    ///     header fields allowed by ``isForwardedInRawMode(_:)``, in their original order.
    /// - Always: `User-Agent: hookrelay/<version>` and `Idempotency-Key: <event id>:<destination name>` (the same
    ///   for every attempt, so a receiver can drop duplicates).
    /// - Standard Webhooks headers: `webhook-id: <event id>`, `webhook-timestamp: <now in unix seconds>` and, when
    ///   `signingSecret` is set, `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. The key
    ///   is the secret without an optional `whsec_` prefix, base64-decoded, as the Standard Webhooks and Svix
    ///   libraries do; a secret that is not valid base64 is used as its raw UTF-8 bytes instead (so a plain
    ///   passphrase still signs, and a receiver that HMACs with the passphrase verifies it).
    ///   In `raw` mode, when the original request carries any `webhook-id`, `webhook-timestamp` or
    ///   `webhook-signature` (a Standard Webhooks provider), those are forwarded as received and hookrelay adds
    ///   none of the three: the point of `raw` is that the receiver verifies the provider.
    /// - `auth`: `Authorization: Bearer <token>`, `Authorization: Basic base64(user:password)`, or the custom
    ///   header. A forwarded header of the same name is dropped.
    public static func make(eventID: String, envelope: [UInt8], rawHeaders: [UInt8], rawBody: [UInt8],
                            destination: DestinationSettings, now: Int64) -> OutboundRequest {
        var headers: [(name: String, value: String)] = []
        let body: [UInt8]
        var forwardsStandardWebhooksHeaders = false
        switch destination.body {
        case .envelope:
            body = envelope
            headers.append(("Content-Type", "application/json"))
        case .data:
            body = envelope.withUnsafeBytes { bytes in
                RawJSON.range(of: ["data"], in: bytes).map { Array(bytes[$0]) } ?? Array("null".utf8)
            }
            headers.append(("Content-Type", "application/json"))
        case .raw:
            body = rawBody
            let customAuthName = destination.auth.flatMap { auth -> String? in
                if case .header(let name, _) = auth { return name.lowercased() }
                return nil
            }
            for field in RawHeaderFields(rawHeaders) {
                let lowered = field.name.lowercased()
                guard isForwardedInRawMode(lowered), lowered != customAuthName else { continue }
                if standardWebhooksHeaderNames.contains(lowered) { forwardsStandardWebhooksHeaders = true }
                headers.append(field)
            }
        }
        headers.append(("User-Agent", "hookrelay/\(hookrelayVersion)"))
        headers.append(("Idempotency-Key", "\(eventID):\(destination.name)"))
        if !forwardsStandardWebhooksHeaders {
            let timestamp = String(now / 1000)
            headers.append(("webhook-id", eventID))
            headers.append(("webhook-timestamp", timestamp))
            if let secret = destination.signingSecret {
                let signature = standardWebhooksSignature(secret: secret, id: eventID, timestamp: timestamp, body: body)
                headers.append(("webhook-signature", signature))
            }
        }
        switch destination.auth {
        case .bearer(let token)?:
            headers.append(("Authorization", "Bearer \(token.text)"))
        case .basic(let username, let password)?:
            headers.append(("Authorization", "Basic \(Base64.encode(Array(username.utf8) + [UInt8(ascii: ":")] + password.bytes))"))
        case .header(let name, let value)?:
            headers.append((name, value.text))
        case nil:
            break
        }
        return OutboundRequest(url: destination.url, headers: headers, body: body, timeout: destination.timeout,
                               connectTimeout: min(destination.timeout, defaultConnectTimeout),
                               insecureSkipVerify: destination.insecureSkipVerify)
    }

    /// `v1,<base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))>`, the key derived from `secret` as described in
    /// ``make(eventID:envelope:rawHeaders:rawBody:destination:now:)``.
    public static func standardWebhooksSignature(secret: Secret, id: String, timestamp: String, body: [UInt8]) -> String {
        let key = standardWebhooksKey(secret)
        // An empty key cannot happen: secrets are non-empty and a decoded secret is only used when non-empty.
        guard let hmac = try? HMACKey(algorithm: .sha256, key: key) else { preconditionFailure("HMAC key rejected") }
        return "v1," + Base64.encode(hmac.authenticationCode(for: id, ".", timestamp, ".", body))
    }

    /// The HMAC key bytes of a signing secret: base64 after an optional `whsec_`, else the raw bytes.
    static func standardWebhooksKey(_ secret: Secret) -> [UInt8] {
        var encoded = secret.bytes[...]
        if encoded.starts(with: "whsec_".utf8) { encoded = encoded.dropFirst(6) }
        if let decoded = Base64.decode(encoded), !decoded.isEmpty { return decoded }
        return secret.bytes
    }

    static let standardWebhooksHeaderNames: Set<String> = ["webhook-id", "webhook-timestamp", "webhook-signature"]

    /// Original header fields (lowercased names) that `raw` mode never forwards: hop-by-hop and framing fields that
    /// describe the inbound connection, fields libcurl or hookrelay set (`Host`, `Content-Length`, `User-Agent`,
    /// `Idempotency-Key`), the inbound request's credentials (`Authorization`, `Cookie`, proxy fields: a destination
    /// gets its own `auth`), and client-address fields that describe the path to hookrelay, not to the destination.
    static let headersNotForwarded: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te", "trailer",
        "upgrade", "expect", "accept-encoding", "user-agent", "idempotency-key", "authorization", "proxy-authorization",
        "cookie", "forwarded", "via", "x-real-ip",
    ]

    /// Whether `raw` mode forwards an original header field (lowercased `name`).
    ///
    /// Every field except ``headersNotForwarded`` and `X-Forwarded-*`: a deny-list, because the fields a receiver
    /// needs to verify a provider differ for each of the many providers (`Stripe-Signature`, `X-Hub-Signature-256`
    /// with `X-GitHub-Event`, `X-Twilio-Signature`, `X-Slack-Signature` with `X-Slack-Request-Timestamp`,
    /// `svix-*`, `webhook-*`, token headers such as `X-Gitlab-Token`, …) and an allow-list would silently drop
    /// some of them.
    public static func isForwardedInRawMode(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return !headersNotForwarded.contains(lowered) && !lowered.hasPrefix("x-forwarded-")
    }
}

/// The field lines of a raw header section (`name: value\r\n` each, as received), as name/value pairs.
///
/// Lines without a colon, names that are not tokens, and values that are not UTF-8 or hold control characters
/// other than tab are skipped: they cannot be sent on unchanged.
struct RawHeaderFields: Sequence {
    let raw: [UInt8]

    init(_ raw: [UInt8]) {
        self.raw = raw
    }

    func makeIterator() -> AnyIterator<(name: String, value: String)> {
        var lines = raw.split(separator: 10, omittingEmptySubsequences: true).makeIterator()
        return AnyIterator {
            while var line = lines.next() {
                if line.last == 13 { line = line.dropLast() }
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
                let name = line[line.startIndex..<colon]
                var value = line[(colon + 1)...]
                while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
                while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
                guard !name.isEmpty, name.allSatisfy(isTokenByte),
                      value.allSatisfy({ $0 >= 32 && $0 != 127 || $0 == 9 }),
                      let text = String(validating: value, as: UTF8.self) else { continue }
                return (String(decoding: name, as: UTF8.self), text)
            }
            return nil
        }
    }
}

/// RFC 9110 tchar.
func isTokenByte(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(c)
}
