import Foundation
import HTTPServer
@testable import HookRelay
import Testing

/// `Vectors/<provider>.json` for the group B presets, made by `scripts/vectors/make_group_b_vectors.py` (with the
/// providers' SDKs where they publish a helper: Twilio, Square, HubSpot, QuickBooks).
private struct GroupBVectors: Decodable {
    struct Verdict: Decodable {
        var valid: Bool
        var code: String?
    }

    struct Case: Decodable {
        var name: String
        var method: String
        var url: String?
        var headers: [String: String]
        var body: String
        var secrets: [String]
        var now: Int64
        var sdk: Verdict?
        var expect: Verdict
        var deviation: String?
    }

    var source: String
    var cases: [Case]

    static func load(_ provider: String) throws -> GroupBVectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(provider).json")
        return try JSONDecoder().decode(GroupBVectors.self, from: Data(contentsOf: url))
    }
}

/// A request as a provider sees it: `url` is the public URL (its path and query become the target).
private func webhook(_ method: String = "POST", url: String = "https://hooks.example.com/hooks/test", headers: [(String, String)] = [],
                     body: [UInt8] = [], receivedAt: Int64 = 1_767_225_600_000) -> WebhookRequest {
    var target = "/hooks/test"
    if let parts = GroupB.splitURL(url) { target = parts.rest.isEmpty ? "/" : String(parts.rest) }
    var all = HTTPHeaders([("Host", "hooks.example.com")])
    for (name, value) in headers { all.append(name: name, value: value) }
    return WebhookRequest(method: method, target: target, headers: all, body: body, clientAddress: "127.0.0.1",
                          receivedAt: receivedAt, publicURL: url)
}

private func makeProvider(_ name: String, secrets: [String], now: Int64, split: Bool = true) -> any Provider {
    let secrets = secrets.map { Secret($0) }
    switch name {
    case "twilio": return TwilioProvider(secrets: secrets, split: split)
    case "square": return SquareProvider(secrets: secrets)
    case "hubspot": return HubSpotProvider(secrets: secrets, split: split, clock: { now })
    case "mandrill": return MandrillProvider(secrets: secrets, split: split)
    case "mailchimp": return MailchimpProvider(secrets: secrets)
    case "typeform": return TypeformProvider(secrets: secrets)
    case "woocommerce": return WooCommerceProvider(secrets: secrets)
    case "xero": return XeroProvider(secrets: secrets, split: split)
    case "quickbooks": return QuickBooksProvider(secrets: secrets, split: split)
    case "klaviyo": return KlaviyoProvider(secrets: secrets, tolerance: .seconds(300), split: split, clock: { now / 1000 })
    default: fatalError("no provider \(name)")
    }
}

private func verification(_ provider: any Provider, _ request: WebhookRequest) -> VerificationFailure? {
    do {
        try provider.verify(request)
        return nil
    } catch {
        return error
    }
}

