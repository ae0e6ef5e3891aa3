import HTTPServer

/// `hmac`: a generic HMAC source for providers without a preset.
///
/// Options: `header` (required: the signature header), `algorithm` (`sha1`, `sha256` default, `sha512`), `encoding`
/// (`hex` default, `base64`), `prefix` (e.g. `sha256=`, stripped from the header value), `signedContent` (a template,
/// default `{body}`; placeholders `{body}` `{timestamp}` `{id}` `{url}` `{method}`), `timestampHeader`,
/// `timestampUnit` (`s` default, `ms`), `idHeader`, `secretEncoding` (`utf8` default, `hex`, `base64`), plus the
/// event fields of ``EventFieldOptions``. With `tolerance`, the timestamp must be within it in both directions.
public enum GenericHMACPreset: ProviderPreset {
    public static let name = "hmac"
    public static let optionKeys = ["header", "algorithm", "encoding", "prefix", "signedContent", "timestampHeader",
                                    "timestampUnit", "idHeader", "secretEncoding"] + EventFieldOptions.keys

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let errorsBefore = decoder.diagnostics.filter(\.isError).count
        let header = decoder.required("header", in: source, as: .nonEmptyString)
        let algorithm = decoder.optional("algorithm", in: source, as: .oneOf(["sha1", "sha256", "sha512"]), default: "sha256")
        let encoding = decoder.optional("encoding", in: source, as: .oneOf(["hex", "base64"]), default: "hex")
        let prefix = decoder.optional("prefix", in: source, as: .string, default: "")
        let timestampHeader = decoder.optional("timestampHeader", in: source, as: .nonEmptyString)
        let timestampUnit = decoder.optional("timestampUnit", in: source, as: .oneOf(["s", "ms"]), default: "s")
        let idHeader = decoder.optional("idHeader", in: source, as: .nonEmptyString)
        let secretEncoding = decoder.optional("secretEncoding", in: source, as: .oneOf(["utf8", "hex", "base64"]), default: "utf8")
        let fields = EventFieldOptions.decode(source, decoder: &decoder)
        var template: [SignedContentTemplate.Part] = [.body]
        if let text = decoder.optional("signedContent", in: source, as: .nonEmptyString), let node = source["signedContent"] {
            let path = source.path.appending("signedContent")
            switch SignedContentTemplate.parse(text) {
            case .success(let parts):
                template = parts
                if parts.contains(.timestamp) && timestampHeader == nil {
                    decoder.error("{timestamp} needs timestampHeader", at: node.position, path: path)
                }
                if parts.contains(.id) && idHeader == nil {
                    decoder.error("{id} needs idHeader", at: node.position, path: path)
                }
            case .failure(let error):
                decoder.error(error.message, at: node.position, path: path)
            }
        }
        if settings.tolerance != nil && timestampHeader == nil {
            decoder.error("tolerance needs timestampHeader", at: source["tolerance"]?.position ?? source.position,
                          path: source.path.appending("tolerance"))
        }
        let hasSecrets = decoder.requireSecrets(settings, of: source, "hmac needs at least one secret")
        // The file's secrets line up with the resolved ones only when all resolved (otherwise errors are reported).
        let secretNodes = source["secrets"]?.arrayValue ?? []
        var keys: [[UInt8]] = []
        for (index, secret) in settings.secrets.enumerated() {
            let key: [UInt8]?
            switch secretEncoding {
            case "hex": key = Hex.decode(secret.bytes)
            case "base64": key = Base64.decode(secret.bytes, padding: .optional)
            default: key = secret.bytes
            }
            guard let key, !key.isEmpty else {
                // When the lists do not line up, a secret failed to resolve: that error already rejects the config.
                if secretNodes.count == settings.secrets.count {
                    decoder.error("secret is not valid \(secretEncoding)", at: secretNodes[index].position,
                                  path: source.path.appending("secrets").appending(index: index))
                } else if secretNodes.isEmpty {
                    decoder.error("secret is not valid \(secretEncoding)", at: source.position,
                                  path: source.path.appending("secrets").appending(index: index))
                }
                continue
            }
            keys.append(key)
        }
        guard decoder.diagnostics.filter(\.isError).count == errorsBefore, hasSecrets, let header, let fields else { return nil }
        let digest: DigestAlgorithm = algorithm == "sha1" ? .sha1 : algorithm == "sha512" ? .sha512 : .sha256
        return Factory(configuration: GenericHMACProvider.Configuration(
            header: header, digest: digest, isBase64: encoding == "base64", prefix: prefix, template: template,
            timestampHeader: timestampHeader, timestampInMilliseconds: timestampUnit == "ms", idHeader: idHeader,
            tolerance: settings.tolerance, fields: fields), keys: keys)
    }

    struct Factory: ProviderFactory {
        let configuration: GenericHMACProvider.Configuration
        let keys: [[UInt8]]
        func makeProvider(context: ProviderContext) -> any Provider { GenericHMACProvider(configuration, keys: keys) }
    }
}

