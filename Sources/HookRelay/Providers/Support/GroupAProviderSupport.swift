import HTTPServer

/// Helpers shared by the group A presets (`github meta shopify slack zoom calendly razorpay linear intercom bitbucket
/// jira`): reading signature headers strictly, checking every rotated secret, timestamp tolerance, configure-time
/// checks, and field lookups inside one JSON value of a body (a batch item).
enum GroupA {
    // MARK: Keys and signatures

    /// One keyed HMAC context per configured secret, the secret's bytes used as is (every group A provider uses its
    /// secret verbatim). Resolved secrets are never empty, so the contexts never fail.
    static func keys(_ secrets: [Secret], _ digest: DigestAlgorithm) -> [HMACKey] {
        secrets.map { try! HMACKey(algorithm: digest, key: $0.bytes) }
    }

    /// The single value of header `name`: missing → `missing_signature`; sent twice → `malformed_signature` (two
    /// signature headers are never legitimate, and choosing one would let a proxy and hookrelay disagree).
    static func header(_ name: String, in request: WebhookRequest) throws(VerificationFailure) -> String {
        let values = request.headers.values(name)
        guard let value = values.first else { throw .missingHeader(name) }
        guard values.count == 1 else { throw .malformedHeader(name) }
        return value
    }

    /// The MAC in `<prefix><hex>`, exactly `length` bytes; nil if the prefix, the digits or the length are wrong.
    /// The prefix compares case-insensitively (`sha256=`, `SHA256=`), the hex digits in either case.
    static func hexMAC(_ value: String, prefix: String, length: Int) -> [UInt8]? {
        let trimmed = Substring(value).trimmingASCIISpaces()
        guard trimmed.utf8.count == prefix.utf8.count + 2 * length,
              trimmed.prefix(prefix.count).lowercased() == prefix.lowercased(),
              let mac = Hex.decode(trimmed.dropFirst(prefix.count)), mac.count == length else { return nil }
        return mac
    }

    /// The MAC in base64 (padding required), exactly `length` bytes; nil otherwise.
    static func base64MAC(_ value: String, length: Int) -> [UInt8]? {
        guard let mac = Base64.decode(Substring(value).trimmingASCIISpaces()), mac.count == length else { return nil }
        return mac
    }

    /// The index of the first key whose MAC of the concatenated `parts` is `mac` (compared in constant time).
    static func matchingKey<each Part: MessageBytes>(_ keys: [HMACKey], _ mac: [UInt8], _ parts: repeat each Part) -> Int? {
        for (index, key) in keys.enumerated() where key.isValidAuthenticationCode(mac, for: repeat each parts) {
            return index
        }
        return nil
    }

    /// Throws `bad_signature` unless one of `keys` produced `mac` over `parts`.
    static func requireMatch<each Part: MessageBytes>(_ keys: [HMACKey], _ mac: [UInt8], _ parts: repeat each Part) throws(VerificationFailure) {
        guard matchingKey(keys, mac, repeat each parts) != nil else { throw .noMatch(secrets: keys.count) }
    }

    /// A signature that is an HMAC of the raw body alone, in one header sent once: `<prefix><hex>` (Bitbucket, Jira,
    /// Razorpay, Intercom, Linear, GitHub) or base64 (Shopify). Any configured secret may match.
    struct BodySignature {
        /// How the MAC is written in the header.
        enum Encoding {
            /// Hex digits after `prefix`, read by ``GroupA/hexMAC(_:prefix:length:)``.
            case hex(prefix: String)
            /// Base64 with padding, read by ``GroupA/base64MAC(_:length:)``.
            case base64
        }

        /// The header that carries the MAC.
        let header: String
        let encoding: Encoding
        private let keys: [HMACKey]
        private let length: Int

        init(header: String, encoding: Encoding, secrets: [Secret], digest: DigestAlgorithm) {
            self.header = header
            self.encoding = encoding
            keys = GroupA.keys(secrets, digest)
            length = digest.outputByteCount
        }

        /// Missing or repeated header, a malformed MAC, or no secret whose MAC of the body matches: throws why.
        func verify(_ request: WebhookRequest) throws(VerificationFailure) {
            let value = try GroupA.header(header, in: request)
            let mac: [UInt8]? = switch encoding {
            case .hex(let prefix): GroupA.hexMAC(value, prefix: prefix, length: length)
            case .base64: GroupA.base64MAC(value, length: length)
            }
            guard let mac else { throw .malformedHeader(header) }
            try GroupA.requireMatch(keys, mac, request.body)
        }
    }

    // MARK: Timestamps

    /// A unix timestamp in decimal digits only (no sign, no spaces), at most 13 digits (milliseconds until year
    /// 2286); nil otherwise.
    static func unixTimestamp(_ text: some StringProtocol) -> Int64? {
        asciiDecimal(text.utf8, maxDigits: 13)
    }

    /// A source's timestamp tolerance and the clock it is measured against (Slack, Zoom, Calendly, Linear).
    struct Tolerance {
        /// How far from now a timestamp may be.
        let duration: Duration
        /// Now, in unix milliseconds.
        let clock: () -> Int64

