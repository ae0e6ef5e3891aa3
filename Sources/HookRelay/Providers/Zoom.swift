import HTTPServer

/// Zoom: `x-zm-signature: v0=<hex>` — HMAC-SHA256 of `"v0:{x-zm-request-timestamp}:{raw body}"` with the app's
/// Secret Token; the timestamp must be within the tolerance (default 5 minutes, both directions; Zoom mandates none).
/// The `endpoint.url_validation` challenge (signed like any event, sent when the URL is saved and every 72 hours) is
/// answered `{"plainToken":p,"encryptedToken":hex(HMAC-SHA256(secret token, p))}`, with the secret that signed it.
public enum ZoomPreset: ProviderPreset {
    public static let name = "zoom"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(300)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(ZoomProvider.self, settings, source: source, decoder: &decoder,
                       hint: "the app's Secret Token from Features → Access → Event Subscriptions",
                       defaultTolerance: defaultTolerance)
    }
}

final class ZoomProvider: GroupA.TimestampProvider {
    private let signature: GroupA.V0Signature

    /// `clock` is now in unix milliseconds.
    init(secrets: [Secret], tolerance: Duration, clock: @escaping () -> Int64 = WallClock.unixMilliseconds) {
        signature = GroupA.V0Signature(signatureHeader: "x-zm-signature", timestampHeader: "x-zm-request-timestamp",
                                       secrets: secrets, tolerance: GroupA.Tolerance(duration: tolerance, clock: clock))
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        try signature.verify(request)
    }

    /// Type `event` (`meeting.started`), time `event_ts` (ms), subject `payload.object.id` (else its `uuid`). Zoom
    /// sends no event id and `x-zm-trackingid` is not documented as stable across retries, so the id is the body's hash:
    /// retries resend the same body (only the signature timestamp changes).
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let event = GroupA.string(["event"], in: root, of: body), !event.isEmpty else {
            throw NormalizationFailure("body has no event")
        }
        if event == "endpoint.url_validation" {
            guard let plainToken = GroupA.string(["payload", "plainToken"], in: root, of: body),
                  (1...1024).contains(plainToken.utf8.count) else {
                throw NormalizationFailure("endpoint.url_validation without payload.plainToken")
            }
            let index = signature.signingKeyIndex(of: request) ?? 0
            var json = Array(#"{"plainToken":"#.utf8)
            JSONString.appendQuoted(plainToken, to: &json)
            json += Array(#","encryptedToken":""#.utf8)
            json += Array(Hex.encode(signature.keys[index].authenticationCode(for: plainToken)).utf8)
            json += Array(#""}"#.utf8)
            return .handshake(HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: json))
        }
        let time = GroupA.integer(["event_ts"], in: root, of: body)
        let subject = GroupA.identifier(["payload", "object", "id"], in: root, of: body)
            ?? GroupA.string(["payload", "object", "uuid"], in: root, of: body)
        return .events([NormalizedEvent(type: event, providerEventID: Payload.bodyHash(body), time: time, subject: subject,
                                        data: Array(body[root]))], acknowledgement: nil)
    }
}

extension ZoomPreset: SamplingPreset {
    public static let sampleEventTypes = ["meeting.started", "meeting.ended", "recording.completed", "endpoint.url_validation"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let seconds = request.now / 1000
        let meetingID = 80_000_000_000 + request.now % 1_000_000_000
        let body: String
        if type == "endpoint.url_validation" {
            body = #"{"payload":{"plainToken":"\#(request.nonce)"},"event_ts":\#(request.now),"event":"endpoint.url_validation"}"#
        } else {
            body = #"{"event":"\#(type)","event_ts":\#(request.now),"payload":{"account_id":"AAAAAABBBB","object":{"#
                + #""id":\#(meetingID),"uuid":"\#(request.nonce)==","host_id":"x1yCzABCDEfg23HiJKl4mN","#
                + #""topic":"Planung K\u00f6ln","type":2,"start_time":"\#(RFC3339.string(fromUnixSeconds: seconds))","#
                + #""duration":30,"timezone":"Europe/Berlin"}}}"#
        }
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: "v0:", "\(seconds)", ":", bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json"), ("x-zm-request-timestamp", "\(seconds)"),
                                       ("x-zm-signature", "v0=" + mac), ("x-zm-trackingid", "v=2.0&s=\(request.nonce)")],
                             body: bytes)
    }
}
