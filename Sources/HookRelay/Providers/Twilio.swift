import HTTPServer

/// Twilio: `X-Twilio-Signature` = base64 HMAC-SHA1 (Auth Token) — or HMAC-SHA256 when
/// `X-Twilio-Webhooks-Signature-Settings: key=…,algorithm=HMAC_SHA256` says a SharedKey signed it — over the public
/// URL (query included) followed by every POST parameter as `name + value`, names sorted, a repeated name's values
/// sorted and de-duplicated (as Twilio's Python SDK). JSON bodies are not parameters: Twilio adds
/// `bodySHA256=<hex sha256 of the body>` to the URL and signs the URL alone; the body must match that hash. The URL is
/// tried as configured, without its port, and with the default port (Twilio is inconsistent about ports).
/// No timestamp: Twilio signatures carry no replay protection.
public enum TwilioPreset: ProviderPreset {
    public static let name = "twilio"
    public static let optionKeys: [String] = []

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let hasSecrets = decoder.requireSecrets(settings, of: source,
                                                "twilio needs at least one secret: the account's Auth Token (or a SharedKey secret)")
        let url = GroupB.requirePublicURL(settings, of: source, decoder: &decoder,
                                          "twilio signs the URL it calls: set publicURL to the webhook URL exactly as configured in Twilio")
        guard hasSecrets, url != nil else { return nil }
        return SecretsAndSplitFactory<TwilioProvider>(settings)
    }
}

final class TwilioProvider: SecretsAndSplitProvider {
    private let sha1Keys: [HMACKey]
    private let sha256Keys: [HMACKey]
    private let split: Bool

    init(secrets: [Secret], split: Bool = true) {
        sha1Keys = GroupB.keys(secrets, .sha1)
        sha256Keys = GroupB.keys(secrets, .sha256)
        self.split = split
    }

    /// Twilio calls webhooks with POST, or GET when a number is configured so (parameters then in the query).
    var allowedMethods: [String] { ["POST", "GET"] }

    static let signatureHeader = "X-Twilio-Signature"
    static let settingsHeader = "X-Twilio-Webhooks-Signature-Settings"

    /// The algorithm named in the signature settings header: HMAC-SHA1 when absent (the Auth Token scheme); nil for
    /// one this version does not know.
    static func algorithm(settings: String?) -> DigestAlgorithm? {
        var name = "HMAC_SHA1"
        for part in (settings ?? "").split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingASCIISpaces() == "algorithm", !pair[1].trimmingASCIISpaces().isEmpty {
                name = String(pair[1].trimmingASCIISpaces())
            }
        }
        switch name.uppercased() {
        case "HMAC_SHA1": return .sha1
        case "HMAC_SHA256": return .sha256
        default: return nil
        }
    }

    /// The parameters Twilio signs, in signing order: names sorted, each name's distinct values sorted.
    static func signedParameters(_ pairs: [(name: String, value: String)]) -> [(String, String)] {
        var valuesByName: [String: [String]] = [:]
        for (name, value) in pairs { valuesByName[name, default: []].append(value) }
        var result: [(String, String)] = []
        for name in valuesByName.keys.sorted(by: GroupB.codePointLess) {
            var seen: [String] = []
            for value in valuesByName[name]!.sorted(by: GroupB.codePointLess) where seen.last.map({ !$0.utf8.elementsEqual(value.utf8) }) ?? true {
                seen.append(value)
                result.append((name, value))
            }
        }
        return result
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        guard let header = request.headers[Self.signatureHeader] else { throw .missingHeader(Self.signatureHeader) }
        guard let algorithm = Self.algorithm(settings: request.headers[Self.settingsHeader]) else {
            throw VerificationFailure("malformed_signature", "unsupported algorithm in \(Self.settingsHeader)")
        }
        guard let signature = GroupB.base64Signature(header, algorithm) else { throw .malformedHeader(Self.signatureHeader) }
        let bodyHash = GroupB.queryValue("bodySHA256", in: request.query)
        var parameters: [(String, String)] = []
        if bodyHash == nil, request.method == "POST" {
            guard request.body.isEmpty || request.mediaType == "application/x-www-form-urlencoded" else {
                throw VerificationFailure("bad_signature", "body is not covered by the signature (no form, no bodySHA256)")
            }
            guard let pairs = try? FormURLEncoded.parse(request.body) else {
                throw VerificationFailure("malformed_body", "malformed form body", status: 400)
            }
            parameters = Self.signedParameters(pairs)
        }
        let keys = algorithm == .sha1 ? sha1Keys : sha256Keys
        var matched = false
        for url in GroupB.portVariants(of: request.publicURL) where !matched {
            matched = GroupB.matches(signature, keys: keys) { message in
                message.append(url)
                for (name, value) in parameters {
                    message.append(name)
                    message.append(value)
                }
            }
        }
        guard matched else { throw .noMatch(secrets: keys.count) }
        if let bodyHash {
            // The signature covers the URL and so this hash; the body must be the one hashed.
            guard constantTimeEquals(Hex.encode(Digest.hash(.sha256, request.body)), bodyHash) else {
                throw VerificationFailure("bad_signature", "body does not match bodySHA256")
            }
        }
    }

    /// The empty TwiML Twilio expects from a messaging or voice webhook that has nothing to say.
    static let emptyTwiML: HTTPResponse = HTTPResponse(
        status: 200, headers: HTTPHeaders([("Content-Type", "text/xml; charset=utf-8")]),
        body: Array(#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#.utf8))

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        if GroupB.queryValue("bodySHA256", in: request.query) != nil {
            return .events(try jsonEvents(request.body), acknowledgement: nil)
        }
        let source: [UInt8] = request.method == "GET" ? Array((request.query ?? "").utf8) : request.body
        guard let pairs = try? FormURLEncoded.parse(source) else { throw NormalizationFailure("malformed form body") }
        return .events([Self.formEvent(pairs, body: source)], acknowledgement: Self.emptyTwiML)
    }

    /// One event from a form (SMS/MMS, Voice, status callbacks, Conversations).
    static func formEvent(_ pairs: [(name: String, value: String)], body: [UInt8]) -> NormalizedEvent {
        func field(_ name: String) -> String? {
            pairs.first { $0.name == name }.map(\.value).flatMap { $0.isEmpty ? nil : $0 }
        }
        let type: String
        var id: String?
        let subject: String?
        if let eventType = field("EventType") {
            type = eventType
            subject = field("ConversationSid") ?? field("MessageSid") ?? field("ChannelSid")
        } else if let recording = field("RecordingSid") {
            let status = field("RecordingStatus")
            type = "recording." + (status ?? "event").lowercased()
            id = status.map { "\(recording):\($0)" }
            subject = recording
        } else if let message = field("MessageSid") ?? field("SmsSid") {
            let status = (field("MessageStatus") ?? field("SmsStatus") ?? "received").lowercased()
            type = "message.\(status)"
            id = "\(message):\(status)"  // status callbacks repeat the SID, once per status
            subject = message
        } else if let call = field("CallSid") {
            type = "call." + (field("CallStatus") ?? "event").lowercased()
            subject = call  // one call posts many requests in one status (gathers, redirects): no SID-based id
        } else {
            type = "webhook"
            subject = nil
        }
        let time = field("Timestamp").flatMap(GroupB.milliseconds(rfc2822:))
        return NormalizedEvent(type: type, providerEventID: id ?? Payload.bodyHash(body), time: time, subject: subject,
                               data: FormURLEncoded.jsonObject(pairs))
    }

    /// Events of a JSON body (`bodySHA256` requests, e.g. Event Streams webhook sinks: a CloudEvents array).
    private func jsonEvents(_ body: [UInt8]) throws(NormalizationFailure) -> [NormalizedEvent] {
        try Payload.validateJSON(body)
        guard GroupB.topLevelKind(body) == .array, let items = GroupB.elements(at: [], in: body) else {
            return [Self.jsonEvent(body, range: 0..<body.count)]
        }
        return GroupB.assemble(items.map { Self.jsonEvent(body, range: $0) }, split: split, batch: body)
    }

    private static func jsonEvent(_ body: [UInt8], range: Range<Int>) -> NormalizedEvent {
        let item = Array(body[range])
        let time = GroupB.identifier(["time"], in: body, item: range).flatMap(GroupB.milliseconds(iso:))
        return NormalizedEvent(type: GroupB.identifier(["type"], in: body, item: range) ?? "webhook",
                               providerEventID: GroupB.identifier(["id"], in: body, item: range) ?? Payload.bodyHash(item),
                               time: time, subject: GroupB.identifier(["subject"], in: body, item: range), data: item)
    }
}

