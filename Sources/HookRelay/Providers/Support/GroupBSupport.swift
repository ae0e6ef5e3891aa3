import HTTPServer

/// Helpers shared by the group B presets (Twilio, Square, HubSpot, Mandrill, Mailchimp, Typeform, WooCommerce, Xero,
/// QuickBooks, Klaviyo): configure-time checks, URL variants, lenient provider timestamps and batch assembly.
enum GroupB {
    // MARK: Configuration

    /// The keyed contexts for `secrets` (each non-empty, so making a key never fails).
    static func keys(_ secrets: [Secret], _ algorithm: DigestAlgorithm) -> [HMACKey] {
        secrets.compactMap { try? HMACKey(algorithm: algorithm, key: $0.bytes) }
    }

    /// The source's `publicURL`; when it is absent, reports `message` at the source (an invalid one is already
    /// reported by the loader).
    static func requirePublicURL(_ settings: SourceSettings, of source: ConfigObject, decoder: inout ConfigDecoder,
                                 _ message: String) -> String? {
        if let url = settings.publicURL { return url }
        if source["publicURL"] == nil {
            decoder.error(message, at: source.position, path: source.path.appending("publicURL"))
        }
        return nil
    }

    // MARK: Signatures

    /// Whether `signature` is the MAC, under any of `keys`, of what `feed` appends.
    static func matches(_ signature: [UInt8], keys: [HMACKey], _ feed: (borrowing HMACKey.Message) -> Void) -> Bool {
        var matched = false
        for key in keys where constantTimeEquals(key.authenticationCode(feed), signature) { matched = true }
        return matched
    }

    /// Checks `<header>: <prefix><base64 HMAC of the raw body>` (the header's first value, `prefix` matched exactly)
    /// against every key: missing header, malformed signature, or no match, each thrown as such.
    static func verifyBodySignature(_ request: WebhookRequest, header: String, prefix: String = "", keys: [HMACKey],
                                    _ algorithm: DigestAlgorithm) throws(VerificationFailure) {
        guard let value = request.headers[header] else { throw .missingHeader(header) }
        guard value.hasPrefix(prefix), let signature = base64Signature(value.dropFirst(prefix.count), algorithm) else {
            throw .malformedHeader(header)
        }
        guard matches(signature, keys: keys, { $0.append(request.body) }) else { throw .noMatch(secrets: keys.count) }
    }

    /// A base64 signature of `algorithm`'s length, or nil.
    static func base64Signature(_ text: some StringProtocol, _ algorithm: DigestAlgorithm) -> [UInt8]? {
        guard let bytes = Base64.decode(Substring(String(text)).trimmingASCIISpaces(), padding: .required),
              bytes.count == algorithm.outputByteCount else { return nil }
        return bytes
    }

    /// A hex signature of `algorithm`'s length, or nil.
    static func hexSignature(_ text: some StringProtocol, _ algorithm: DigestAlgorithm) -> [UInt8]? {
        guard let bytes = Hex.decode(Substring(String(text)).trimmingASCIISpaces()), bytes.count == algorithm.outputByteCount else { return nil }
        return bytes
    }

    // MARK: URLs

