import Foundation
import HTTPServer
@testable import HookRelay
import Testing

/// `Vectors/stripe.json`, made with Stripe's own Python SDK by `scripts/vectors/make_stripe_vectors.py`.
private struct StripeVectors: Decodable {
    struct Verdict: Decodable {
        var valid: Bool
        var error: String?
    }

    struct Expectation: Decodable {
        var valid: Bool
        var code: String?
        var reason: String?
    }

    struct Case: Decodable {
        var name: String
        var payload: String
        var secrets: [String]
        var header: String?
        var now: Int64
        var sdk: Verdict
        var expect: Expectation
        var deviation: String?
    }

    var tolerance: Int64
    var cases: [Case]

    static func load() throws -> StripeVectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/stripe.json")
        return try JSONDecoder().decode(StripeVectors.self, from: Data(contentsOf: url))
    }
}

private func stripeRequest(body: [UInt8], signature: String?) -> WebhookRequest {
    var headers = HTTPHeaders([("Host", "hooks.example.com"), ("Content-Type", "application/json; charset=utf-8")])
    if let signature { headers.append(name: "Stripe-Signature", value: signature) }
    return WebhookRequest(method: "POST", target: "/hooks/stripe", headers: headers, body: body, clientAddress: "127.0.0.1",
                          receivedAt: 1_767_225_600_000, publicURL: "https://hooks.example.com/hooks/stripe")
}

private func verification(_ provider: StripeProvider, _ request: WebhookRequest) -> VerificationFailure? {
    do {
        try provider.verify(request)
        return nil
    } catch {
        return error
    }
}

