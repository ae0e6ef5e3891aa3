import Testing

@testable import HookRelay

@Suite struct CredentialScrubberTests {
    private func settings(_ auth: DestinationAuth?, signing: String? = nil) -> DestinationSettings {
        var settings = DestinationSettings(name: "d", kind: .http, url: "https://example.com/hook")
        settings.auth = auth
        settings.signingSecret = signing.map { Secret(Array($0.utf8)) }
        return settings
    }

    private func scrub(_ settings: DestinationSettings, _ text: String) -> String {
        String(decoding: CredentialScrubber(settings).scrub(Array(text.utf8)), as: UTF8.self)
    }

    @Test func removesEchoedCredentialsAndTheirCutOffStart() {
        let header = settings(.header(name: "X-N8N-Key", value: Secret(Array("n8n-key-0123456789".utf8))))
        #expect(scrub(header, "bad request; got X-N8N-Key: n8n-key-0123456789\r\nHost: x") == "bad request; got X-N8N-Key: [redacted]\r\nHost: x")
        #expect(scrub(header, "n8n-key-0123456789n8n-key-0123456789") == "[redacted][redacted]")
        #expect(scrub(header, "echo: X-N8N-Key: n8n-key-01") == "echo: X-N8N-Key: [redacted]", "a credential cut off at the end")
        #expect(scrub(header, "nothing here: n8n") == "nothing here: n8n", "fewer than 4 bytes of a start are ordinary text")

        let basic = settings(.basic(username: "relay", password: Secret(Array("pa55word-xyz".utf8))))
        #expect(scrub(basic, "Authorization: Basic cmVsYXk6cGE1NXdvcmQteHl6") == "Authorization: Basic [redacted]")
        #expect(scrub(basic, "password was pa55word-xyz!") == "password was [redacted]!")

        let signing = settings(.bearer(Secret(Array("tok-abcdefgh".utf8))), signing: "whsec_c2VjcmV0LWtleS1ieXRlcw==")
        #expect(scrub(signing, "Bearer tok-abcdefgh key=c2VjcmV0LWtleS1ieXRlcw== or whsec_c2VjcmV0LWtleS1ieXRlcw==")
                == "Bearer [redacted] key=[redacted] or [redacted]")
        #expect(CredentialScrubber(settings(.bearer(Secret(Array("short".utf8))))).isEmpty, "too short to look for")
        #expect(scrub(settings(nil), "anything") == "anything")
    }
}
