/// Payload helpers shared by the group C presets (Standard Webhooks, Svix, GitLab, Paddle, Zendesk, Twitch, SendGrid,
/// Discord, Plaid, PayPal).
enum EventFields {
    /// The body as envelope data: JSON spliced as is, other valid UTF-8 as a JSON string. Throws for anything else.
    static func data(_ body: [UInt8]) throws(NormalizationFailure) -> (data: [UInt8], isJSON: Bool) {
        if (try? Payload.validateJSON(body)) != nil { return (body, true) }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw NormalizationFailure("body is neither JSON nor UTF-8 text")
        }
        return (JSONString.quoted(text), false)
    }

    /// Unix milliseconds of the RFC 3339 string at `path`.
    static func rfc3339(_ path: [RawJSON.PathComponent], in body: [UInt8]) -> Int64? {
        Payload.string(path, in: body).flatMap(milliseconds(rfc3339:))
    }

    /// Unix milliseconds of an RFC 3339 timestamp; one without a zone (Discord's `2024-10-18T14:42:53.064834`) is UTC.
    static func milliseconds(rfc3339 text: some StringProtocol) -> Int64? {
        let text = String(text)
        if let time = RFC3339.parse(text) { return time.milliseconds }
        return RFC3339.parse(text + "Z")?.milliseconds
    }

    /// Unix milliseconds of the value at `path`: an RFC 3339 string, or an integer in seconds (< 10^11) or milliseconds.
    static func time(_ path: [RawJSON.PathComponent], in body: [UInt8]) -> Int64? {
        if let number = Payload.integer(path, in: body) {
            return number < 100_000_000_000 ? number &* 1000 : number
        }
        return rfc3339(path, in: body)
    }
}
