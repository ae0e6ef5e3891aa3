import Foundation
import HTTPServer
@testable import HookRelay
import Testing

/// `Vectors/<provider>.json` for the group A presets, made by `scripts/vectors/make_group_a_vectors.py`.
private struct GroupAVectors: Decodable {
    struct Expectation: Decodable {
        var valid: Bool
        var code: String?
        var reason: String?
    }

    struct Verdict: Decodable {
        var valid: Bool
    }

    struct Case: Decodable {
        var name: String
        var body: String
        var secrets: [String]
        var headers: [[String]]
        var now: Int64
        var expect: Expectation
        var sdk: Verdict?
        var deviation: String?
        var source: String?
        var encryptedToken: String?
    }

    var provider: String
    var tolerance: Int64?
    var cases: [Case]

    static func load(_ name: String) throws -> GroupAVectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(name).json")
        return try JSONDecoder().decode(GroupAVectors.self, from: Data(contentsOf: url))
    }
}

private let groupA = ["github", "meta", "shopify", "slack", "zoom", "calendly", "razorpay", "linear", "intercom", "bitbucket", "jira"]

/// A group A provider with default settings whose clock (unix ms) reads `now`.
private func makeProvider(_ name: String, secrets: [String], now: Int64 = 1_767_225_600_000, verifyToken: String? = nil,
                          split: Bool = true, tolerance: Duration? = nil) -> any Provider {
    let secrets = secrets.map { Secret($0) }
    let clock: () -> Int64 = { now }
    switch name {
    case "github": return GitHubProvider(secrets: secrets)
    case "meta": return MetaProvider(secrets: secrets, verifyToken: verifyToken.map { Secret($0) }, split: split)
    case "shopify": return ShopifyProvider(secrets: secrets)
    case "slack": return SlackProvider(secrets: secrets, tolerance: tolerance ?? SlackPreset.defaultTolerance, clock: clock)
    case "zoom": return ZoomProvider(secrets: secrets, tolerance: tolerance ?? ZoomPreset.defaultTolerance, clock: clock)
    case "calendly": return CalendlyProvider(secrets: secrets, tolerance: tolerance ?? CalendlyPreset.defaultTolerance, clock: clock)
    case "razorpay": return RazorpayProvider(secrets: secrets)
    case "linear": return LinearProvider(secrets: secrets, tolerance: tolerance ?? LinearPreset.defaultTolerance, clock: clock)
    case "intercom": return IntercomProvider(secrets: secrets)
    case "bitbucket": return BitbucketProvider(secrets: secrets)
    case "jira": return JiraProvider(secrets: secrets)
    default: fatalError("not a group A provider: \(name)")
    }
}

private func request(_ body: [UInt8], headers: [(String, String)], method: String = "POST", target: String = "/hooks/a") -> WebhookRequest {
    WebhookRequest(method: method, target: target, headers: HTTPHeaders([("Host", "hooks.example.com")] + headers), body: body,
                   clientAddress: "127.0.0.1", receivedAt: 1_767_225_600_000, publicURL: "https://hooks.example.com" + target)
}

private func request(_ body: String, headers: [(String, String)], method: String = "POST", target: String = "/hooks/a") -> WebhookRequest {
    request(Array(body.utf8), headers: headers, method: method, target: target)
}

private func verification(_ provider: any Provider, _ request: WebhookRequest) -> VerificationFailure? {
    do {
        try provider.verify(request)
        return nil
    } catch {
        return error
    }
}

/// The events of a verified request, or a failure when it is a handshake.
private func interpretEvents(_ provider: any Provider, _ request: WebhookRequest) throws -> (events: [NormalizedEvent], acknowledgement: HTTPResponse?) {
    guard case .events(let events, let acknowledgement) = try provider.interpret(request) else { throw TestFailure("a handshake, not events") }
    return (events, acknowledgement)
}

private func handshake(_ provider: any Provider, _ request: WebhookRequest) throws -> HTTPResponse {
    guard case .handshake(let response) = try provider.interpret(request) else { throw TestFailure("events, not a handshake") }
    return response
}

