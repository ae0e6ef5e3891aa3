/// Removes a destination's own credentials from what its receiver answered, before the answer's first bytes become a
/// stored `responseHead`, a delivery's `lastError` or a log line: some receivers echo the request's headers in their
/// error pages.
///
/// The credentials are the auth value as sent (bearer token, header value, `Basic` credentials and the password
/// alone) and the signing secret (whole, and without its `whsec_` prefix); values shorter than 8 bytes are left
/// alone (too likely to match ordinary text). Each occurrence becomes `[redacted]`, and so does a tail of at least
/// 4 bytes that starts a credential (an echo cut off by the prefix limit).
struct CredentialScrubber: Sendable {
    private let needles: [[UInt8]]

    init(_ settings: DestinationSettings) {
        var values: [[UInt8]] = []
        switch settings.auth {
        case .bearer(let token)?:
            values.append(token.bytes)
        case .basic(let username, let password)?:
            values.append(password.bytes)
            values.append(Array(Base64.encode(Array(username.utf8) + [UInt8(ascii: ":")] + password.bytes).utf8))
        case .header(_, let value)?:
            values.append(value.bytes)
        case nil:
            break
        }
        if let secret = settings.signingSecret {
            values.append(secret.bytes)
            if secret.bytes.starts(with: Array("whsec_".utf8)) { values.append(Array(secret.bytes.dropFirst(6))) }
        }
        needles = values.filter { $0.count >= 8 }.sorted { $0.count > $1.count }
    }

    /// Whether there is nothing to scrub.
    var isEmpty: Bool { needles.isEmpty }

    static let replacement = Array("[redacted]".utf8)

    /// `bytes` with every credential (and a trailing start of one) replaced.
    func scrub(_ bytes: [UInt8]) -> [UInt8] {
        guard !needles.isEmpty, !bytes.isEmpty else { return bytes }
        var text = bytes
        for needle in needles {
            var output: [UInt8] = []
            var index = 0
            while index < text.count {
                if text[index] == needle[0], text.count - index >= needle.count, text[index..<(index + needle.count)].elementsEqual(needle) {
                    output += Self.replacement
                    index += needle.count
                } else {
                    output.append(text[index])
                    index += 1
                }
            }
            text = output
            for length in stride(from: min(needle.count - 1, text.count), through: 4, by: -1)
            where text[(text.count - length)...].elementsEqual(needle[..<length]) {
                text.replaceSubrange((text.count - length)..., with: Self.replacement)
                break
            }
        }
        return text
    }
}
