import Foundation
import Testing

@testable import HookRelay
import TestSupport

/// The outbound request builder (DESIGN §7): bodies, headers, Standard Webhooks signatures, auth.
@Suite struct OutboundRequestTests {
    static let envelope = Array(#"{"specversion":"1.0","id":"evt-1","data": {"amount": 12, "note":"é\n"} ,"provider":"stripe"}"#.utf8)
    static let rawHeaders = Array((
        "Host: relay.example.com\r\n" + "User-Agent: Stripe/1.0\r\n" + "Content-Type: application/json; charset=utf-8\r\n"
            + "Content-Length: 17\r\n" + "Stripe-Signature: t=1,v1=abc\r\n" + "X-GitHub-Event: push\r\n"
            + "Authorization: Basic aW5ncmVzczpzZWNyZXQ=\r\n" + "Cookie: session=1\r\n" + "X-Forwarded-For: 203.0.113.9\r\n"
            + "Connection: keep-alive\r\n" + "Accept-Encoding: gzip\r\n" + "X-Multi: one\r\n" + "x-multi: two\r\n"
            + "Expect: 100-continue\r\n" + "Idempotency-Key: provider-key\r\n" + "X-Empty:\r\n").utf8)
    static let rawBody: [UInt8] = Array(#"{"raw": true}"#.utf8) + [0xFF, 0x00, 0x0A]

    static func destination(_ body: DeliveryBody = .envelope, secret: String? = nil, auth: DestinationAuth? = nil) -> DestinationSettings {
        var destination = DestinationSettings(name: "billing-n8n", kind: .n8n, url: "https://n8n.example.com/webhook/billing")
        destination.body = body
        destination.signingSecret = secret.map { Secret($0) }
        destination.auth = auth
        return destination
    }

    static func make(_ destination: DestinationSettings, now: Int64 = 1_700_000_000_999, eventID: String = "evt-1",
                     envelope: [UInt8] = envelope) -> OutboundRequest {
        OutboundRequest.make(eventID: eventID, envelope: envelope, rawHeaders: rawHeaders, rawBody: rawBody,
                             destination: destination, now: now)
    }

    static func pairs(_ request: OutboundRequest) -> [String] {
        request.headers.map { "\($0.name): \($0.value)" }
    }

    // MARK: Bodies and exact headers

    @Test func envelopeModeSendsTheEnvelopeWithExactlyTheDocumentedHeaders() {
        let request = Self.make(Self.destination())
        #expect(request.url == "https://n8n.example.com/webhook/billing")
        #expect(request.body == Self.envelope)
        #expect(Self.pairs(request) == [
            "Content-Type: application/json",
            "User-Agent: hookrelay/\(hookrelayVersion)",
            "Idempotency-Key: evt-1:billing-n8n",
            "webhook-id: evt-1",
            "webhook-timestamp: 1700000000",
        ])
        #expect(request.timeout == .seconds(10) && request.connectTimeout == .seconds(10) && !request.insecureSkipVerify)
    }