@Suite struct StripeProviderTests {
    @Test func agreesWithStripesSDKOnEveryVector() throws {
        let vectors = try StripeVectors.load()
        #expect(vectors.tolerance == 300)
        #expect(vectors.cases.count >= 20)
        for vector in vectors.cases {
            let now = vector.now
            let provider = StripeProvider(secrets: vector.secrets.map { Secret($0) }, tolerance: .seconds(vectors.tolerance),
                                          clock: { now })
            let failure = verification(provider, stripeRequest(body: Array(vector.payload.utf8), signature: vector.header))
            #expect((failure == nil) == vector.expect.valid, "\(vector.name): \(failure?.reason ?? "accepted")")
            if vector.deviation == nil {
                #expect(vector.expect.valid == vector.sdk.valid, "\(vector.name): hookrelay must agree with the SDK")
            }
            if let code = vector.expect.code { #expect(failure?.code == code, "\(vector.name)") }
            if let reason = vector.expect.reason { #expect(failure?.reason == reason, "\(vector.name)") }
            if let failure { #expect(failure.status == 401, "\(vector.name)") }
        }
    }

    @Test func failureReasonsNeverContainASecretOrAMAC() throws {
        let vectors = try StripeVectors.load()
        for vector in vectors.cases where !vector.expect.valid {
            let now = vector.now
            let provider = StripeProvider(secrets: vector.secrets.map { Secret($0) }, tolerance: .seconds(300), clock: { now })
            let body = Array(vector.payload.utf8)
            let failure = try #require(verification(provider, stripeRequest(body: body, signature: vector.header)), "\(vector.name)")
            var forbidden: [String] = []
            for secret in vector.secrets {
                forbidden.append(secret)
                let timestamp = vector.header?.split(separator: ",").first { $0.hasPrefix("t=") }.map { String($0.dropFirst(2)) } ?? ""
                let expected = try HMACKey(algorithm: .sha256, key: Array(secret.utf8)).authenticationCode(for: timestamp, ".", body)
                forbidden += [Hex.encode(expected), Hex.encode(expected).uppercased(), Base64.encode(expected)]
            }
            for item in vector.header?.split(separator: ",") ?? [] {
                if let value = item.split(separator: "=", maxSplits: 1).last, value.count >= 16 { forbidden.append(String(value)) }
            }
            for text in forbidden {
                #expect(!failure.reason.contains(text), "\(vector.name): the reason echoes a secret or signature")
                #expect(!failure.description.contains(text), "\(vector.name)")
            }
            #expect(failure.reason.count < 80, "\(vector.name): a short reason")
        }
    }

    @Test func rejectsStaleStripeTimestampWithTheConfiguredTolerance() throws {
        let secret = "whsec_tolerance"
        let body = Array(#"{"id":"evt_1","type":"charge.succeeded"}"#.utf8)
        let key = try HMACKey(algorithm: .sha256, key: Array(secret.utf8))
        let t: Int64 = 1_700_000_000
        let header = "t=\(t),v1=\(Hex.encode(key.authenticationCode(for: "\(t)", ".", body)))"
        var now = t + 60
        let provider = StripeProvider(secrets: [Secret(secret)], tolerance: .seconds(60), clock: { now })
        #expect(verification(provider, stripeRequest(body: body, signature: header)) == nil)
        now = t + 61
        let failure = verification(provider, stripeRequest(body: body, signature: header))
        #expect(failure?.code == "stale_timestamp")
        #expect(failure?.reason == "timestamp outside tolerance by 1s")
        now = t - 86_400  // a day in the future: accepted, as Stripe's SDKs do
        #expect(verification(provider, stripeRequest(body: body, signature: header)) == nil)
    }

    // MARK: interpret

    private func interpret(_ json: String) throws -> NormalizedEvent {
        let provider = StripeProvider(secrets: [Secret("whsec_x")], tolerance: .seconds(300))
        guard case .events(let events, let acknowledgement) = try provider.interpret(stripeRequest(body: Array(json.utf8), signature: nil)) else {
            throw TestFailure("not events")
        }
        #expect(acknowledgement == nil)
        #expect(events.count == 1)
        return try #require(events.first)
    }

    @Test func extractsIdTypeCreatedAndSubjectFromASnapshotEvent() throws {
        let vectors = try StripeVectors.load()
        let payload = try #require(vectors.cases.first { $0.name == "valid" }).payload
        let event = try interpret(payload)
        #expect(event.providerEventID == "evt_1QhookrelayVector")
        #expect(event.type == "invoice.payment_failed")
        #expect(event.time == 1_767_225_590_000)
        #expect(event.subject == "in_1QhookrelayInvoice")
        #expect(event.data == Array(payload.utf8), "data is the raw body, byte for byte")
    }

    @Test func fallsBackToRelatedObjectIdForThinEvents() throws {
        let event = try interpret("""
            {"id":"evt_test_65R1","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered",
             "created":"2024-09-17T06:20:52.246Z","related_object":{"id":"mtr_test_61R1","type":"billing.meter",
             "url":"/v1/billing/meters/mtr_test_61R1"}}
            """)
        #expect(event.providerEventID == "evt_test_65R1")
        #expect(event.type == "v1.billing.meter.error_report_triggered")
        #expect(event.subject == "mtr_test_61R1")
        #expect(event.time == nil, "a non-integer created leaves the receive time")
    }

    @Test func prefersDataObjectIdOverRelatedObject() throws {
        let event = try interpret(#"{"id":"evt_2","type":"x.y","created":1,"data":{"object":{"id":"ch_1"}},"related_object":{"id":"r_1"}}"#)
        #expect(event.subject == "ch_1")
        #expect(event.time == 1000)
    }

    @Test func leavesSubjectEmptyWhenThereIsNoEntity() throws {
        let event = try interpret(#"{"id":"evt_3","type":"balance.available","data":{"object":{"object":"balance"}}}"#)
        #expect(event.subject == nil)
        #expect(event.time == nil)
    }

    @Test func refusesBodiesThatAreNotAStripeEvent() {
        let provider = StripeProvider(secrets: [Secret("whsec_x")], tolerance: .seconds(300))
        for body in ["", "{", #"{"id":"evt_1","type":"a"} trailing"#, "not json", #"{"id":"evt_1","type":"a",}"#] {
            #expect(throws: NormalizationFailure.self, "\(body)") {
                _ = try provider.interpret(stripeRequest(body: Array(body.utf8), signature: nil))
            }
        }
        #expect(throws: NormalizationFailure("event has no id")) {
            _ = try provider.interpret(stripeRequest(body: Array(#"{"type":"a"}"#.utf8), signature: nil))
        }
        #expect(throws: NormalizationFailure("event has no type")) {
            _ = try provider.interpret(stripeRequest(body: Array(#"{"id":"evt_1"}"#.utf8), signature: nil))
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite struct SignatureHeaderItemsTests {
    private func items(_ text: String) -> [String] {
        SignatureHeaderItems(Array(text.utf8)[...]).map { item in
            String(decoding: item.key, as: UTF8.self) + (item.value.map { "=" + String(decoding: $0, as: UTF8.self) } ?? "")
        }
    }

    @Test func splitsItemsAtTheFirstEqualsSignAndTrimsSpacesAndTabs() {
        #expect(items("t=1492774577,v1=5257a8,v0=6ffbb5") == ["t=1492774577", "v1=5257a8", "v0=6ffbb5"])
        #expect(items(" t = 12 ,\tv1=a=b\t") == ["t=12", "v1=a=b"])
        #expect(items("novalue,,=x,k=") == ["novalue", "", "=x", "k="])
        #expect(items("") == [])
        #expect(items("a=1,") == ["a=1"])
    }

    @Test func decimalsAreOneToEighteenASCIIDigits() {
        let decimal = { (text: String) in SignatureHeaderItems.decimal(Array(text.utf8)[...]) }
        #expect(decimal("1492774577") == 1_492_774_577)
        #expect(decimal("0") == 0)
        #expect(decimal("999999999999999999") == 999_999_999_999_999_999)
        for bad in ["", "+5", "-5", "1 2", "12a", "１２", "9999999999999999999"] { #expect(decimal(bad) == nil, "\(bad)") }
    }
}