        /// Throws `stale_timestamp` when `timestamp` (ms) is older than `now - duration`, or, with `bothWays`, newer
        /// than `now + duration`. The reason says by how many whole seconds.
        func check(_ timestamp: Int64, bothWays: Bool) throws(VerificationFailure) {
            let allowed = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
            let age = clock() &- timestamp
            if age > allowed { throw .timestampOutsideTolerance(by: max(1, (age - allowed + 999) / 1000)) }
            if bothWays, -age > allowed { throw .timestampOutsideTolerance(by: max(1, (-age - allowed + 999) / 1000)) }
        }
    }

    /// Slack's and Zoom's scheme: `<signature header>: v0=<hex>`, the HMAC-SHA256 of `v0:{timestamp}:{raw body}`,
    /// where the timestamp header is unix seconds (at most 10 digits) that must be within the tolerance both ways.
    struct V0Signature {
        /// The header with `v0=<hex>`.
        let signatureHeader: String
        /// The header with the signed timestamp.
        let timestampHeader: String
        /// One per configured secret, in order.
        let keys: [HMACKey]
        let tolerance: Tolerance

        init(signatureHeader: String, timestampHeader: String, secrets: [Secret], tolerance: Tolerance) {
            self.signatureHeader = signatureHeader
            self.timestampHeader = timestampHeader
            keys = GroupA.keys(secrets, .sha256)
            self.tolerance = tolerance
        }

        /// Checks the headers, the MAC and the timestamp, in that order; throws why not.
        func verify(_ request: WebhookRequest) throws(VerificationFailure) {
            let (mac, timestamp, seconds) = try parse(request)
            try GroupA.requireMatch(keys, mac, "v0:", timestamp, ":", request.body)
            try tolerance.check(seconds * 1000, bothWays: true)
        }

        /// The index in ``keys`` of the secret that signed `request`; nil when none did or the headers do not parse.
        func signingKeyIndex(of request: WebhookRequest) -> Int? {
            guard let parsed = try? parse(request) else { return nil }
            return GroupA.matchingKey(keys, parsed.mac, "v0:", parsed.timestamp, ":", request.body)
        }

        /// The signature and timestamp headers, parsed; throws why not.
        private func parse(_ request: WebhookRequest) throws(VerificationFailure) -> (mac: [UInt8], timestamp: String, seconds: Int64) {
            let signature = try GroupA.header(signatureHeader, in: request)
            let timestamp = try GroupA.header(timestampHeader, in: request)
            guard let seconds = GroupA.unixTimestamp(timestamp), timestamp.utf8.count <= 10 else {
                throw .malformedHeader(timestampHeader)
            }
            guard let mac = GroupA.hexMAC(signature, prefix: "v0=", length: 32) else { throw .malformedHeader(signatureHeader) }
            return (mac, timestamp, seconds)
        }
    }

    // MARK: Configuration

