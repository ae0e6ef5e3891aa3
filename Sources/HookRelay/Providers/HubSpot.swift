import HTTPServer

/// HubSpot request signatures, all keyed with the app's client secret:
/// - **v3** `X-HubSpot-Signature-v3` = base64 HMAC-SHA256(`METHOD + URI + body + X-HubSpot-Request-Timestamp`), the
///   timestamp in unix ms, rejected when older than the tolerance (default 5 minutes; future ones accepted, as
///   HubSpot's SDK). URI = `publicURL` with `%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B` decoded.
/// - **v2** `X-HubSpot-Signature` (`X-HubSpot-Signature-Version: v2`) = hex SHA-256(`secret + METHOD + URI + body`).
/// - **v1** the same with `v1` = hex SHA-256(`secret + body`) (no URL, no timestamp).
///
/// When a request has a v3 signature only v3 is checked; otherwise v1/v2 as the version header says. The option
/// `signatureVersions` (default `["v1","v2","v3"]`) lists the versions accepted: `["v3"]` refuses replays of old
/// signatures. Webhooks API deliveries are JSON arrays of events, split into one envelope each.
public enum HubSpotPreset: ProviderPreset {
    public static let name = "hubspot"
    public static let optionKeys = ["signatureVersions"]
    static let defaultTolerance: Duration = .seconds(300)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let errorsBefore = decoder.diagnostics.filter(\.isError).count
        let versions = decoder.optional("signatureVersions", in: source, as: .array(of: .oneOf(["v1", "v2", "v3"]), minCount: 1))
            ?? ["v1", "v2", "v3"]
        let hasSecrets = decoder.requireSecrets(settings, of: source, "hubspot needs at least one secret: the app's client secret")
        var url: String? = settings.publicURL
        if versions != ["v1"] {
            url = GroupB.requirePublicURL(settings, of: source, decoder: &decoder,
                                          "hubspot v2/v3 signatures cover the URL: set publicURL to the app's target URL exactly")
        }
        guard hasSecrets, url != nil || versions == ["v1"], decoder.diagnostics.filter(\.isError).count == errorsBefore else { return nil }
        return Factory(secrets: settings.secrets, versions: Set(versions), tolerance: settings.tolerance ?? defaultTolerance,
                       split: settings.split)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let versions: Set<String>
        let tolerance: Duration
        let split: Bool
        func makeProvider(context: ProviderContext) -> any Provider {
            HubSpotProvider(secrets: secrets, versions: versions, tolerance: tolerance, split: split)
        }
    }
}

final class HubSpotProvider: Provider {
    private let secrets: [Secret]
    private let keys: [HMACKey]
    private let versions: Set<String>
    private let toleranceMilliseconds: Int64
    private let split: Bool
    private let clock: () -> Int64

    init(secrets: [Secret], versions: Set<String> = ["v1", "v2", "v3"], tolerance: Duration = .seconds(300), split: Bool = true,
         clock: @escaping () -> Int64 = WallClock.unixMilliseconds) {
        self.secrets = secrets
        keys = GroupB.keys(secrets, .sha256)
        self.versions = versions
        toleranceMilliseconds = tolerance.components.seconds * 1000
        self.split = split
        self.clock = clock
    }

    static let v3Header = "X-HubSpot-Signature-v3"
    static let timestampHeader = "X-HubSpot-Request-Timestamp"
    static let header = "X-HubSpot-Signature"
    static let versionHeader = "X-HubSpot-Signature-Version"