/// The signed-content template of a generic `hmac` source.
enum SignedContentTemplate {
    enum Part: Sendable, Equatable {
        case literal(String), body, timestamp, id, url, method
    }

    static func parse(_ text: String) -> Result<[Part], ConfigValueError> {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { return .failure(ConfigValueError("unclosed { in signedContent")) }
            let name = rest[rest.index(after: open)..<close]
            let part: Part
            switch name {
            case "body": part = .body
            case "timestamp": part = .timestamp
            case "id": part = .id
            case "url": part = .url
            case "method": part = .method
            default: return .failure(ConfigValueError("unknown placeholder {\(name)} in signedContent; use {body} {timestamp} {id} {url} {method}"))
            }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(part)
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        guard parts.contains(.body) else { return .failure(ConfigValueError("signedContent must include {body}")) }
        return .success(parts)
    }
}

final class GenericHMACProvider: Provider {
    struct Configuration: Sendable {
        let header: String
        let digest: DigestAlgorithm
        let isBase64: Bool
        let prefix: String
        let template: [SignedContentTemplate.Part]
        let timestampHeader: String?
        let timestampInMilliseconds: Bool
        let idHeader: String?
        let tolerance: Duration?
        let fields: EventFieldOptions
    }

    private let configuration: Configuration
    private let keys: [HMACKey]
    private let clock: () -> Int64

    init(_ configuration: Configuration, keys: [[UInt8]], clock: @escaping () -> Int64 = WallClock.unixMilliseconds) {
        self.configuration = configuration
        self.keys = keys.map { try! HMACKey(algorithm: configuration.digest, key: $0) }  // non-empty keys never fail
        self.clock = clock
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        let c = configuration
        guard let value = request.headers[c.header] else { throw .missingHeader(c.header) }
        guard value.hasPrefix(c.prefix) else { throw .malformedHeader(c.header) }
        let encoded = value.dropFirst(c.prefix.count)
        guard let signature = c.isBase64 ? Base64.decode(encoded, padding: .optional) : Hex.decode(encoded),
              signature.count == c.digest.outputByteCount else {
            throw .malformedHeader(c.header)
        }
        var timestamp = ""
        if let name = c.timestampHeader {
            guard let text = request.headers[name] else { throw .missingHeader(name) }
            guard let t = Int64(text), text.allSatisfy(\.isNumber) else { throw .malformedHeader(name) }
            timestamp = text
            if let tolerance = c.tolerance {
                let skewMilliseconds = abs(clock() - (c.timestampInMilliseconds ? t : t &* 1000))
                let allowed = tolerance.components.seconds * 1000
                if skewMilliseconds > allowed { throw .timestampOutsideTolerance(by: (skewMilliseconds - allowed) / 1000) }
            }
        }
        var id = ""
        if let name = c.idHeader {
            guard let text = request.headers[name] else { throw .missingHeader(name) }
            id = text
        }
        for key in keys {
            let expected = key.authenticationCode { message in
                for part in c.template {
                    switch part {
                    case .literal(let text): message.append(text)
                    case .body: message.append(request.body)
                    case .timestamp: message.append(timestamp)
                    case .id: message.append(id)
                    case .url: message.append(request.publicURL)
                    case .method: message.append(request.method)
                    }
                }
            }
            if constantTimeEquals(expected, signature) { return }
        }
        throw .noMatch(secrets: keys.count)
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try configuration.fields.normalize(request, idHeader: configuration.idHeader)
    }
}