    /// The common checks of a body-signing group A preset: at least one secret (with `hint` saying where to find
    /// it), and a warning when `tolerance` is set although the provider signs no timestamp.
    static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder, hint: String,
                          signsTimestamp: Bool) -> Bool {
        if !signsTimestamp, settings.tolerance != nil {
            decoder.warning("\(settings.provider) signs no timestamp: tolerance is not used",
                            at: source["tolerance"]?.position ?? source.position, path: source.path.appending("tolerance"))
        }
        return decoder.requireSecrets(settings, of: source, "\(settings.provider) needs at least one secret (\(hint))")
    }

    /// A provider made from the source's secrets alone (its preset signs no timestamp).
    protocol SecretsProvider: Provider {
        init(secrets: [Secret])
    }

    /// A provider made from the source's secrets and timestamp tolerance; `clock` is now in unix milliseconds.
    protocol TimestampProvider: Provider {
        init(secrets: [Secret], tolerance: Duration, clock: @escaping () -> Int64)
    }

    /// Makes a ``SecretsProvider`` per event loop.
    struct SecretsFactory<Made: SecretsProvider>: ProviderFactory {
        let secrets: [Secret]
        func makeProvider(context: ProviderContext) -> any Provider { Made(secrets: secrets) }
    }

    /// Makes a ``TimestampProvider`` per event loop, on the wall clock.
    struct TimestampFactory<Made: TimestampProvider>: ProviderFactory {
        let secrets: [Secret]
        let tolerance: Duration
        func makeProvider(context: ProviderContext) -> any Provider {
            Made(secrets: secrets, tolerance: tolerance, clock: WallClock.unixMilliseconds)
        }
    }

    /// The factory of a preset that signs no timestamp, after the common checks (see
    /// ``configure(_:source:decoder:hint:signsTimestamp:)``); nil when they fail.
    static func factory<Made: SecretsProvider>(_ provider: Made.Type, _ settings: SourceSettings, source: ConfigObject,
                                               decoder: inout ConfigDecoder, hint: String) -> (any ProviderFactory)? {
        guard configure(settings, source: source, decoder: &decoder, hint: hint, signsTimestamp: false) else { return nil }
        return SecretsFactory<Made>(secrets: settings.secrets)
    }

    /// The factory of a preset that signs a timestamp, after the common checks; the source's `tolerance`, else
    /// `defaultTolerance`. Nil when the checks fail.
    static func factory<Made: TimestampProvider>(_ provider: Made.Type, _ settings: SourceSettings, source: ConfigObject,
                                                 decoder: inout ConfigDecoder, hint: String,
                                                 defaultTolerance: Duration) -> (any ProviderFactory)? {
        guard configure(settings, source: source, decoder: &decoder, hint: hint, signsTimestamp: true) else { return nil }
        return TimestampFactory<Made>(secrets: settings.secrets, tolerance: settings.tolerance ?? defaultTolerance)
    }

    // MARK: JSON fields

    /// The range of the top-level JSON object of `body`, without surrounding whitespace; throws (answered 400) when
    /// the body is not one well-formed JSON object.
    static func rootObject(_ body: [UInt8]) throws(NormalizationFailure) -> Range<Int> {
        try Payload.validateJSON(body)
        let root = body.withUnsafeBytes { bytes -> Range<Int>? in
            guard let range = RawJSON.valueRange(in: bytes), RawJSON.kind(at: range, in: bytes) == .object else { return nil }
            return range
        }
        guard let root else { throw NormalizationFailure("body is not a JSON object") }
        return root
    }

    /// The string at `path` inside the value at `range` of `body`.
    static func string(_ path: [RawJSON.PathComponent], in range: Range<Int>, of body: [UInt8]) -> String? {
        body.withUnsafeBytes { bytes in
            RawJSON.range(of: path, inValueAt: range, in: bytes).flatMap { RawJSON.string(at: $0, in: bytes) }
        }
    }

    /// A string, or an integer as its literal text, at `path` inside the value at `range` (ids are sometimes numbers).
    static func identifier(_ path: [RawJSON.PathComponent], in range: Range<Int>, of body: [UInt8]) -> String? {
        body.withUnsafeBytes { bytes in
            guard let value = RawJSON.range(of: path, inValueAt: range, in: bytes) else { return nil }
            if let text = RawJSON.string(at: value, in: bytes) { return text.isEmpty ? nil : text }
            guard let number = RawJSON.number(at: value, in: bytes), number.int64Value != nil else { return nil }
            return number.text
        }
    }

    /// An integer (or a string of digits, as WhatsApp sends timestamps) at `path` inside the value at `range`.
    static func integer(_ path: [RawJSON.PathComponent], in range: Range<Int>, of body: [UInt8]) -> Int64? {
        body.withUnsafeBytes { bytes in
            guard let value = RawJSON.range(of: path, inValueAt: range, in: bytes) else { return nil }
            if let number = RawJSON.number(at: value, in: bytes) { return number.int64Value }
            return RawJSON.string(at: value, in: bytes).flatMap { unixTimestamp($0) }
        }
    }

    /// The RFC 3339 time at `path` inside the value at `range`, as unix milliseconds.
    static func rfc3339(_ path: [RawJSON.PathComponent], in range: Range<Int>, of body: [UInt8]) -> Int64? {
        string(path, in: range, of: body).flatMap { RFC3339.parse($0)?.milliseconds }
    }

    /// Unix seconds or milliseconds as milliseconds. Meta mixes both in `entry[].time` (Messenger sends ms, Graph
    /// `changes` seconds); any plausible date in seconds is below 10^11 (year 5138) and in ms above it (1973).
    static func milliseconds(fromSecondsOrMilliseconds value: Int64) -> Int64 {
        value < 100_000_000_000 ? value * 1000 : value
    }

    // MARK: Answers

    /// The answer to a signed ping (GitHub `ping`, Intercom `ping`, Bitbucket `diagnostics:ping`): 200, nothing stored.
    static let pong = HTTPResponse.json(200, #"{"ping":"ok"}"#)

    /// An empty 200, for providers that show or parse the body (Slack slash commands post a JSON body as a message).
    static var emptyOK: HTTPResponse { HTTPResponse(status: 200) }

    // MARK: Samples

    /// A keyed context for `hookrelay send`, from the operator's secret.
    static func sampleKey(_ secret: Secret, _ digest: DigestAlgorithm) throws(SampleError) -> HMACKey {
        do { return try HMACKey(algorithm: digest, key: secret.bytes) } catch { throw SampleError("unusable secret") }
    }

    /// A deterministic RFC 4122-shaped UUID (lowercase) made from a nonce, for sample delivery ids.
    static func sampleUUID(_ nonce: String) -> String {
        let hex = Hex.encode(Digest.hash(.sha256, nonce))
        let h = Array(hex.utf8)
        func part(_ range: Range<Int>) -> String { String(decoding: h[range], as: UTF8.self) }
        return "\(part(0..<8))-\(part(8..<12))-4\(part(13..<16))-a\(part(17..<20))-\(part(20..<32))"
    }
}