extension TwilioPreset: SamplingPreset {
    public static let sampleEventTypes = ["message.received", "message.delivered", "call.completed"]

    /// An inbound SMS (or a status callback), signed with the Auth Token over `--url` and the sorted parameters.
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        let account = "AC" + String(repeating: "0", count: 32 - min(32, request.nonce.count)) + request.nonce.prefix(32)
        var pairs: [(name: String, value: String)]
        switch type {
        case "call.completed":
            pairs = [("AccountSid", account), ("ApiVersion", "2010-04-01"), ("CallDuration", "42"),
                     ("CallSid", "CA\(request.nonce)"), ("CallStatus", "completed"), ("Called", "+15017122661"),
                     ("Caller", "+14155552671"), ("Direction", "inbound"), ("From", "+14155552671"),
                     ("Timestamp", GroupB.rfc2822(unixSeconds: request.now / 1000)), ("To", "+15017122661")]
        case "message.delivered":
            pairs = [("AccountSid", account), ("ApiVersion", "2010-04-01"), ("From", "+15017122661"),
                     ("MessageSid", "SM\(request.nonce)"), ("MessageStatus", "delivered"), ("SmsSid", "SM\(request.nonce)"),
                     ("SmsStatus", "delivered"), ("To", "+14155552671")]
        default:
            pairs = [("AccountSid", account), ("ApiVersion", "2010-04-01"), ("Body", "Hello from hookrelay ✓ & co"),
                     ("From", "+14155552671"), ("FromCity", "SAN FRANCISCO"), ("MessageSid", "SM\(request.nonce)"),
                     ("NumMedia", "0"), ("NumSegments", "1"), ("SmsMessageSid", "SM\(request.nonce)"),
                     ("SmsSid", "SM\(request.nonce)"), ("SmsStatus", "received"), ("To", "+15017122661")]
        }
        let key: HMACKey
        do { key = try HMACKey(algorithm: .sha1, key: request.secret.bytes) } catch { throw SampleError("unusable secret") }
        let signature = key.authenticationCode { message in
            message.append(request.url)
            for (name, value) in TwilioProvider.signedParameters(pairs) {
                message.append(name)
                message.append(value)
            }
        }
        let body = pairs.map { "\(GroupB.formEncode($0.name))=\(GroupB.formEncode($0.value))" }.joined(separator: "&")
        return SampleWebhook(headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                                       ("X-Twilio-Signature", Base64.encode(signature))], body: Array(body.utf8))
    }
}