    /// The parts of an absolute `scheme://authority/rest` URL; nil when `url` is not one.
    static func splitURL(_ url: String) -> (scheme: Substring, host: Substring, port: Substring?, rest: Substring)? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound]
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let rest = afterScheme[authorityEnd...]
        // The port follows the last ':' that is not inside an IPv6 literal.
        let hostEnd = authority.lastIndex(of: "]") ?? authority.startIndex
        if let colon = authority[hostEnd...].lastIndex(of: ":") {
            return (scheme, authority[..<colon], authority[authority.index(after: colon)...], rest)
        }
        return (scheme, authority, nil, rest)
    }

    /// `url`, then without its port (any port), then with the scheme's default port when it has none: the URLs
    /// Twilio's SDKs try, because Twilio signs with or without the port inconsistently.
    static func portVariants(of url: String) -> [String] {
        guard let parts = splitURL(url) else { return [url] }
        var variants = [url]
        if parts.port != nil {
            variants.append("\(parts.scheme)://\(parts.host)\(parts.rest)")
        } else {
            let port = parts.scheme.lowercased() == "https" ? "443" : "80"
            variants.append("\(parts.scheme)://\(parts.host):\(port)\(parts.rest)")
        }
        return variants
    }

    /// The first value of query parameter `name` in `query` (percent-decoded), if present.
    static func queryValue(_ name: String, in query: Substring?) -> String? {
        guard let query, let pairs = try? FormURLEncoded.parse(Array(query.utf8)) else { return nil }
        return pairs.first { $0.name == name }?.value
    }

    /// Whether `a` sorts before `b` by code points (UTF-8 byte order), as Python and PHP sort strings.
    static func codePointLess(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    // MARK: Times

    /// Unix milliseconds of an ISO 8601 date-time as providers write it: RFC 3339, the same without a zone (taken as
    /// UTC: Xero, WooCommerce, Mailchimp), or with a `±HHMM` offset (QuickBooks).
    static func milliseconds(iso text: String) -> Int64? {
        if let time = RFC3339.parse(text) { return time.milliseconds }
        if let time = RFC3339.parse(text + "Z") { return time.milliseconds }
        let utf8 = Array(text.utf8)
        if utf8.count > 5, utf8[utf8.count - 5] == UInt8(ascii: "+") || utf8[utf8.count - 5] == UInt8(ascii: "-"),
           utf8[(utf8.count - 4)...].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            let fixed = String(decoding: utf8[..<(utf8.count - 2)] + [UInt8(ascii: ":")] + utf8[(utf8.count - 2)...], as: UTF8.self)
            return RFC3339.parse(fixed)?.milliseconds
        }
        return nil
    }

    /// Unix milliseconds of an RFC 2822 date with a numeric zone (`Mon, 16 Aug 2010 03:45:01 +0000`, Twilio Voice).
    static func milliseconds(rfc2822 text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, let zone = parts.last, zone.count == 5, let sign = zone.first, sign == "+" || sign == "-",
              let hours = Int64(zone.dropFirst().prefix(2)), let minutes = Int64(zone.suffix(2)) else { return nil }
        let day = parts[1].count == 1 ? "0" + parts[1] : String(parts[1])
        guard let seconds = HTTPDate.parse("\(parts[0]) \(day) \(parts[2]) \(parts[3]) \(parts[4]) GMT") else { return nil }
        let offset = (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
        return (seconds - offset) * 1000
    }

    /// `Mon, 16 Aug 2010 03:45:01 +0000` for unix seconds (samples).
    static func rfc2822(unixSeconds: Int64) -> String {
        String(HTTPDate.string(fromUnixSeconds: unixSeconds).dropLast(4)) + " +0000"
    }

    /// Form-encodes a name or value: unreserved characters kept, space as `+`, everything else `%XX` (samples).
    static func formEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                output += "+"
            default:
                output += "%" + String(decoding: [Hex.digit(byte >> 4) - (byte >> 4 >= 10 ? 32 : 0),
                                                   Hex.digit(byte & 0x0f) - (byte & 0x0f >= 10 ? 32 : 0)], as: UTF8.self)
            }
        }
        return output
    }

    /// A UUID-shaped id made of `nonce` (hex, padded with zeros; samples).
    static func uuid(_ nonce: String) -> String {
        let hex = Array((String(nonce.lowercased().filter(\.isHexDigit).prefix(32)) + String(repeating: "0", count: 32)).prefix(32))
        return String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-" + String(hex[16..<20]) + "-"
            + String(hex[20..<32])
    }

    // MARK: Batches

    /// The events of a batch: as they are when `split`, else one event whose data is `batch` (the whole batch's
    /// bytes), id `Payload.bodyHash(batch)`, type the items' common type (else `batch`), time and subject the
    /// items' when they all agree. An empty batch stays empty (Xero's and Mandrill's checks answer 200 to it).
    static func assemble(_ events: [NormalizedEvent], split: Bool, batch: [UInt8]) -> [NormalizedEvent] {
        guard !split, let first = events.first else { return events }
        let type = events.allSatisfy { $0.type == first.type } ? first.type : "batch"
        let subject = events.allSatisfy { $0.subject == first.subject } ? first.subject : nil
        let time = events.compactMap(\.time).min()
        return [NormalizedEvent(type: type, providerEventID: Payload.bodyHash(batch), time: time, subject: subject, data: batch)]
    }

    /// Calls `body` with each element's range of the array at `path` in `bytes` (the top level for an empty path);
    /// nil when there is no array there.
    static func elements(at path: [RawJSON.PathComponent], in bytes: [UInt8]) -> [Range<Int>]? {
        bytes.withUnsafeBytes { buffer -> [Range<Int>]? in
            guard let range = RawJSON.range(of: path, in: buffer), let items = RawJSON.elements(ofArrayAt: range, in: buffer) else {
                return nil
            }
            return Array(items)
        }
    }

    /// The string or number at `path` inside `bytes[range]`, as text.
    static func identifier(_ path: [RawJSON.PathComponent], in bytes: [UInt8], item range: Range<Int>) -> String? {
        bytes.withUnsafeBytes { buffer in
            guard let value = RawJSON.range(of: path, inValueAt: range, in: buffer) else { return nil }
            return RawJSON.string(at: value, in: buffer) ?? RawJSON.number(at: value, in: buffer)?.text
        }
    }

    /// The integer at `path` inside `bytes[range]`.
    static func integer(_ path: [RawJSON.PathComponent], in bytes: [UInt8], item range: Range<Int>) -> Int64? {
        bytes.withUnsafeBytes { buffer in
            RawJSON.range(of: path, inValueAt: range, in: buffer).flatMap { RawJSON.number(at: $0, in: buffer)?.int64Value }
        }
    }

    /// The JSON kind of the top-level value.
    static func topLevelKind(_ bytes: [UInt8]) -> RawJSON.Kind? {
        bytes.withUnsafeBytes { buffer in RawJSON.valueRange(in: buffer).flatMap { RawJSON.kind(at: $0, in: buffer) } }
    }

    /// An empty 200, for providers that want no body (Xero) or whose checks only look at the status.
    static var emptyOK: HTTPResponse { HTTPResponse(status: 200) }
}
