import HTTPServer

/// Calendly (API v2 webhook subscriptions): `Calendly-Webhook-Signature: t=<unix>,v1=<hex>` — HMAC-SHA256 of
/// `"{t}.{raw body}"` with the webhook signing key. Tolerance default 3 minutes (Calendly's own sample), for old
/// timestamps only. No handshake.
public enum CalendlyPreset: ProviderPreset {
    public static let name = "calendly"
    public static let optionKeys: [String] = []
    static let defaultTolerance: Duration = .seconds(180)

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        GroupA.factory(CalendlyProvider.self, settings, source: source, decoder: &decoder,
                       hint: "the webhook signing key: the signing_key you set on the subscription, or your OAuth app's key",
                       defaultTolerance: defaultTolerance)
    }
}

final class CalendlyProvider: GroupA.TimestampProvider {
    private let keys: [HMACKey]
    private let tolerance: GroupA.Tolerance

    /// `clock` is now in unix milliseconds.
    init(secrets: [Secret], tolerance: Duration, clock: @escaping () -> Int64 = WallClock.unixMilliseconds) {
        keys = GroupA.keys(secrets, .sha256)
        self.tolerance = GroupA.Tolerance(duration: tolerance, clock: clock)
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        let name = "Calendly-Webhook-Signature"
        let header = try GroupA.header(name, in: request)
        var timestamp: Substring?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw .malformedHeader(name) }
            switch pair[0].trimmingASCIISpaces() {
            case "t":
                guard timestamp == nil else { throw .malformedHeader(name) }
                timestamp = pair[1].trimmingASCIISpaces()
            case "v1": signatures.append(Hex.decode(pair[1].trimmingASCIISpaces()) ?? [])  // not hex: present, never matches
            default: break  // other schemes are ignored
            }
        }
        guard let timestamp, let seconds = GroupA.unixTimestamp(timestamp), timestamp.utf8.count <= 10 else {
            throw .malformedHeader(name)
        }
        guard !signatures.isEmpty else { throw VerificationFailure("missing_signature", "no v1 signature in \(name)") }
        guard signatures.contains(where: { GroupA.matchingKey(keys, $0, timestamp, ".", request.body) != nil }) else {
            throw .noMatch(secrets: keys.count)
        }
        try tolerance.check(seconds * 1000, bothWays: false)
    }

    /// Type `event` (`invitee.created`), time `created_at`, subject `payload.uri` (the invitee or submission). Calendly
    /// sends no event id; one resource gets one event of each type, so the id is `<event>:<payload.uri>`.
    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let body = request.body
        let root = try GroupA.rootObject(body)
        guard let event = GroupA.string(["event"], in: root, of: body), !event.isEmpty else {
            throw NormalizationFailure("body has no event")
        }
        let uri = GroupA.string(["payload", "uri"], in: root, of: body)
        let time = GroupA.rfc3339(["created_at"], in: root, of: body)
        return .events([NormalizedEvent(type: event, providerEventID: uri.map { "\(event):\($0)" } ?? Payload.bodyHash(body),
                                        time: time, subject: uri, data: Array(body[root]))], acknowledgement: nil)
    }
}

extension CalendlyPreset: SamplingPreset {
    public static let sampleEventTypes = ["invitee.created", "invitee.canceled", "routing_form_submission.created"]

    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let seconds = request.now / 1000
        let created = RFC3339.string(fromUnixMilliseconds: request.now)
        let start = RFC3339.string(fromUnixSeconds: seconds + 86_400)
        let end = RFC3339.string(fromUnixSeconds: seconds + 88_200)
        let event = "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2"
        let payload: String
        if type == "routing_form_submission.created" {
            payload = #"{"uri":"https://api.calendly.com/routing_form_submissions/\#(request.nonce)","#
                + #""routing_form":"https://api.calendly.com/routing_forms/AAAAAAAAAAAAAAAA","#
                + #""questions_and_answers":[{"question_uuid":"1","question":"Name","answer":"Jürgen Müller"}],"#
                + #""submitter":null,"submitter_type":null,"result":{"type":"event_type","value":"https://api.calendly.com/event_types/AAAA"},"#
                + #""created_at":"\#(created)","updated_at":"\#(created)"}"#
        } else {
            let canceled = type == "invitee.canceled"
            payload = #"{"uri":"\#(event)/invitees/\#(request.nonce)","email":"jurgen@example.com","name":"Jürgen Müller","#
                + #""status":"\#(canceled ? "canceled" : "active")","timezone":"Europe/Berlin","event":"\#(event)","#
                + #""scheduled_event":{"uri":"\#(event)","name":"15 Minute Meeting","status":"\#(canceled ? "canceled" : "active")","#
                + #""start_time":"\#(start)","end_time":"\#(end)"},"rescheduled":false,"#
                + #""cancel_url":"https://calendly.com/cancellations/\#(request.nonce)","#
                + #""reschedule_url":"https://calendly.com/reschedulings/\#(request.nonce)","#
                + #""created_at":"\#(created)","updated_at":"\#(created)"}"#
        }
        let body = #"{"created_at":"\#(created)","created_by":"https://api.calendly.com/users/AAAAAAAAAAAAAAAA","#
            + #""event":"\#(type)","payload":\#(payload)}"#
        let bytes = Array(body.utf8)
        let mac = Hex.encode(try GroupA.sampleKey(request.secret, .sha256).authenticationCode(for: "\(seconds)", ".", bytes))
        return SampleWebhook(headers: [("Content-Type", "application/json; charset=utf-8"),
                                       ("Calendly-Webhook-Signature", "t=\(seconds),v1=\(mac)")], body: bytes)
    }
}
