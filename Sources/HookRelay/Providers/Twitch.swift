import HTTPServer

/// Twitch EventSub (webhook transport): `Twitch-Eventsub-Message-Signature: sha256=<hex>`, HMAC-SHA256 over
/// message id + timestamp + raw body with the subscription's secret (10–100 characters, used as is). Messages older
/// than 10 minutes are refused, as Twitch's guide says (and as far in the future: a clock that far off is an error).
///
/// `Twitch-Eventsub-Message-Type`: `webhook_callback_verification` is answered with the raw `challenge` as
/// `text/plain`; `notification` becomes an event of the subscription's type; `revocation` becomes a `revocation`
/// event (the subscription is gone: its `status` says why).
public enum TwitchPreset: ProviderPreset {
    public static let name = "twitch"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(600)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        guard decoder.requireSecrets(settings, of: source, "twitch needs at least one secret (the subscription's transport secret)") else {
            return nil
        }
        let nodes = source["secrets"]?.arrayValue ?? []
        for (index, secret) in settings.secrets.enumerated() where !(10...100).contains(secret.bytes.count) {
            decoder.warning("Twitch accepts secrets of 10 to 100 characters; this one has \(secret.bytes.count)",
                            at: nodes.count == settings.secrets.count ? nodes[index].position : source.position,
                            path: source.path.appending("secrets").appending(index: index))
        }
        return Factory(secrets: settings.secrets, tolerance: settings.tolerance ?? defaultTolerance)
    }

    struct Factory: ProviderFactory {
        let secrets: [Secret]
        let tolerance: Duration
        func makeProvider(context: ProviderContext) -> any Provider { TwitchProvider(secrets: secrets, tolerance: tolerance) }
    }
}

final class TwitchProvider: Provider {
    static let idHeader = "Twitch-Eventsub-Message-Id"
    static let timestampHeader = "Twitch-Eventsub-Message-Timestamp"
    static let signatureHeader = "Twitch-Eventsub-Message-Signature"
    static let typeHeader = "Twitch-Eventsub-Message-Type"

    private let keys: [HMACKey]
    private let toleranceMilliseconds: Int64
    private let clock: () -> Int64

    init(secrets: [Secret], tolerance: Duration, clock: @escaping () -> Int64 = WallClock.unixMilliseconds) {
        keys = secrets.map { try! HMACKey(algorithm: .sha256, key: $0.bytes) }  // non-empty keys never fail
        toleranceMilliseconds = tolerance.components.seconds * 1000
        self.clock = clock
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let id = request.headers.valueBytes(Self.idHeader) else { throw .missingHeader(Self.idHeader) }
        guard let timestamp = request.headers.valueBytes(Self.timestampHeader) else { throw .missingHeader(Self.timestampHeader) }
        guard let header = request.headers[Self.signatureHeader] else { throw .missingHeader(Self.signatureHeader) }
        guard header.hasPrefix("sha256="), let signature = Hex.decode(header.dropFirst(7)), signature.count == 32 else {
            throw .malformedHeader(Self.signatureHeader)
        }
        guard let time = EventFields.milliseconds(rfc3339: String(decoding: timestamp, as: UTF8.self)) else {
            throw .malformedHeader(Self.timestampHeader)
        }
        var matched = false
        for key in keys where constantTimeEquals(key.authenticationCode(for: id, timestamp, request.body), signature) { matched = true }
        guard matched else { throw .noMatch(secrets: keys.count) }
        let skew = abs(clock() - time)
        if skew > toleranceMilliseconds { throw .timestampOutsideTolerance(by: (skew - toleranceMilliseconds + 999) / 1000) }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try Payload.validateJSON(request.body)
        let body = request.body
        guard let messageType = request.headers[Self.typeHeader] else { throw NormalizationFailure("missing \(Self.typeHeader) header") }
        guard let id = request.headers[Self.idHeader] else { throw NormalizationFailure("missing \(Self.idHeader) header") }
        let time = request.headers[Self.timestampHeader].flatMap { EventFields.milliseconds(rfc3339: $0) }
        switch messageType {
        case "webhook_callback_verification":
            guard let challenge = Payload.string(["challenge"], in: body) else { throw NormalizationFailure("verification has no challenge") }
            return .handshake(HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: Array(challenge.utf8)))
        case "notification":
            guard let type = Payload.string(["subscription", "type"], in: body) else { throw NormalizationFailure("notification has no subscription.type") }
            let subject = Payload.identifier(["event", "broadcaster_user_id"], in: body)
                ?? Payload.identifier(["subscription", "condition", "broadcaster_user_id"], in: body)
                ?? Payload.identifier(["event", "user_id"], in: body)
            return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: subject, data: body)], acknowledgement: nil)
        default:  // `revocation`, and any type Twitch adds: kept, under the message type
            let subject = Payload.identifier(["subscription", "id"], in: body)
            return .events([NormalizedEvent(type: messageType, providerEventID: id, time: time, subject: subject, data: body)],
                           acknowledgement: nil)
        }
    }
}

extension TwitchPreset: SamplingPreset {
    public static let sampleEventTypes = ["channel.follow", "stream.online", "channel.subscribe", "webhook_callback_verification", "revocation"]

    /// Signed with `--secret` (the subscription's transport secret). `webhook_callback_verification` and `revocation`
    /// send those message types for `channel.follow`.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let requested = request.eventType ?? sampleEventTypes[0]
        let messageType = ["webhook_callback_verification", "revocation"].contains(requested) ? requested : "notification"
        let type = messageType == "notification" ? requested : "channel.follow"
        let created = RFC3339.string(fromUnixMilliseconds: request.now - 60_000)
        let status = ["notification": "enabled", "revocation": "authorization_revoked"][messageType] ?? "webhook_callback_verification_pending"
        let subscription = """
        "subscription":{"id":"\(request.nonce)","status":"\(status)","type":"\(type)","version":"\(type == "channel.follow" ? "2" : "1")",\
        "cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},\
        "transport":{"method":"webhook","callback":"\(request.url)"},"created_at":"\(created)"}
        """
        let body: String
        switch messageType {
        case "webhook_callback_verification":
            body = "{\"challenge\":\"pogchamp-kappa-\(request.nonce)\",\(subscription)}"
        case "revocation":
            body = "{\(subscription)}"
        default:
            body = """
            {\(subscription),"event":{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User",\
            "broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User",\
            "followed_at":"\(RFC3339.string(fromUnixMilliseconds: request.now))"}}
            """
        }
        let bytes = Array(body.utf8)
        let id = "\(request.nonce.prefix(8))-\(request.nonce.dropFirst(8).prefix(4))-\(request.nonce.dropFirst(12).prefix(4))"
        let timestamp = RFC3339.string(fromUnixMilliseconds: request.now).dropLast() + "000000Z"  // nanoseconds, as Twitch
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha256, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        let signature = "sha256=" + Hex.encode(key.authenticationCode(for: id, timestamp, bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json"), (TwitchProvider.idHeader, id),
                                       ("Twitch-Eventsub-Message-Retry", "0"), (TwitchProvider.typeHeader, messageType),
                                       (TwitchProvider.signatureHeader, signature), (TwitchProvider.timestampHeader, String(timestamp)),
                                       ("Twitch-Eventsub-Subscription-Type", type), ("Twitch-Eventsub-Subscription-Version", "2")],
                             body: bytes)
    }
}