/// `none`: an unsigned source (anyone who knows the URL can post; `check` warns). Takes the event field options.
public enum UnsignedPreset: ProviderPreset {
    public static let name = "none"
    public static let optionKeys = EventFieldOptions.keys + ["idHeader"]

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        decoder.warning("provider \"none\" does not verify requests: anyone who knows the URL can post events",
                        at: source.member("provider")?.value.position ?? source.position, path: source.path.appending("provider"))
        let idHeader = decoder.optional("idHeader", in: source, as: .nonEmptyString)
        guard let fields = EventFieldOptions.decode(source, decoder: &decoder) else { return nil }
        return Factory(fields: fields, idHeader: idHeader)
    }

    struct Factory: ProviderFactory {
        let fields: EventFieldOptions
        let idHeader: String?
        func makeProvider(context: ProviderContext) -> any Provider { UnsignedProvider(fields: fields, idHeader: idHeader) }
    }
}

final class UnsignedProvider: Provider {
    let fields: EventFieldOptions
    let idHeader: String?

    init(fields: EventFieldOptions, idHeader: String?) {
        self.fields = fields
        self.idHeader = idHeader
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {}

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        try fields.normalize(request, idHeader: idHeader)
    }
}

/// Where generic sources find an event's type, id and subject: `typeHeader` or `typeField` (default type `webhook`),
/// `idField` (else `idHeader`, else a hash of the body), `subjectField`, `timeField` (unix seconds).
/// Fields are dotted paths into a JSON body, or into the object a form body becomes (`data.object.id`, `MessageSid`).
/// Bodies: JSON (spliced as is), form-encoded (an object), anything else valid UTF-8 (a JSON string).
struct EventFieldOptions: Sendable {
    static let keys = ["typeHeader", "typeField", "idField", "subjectField", "timeField"]

    var typeHeader: String?
    var typeField: [RawJSON.PathComponent]?
    var idField: [RawJSON.PathComponent]?
    var subjectField: [RawJSON.PathComponent]?
    var timeField: [RawJSON.PathComponent]?

    static func decode(_ source: ConfigObject, decoder: inout ConfigDecoder) -> EventFieldOptions? {
        var options = EventFieldOptions()
        options.typeHeader = decoder.optional("typeHeader", in: source, as: .nonEmptyString)
        options.typeField = decoder.optional("typeField", in: source, as: .nonEmptyString).map(Payload.path)
        options.idField = decoder.optional("idField", in: source, as: .nonEmptyString).map(Payload.path)
        options.subjectField = decoder.optional("subjectField", in: source, as: .nonEmptyString).map(Payload.path)
        options.timeField = decoder.optional("timeField", in: source, as: .nonEmptyString).map(Payload.path)
        return options
    }

    func normalize(_ request: WebhookRequest, idHeader: String?) throws(NormalizationFailure) -> ProviderOutcome {
        let data: [UInt8]
        var isJSON = false
        let mediaType = request.mediaType
        switch mediaType {
        case "application/x-www-form-urlencoded":
            guard let pairs = try? FormURLEncoded.parse(request.body) else { throw NormalizationFailure("malformed form body") }
            data = FormURLEncoded.jsonObject(pairs)
            isJSON = true  // the fields are read out of the object the form became
        case _ where mediaType == "application/json" || mediaType.hasSuffix("+json"):
            try Payload.validateJSON(request.body)
            data = request.body
            isJSON = true
        default:
            if (try? Payload.validateJSON(request.body)) != nil {
                data = request.body
                isJSON = true
            } else {
                guard let text = String(validating: request.body, as: UTF8.self) else {
                    throw NormalizationFailure("body is neither JSON, a form nor UTF-8 text")
                }
                data = JSONString.quoted(text)
            }
        }
        let json = isJSON ? data : []
        let type = typeHeader.flatMap { request.headers[$0] } ?? typeField.flatMap { Payload.identifier($0, in: json) } ?? "webhook"
        let id = idField.flatMap { Payload.identifier($0, in: json) } ?? idHeader.flatMap { request.headers[$0] }
            ?? Payload.bodyHash(request.body)
        let subject = subjectField.flatMap { Payload.identifier($0, in: json) }
        let time = timeField.flatMap { Payload.integer($0, in: json) }.map { $0 * 1000 }
        return .events([NormalizedEvent(type: type, providerEventID: id, time: time, subject: subject, data: data)],
                       acknowledgement: nil)
    }
}