private func one(_ provider: any Provider, _ request: WebhookRequest) throws -> NormalizedEvent {
    let (events, _) = try interpretEvents(provider, request)
    try #require(events.count == 1, "\(events.count) events")
    return events[0]
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

private func hexMAC(_ digest: DigestAlgorithm, _ secret: String, _ parts: String...) throws -> String {
    let key = try HMACKey(algorithm: digest, key: Array(secret.utf8))
    return Hex.encode(key.authenticationCode { message in for part in parts { message.append(part) } })
}

@Suite struct GroupAVectorTests {
    @Test(arguments: groupA)
    func verifiesEveryVector(_ name: String) throws {
        let vectors = try GroupAVectors.load(name)
        #expect(vectors.provider == name)
        #expect(vectors.cases.count >= 12, "\(name): valid, tampered, wrong secret, missing header, rotation, malformed…")
        for vector in vectors.cases {
            let provider = makeProvider(name, secrets: vector.secrets, now: vector.now)
            let webhook = request(vector.body, headers: vector.headers.map { ($0[0], $0[1]) })
            let failure = verification(provider, webhook)
            #expect((failure == nil) == vector.expect.valid, "\(name) / \(vector.name): \(failure?.reason ?? "accepted")")
            if let code = vector.expect.code { #expect(failure?.code == code, "\(name) / \(vector.name)") }
            if let reason = vector.expect.reason { #expect(failure?.reason == reason, "\(name) / \(vector.name)") }
            if let failure { #expect(failure.status == 401, "\(name) / \(vector.name)") }
            if let sdk = vector.sdk, vector.deviation == nil {
                #expect(sdk.valid == vector.expect.valid, "\(name) / \(vector.name): hookrelay must agree with the provider's SDK")
            }
            if let token = vector.encryptedToken {
                let answer = try handshake(provider, webhook)
                #expect(text(answer.body).contains(#""encryptedToken":"\#(token)""#), "\(name) / \(vector.name): \(text(answer.body))")
            }
        }
    }

    @Test(arguments: groupA)
    func failureReasonsNeverEchoASecretOrASignature(_ name: String) throws {
        let vectors = try GroupAVectors.load(name)
        for vector in vectors.cases where !vector.expect.valid {
            let provider = makeProvider(name, secrets: vector.secrets, now: vector.now)
            let failure = try #require(verification(provider, request(vector.body, headers: vector.headers.map { ($0[0], $0[1]) })),
                                       "\(name) / \(vector.name)")
            var forbidden = vector.secrets
            for header in vector.headers where header[1].count >= 16 && !header[0].lowercased().contains("timestamp") {
                forbidden.append(header[1])
                if let value = header[1].split(separator: "=", maxSplits: 1).last, value.count >= 16 { forbidden.append(String(value)) }
            }
            for secret in vector.secrets {
                for digest in [DigestAlgorithm.sha1, .sha256] {
                    let expected = try HMACKey(algorithm: digest, key: Array(secret.utf8)).authenticationCode(for: vector.body)
                    forbidden += [Hex.encode(expected), Base64.encode(expected)]
                }
            }
            for text in forbidden {
                #expect(!failure.reason.contains(text), "\(name) / \(vector.name): the reason echoes a secret or signature")
            }
            #expect(failure.reason.count < 80, "\(name) / \(vector.name): a short reason")
        }
    }

    @Test func publishedExamplesAreIncluded() throws {
        let published = try ["github", "slack", "razorpay"].flatMap { try GroupAVectors.load($0).cases.filter { $0.source != nil } }
        #expect(published.count == 4)
        #expect(published.allSatisfy { $0.expect.valid })
    }
}

// MARK: Handshakes

@Suite struct GroupAHandshakeTests {
    private func metaGET(_ query: String, token: String? = "verify-me") -> HTTPResponse? {
        let provider = makeProvider("meta", secrets: ["app-secret"], verifyToken: token)
        return provider.unsignedHandshake(request([], headers: [], method: "GET", target: "/hooks/meta?" + query))
    }

    @Test func metaEchoesTheChallengeWhenTheVerifyTokenMatches() throws {
        let answer = try #require(metaGET("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me"))
        #expect(answer.status == 200)
        #expect(text(answer.body) == "1158201444")
        #expect(answer.headers["Content-Type"]?.hasPrefix("text/plain") == true)
        #expect(answer.headers["X-Content-Type-Options"] == "nosniff")
        let encoded = try #require(metaGET("hub.verify_token=verify%2Dme&hub.challenge=abc_123&hub.mode=subscribe"))
        #expect(encoded.status == 200 && text(encoded.body) == "abc_123", "parameters are percent-decoded and may come in any order")
    }

    @Test func metaRefusesAWrongOrMissingVerifyToken() throws {
        #expect(metaGET("hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess")?.status == 403)
        #expect(metaGET("hub.mode=subscribe&hub.challenge=1&hub.verify_token=verify-mee")?.status == 403)
        #expect(metaGET("hub.mode=subscribe&hub.challenge=1&hub.verify_token=verify-me", token: nil)?.status == 403,
                "without a configured verifyToken nothing matches")
        let answer = try #require(metaGET("hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess"))
        #expect(!text(answer.body).contains("verify-me"))
    }

    @Test func metaRefusesMalformedSubscriptions() {
        #expect(metaGET("")?.status == 400)
        #expect(metaGET("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me")?.status == 400)
        #expect(metaGET("hub.mode=subscribe&hub.verify_token=verify-me")?.status == 400)
        #expect(metaGET("hub.mode=subscribe&hub.challenge=1&hub.challenge=2&hub.verify_token=verify-me")?.status == 400)
        #expect(metaGET("hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=verify-me")?.status == 400,
                "a challenge that is not a plain token is not reflected")
        #expect(metaGET("hub.mode=subscribe&hub.challenge=\(String(repeating: "1", count: 257))&hub.verify_token=verify-me")?.status == 400)
        #expect(metaGET("hub.mode=subscribe&hub.challenge=%ZZ&hub.verify_token=verify-me")?.status == 400)
        let provider = makeProvider("meta", secrets: ["s"], verifyToken: "t")
        #expect(provider.allowedMethods == ["GET", "POST"])
        #expect(provider.unsignedHandshake(request("{}", headers: [])) == nil, "POSTs go on to verification")
        #expect(makeProvider("github", secrets: ["s"]).allowedMethods == ["POST"])
    }

    @Test func slackAnswersURLVerificationWithTheChallenge() throws {
        let body = #"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#
        let answer = try handshake(makeProvider("slack", secrets: ["s"]), request(body, headers: [("Content-Type", "application/json")]))
        #expect(answer.status == 200)
        #expect(text(answer.body) == #"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#)
        let quoted = try handshake(makeProvider("slack", secrets: ["s"]),
                                   request(#"{"type":"url_verification","challenge":"a\"b"}"#, headers: []))
        #expect(text(quoted.body) == #"{"challenge":"a\"b"}"#, "the challenge is JSON-escaped, never spliced raw")
        #expect(throws: NormalizationFailure.self) {
            _ = try makeProvider("slack", secrets: ["s"]).interpret(request(#"{"type":"url_verification"}"#, headers: []))
        }
    }

    @Test func zoomAnswersURLValidationWithTheEncryptedToken() throws {
        let secret = "zoom-secret-token"
        let body = #"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#
        let ts = "1767225600"
        let signature = "v0=" + (try hexMAC(.sha256, secret, "v0:", ts, ":", body))
        let webhook = request(body, headers: [("x-zm-request-timestamp", ts), ("x-zm-signature", signature)])
        let provider = makeProvider("zoom", secrets: [secret])
        #expect(verification(provider, webhook) == nil)
        let answer = try handshake(provider, webhook)
        #expect(answer.status == 200)
        #expect(answer.headers["Content-Type"] == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: String])
        #expect(object == ["plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": try hexMAC(.sha256, secret, "qgg8vlvZRS6UYooatFL8Aw")])
    }

    @Test(arguments: [("github", "ping"), ("intercom", "ping"), ("bitbucket", "diagnostics:ping")])
    func signedPingsAreAnsweredAndNotStored(_ provider: String, _ ping: String) throws {
        let answer: HTTPResponse
        switch provider {
        case "github":
            answer = try handshake(makeProvider("github", secrets: ["s"]),
                                   request(#"{"zen":"Speak like a human.","hook_id":42}"#, headers: [("X-GitHub-Event", ping)]))
        case "intercom":
            answer = try handshake(makeProvider("intercom", secrets: ["s"]),
                                   request(#"{"type":"notification_event","topic":"ping","data":{"item":{"type":"ping"}},"id":null}"#,
                                           headers: []))
        default:
            answer = try handshake(makeProvider("bitbucket", secrets: ["s"]), request(#"{"test":true}"#, headers: [("X-Event-Key", ping)]))
        }
        #expect(answer.status == 200)
        #expect(text(answer.body) == #"{"ping":"ok"}"#)
    }
}

// MARK: Normalization

@Suite struct GroupANormalizationTests {
    @Test func githubTypesByEventAndActionAndKeysByDelivery() throws {
        let provider = makeProvider("github", secrets: ["s"])
        let body = #"{"action":"opened","issue":{"number":1347},"repository":{"full_name":"octocat/Hello-World"}}"#
        let event = try one(provider, request(body + "\n", headers: [("X-GitHub-Event", "issues"),
                                                                       ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")]))
        #expect(event.type == "issues.opened")
        #expect(event.providerEventID == "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        #expect(event.subject == "octocat/Hello-World#1347")
        #expect(event.time == nil, "GitHub has no event time: the receive time")
        #expect(event.data == Array(body.utf8), "the body without its trailing newline")
        let push = try one(provider, request(#"{"ref":"refs/heads/main","repository":{"full_name":"o/r"}}"#, headers: [("X-GitHub-Event", "push")]))
        #expect(push.type == "push" && push.subject == "o/r")
        #expect(push.providerEventID.hasPrefix("sha256:"), "no delivery header: a body hash")
        #expect(throws: NormalizationFailure("missing X-GitHub-Event header")) { _ = try provider.interpret(request("{}", headers: [])) }
    }

    @Test func githubFormBodiesCarryTheJSONInThePayloadField() throws {
        let provider = makeProvider("github", secrets: ["s"])
        let form = "payload=%7B%22action%22%3A%22closed%22%2C%22pull_request%22%3A%7B%22number%22%3A7%7D%2C%22repository%22%3A"
            + "%7B%22full_name%22%3A%22o%2Fr%22%7D%2C%22title%22%3A%22Gr%C3%BC%C3%9Fe+%2B+1%22%7D"
        let event = try one(provider, request(form, headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                                               ("X-GitHub-Event", "pull_request")]))
        #expect(event.type == "pull_request.closed")
        #expect(event.subject == "o/r#7")
        #expect(text(event.data) == #"{"action":"closed","pull_request":{"number":7},"repository":{"full_name":"o/r"},"title":"Grüße + 1"}"#)
        for bad in ["payload=%7B", "other=1", "payload=%7B%7D&payload=%7B%7D", "payload=%ZZ"] {
            #expect(throws: NormalizationFailure.self, "\(bad)") {
                _ = try provider.interpret(request(bad, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-GitHub-Event", "push")]))
            }
        }
    }

    @Test func metaSplitsEveryChangeAndMessagingItemIntoItsOwnEvent() throws {
        let body = """
            {"object":"whatsapp_business_account","entry":[
             {"id":"WABA_1","time":1763720100,"changes":[{"field":"messages","value":{"messages":[{"id":"wamid.A","from":"49151","timestamp":"1763720100","text":{"body":"Hall\\u00f6"}}]}},
                                       {"field":"messages","value":{"statuses":[{"id":"wamid.B","status":"delivered","timestamp":"1763720160"}]}}]},
             {"id":"WABA_2","time":1763720200,"changes":[{"field":"message_template_status_update","value":{"event":"APPROVED"}}]}
            ]}
            """
        let provider = makeProvider("meta", secrets: ["s"])
        let (events, acknowledgement) = try interpretEvents(provider, request(body, headers: []))
        #expect(acknowledgement == nil)
        #expect(events.map(\.type) == ["whatsapp_business_account.messages", "whatsapp_business_account.messages",
                                        "whatsapp_business_account.message_template_status_update"])
        #expect(events.map(\.providerEventID).prefix(2) == ["wamid.A", "wamid.B:delivered"])
        #expect(events[2].providerEventID.hasPrefix("sha256:"))
        #expect(events.map(\.subject) == ["WABA_1", "WABA_1", "WABA_2"])
        #expect(events.map(\.time) == [1_763_720_100_000, 1_763_720_160_000, 1_763_720_200_000])
        #expect(text(events[0].data) == #"{"field":"messages","value":{"messages":[{"id":"wamid.A","from":"49151","timestamp":"1763720100","text":{"body":"Hall\u00f6"}}]}}"#,
                "each item's data is its exact bytes, escapes included")
        #expect(text(events[2].data) == #"{"field":"message_template_status_update","value":{"event":"APPROVED"}}"#)
        let again = try interpretEvents(provider, request(body, headers: [])).events
        #expect(again.map(\.providerEventID) == events.map(\.providerEventID), "ids are stable across Meta's retries")
    }

    @Test func metaTypesMessagingItemsByTheirWebhookField() throws {
        let body = """
            {"object":"page","entry":[{"id":"PAGE","time":1458692752478,"messaging":[
             {"sender":{"id":"U1"},"recipient":{"id":"PAGE"},"timestamp":1458692752000,"message":{"mid":"m_1","text":"hi"}},
             {"sender":{"id":"PAGE"},"recipient":{"id":"U1"},"timestamp":1458692752100,"message":{"mid":"m_2","is_echo":true,"text":"yo"}},
             {"sender":{"id":"U1"},"recipient":{"id":"PAGE"},"timestamp":1458692752200,"delivery":{"mids":["m_2"],"watermark":1458668856253}},
             {"sender":{"id":"U1"},"recipient":{"id":"PAGE"},"timestamp":1458692752300,"postback":{"mid":"m_3","payload":"START"}},
             {"sender":{"id":"U1"},"recipient":{"id":"PAGE"},"timestamp":1458692752400,"brand_new_thing":{}}
            ]}]}
            """
        let events = try interpretEvents(makeProvider("meta", secrets: ["s"]), request(body, headers: [])).events
        #expect(events.map(\.type) == ["page.messages", "page.message_echoes", "page.message_deliveries", "page.messaging_postbacks",
                                        "page.brand_new_thing"])
        #expect(events.map(\.providerEventID).prefix(2) == ["m_1", "m_2"])
        #expect(events[2].providerEventID != events[3].providerEventID && events[3].providerEventID.hasPrefix("sha256:"))
        #expect(events.map(\.time) == [1_458_692_752_000, 1_458_692_752_100, 1_458_692_752_200, 1_458_692_752_300, 1_458_692_752_400],
                "messaging timestamps are milliseconds")
        #expect(events.allSatisfy { $0.subject == "PAGE" })
    }

    @Test func metaKeepsTheBatchWhenSplitIsOff() throws {
        let body = #"{"object":"page","entry":[{"id":"P","time":1520383571,"changes":[{"field":"feed","value":{"a":1}},{"field":"feed","value":{"a":2}}]}]}"#
        let provider = makeProvider("meta", secrets: ["s"], split: false)
        let event = try one(provider, request(body, headers: []))
        #expect(event.type == "page.feed" && event.subject == "P")
        #expect(event.time == 1_520_383_571_000, "Graph change entries carry seconds")
        #expect(event.data == Array(body.utf8))
        #expect(event.providerEventID == Payload.bodyHash(Array(body.utf8)))
        let mixed = #"{"object":"page","entry":[{"id":"P","changes":[{"field":"feed","value":{}}]},{"id":"Q","changes":[{"field":"mention","value":{}}]}]}"#
        let batch = try one(provider, request(mixed, headers: []))
        #expect(batch.type == "page" && batch.subject == nil)
    }

    @Test func metaRefusesBodiesWithoutAnEntryArray() throws {
        let provider = makeProvider("meta", secrets: ["s"])
        for body in [#"{"entry":[]}"#, #"{"object":"page"}"#, #"{"object":"page","entry":{}}"#, #"{"object":"page","entry":[1]}"#,
                     #"{"object":"page","entry":[{"changes":[2]}]}"#, "[]", "{"] {
            #expect(throws: NormalizationFailure.self, "\(body)") { _ = try provider.interpret(request(body, headers: [])) }
        }
        let (empty, _) = try interpretEvents(provider, request(#"{"object":"page","entry":[]}"#, headers: []))
        #expect(empty.isEmpty)
        let bare = try one(provider, request(#"{"object":"user","entry":[{"id":"U","time":1,"uid":"U","changed_fields":["email"]}]}"#, headers: []))
        #expect(bare.type == "user" && bare.subject == "U", "an entry without items is one event")
    }

    @Test func shopifyUsesItsHeaders() throws {
        let body = #"{"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","id":820982911946154508}"#
        let event = try one(makeProvider("shopify", secrets: ["s"]), request(body, headers: [
            ("X-Shopify-Topic", "orders/create"), ("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
            ("X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5"), ("X-Shopify-Triggered-At", "2023-03-29T18:00:27.877041743Z"),
        ]))
        #expect(event.type == "orders/create")
        #expect(event.providerEventID == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
        #expect(event.time == 1_680_112_827_877)
        #expect(event.subject == "gid://shopify/Order/820982911946154508")
        let bare = try one(makeProvider("shopify", secrets: ["s"]), request(#"{"id":7}"#, headers: [("X-Shopify-Topic", "customers/redact")]))
        #expect(bare.subject == "7" && bare.time == nil)
    }

    @Test func slackEventsUseTheEventCallbackFields() throws {
        let body = #"{"type":"event_callback","event_id":"Ev08MFMKH6","event_time":1767225590,"team_id":"T1","event":{"type":"message","subtype":"channel_join","channel":"C1","user":"U1"}}"#
        let event = try one(makeProvider("slack", secrets: ["s"]), request(body, headers: [("Content-Type", "application/json")]))
        #expect(event.type == "message.channel_join")
        #expect(event.providerEventID == "Ev08MFMKH6")
        #expect(event.time == 1_767_225_590_000)
        #expect(event.subject == "C1")
        let limited = try one(makeProvider("slack", secrets: ["s"]),
                              request(#"{"token":"x","api_app_id":"A1","type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820}"#, headers: []))
        #expect(limited.type == "app_rate_limited" && limited.subject == "T1")
    }

    @Test func slackFormsAreAnsweredWithAnEmptyBody() throws {
        let provider = makeProvider("slack", secrets: ["s"])
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        let (commands, commandAck) = try interpretEvents(provider, request(
            "command=%2Fweather&text=94070&channel_id=C2147483705&trigger_id=13345224609.738474920.8088930838d88f008e0", headers: form))
        #expect(commands.first?.type == "slash_command")
        #expect(commands.first?.providerEventID == "13345224609.738474920.8088930838d88f008e0")
        #expect(commands.first?.subject == "C2147483705")
        #expect(text(commands.first?.data ?? []) == #"{"command":"/weather","text":"94070","channel_id":"C2147483705","trigger_id":"13345224609.738474920.8088930838d88f008e0"}"#)
        #expect(commandAck?.status == 200 && commandAck?.body.isEmpty == true)
        let interactive = "payload=" + #"{"type":"block_actions","trigger_id":"123.456","user":{"id":"U1"},"channel":{"id":"C9"}}"#
            .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let (actions, actionAck) = try interpretEvents(provider, request(interactive, headers: form))
        #expect(actions.first?.type == "block_actions" && actions.first?.subject == "C9" && actions.first?.providerEventID == "123.456")
        #expect(actionAck?.body.isEmpty == true)
        #expect(throws: NormalizationFailure.self) { _ = try provider.interpret(request("text=hi", headers: form)) }
    }

    @Test func zoomKeysByBodyHashAndReadsEventTimeInMilliseconds() throws {
        let body = #"{"event":"meeting.started","event_ts":1626230691572,"payload":{"account_id":"A","object":{"id":85746065432,"uuid":"u=="}}}"#
        let event = try one(makeProvider("zoom", secrets: ["s"]), request(body, headers: []))
        #expect(event.type == "meeting.started")
        #expect(event.time == 1_626_230_691_572)
        #expect(event.subject == "85746065432")
        #expect(event.providerEventID == Payload.bodyHash(Array(body.utf8)))
    }

    @Test func calendlyDerivesAnIdFromTheEventAndTheResource() throws {
        let body = #"{"created_at":"2020-11-23T17:51:19.000000Z","event":"invitee.canceled","payload":{"uri":"https://api.calendly.com/scheduled_events/E/invitees/I"}}"#
        let event = try one(makeProvider("calendly", secrets: ["s"]), request(body, headers: []))
        #expect(event.type == "invitee.canceled")
        #expect(event.providerEventID == "invitee.canceled:https://api.calendly.com/scheduled_events/E/invitees/I")
        #expect(event.subject == "https://api.calendly.com/scheduled_events/E/invitees/I")
        #expect(event.time == 1_606_153_879_000)
    }

    @Test func razorpayUsesTheEventIdHeaderAndTheContainedEntity() throws {
        let vectors = try GroupAVectors.load("razorpay")
        let published = try #require(vectors.cases.first { $0.name.hasPrefix("published: razorpay-python") })
        let event = try one(makeProvider("razorpay", secrets: ["s"]), request(published.body, headers: [("X-Razorpay-Event-Id", "Jb3iJtYdKDFKMR")]))
        #expect(event.type == "payment.authorized")
        #expect(event.providerEventID == "Jb3iJtYdKDFKMR")
        #expect(event.subject == "pay_6koWN7bvxujzxM")
        #expect(event.time == 1_400_826_760_000)
        #expect(event.data == Array(published.body.utf8.dropLast()), "the body without its final newline")
        let refund = try one(makeProvider("razorpay", secrets: ["s"]), request(
            #"{"event":"refund.created","contains":["refund","payment"],"payload":{"payment":{"entity":{"id":"pay_1"}},"refund":{"entity":{"id":"rfnd_1"}}}}"#,
            headers: []))
        #expect(refund.subject == "rfnd_1", "the first entity the event contains")
    }

    @Test func linearTypesByResourceAndAction() throws {
        let body = #"{"action":"update","createdAt":"2025-12-31T23:59:59.000Z","data":{"id":"issue-1"},"type":"Issue","webhookId":"w1","webhookTimestamp":1767225599000}"#
        let provider = makeProvider("linear", secrets: ["s"])
        let event = try one(provider, request(body, headers: [("Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72")]))
        #expect(event.type == "Issue.update")
        #expect(event.providerEventID == "234d1a4e-b617-4388-90fe-adc3633d6b72")
        #expect(event.subject == "issue-1")
        #expect(event.time == 1_767_225_599_000)
        let retried = body.replacingOccurrences(of: "1767225599000", with: "1767225660000")
        let a = try one(provider, request(body, headers: [])), b = try one(provider, request(retried, headers: []))
        #expect(a.providerEventID == b.providerEventID, "without Linear-Delivery the id ignores webhookTimestamp, which retries change")
        #expect(a.providerEventID.hasPrefix("sha256:"))
    }

    @Test func intercomBitbucketAndJiraReadTheirOwnFields() throws {
        let intercom = try one(makeProvider("intercom", secrets: ["s"]), request(
            #"{"type":"notification_event","id":"notif_1","topic":"conversation.admin.closed","created_at":1767225590,"data":{"item":{"type":"conversation","id":"147"}}}"#,
            headers: []))
        #expect(intercom.type == "conversation.admin.closed" && intercom.providerEventID == "notif_1")
        #expect(intercom.subject == "147" && intercom.time == 1_767_225_590_000)

        let cloud = try one(makeProvider("bitbucket", secrets: ["s"]), request(
            #"{"pullrequest":{"id":12},"repository":{"full_name":"team/repo"}}"#,
            headers: [("X-Event-Key", "pullrequest:created"), ("X-Request-UUID", "afe2d0a3")]))
        #expect(cloud.type == "pullrequest:created" && cloud.providerEventID == "afe2d0a3" && cloud.subject == "team/repo#12")
        let dataCenter = try one(makeProvider("bitbucket", secrets: ["s"]), request(
            #"{"eventKey":"pr:opened","date":"2017-09-19T09:58:11Z","pullRequest":{"id":3},"repository":{"slug":"repo","project":{"key":"PRJ"}}}"#,
            headers: [("X-Request-Id", "d8f1c0e2")]))
        #expect(dataCenter.type == "pr:opened" && dataCenter.providerEventID == "d8f1c0e2" && dataCenter.subject == "PRJ/repo#3")
        #expect(dataCenter.time == 1_505_815_091_000)

        let jira = try one(makeProvider("jira", secrets: ["s"]), request(
            #"{"timestamp":1767225590123,"webhookEvent":"jira:issue_updated","issue":{"id":"10002","key":"PROJ-7"}}"#,
            headers: [("X-Atlassian-Webhook-Identifier", "38475912")]))
        #expect(jira.type == "jira:issue_updated" && jira.providerEventID == "38475912")
        #expect(jira.subject == "PROJ-7" && jira.time == 1_767_225_590_123)
        let sprint = try one(makeProvider("jira", secrets: ["s"]), request(#"{"webhookEvent":"sprint_started","sprint":{"id":5}}"#, headers: []))
        #expect(sprint.subject == "sprint/5")
    }

    @Test(arguments: groupA)
    func refusesBodiesThatAreNotTheProvidersJSON(_ name: String) {
        let provider = makeProvider(name, secrets: ["s"])
        let headers = [("X-GitHub-Event", "push"), ("X-Shopify-Topic", "orders/create"), ("X-Event-Key", "repo:push")]
        for body in ["", "not json", "{", #"{"a":1} trailing"#, "[1,2]", "\"text\""] {
            #expect(throws: NormalizationFailure.self, "\(name): \(body)") { _ = try provider.interpret(request(body, headers: headers)) }
        }
    }
}

// MARK: Samples and configuration

@Suite struct GroupASampleAndConfigurationTests {
    private static var presets: [any SamplingPreset.Type] { [GitHubPreset.self, MetaPreset.self, ShopifyPreset.self, SlackPreset.self,
                                                              ZoomPreset.self, CalendlyPreset.self, RazorpayPreset.self, LinearPreset.self,
                                                              IntercomPreset.self, BitbucketPreset.self, JiraPreset.self] }

    @Test func everyPresetIsRegisteredAndSamples() {
        for preset in Self.presets {
            #expect(ProviderRegistry.preset(named: preset.name) != nil, "\(preset.name)")
            #expect(!preset.sampleEventTypes.isEmpty)
        }
        #expect(Self.presets.map { $0.name } == groupA)
    }

    /// The sample is signed exactly as the provider signs: the provider's own verification accepts it.
    @Test func everySampleVerifiesAndNormalizes() throws {
        let now: Int64 = 1_767_225_600_123
        for preset in Self.presets {
            for type in preset.sampleEventTypes {
                let sample = try preset.sample(SampleRequest(secret: Secret("sample-secret-\(preset.name)"), eventType: type,
                                                             url: "http://127.0.0.1:8080/hooks/\(preset.name)", now: now, nonce: "n0nce123456"))
                let webhook = request(sample.body, headers: sample.headers)
                let provider = makeProvider(preset.name, secrets: ["sample-secret-\(preset.name)"], now: now)
                #expect(verification(provider, webhook) == nil, "\(preset.name) \(type)")
                #expect(verification(makeProvider(preset.name, secrets: ["another"], now: now), webhook)?.code == "bad_signature",
                        "\(preset.name) \(type)")
                switch try provider.interpret(webhook) {
                case .handshake(let answer):
                    #expect(["url_verification", "endpoint.url_validation", "ping"].contains(type), "\(preset.name) \(type)")
                    #expect(answer.status == 200)
                case .events(let events, _):
                    #expect(!events.isEmpty, "\(preset.name) \(type)")
                    for event in events {
                        #expect((try? Payload.validateJSON(event.data)) != nil, "\(preset.name) \(type)")
                        #expect(event.type == type || preset.name == "github" && type.hasPrefix(event.type), "\(preset.name): \(event.type) ≠ \(type)")
                        #expect(!event.providerEventID.isEmpty)
                    }
                }
            }
        }
    }

    @Test func samplesDoNotRepeatIdsAcrossNonces() throws {
        for preset in Self.presets {
            var ids: Set<String> = []
            for nonce in ["aaaaaaaaaaaa", "bbbbbbbbbbbb"] {
                let sample = try preset.sample(SampleRequest(secret: Secret("k"), url: "http://x/", now: 1_767_225_600_000, nonce: nonce))
                let provider = makeProvider(preset.name, secrets: ["k"], now: 1_767_225_600_000)
                guard case .events(let events, _) = try provider.interpret(request(sample.body, headers: sample.headers)) else { continue }
                ids.formUnion(events.map(\.providerEventID))
            }
            #expect(ids.count == 2, "\(preset.name): repeated sends are not deduplicated")
        }
    }

    private func configure(_ preset: any ProviderPreset.Type, _ json: String, secrets: [String], tolerance: Duration? = nil,
                           verifyToken: String? = nil) throws -> (Bool, [ConfigDiagnostic]) {
        let object = try #require(ConfigObject(try JSONValue.parse(json), at: JSONPath.root.appending("sources").appending(index: 0)))
        let settings = SourceSettings(name: "a", provider: preset.name, secrets: secrets.map { Secret($0) },
                                      verifyToken: verifyToken.map { Secret($0) }, tolerance: tolerance)
        var decoder = ConfigDecoder(file: "routes/a.json")
        let factory = preset.configure(settings, source: object, decoder: &decoder)
        return (factory != nil && !decoder.hasErrors, decoder.diagnostics)
    }

    @Test func everyPresetRequiresASecretAndSaysWhereToFindIt() throws {
        for preset in Self.presets {
            let (ok, diagnostics) = try configure(preset, #"{"name":"a","provider":"\#(preset.name)"}"#, secrets: [])
            #expect(!ok, "\(preset.name)")
            let message = try #require(diagnostics.first { $0.isError }?.description, "\(preset.name)")
            #expect(message.contains("\(preset.name) needs at least one secret ("), "\(message)")
            let (configured, clean) = try configure(preset, #"{"name":"a","provider":"\#(preset.name)","secrets":["env:X"]}"#,
                                                    secrets: ["x"], verifyToken: "t")
            #expect(configured && clean.isEmpty, "\(preset.name): \(clean)")
        }
    }

    @Test func warnsAboutSettingsThatDoNothing() throws {
        let (ok, diagnostics) = try configure(GitHubPreset.self, #"{"name":"a","provider":"github","secrets":["env:X"],"tolerance":"5m"}"#,
                                              secrets: ["x"], tolerance: .seconds(300))
        #expect(ok)
        #expect(diagnostics.count == 1 && diagnostics[0].description.contains("github signs no timestamp: tolerance is not used"))
        let (metaOK, metaDiagnostics) = try configure(MetaPreset.self, #"{"name":"a","provider":"meta","secrets":["env:X"]}"#, secrets: ["x"])
        #expect(metaOK)
        #expect(metaDiagnostics.contains { !$0.isError && $0.description.contains("verifyToken") })
        let (slackOK, slackDiagnostics) = try configure(SlackPreset.self, #"{"name":"a","provider":"slack","secrets":["env:X"],"tolerance":"1m"}"#,
                                                        secrets: ["x"], tolerance: .seconds(60))
        #expect(slackOK && slackDiagnostics.isEmpty)
    }

    @Test func toleranceOverridesTheDefault() throws {
        let body = #"{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}"#
        let ts = "1767225000"  // 600 s before now
        let headers = [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", "v0=" + (try hexMAC(.sha256, "s", "v0:", ts, ":", body)))]
        #expect(verification(makeProvider("slack", secrets: ["s"]), request(body, headers: headers))?.code == "stale_timestamp")
        #expect(verification(makeProvider("slack", secrets: ["s"], tolerance: .seconds(600)), request(body, headers: headers)) == nil)
    }
}