private func events(_ provider: any Provider, _ request: WebhookRequest) throws -> ([NormalizedEvent], HTTPResponse?) {
    guard case .events(let events, let acknowledgement) = try provider.interpret(request) else { throw TestFailure("not events") }
    return (events, acknowledgement)
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

private let providers = ["twilio", "square", "hubspot", "mandrill", "mailchimp", "typeform", "woocommerce", "xero", "quickbooks",
                         "klaviyo"]

@Suite struct GroupBProviderTests {
    @Test(arguments: providers)
    func agreesWithEveryVector(_ provider: String) throws {
        let vectors = try GroupBVectors.load(provider)
        #expect(vectors.cases.count >= 6, "\(provider): enough cases")
        #expect(vectors.cases.contains { $0.expect.valid } && vectors.cases.contains { !$0.expect.valid })
        for vector in vectors.cases {
            let instance = makeProvider(provider, secrets: vector.secrets, now: vector.now)
            let request = webhook(vector.method, url: vector.url ?? "https://hooks.example.com/hooks/\(provider)",
                                  headers: vector.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                  body: Array(vector.body.utf8), receivedAt: vector.now)
            let failure = verification(instance, request)
            #expect((failure == nil) == vector.expect.valid, "\(provider) \(vector.name): \(failure?.reason ?? "accepted")")
            if let sdk = vector.sdk, vector.deviation == nil {
                #expect(vector.expect.valid == sdk.valid, "\(provider) \(vector.name): hookrelay must agree with the SDK")
            }
            if let code = vector.expect.code { #expect(failure?.code == code, "\(provider) \(vector.name)") }
            if let failure {
                #expect(failure.status == 401, "\(provider) \(vector.name)")
                #expect(failure.reason.count < 80)
                for secret in vector.secrets { #expect(!failure.reason.contains(secret), "\(provider) \(vector.name): echoes a secret") }
                for (_, value) in vector.headers where value.count >= 16 {
                    #expect(!failure.reason.contains(value), "\(provider) \(vector.name): echoes a header")
                }
            }
        }
    }

    @Test(arguments: providers)
    func samplesVerifyWithTheirOwnProvider(_ provider: String) throws {
        let preset = try #require(ProviderRegistry.preset(named: provider) as? any SamplingPreset.Type)
        let url = "https://hooks.example.com:8443/hooks/\(provider)"
        for type in preset.sampleEventTypes {
            let sample = try preset.sample(SampleRequest(secret: Secret("sample-secret-0123456789abcdef"), eventType: type, url: url,
                                                         now: 1_767_225_600_000, nonce: "0123456789abcdef01234567"))
            let request = webhook(url: sample.query.map { url + "?" + $0 } ?? url, headers: sample.headers.map { ($0.name, $0.value) },
                                  body: sample.body)
            let instance = makeProvider(provider, secrets: ["sample-secret-0123456789abcdef"], now: 1_767_225_600_000)
            #expect(verification(instance, request) == nil, "\(provider) \(type)")
            let (list, _) = try events(instance, request)
            if type != "intent-to-receive" {
                #expect(list.count == 1, "\(provider) \(type)")
                #expect(list.first?.type == type, "\(provider) \(type)")
            }
        }
    }

    @Test func sharedKeysOfADifferentSecretDoNotVerify() throws {
        let sample = try TwilioPreset.sample(SampleRequest(secret: Secret("auth-token"), url: "https://h.example/x", now: 0, nonce: "ab"))
        let request = webhook(url: "https://h.example/x", headers: sample.headers.map { ($0.name, $0.value) }, body: sample.body)
        #expect(verification(TwilioProvider(secrets: [Secret("other-token")]), request)?.code == "bad_signature")
    }

    // MARK: Twilio

    @Test func twilioNormalizesAnInboundSMSAndAnswersEmptyTwiML() throws {
        let body = Array("AccountSid=AC1&Body=Hi+%F0%9F%9A%80&From=%2B14155552671&MessageSid=SM123&SmsStatus=received&To=%2B1501".utf8)
        let (list, ack) = try events(TwilioProvider(secrets: [Secret("t")]),
                                     webhook(headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body))
        let event = try #require(list.first)
        #expect(event.type == "message.received")
        #expect(event.providerEventID == "SM123:received")
        #expect(event.subject == "SM123")
        #expect(event.time == nil)
        #expect(text(event.data) == #"{"AccountSid":"AC1","Body":"Hi 🚀","From":"+14155552671","MessageSid":"SM123","SmsStatus":"received","To":"+1501"}"#)
        let answer = try #require(ack)
        #expect(answer.status == 200)
        #expect(answer.headers["Content-Type"] == "text/xml; charset=utf-8")
        #expect(text(answer.body) == #"<?xml version="1.0" encoding="UTF-8"?><Response/>"#)
    }

    @Test func twilioStatusCallbacksAndCallsGetDistinctIds() throws {
        let provider = TwilioProvider(secrets: [Secret("t")])
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        let delivered = try events(provider, webhook(headers: form, body: Array("MessageSid=SM1&MessageStatus=delivered".utf8))).0[0]
        #expect(delivered.type == "message.delivered")
        #expect(delivered.providerEventID == "SM1:delivered")
        let call = try events(provider, webhook(headers: form, body: Array(
            "CallSid=CA9&CallStatus=completed&Timestamp=Mon%2C+16+Aug+2010+03%3A45%3A01+%2B0000".utf8))).0[0]
        #expect(call.type == "call.completed")
        #expect(call.subject == "CA9")
        #expect(call.time == 1_281_930_301_000)
        #expect(call.providerEventID.hasPrefix("sha256:"), "one call posts several requests in one status")
        let conversation = try events(provider, webhook(headers: form, body: Array(
            "EventType=onMessageAdded&ConversationSid=CH1&MessageSid=IM1".utf8))).0[0]
        #expect(conversation.type == "onMessageAdded")
        #expect(conversation.subject == "CH1")
    }

    @Test func twilioSplitsAJSONBatchAndReadsAGETQuery() throws {
        let vectors = try GroupBVectors.load("twilio")
        let json = try #require(vectors.cases.first { $0.name == "JSON body with bodySHA256" })
        let provider = TwilioProvider(secrets: [Secret("t")])
        let (list, ack) = try events(provider, webhook(url: json.url!, body: Array(json.body.utf8)))
        #expect(ack == nil)
        #expect(list.count == 1)
        #expect(list[0].type == "com.twilio.messaging.message.delivered")
        #expect(list[0].providerEventID == "EZ0001")
        #expect(list[0].time == 1_767_225_600_000)
        #expect(list[0].subject == "SMbbbb")
        #expect(text(list[0].data) == String(json.body.dropFirst().dropLast()))
        let get = try events(provider, webhook("GET", url: "https://h.example/hooks/t?CallSid=CA1&CallStatus=ringing&From=%2B1"))
        #expect(get.0[0].type == "call.ringing")
        #expect(text(get.0[0].data) == #"{"CallSid":"CA1","CallStatus":"ringing","From":"+1"}"#)
        #expect(provider.allowedMethods == ["POST", "GET"])
    }

    @Test func twilioURLVariants() {
        #expect(GroupB.portVariants(of: "https://a.example/x?y=1") == ["https://a.example/x?y=1", "https://a.example:443/x?y=1"])
        #expect(GroupB.portVariants(of: "https://a.example:443/x") == ["https://a.example:443/x", "https://a.example/x"])
        #expect(GroupB.portVariants(of: "http://a.example") == ["http://a.example", "http://a.example:80"])
        #expect(GroupB.portVariants(of: "http://[::1]:8080/x") == ["http://[::1]:8080/x", "http://[::1]/x"])
    }

    // MARK: Square, Typeform, WooCommerce

    @Test func squareNormalizesItsPublishedTestNotification() throws {
        let vectors = try GroupBVectors.load("square")
        let body = Array(try #require(vectors.cases.first).body.utf8)
        let (list, ack) = try events(SquareProvider(secrets: [Secret("k")]), webhook(body: body))
        #expect(ack == nil)
        #expect(list[0].type == "webhooks.test_notification")
        #expect(list[0].providerEventID == "ac3ac95b-f97d-458c-a6e6-18981597e05f")
        #expect(list[0].time == 1_657_744_259_037)
        #expect(list[0].subject == "bc368e64-01aa-407e-b46e-3231809b1129")
        #expect(list[0].data == body)
    }

    @Test func typeformReadsTheResponse() throws {
        let body = Array(try GroupBVectors.load("typeform").cases[0].body.utf8)
        let event = try events(TypeformProvider(secrets: [Secret("s")]), webhook(body: body)).0[0]
        #expect(event.type == "form_response")
        #expect(event.providerEventID == "01HZX3Q8V0R7YQ0GZ6W1N0K3B1")
        #expect(event.subject == "a3a12ec67a1365927098a606107fac15")
        #expect(event.time == 1_767_225_600_000)
    }

    @Test func wooCommerceAnswersTheUnsignedCreationPingOnly() throws {
        let provider = WooCommerceProvider(secrets: [Secret("s")])
        let ping = webhook(headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("webhook_id=17".utf8))
        #expect(provider.unsignedHandshake(ping)?.status == 200)
        for body in ["webhook_id=", "webhook_id=17&x=1", "webhook_id=abc", #"{"id":1}"#] {
            #expect(provider.unsignedHandshake(webhook(body: Array(body.utf8))) == nil, "\(body)")
        }
        let signed = webhook(headers: [("X-WC-Webhook-Signature", "x")], body: Array("webhook_id=17".utf8))
        #expect(provider.unsignedHandshake(signed) == nil, "a signed request is verified")
        #expect(provider.unsignedHandshake(webhook("GET", body: Array("webhook_id=17".utf8))) == nil)
    }

    @Test func wooCommerceDecodesEntitiesLikeWordPress() {
        #expect(WooCommerceProvider.specialCharsDecode("a&amp;b&#039;c&lt;d&gt;e&quot;f") == "a&b'c<d>e\"f")
        #expect(WooCommerceProvider.specialCharsDecode("&#38;&#x26;&#060;&#62;&#0039;&#X27;&#x22;&#034;") == "&&<>''\"\"")
        #expect(WooCommerceProvider.specialCharsDecode("&#x3C;&#x3E;&apos;&copy;&amp;lt;&") == "&#x3C;&#x3E;&apos;&copy;&lt;&")
        #expect(WooCommerceProvider.specialCharsDecode("plain") == "plain")
    }

    @Test func wooCommerceUsesTopicDeliveryIdAndGMTDates() throws {
        let body = Array(try GroupBVectors.load("woocommerce").cases[0].body.utf8)
        let request = webhook(headers: [("X-WC-Webhook-Topic", "order.updated"), ("X-WC-Webhook-Delivery-ID", "d41d8cd9")], body: body)
        let event = try events(WooCommerceProvider(secrets: [Secret("s")]), request).0[0]
        #expect(event.type == "order.updated")
        #expect(event.providerEventID == "d41d8cd9")
        #expect(event.subject == "1234")
        #expect(event.time == 1_767_225_600_000)
        #expect(event.data == body)
    }

    // MARK: HubSpot

    @Test func hubSpotSplitsItsBatchWithExactItemBytes() throws {
        let vectors = try GroupBVectors.load("hubspot")
        let body = try #require(vectors.cases.first { $0.name.hasPrefix("v3 rotated") }).body
        let (list, _) = try events(HubSpotProvider(secrets: [Secret("s")]), webhook(body: Array(body.utf8)))
        #expect(list.count == 2)
        #expect(list[0].type == "contact.propertyChange")
        #expect(list[0].providerEventID == "2874629:3816279340")
        #expect(list[0].time == 1_767_225_598_741)
        #expect(list[0].subject == "65059681032")
        #expect(text(list[0].data).hasPrefix(#"{"eventId":3816279340,"#) && text(list[0].data).hasSuffix(#""sourceId":"userId:45678"}"#))
        #expect(list[1].type == "contact.creation")
        #expect(text(list[0].data) + "," + text(list[1].data) == String(body.dropFirst().dropLast()))
        let whole = try events(HubSpotProvider(secrets: [Secret("s")], split: false), webhook(body: Array(body.utf8))).0
        #expect(whole.count == 1)
        #expect(whole[0].type == "batch")
        #expect(whole[0].data == Array(body.utf8))
        #expect(whole[0].providerEventID == Payload.bodyHash(Array(body.utf8)))
    }

    @Test func hubSpotDecodesOnlyTheListedEscapes() {
        #expect(HubSpotProvider.v3URI("https://h.example/x?a=%3a%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%26%25")
                == "https://h.example/x?a=:/?@!$'()*,;&b=%20%26%25")
    }

    @Test func hubSpotCanRefuseLegacySignatures() throws {
        let vectors = try GroupBVectors.load("hubspot")
        let v1 = try #require(vectors.cases.first)
        let request = webhook(url: v1.url!, headers: v1.headers.map { ($0.key, $0.value) }, body: Array(v1.body.utf8))
        #expect(verification(HubSpotProvider(secrets: v1.secrets.map { Secret($0) }), request) == nil)
        let strict = HubSpotProvider(secrets: v1.secrets.map { Secret($0) }, versions: ["v3"])
        #expect(verification(strict, request)?.code == "missing_signature")
        let noV1 = HubSpotProvider(secrets: v1.secrets.map { Secret($0) }, versions: ["v2", "v3"])
        #expect(verification(noV1, request)?.code == "bad_signature")
    }

    // MARK: Mandrill, Mailchimp

    @Test func mandrillSplitsMandrillEvents() throws {
        let vector = try GroupBVectors.load("mandrill").cases[0]
        let provider = MandrillProvider(secrets: [Secret("k")])
        let (list, _) = try events(provider, webhook(body: Array(vector.body.utf8)))
        #expect(list.count == 3)
        #expect(list.map(\.type) == ["send", "open", "blacklist.add"])
        #expect(list[0].providerEventID == "a1b2c3d4e5f6:send:1767225590")
        #expect(list[1].providerEventID == "a1b2c3d4e5f6:open:1767225595")
        #expect(list[0].subject == "a1b2c3d4e5f6")
        #expect(list[0].time == 1_767_225_590_000)
        #expect(list[2].subject == "bounce@example.com")
        #expect(list[2].providerEventID.hasPrefix("sha256:"))
        #expect(text(list[0].data).hasPrefix(#"{"event":"send","#) && text(list[0].data).contains("Bestellbestätigung ✓"))
        #expect(provider.unsignedHandshake(webhook("HEAD"))?.status == 200)
        #expect(provider.unsignedHandshake(webhook())  == nil)
        #expect(try events(provider, webhook(body: Array("mandrill_events=%5B%5D".utf8))).0.isEmpty)
        #expect(throws: NormalizationFailure.self) { try provider.interpret(webhook(body: Array("other=1".utf8))) }
    }

    @Test func mailchimpAnswersItsGETCheckAndReadsForms() throws {
        let vector = try GroupBVectors.load("mailchimp").cases[0]
        let provider = MailchimpProvider(secrets: [Secret("mc-url-secret-7b1e")])
        #expect(provider.unsignedHandshake(webhook("GET", url: vector.url!))?.status == 200)
        #expect(provider.unsignedHandshake(webhook("GET", url: "https://h.example/hooks/c"))?.status == 200, "the check needs no secret")
        #expect(provider.unsignedHandshake(webhook(url: vector.url!)) == nil, "a POST is verified")
        let event = try events(provider, webhook(url: vector.url!, body: Array(vector.body.utf8))).0[0]
        #expect(event.type == "subscribe")
        #expect(event.time == 1_767_225_600_000)
        #expect(event.subject == "8a25ff1d98")
        #expect(text(event.data).contains(#""data[merges][FNAME]":"Zoë""#))
        #expect(event.providerEventID == Payload.bodyHash(Array(vector.body.utf8)))
    }

    // MARK: Xero, QuickBooks, Klaviyo

    @Test func xeroAnswersEmpty200AndSplitsEvents() throws {
        let vectors = try GroupBVectors.load("xero")
        let provider = XeroProvider(secrets: [Secret("k")])
        let (list, ack) = try events(provider, webhook(body: Array(vectors.cases[0].body.utf8)))
        #expect(ack?.status == 200 && ack?.body.isEmpty == true)
        #expect(list.count == 1)
        #expect(list[0].type == "INVOICE.UPDATE")
        #expect(list[0].subject == "0f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8")
        #expect(list[0].time == 1_767_225_600_903)
        #expect(list[0].providerEventID
                == "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f:INVOICE:0f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8:UPDATE:2026-01-01T00:00:00.903")
        let itr = try #require(vectors.cases.first { $0.name == "Intent to Receive, correctly signed" })
        let (none, itrAck) = try events(provider, webhook(body: Array(itr.body.utf8)))
        #expect(none.isEmpty && itrAck?.status == 200 && itrAck?.body.isEmpty == true)
        let bad = try #require(vectors.cases.first { $0.name == "Intent to Receive, incorrectly signed" })
        let failure = verification(makeProvider("xero", secrets: bad.secrets, now: 0),
                                   webhook(headers: bad.headers.map { ($0.key, $0.value) }, body: Array(bad.body.utf8)))
        #expect(failure?.status == 401)
    }

    @Test func quickBooksSplitsLegacyEntitiesKeepingTheRealm() throws {
        let body = try GroupBVectors.load("quickbooks").cases[0].body
        let (list, _) = try events(QuickBooksProvider(secrets: [Secret("k")]), webhook(body: Array(body.utf8)))
        #expect(list.count == 2)
        #expect(list[0].type == "Customer.Create")
        #expect(list[0].subject == "58")
        #expect(list[0].time == 1_767_225_600_000)
        #expect(list[0].providerEventID == "9341453908059321:Customer:58:Create:2026-01-01T00:00:00.000Z")
        #expect(text(list[0].data) == #"{"realmId":"9341453908059321","dataChangeEvent":{"entities":[{"name":"Customer","id":"58","operation":"Create","lastUpdated":"2026-01-01T00:00:00.000Z"}]}}"#)
        #expect(list[1].type == "Invoice.Update")
        #expect(list[1].time == 1_767_225_600_000, "-0800 offsets")
    }

    @Test func quickBooksSplitsCloudEvents() throws {
        let body = """
            [{"specversion":"1.0","id":"88cd52a8-1","source":"intuit.x","type":"qbo.customer.created.v1","time":"2026-01-01T00:00:00Z",\
            "intuitentityid":"58","intuitaccountid":"9341"},{"specversion":"1.0","id":"88cd52a8-2","type":"qbo.invoice.updated.v1",\
            "intuitentityid":"131"}]
            """
        let (list, _) = try events(QuickBooksProvider(secrets: [Secret("k")]), webhook(body: Array(body.utf8)))
        #expect(list.map(\.providerEventID) == ["88cd52a8-1", "88cd52a8-2"])
        #expect(list.map(\.type) == ["qbo.customer.created.v1", "qbo.invoice.updated.v1"])
        #expect(list.map(\.subject) == ["58", "131"])
        #expect(list[0].time == 1_767_225_600_000 && list[1].time == nil)
        #expect(throws: NormalizationFailure("CloudEvent has no id")) {
            try QuickBooksProvider(secrets: [Secret("k")]).interpret(webhook(body: Array(#"[{"type":"x"}]"#.utf8)))
        }
    }

    @Test func klaviyoSplitsDataItems() throws {
        let body = try GroupBVectors.load("klaviyo").cases[0].body
        let event = try events(KlaviyoProvider(secrets: [Secret("k")], tolerance: .seconds(300)), webhook(body: Array(body.utf8))).0[0]
        #expect(event.type == "event:klaviyo.opened_email")
        #expect(event.providerEventID == "5a8c0d1e-0000-4000-8000-000000000001")
        #expect(event.time == 1_767_225_590_000)
        #expect(event.subject == "01GDDKASAP8TKDDA2GRZDSVP4H")
    }

    // MARK: Configuration

    @Test func configurationNamesWhatIsMissing() throws {
        let loaded = try RouteConfigTests.load(["routes.json": """
            {"sources": [
              {"name": "t", "provider": "twilio", "secrets": ["env:K"]},
              {"name": "s", "provider": "square"},
              {"name": "h", "provider": "hubspot", "secrets": ["env:K"], "signatureVersions": ["v4"]},
              {"name": "h1", "provider": "hubspot", "secrets": ["env:K"], "signatureVersions": ["v1"]},
              {"name": "m", "provider": "mandrill", "secrets": ["env:K"], "publicURL": "https://h.example/hooks/m"},
              {"name": "c", "provider": "mailchimp", "secrets": ["env:K"], "secretParameter": "key"},
              {"name": "x", "provider": "xero", "secrets": []},
              {"name": "k", "provider": "klaviyo", "secrets": ["env:K"], "tolerance": "1m", "split": false}
            ]}
            """])
        #expect(loaded.errors == [
            "routes/routes.json:2:3: sources[0].publicURL: twilio signs the URL it calls: set publicURL to the webhook URL exactly as configured in Twilio",
            "routes/routes.json:3:3: sources[1].secrets: square needs at least one secret: the subscription's signature key",
            "routes/routes.json:3:3: sources[1].publicURL: square signs the notification URL: set publicURL to it exactly as in the subscription",
            "routes/routes.json:4:3: sources[2].publicURL: hubspot v2/v3 signatures cover the URL: set publicURL to the app's target URL exactly",
            #"routes/routes.json:4:84: sources[2].signatureVersions[0]: unknown value "v4"; did you mean "v1"?"#,
            "routes/routes.json:8:48: sources[6].secrets: xero needs at least one secret: the app's webhook key",
        ], "\(loaded.lines)")
        #expect(loaded.config == nil)
        let valid = try RouteConfigTests.load(["routes.json": """
            {"sources": [
              {"name": "h1", "provider": "hubspot", "secrets": ["env:K"], "signatureVersions": ["v1"]},
              {"name": "m", "provider": "mandrill", "secrets": ["env:K"], "publicURL": "https://h.example/hooks/m"},
              {"name": "c", "provider": "mailchimp", "secrets": ["env:K"], "secretParameter": "key"}
            ]}
            """])
        #expect(valid.errors.isEmpty, "\(valid.lines)")
        #expect(valid.config?.sources.count == 3)
    }

    @Test func lenientTimes() {
        #expect(GroupB.milliseconds(iso: "2026-01-01T00:00:00") == 1_767_225_600_000)
        #expect(GroupB.milliseconds(iso: "2026-01-01 00:00:00") == 1_767_225_600_000)
        #expect(GroupB.milliseconds(iso: "2025-12-31T16:00:00-0800") == 1_767_225_600_000)
        #expect(GroupB.milliseconds(iso: "2025-12-31T16:00:00-08:00") == 1_767_225_600_000)
        #expect(GroupB.milliseconds(iso: "yesterday") == nil)
        #expect(GroupB.milliseconds(rfc2822: "Thu, 1 Jan 2026 01:00:00 +0100") == 1_767_225_600_000)
        #expect(GroupB.rfc2822(unixSeconds: 1_767_225_600) == "Thu, 01 Jan 2026 00:00:00 +0000")
        #expect(GroupB.formEncode("a b+c&é") == "a+b%2Bc%26%C3%A9")
    }
}