    @Test func dataModeSplicesTheDataValueBytesUnchanged() {
        let request = Self.make(Self.destination(.data))
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"amount": 12, "note":"é\n"}"#)
        #expect(request.header("Content-Type") == "application/json")
        let withoutData = Self.make(Self.destination(.data), envelope: Array(#"{"id":"x"}"#.utf8))
        #expect(withoutData.body == Array("null".utf8))
    }

    @Test func rawModeForwardsTheExactBodyAndTheProvidersHeadersButNotHopByHopOrCredentials() {
        let request = Self.make(Self.destination(.raw))
        #expect(request.body == Self.rawBody)
        #expect(Self.pairs(request) == [
            "Content-Type: application/json; charset=utf-8",
            "Stripe-Signature: t=1,v1=abc",
            "X-GitHub-Event: push",
            "X-Multi: one",
            "x-multi: two",
            "X-Empty: ",
            "User-Agent: hookrelay/\(hookrelayVersion)",
            "Idempotency-Key: evt-1:billing-n8n",
            "webhook-id: evt-1",
            "webhook-timestamp: 1700000000",
        ])
        for name in ["Host", "Content-Length", "Authorization", "Cookie", "X-Forwarded-For", "Connection", "Accept-Encoding", "Expect"] {
            #expect(!OutboundRequest.isForwardedInRawMode(name), "\(name)")
        }
        #expect(OutboundRequest.isForwardedInRawMode("X-Hub-Signature-256") && OutboundRequest.isForwardedInRawMode("svix-signature"))
    }

    @Test func rawModeWithoutAnOriginalContentTypeSendsNone() {
        let request = OutboundRequest.make(eventID: "e", envelope: Self.envelope, rawHeaders: Array("X-A: 1\r\n".utf8),
                                           rawBody: [1, 2], destination: Self.destination(.raw), now: 0)
        #expect(request.header("Content-Type") == nil)
        #expect(request.header("X-A") == "1")
        #expect(request.body == [1, 2])
    }

    @Test func rawModeSkipsMalformedOrNonUTF8HeaderLines() {
        let raw = Array("Good: yes\nno colon here\r\nBad Name: x\r\n".utf8) + Array("Latin: caf".utf8) + [0xE9] + Array("\r\nTail: ok\r\n".utf8)
        let request = OutboundRequest.make(eventID: "e", envelope: [], rawHeaders: raw, rawBody: [],
                                           destination: Self.destination(.raw), now: 0)
        #expect(request.headers.prefix(2).map { "\($0.name)=\($0.value)" } == ["Good=yes", "Tail=ok"])
    }

    @Test func rawModeKeepsAStandardWebhooksProvidersOwnSignatureHeadersInsteadOfAddingHookrelays() {
        let raw = Array("webhook-id: msg_1\r\nwebhook-timestamp: 1614265330\r\nwebhook-signature: v1,abc=\r\n".utf8)
        let request = OutboundRequest.make(eventID: "evt-9", envelope: [], rawHeaders: raw, rawBody: [7],
                                           destination: Self.destination(.raw, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), now: 5000)
        #expect(request.headerValues("webhook-id") == ["msg_1"])
        #expect(request.headerValues("webhook-timestamp") == ["1614265330"])
        #expect(request.headerValues("webhook-signature") == ["v1,abc="])
        #expect(request.header("Idempotency-Key") == "evt-9:billing-n8n")
    }

    @Test func takesTimeoutsAndTLSSettingsFromTheDestination() {
        var destination = Self.destination()
        destination.timeout = .seconds(3)
        destination.insecureSkipVerify = true
        let short = Self.make(destination)
        #expect(short.timeout == .seconds(3) && short.connectTimeout == .seconds(3) && short.insecureSkipVerify)
        destination.timeout = .seconds(30)
        let long = Self.make(destination)
        #expect(long.timeout == .seconds(30) && long.connectTimeout == .seconds(10))
    }

    // MARK: Idempotency and signatures

    @Test func idempotencyKeyIsStableAcrossAttemptsWhileTimestampAndSignatureChange() {
        let destination = Self.destination(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let first = Self.make(destination, now: 1_700_000_000_000)
        let retry = Self.make(destination, now: 1_700_000_300_000)
        #expect(first.header("Idempotency-Key") == "evt-1:billing-n8n")
        #expect(retry.header("Idempotency-Key") == first.header("Idempotency-Key"))
        #expect(retry.header("webhook-id") == first.header("webhook-id"))
        #expect(first.header("webhook-timestamp") == "1700000000" && retry.header("webhook-timestamp") == "1700000300")
        #expect(first.header("webhook-signature") != retry.header("webhook-signature"))
        var other = destination
        other.name = "audit"
        #expect(Self.make(other).header("Idempotency-Key") == "evt-1:audit")
    }

    @Test func signatureVerifiesWithAnIndependentStandardWebhooksCheck() throws {
        let secret = "whsec_" + Data((0..<32).map { UInt8($0 * 7 % 256) }).base64EncodedString()
        for body in [DeliveryBody.envelope, .data, .raw] {
            let request = Self.make(Self.destination(body, secret: secret), now: 1_614_265_330_123)
            let id = try #require(request.header("webhook-id"))
            let timestamp = try #require(request.header("webhook-timestamp"))
            let signature = try #require(request.header("webhook-signature"))
            #expect(timestamp == "1614265330")
            #expect(StandardWebhooksCheck.verify(secret: secret, id: id, timestamp: timestamp, body: request.body, signature: signature),
                    "\(body)")
            // A changed body, id or timestamp does not verify.
            #expect(!StandardWebhooksCheck.verify(secret: secret, id: id, timestamp: timestamp, body: request.body + [32], signature: signature))
            #expect(!StandardWebhooksCheck.verify(secret: secret, id: id + "x", timestamp: timestamp, body: request.body, signature: signature))
            #expect(!StandardWebhooksCheck.verify(secret: secret, id: id, timestamp: "1614265331", body: request.body, signature: signature))
        }
    }

    @Test func reproducesThePublishedStandardWebhooksExample() {
        let payload = Array(#"{"test": 2432232314}"#.utf8)
        let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        #expect(OutboundRequest.standardWebhooksSignature(secret: Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                                                          id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: payload) == expected)
        #expect(StandardWebhooksCheck.verify(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                             timestamp: "1614265330", body: payload, signature: expected))
        let request = OutboundRequest.make(eventID: "msg_p5jXN8AQM9LWM0D4loKWxJek", envelope: payload, rawHeaders: [], rawBody: [],
                                           destination: Self.destination(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                                           now: 1_614_265_330_000)
        #expect(request.header("webhook-signature") == expected)
    }

    @Test func secretKeyIsBase64AfterAnOptionalPrefixElseTheRawBytes() {
        #expect(OutboundRequest.standardWebhooksKey(Secret("whsec_aGVsbG8=")) == Array("hello".utf8))
        #expect(OutboundRequest.standardWebhooksKey(Secret("aGVsbG8=")) == Array("hello".utf8))
        #expect(OutboundRequest.standardWebhooksKey(Secret("not base64!")) == Array("not base64!".utf8))
        #expect(OutboundRequest.standardWebhooksKey(Secret("whsec_%%")) == Array("whsec_%%".utf8))
        let request = Self.make(Self.destination(secret: "correct horse battery staple"))
        let signature = request.header("webhook-signature")!
        let mac = hmacSHA256(key: Array("correct horse battery staple".utf8),
                         message: Array("evt-1.1700000000.".utf8) + request.body)
        #expect(signature == "v1," + Data(mac).base64EncodedString())
    }

    @Test func noSignatureWithoutASigningSecret() {
        #expect(Self.make(Self.destination()).header("webhook-signature") == nil)
    }

    // MARK: Auth

    @Test func addsBearerBasicOrCustomHeaderAuth() throws {
        let bearer = Self.make(Self.destination(auth: .bearer(Secret("tok-123"))))
        #expect(bearer.headerValues("Authorization") == ["Bearer tok-123"])
        let basic = Self.make(Self.destination(auth: .basic(username: "relay", password: Secret("p:ss wörd"))))
        let credentials = try #require(basic.header("Authorization")?.dropFirst("Basic ".count))
        #expect(basic.header("Authorization")?.hasPrefix("Basic ") == true)
        #expect(Data(base64Encoded: String(credentials)).map { String(decoding: $0, as: UTF8.self) } == "relay:p:ss wörd")
        let custom = Self.make(Self.destination(auth: .header(name: "X-N8N-Key", value: Secret("k-9"))))
        #expect(custom.headers.last.map { "\($0.name): \($0.value)" } == "X-N8N-Key: k-9")
        #expect(custom.header("Authorization") == nil)
    }

    @Test func customAuthHeaderReplacesAForwardedHeaderOfTheSameName() {
        let request = OutboundRequest.make(eventID: "e", envelope: [], rawHeaders: Array("x-n8n-key: from-provider\r\nX-Keep: 1\r\n".utf8),
                                           rawBody: [], destination: Self.destination(.raw, auth: .header(name: "X-N8N-Key", value: Secret("ours"))),
                                           now: 0)
        #expect(request.headerValues("X-N8N-Key") == ["ours"])
        #expect(request.header("X-Keep") == "1")
        let bearer = Self.make(Self.destination(.raw, auth: .bearer(Secret("ours"))))
        #expect(bearer.headerValues("Authorization") == ["Bearer ours"])
    }
}

/// The Standard Webhooks verification, written independently of the code under test: Foundation's base64 and
/// HMAC-SHA256 built from SHA-256 by RFC 2104 (not OpenSSL's HMAC).
enum StandardWebhooksCheck {
    static func verify(secret: String, id: String, timestamp: String, body: [UInt8], signature: String) -> Bool {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let key = Data(base64Encoded: encoded) else { return false }
        let mac = TestSupport.hmacSHA256(key: Array(key), message: Array("\(id).\(timestamp).".utf8) + body)
        let expected = "v1," + Data(mac).base64EncodedString()
        return signature.split(separator: " ").contains { $0 == expected }
    }
}