    /// The URI v3 signs: `url` with HubSpot's listed escapes decoded (either case of hex digit); others stay.
    static func v3URI(_ url: String) -> String {
        let decoded: [String: String] = ["3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$", "27": "'",
                                         "28": "(", "29": ")", "2A": "*", "2C": ",", "3B": ";"]
        guard url.contains("%") else { return url }
        var output = ""
        var rest = Substring(url)
        while let percent = rest.firstIndex(of: "%") {
            output += rest[..<percent]
            let code = rest[rest.index(after: percent)...].prefix(2)
            if code.count == 2, let character = decoded[code.uppercased()] {
                output += character
                rest = rest[rest.index(percent, offsetBy: 3)...]
            } else {
                output += "%"
                rest = rest[rest.index(after: percent)...]
            }
        }
        return output + rest
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        if versions.contains("v3"), let value = request.headers[Self.v3Header] {
            guard let timestamp = request.headers[Self.timestampHeader] else { throw .missingHeader(Self.timestampHeader) }
            guard let signature = GroupB.base64Signature(value, .sha256) else { throw .malformedHeader(Self.v3Header) }
            guard let milliseconds = Int64(timestamp), timestamp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw .malformedHeader(Self.timestampHeader)
            }
            let uri = Self.v3URI(request.publicURL)
            guard GroupB.matches(signature, keys: keys, { message in
                message.append(request.method)
                message.append(uri)
                message.append(request.body)
                message.append(timestamp)
            }) else { throw .noMatch(secrets: keys.count) }
            let age = clock() - milliseconds
            if age > toleranceMilliseconds { throw .timestampOutsideTolerance(by: (age - toleranceMilliseconds + 999) / 1000) }
            return
        }
        let legacy = versions.subtracting(["v3"])
        guard !legacy.isEmpty, let value = request.headers[Self.header] else {
            throw .missingHeader(versions.contains("v3") ? Self.v3Header : Self.header)
        }
        let version = request.headers[Self.versionHeader] ?? ""
        guard version == "v1" || version == "v2" else { throw .malformedHeader(Self.versionHeader) }
        guard legacy.contains(version) else {
            throw VerificationFailure("bad_signature", "signature version \(version) is not accepted by this source")
        }
        guard let signature = GroupB.hexSignature(value, .sha256) else { throw .malformedHeader(Self.header) }
        var matched = false
        for secret in secrets {
            let digest = version == "v1"
                ? Digest.hash(.sha256, secret.bytes, request.body)
                : Digest.hash(.sha256, secret.bytes, request.method, request.publicURL, request.body)
            if constantTimeEquals(digest, signature) { matched = true }
        }
        guard matched else { throw .noMatch(secrets: secrets.count) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        try Payload.validateJSON(body)
        guard GroupB.topLevelKind(body) == .array else {
            return .events([Self.event(body, range: body.withUnsafeBytes { RawJSON.valueRange(in: $0) } ?? 0..<body.count)],
                           acknowledgement: nil)
        }
        let events = (GroupB.elements(at: [], in: body) ?? []).map { Self.event(body, range: $0) }
        return .events(GroupB.assemble(events, split: split, batch: body), acknowledgement: nil)
    }

    /// One Webhooks API event (`eventId`, `subscriptionId`, `subscriptionType`, `occurredAt` ms, `objectId`, …).
    static func event(_ body: [UInt8], range: Range<Int>) -> NormalizedEvent {
        func field(_ name: String) -> String? { GroupB.identifier([.key(name)], in: body, item: range) }
        let item = Array(body[range])
        // eventId is documented as the event's id; with the subscription it cannot collide across subscriptions.
        // Retries repeat both (only attemptNumber changes), so they deduplicate.
        var id = Payload.bodyHash(item)
        if let eventID = field("eventId") { id = field("subscriptionId").map { "\($0):\(eventID)" } ?? eventID }
        return NormalizedEvent(type: field("subscriptionType") ?? field("eventType") ?? "webhook", providerEventID: id,
                               time: GroupB.integer(["occurredAt"], in: body, item: range), subject: field("objectId"), data: item)
    }
}

extension HubSpotPreset: SamplingPreset {
    public static let sampleEventTypes = ["contact.creation", "contact.propertyChange", "deal.creation", "company.deletion"]

    /// A Webhooks API batch of one event, with v1 and v3 signatures as HubSpot sends them (v3 over `--url`).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let eventID = 1_000_000_000 + request.now % 1_000_000_000
        var properties = ""
        if type.hasSuffix("propertyChange") { properties = #","propertyName":"firstname","propertyValue":"Zoë""# }
        let body = """
            [{"eventId":\(eventID),"subscriptionId":2874629,"portalId":62515,"appId":54321,"occurredAt":\(request.now - 1500),\
            "subscriptionType":"\(type)","attemptNumber":0,"objectId":\(request.now % 100_000_000)\(properties),\
            "changeSource":"CRM_UI","sourceId":"userId:45678"}]
            """
        let bytes = Array(body.utf8)
        let timestamp = String(request.now)
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        let v3 = key.authenticationCode(for: "POST", HubSpotProvider.v3URI(request.url), bytes, timestamp)
        return SampleWebhook(headers: [("Content-Type", "application/json"),
                                       ("X-HubSpot-Signature", Hex.encode(Digest.hash(.sha256, request.secret.bytes, bytes))),
                                       ("X-HubSpot-Signature-Version", "v1"),
                                       ("X-HubSpot-Signature-v3", Base64.encode(v3)), ("X-HubSpot-Request-Timestamp", timestamp)],
                             body: bytes)
    }
}
