import Foundation
import HTTPServer
@testable import HookRelay
import Testing

/// RFC 4231 / RFC 2202 cases as stored in `Vectors/` (key and data in hex).
private struct RFCVectors: Decodable {
    struct Case: Decodable {
        var `case`: Int
        var key: String
        var data: String
        var sha1: String?
        var sha256: String?
        var sha512: String?
    }

    var cases: [Case]

    static func load(_ name: String) throws -> RFCVectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(name)")
        return try JSONDecoder().decode(RFCVectors.self, from: Data(contentsOf: url))
    }
}

private func bytes(hex text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text) else { fatalError("bad hex in test: \(text)") }
    return bytes
}

private struct ConfigFailed: Error, CustomStringConvertible {
    var description: String
}

/// Runs a preset's `configure` on a source object written as JSON, as the route loader would.
private func configure(_ preset: any ProviderPreset.Type, _ json: String, secrets: [String] = [], tolerance: Duration? = nil)
    throws -> (factory: (any ProviderFactory)?, diagnostics: [ConfigDiagnostic]) {
    let node = try JSONValue.parse(json)
    guard let object = ConfigObject(node, at: JSONPath.root.appending("sources").appending(index: 0)) else {
        throw ConfigFailed(description: "not an object: \(json)")
    }
    let settings = SourceSettings(name: object["name"]?.stringValue ?? "generic", provider: preset.name,
                                  secrets: secrets.map { Secret($0) }, tolerance: tolerance)
    var decoder = ConfigDecoder(file: "routes/generic.json")
    decoder.checkKeys(of: object, allowed: RouteConfig.sourceKeys + preset.optionKeys)
    let factory = preset.configure(settings, source: object, decoder: &decoder)
    return (decoder.hasErrors ? nil : factory, decoder.diagnostics)
}

/// A generic `hmac` provider from a source object; with `clock` (unix milliseconds), one that reads that clock.
private func makeHMACProvider(_ json: String, secrets: [String], tolerance: Duration? = nil,
                              clock: (() -> Int64)? = nil) throws -> any Provider {
    let (factory, diagnostics) = try configure(GenericHMACPreset.self, json, secrets: secrets, tolerance: tolerance)
    guard let factory else { throw ConfigFailed(description: diagnostics.map(\.description).joined(separator: "\n")) }
    guard let clock else { return factory.makeProvider(context: ProviderContext()) }
    let hmac = try #require(factory as? GenericHMACPreset.Factory)
    return GenericHMACProvider(hmac.configuration, keys: hmac.keys, clock: clock)
}

private func webhook(body: [UInt8], headers: [(String, String)] = [], method: String = "POST",
                     publicURL: String = "https://hooks.example.com/hooks/generic") -> WebhookRequest {
    WebhookRequest(method: method, target: "/hooks/generic", headers: HTTPHeaders([("Host", "hooks.example.com")] + headers),
                   body: body, clientAddress: "127.0.0.1", receivedAt: 1_767_225_600_000, publicURL: publicURL)
}

private func verification(_ provider: any Provider, _ request: WebhookRequest) -> VerificationFailure? {
    do {
        try provider.verify(request)
        return nil
    } catch {
        return error
    }
}

private func flippingLastByte(_ mac: [UInt8]) -> [UInt8] {
    var copy = mac
    copy[copy.count - 1] ^= 0x01
    return copy
}

@Suite struct GenericHMACProviderTests {
    @Test func verifiesRFC4231VectorsForSHA256AndSHA512InHexAndBase64() throws {
        let vectors = try RFCVectors.load("rfc4231.json")
        #expect(vectors.cases.map(\.case) == [1, 2, 3, 4, 6, 7])
        var checked = 0
        for algorithm in ["sha256", "sha512"] {
            for encoding in ["hex", "base64"] {
                for prefix in ["", "\(algorithm)="] {
                    let provider = try makeHMACProvider("""
                        {"name":"rfc","provider":"hmac","header":"X-Signature","algorithm":"\(algorithm)","encoding":"\(encoding)",
                         "prefix":"\(prefix)","secretEncoding":"hex","signedContent":"{body}"}
                        """, secrets: vectors.cases.map(\.key))
                    for vector in vectors.cases {
                        let mac = bytes(hex: try #require(algorithm == "sha256" ? vector.sha256 : vector.sha512))
                        func encoded(_ mac: [UInt8]) -> String { prefix + (encoding == "hex" ? Hex.encode(mac) : Base64.encode(mac)) }
                        let body = bytes(hex: vector.data)
                        let label = "RFC 4231 case \(vector.case) \(algorithm) \(encoding) prefix '\(prefix)'"
                        #expect(verification(provider, webhook(body: body, headers: [("X-Signature", encoded(mac))])) == nil, "\(label)")
                        let forged = verification(provider, webhook(body: body, headers: [("X-Signature", encoded(flippingLastByte(mac)))]))
                        #expect(forged?.code == "bad_signature", "\(label)")
                        #expect(forged?.reason == "signature does not match any of 6 secrets", "\(label)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == 48)
    }

    @Test func verifiesRFC2202VectorsForSHA1() throws {
        let vectors = try RFCVectors.load("rfc2202.json")
        #expect(vectors.cases.count == 7)
        for vector in vectors.cases {
            let provider = try makeHMACProvider("""
                {"name":"rfc","provider":"hmac","header":"X-Hub-Signature","algorithm":"sha1","prefix":"sha1=","secretEncoding":"hex",
                 "signedContent":"{body}"}
                """, secrets: [vector.key])
            let mac = try #require(vector.sha1)
            let body = bytes(hex: vector.data)
            #expect(verification(provider, webhook(body: body, headers: [("X-Hub-Signature", "sha1=" + mac)])) == nil,
                    "RFC 2202 case \(vector.case)")
            let wrong = verification(provider, webhook(body: body + [0], headers: [("X-Hub-Signature", "sha1=" + mac)]))
            #expect(wrong?.code == "bad_signature", "RFC 2202 case \(vector.case)")
            #expect(wrong?.reason == "signature does not match", "RFC 2202 case \(vector.case)")
        }
    }

    @Test func decodesUTF8AndBase64Secrets() throws {
        // RFC 4231 case 2: key "Jefe".
        let body = Array("what do ya want for nothing?".utf8)
        let mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        for (encoding, secret) in [("utf8", "Jefe"), ("base64", "SmVmZQ=="), ("base64", "SmVmZQ"), ("hex", "4a656665")] {
            let provider = try makeHMACProvider(#"{"header":"X-Sig","secretEncoding":"\#(encoding)"}"#, secrets: [secret])
            #expect(verification(provider, webhook(body: body, headers: [("X-Sig", mac)])) == nil, "\(encoding) \(secret)")
        }
    }

    @Test func signsTimestampDotBodyWithinToleranceBothWays() throws {
        let secret = "generic-timestamp-secret"
        let key = try HMACKey(algorithm: .sha256, key: Array(secret.utf8))
        let now: Int64 = 1_767_225_600
        let body = Array(#"{"id":"42","event":"order.created"}"#.utf8)
        let provider = try makeHMACProvider("""
            {"header":"X-Signature","timestampHeader":"X-Timestamp","signedContent":"{timestamp}.{body}","encoding":"base64"}
            """, secrets: [secret], tolerance: .seconds(300), clock: { now * 1000 })
        func request(_ t: Int64, signedAs signed: Int64? = nil) -> WebhookRequest {
            let mac = key.authenticationCode(for: "\(signed ?? t)", ".", body)
            return webhook(body: body, headers: [("X-Signature", Base64.encode(mac)), ("X-Timestamp", "\(t)")])
        }
        for t in [now, now - 300, now + 300, now - 1, now + 1] {
            #expect(verification(provider, request(t)) == nil, "t = now \(t - now)")
        }
        for (t, by) in [(now - 301, 1), (now + 301, 1), (now - 3600, 3300), (now + 86_400, 86_100)] {
            let failure = verification(provider, request(Int64(t)))
            #expect(failure?.code == "stale_timestamp", "t = now \(t - now)")
            #expect(failure?.reason == "timestamp outside tolerance by \(by)s", "t = now \(t - now)")
        }
        // The timestamp is part of the signed content: a fresh header on an old signature does not pass.
        #expect(verification(provider, request(now, signedAs: now - 10))?.code == "bad_signature")
        let missing = verification(provider, webhook(body: body, headers: [("X-Signature", "AAAA")]))
        #expect(missing?.code == "malformed_signature", "a 3-byte base64 MAC is malformed before the timestamp is read")
        let mac = Base64.encode(key.authenticationCode(for: "\(now)", ".", body))
        let noTimestamp = verification(provider, webhook(body: body, headers: [("X-Signature", mac)]))
        #expect(noTimestamp?.code == "missing_signature")
        #expect(noTimestamp?.reason == "missing X-Timestamp header")
        for text in ["soon", "-1767225600", "+1767225600", "1767225600.5", "", "١٢٣"] {
            let failure = verification(provider, webhook(body: body, headers: [("X-Signature", mac), ("X-Timestamp", text)]))
            #expect(failure?.code == "malformed_signature", "timestamp '\(text)'")
            #expect(failure?.reason == "malformed X-Timestamp header", "timestamp '\(text)'")
        }
    }

    @Test func readsMillisecondTimestamps() throws {
        let key = try HMACKey(algorithm: .sha256, key: Array("ms".utf8))
        let now: Int64 = 1_767_225_600_123
        let body = Array("{}".utf8)
        let provider = try makeHMACProvider("""
            {"header":"X-Signature","timestampHeader":"X-Timestamp","timestampUnit":"ms","signedContent":"{timestamp}:{body}"}
            """, secrets: ["ms"], tolerance: .seconds(5), clock: { now })
        func check(_ t: Int64) -> VerificationFailure? {
            verification(provider, webhook(body: body, headers: [("X-Signature", Hex.encode(key.authenticationCode(for: "\(t)", ":", body))),
                                                                 ("X-Timestamp", "\(t)")]))
        }
        #expect(check(now - 5000) == nil)
        #expect(check(now + 5000) == nil)
        #expect(check(now - 7000)?.code == "stale_timestamp")
        #expect(check(now + 7000)?.code == "stale_timestamp")
    }

    @Test func signsIdURLAndMethodPlaceholders() throws {
        let secret = "placeholder-secret"
        let key = try HMACKey(algorithm: .sha512, key: Array(secret.utf8))
        let body = Array(#"{"ok":true}"#.utf8)
        let url = "https://hooks.example.com/hooks/generic?tenant=a%20b"
        let provider = try makeHMACProvider("""
            {"header":"X-Signature","algorithm":"sha512","idHeader":"X-Delivery","signedContent":"{method} {url}\\n{id}:{body}"}
            """, secrets: [secret])
        let mac = Hex.encode(key.authenticationCode(for: "POST ", url, "\n", "dlv_123", ":", body))
        func request(id: String? = "dlv_123", method: String = "POST", url: String = url) -> WebhookRequest {
            var headers = [("X-Signature", mac)]
            if let id { headers.append(("X-Delivery", id)) }
            return webhook(body: body, headers: headers, method: method, publicURL: url)
        }
        #expect(verification(provider, request()) == nil)
        #expect(verification(provider, request(id: "dlv_124"))?.code == "bad_signature")
        #expect(verification(provider, request(method: "PUT"))?.code == "bad_signature")
        #expect(verification(provider, request(url: "https://hooks.example.com/hooks/generic?tenant=b"))?.code == "bad_signature")
        let missing = verification(provider, request(id: nil))
        #expect(missing?.code == "missing_signature")
        #expect(missing?.reason == "missing X-Delivery header")
        // The id header is also the event id.
        guard case .events(let events, _) = try provider.interpret(request()) else { throw ConfigFailed(description: "no events") }
        #expect(events.map(\.providerEventID) == ["dlv_123"])
    }

    @Test func reportsMissingAndMalformedSignatureHeaders() throws {
        let provider = try makeHMACProvider(#"{"header":"X-Signature","prefix":"sha256="}"#, secrets: ["s3cret-value"])
        let body = Array("{}".utf8)
        let good = "sha256=" + Hex.encode(try HMACKey(algorithm: .sha256, key: Array("s3cret-value".utf8)).authenticationCode(for: body))
        #expect(verification(provider, webhook(body: body, headers: [("X-Signature", good)])) == nil)
        #expect(verification(provider, webhook(body: body, headers: [("x-signature", good)])) == nil, "header names ignore case")
        let missing = verification(provider, webhook(body: body))
        #expect(missing == VerificationFailure("missing_signature", "missing X-Signature header"))
        let malformed = [
            String(good.dropFirst(7)),  // no prefix
            "sha1=" + good.dropFirst(7),  // another prefix
            good + "00",  // too long
            String(good.dropLast(2)),  // too short
            String(good.dropLast()) + "g",  // not hex
            "sha256=",  // empty
            "sha256= " + good.dropFirst(7),  // a space
        ]
        for value in malformed {
            let failure = verification(provider, webhook(body: body, headers: [("X-Signature", value)]))
            #expect(failure == VerificationFailure("malformed_signature", "malformed X-Signature header"), "\(value)")
            #expect(failure?.reason.contains(value) == false)
        }
    }

    @Test func acceptsAnyConfiguredSecretDuringRotation() throws {
        let body = Array(#"{"rotating":true}"#.utf8)
        let provider = try makeHMACProvider(#"{"header":"X-Signature","encoding":"base64"}"#, secrets: ["new-secret", "old-secret"])
        func signature(_ secret: String) throws -> String {
            Base64.encode(try HMACKey(algorithm: .sha256, key: Array(secret.utf8)).authenticationCode(for: body))
        }
        #expect(verification(provider, webhook(body: body, headers: [("X-Signature", try signature("new-secret"))])) == nil)
        #expect(verification(provider, webhook(body: body, headers: [("X-Signature", try signature("old-secret"))])) == nil)
        let other = try signature("retired-secret")
        let failure = verification(provider, webhook(body: body, headers: [("X-Signature", other)]))
        #expect(failure == VerificationFailure("bad_signature", "signature does not match any of 2 secrets"))
        for secret in ["new-secret", "old-secret", other, try signature("new-secret"), try signature("old-secret")] {
            #expect(failure?.reason.contains(secret) == false)
        }
    }

    @Test func refusesInvalidConfiguration() throws {
        func errors(_ json: String, secrets: [String] = ["s"], tolerance: Duration? = nil) throws -> [String] {
            try configure(GenericHMACPreset.self, json, secrets: secrets, tolerance: tolerance).diagnostics.filter(\.isError).map(\.message)
        }
        #expect(try errors(#"{"algorithm":"sha256"}"#) == [#"missing required key "header""#])
        #expect(try errors(#"{"header":"X","signedContent":"{timestamp}.{body}"}"#) == ["{timestamp} needs timestampHeader"])
        #expect(try errors(#"{"header":"X","signedContent":"{id}.{body}"}"#) == ["{id} needs idHeader"])
        #expect(try errors(#"{"header":"X","signedContent":"{timestamp}"}"#, tolerance: nil).contains("signedContent must include {body}"))
        #expect(try errors(#"{"header":"X","signedContent":"{nonce}{body}"}"#).first?.hasPrefix("unknown placeholder {nonce}") == true)
        #expect(try errors(#"{"header":"X","signedContent":"{body"}"#) == ["unclosed { in signedContent"])
        #expect(try errors(#"{"header":"X"}"#, tolerance: .seconds(300)) == ["tolerance needs timestampHeader"])
        #expect(try errors(#"{"header":"X"}"#, secrets: []) == ["hmac needs at least one secret"])
        #expect(try errors(#"{"header":"X","secretEncoding":"hex"}"#, secrets: ["not-hex"]) == ["secret is not valid hex"])
        #expect(try errors(#"{"header":"X","algorithm":"md5"}"#).count == 1)
        #expect(try errors(#"{"header":"X","signingHeader":"Y"}"#).first?.hasPrefix(#"unknown key "signingHeader""#) == true)
        #expect(try errors(#"{"header":"X","timestampHeader":"T","signedContent":"{timestamp}.{body}"}"#, tolerance: .seconds(60)).isEmpty)
    }
}

// MARK: - Event fields (generic hmac and none)

@Suite struct UnsignedProviderTests {
    private func events(_ json: String = "{}", body: String, contentType: String?, headers: [(String, String)] = []) throws -> [NormalizedEvent] {
        let (factory, diagnostics) = try configure(UnsignedPreset.self, json)
        #expect(diagnostics.map(\.severity) == [.warning], "none always warns that it verifies nothing")
        let provider = try #require(factory).makeProvider(context: ProviderContext())
        let request = webhook(body: Array(body.utf8), headers: (contentType.map { [("Content-Type", $0)] } ?? []) + headers)
        #expect(throws: Never.self) { try provider.verify(request) }
        guard case .events(let events, let acknowledgement) = try provider.interpret(request) else {
            throw ConfigFailed(description: "not events")
        }
        #expect(acknowledgement == nil)
        return events
    }

    private func data(_ events: [NormalizedEvent]) -> String {
        String(decoding: events.first?.data ?? [], as: UTF8.self)
    }

    @Test func turnsAFormBodyIntoAJSONObject() throws {
        let result = try events(body: "a=1&b=x&b=y&name=J%C3%BCrgen+M%C3%BCller&empty=&zip=00501",
                                contentType: "application/x-www-form-urlencoded; charset=utf-8")
        #expect(data(result) == #"{"a":"1","b":["x","y"],"name":"Jürgen Müller","empty":"","zip":"00501"}"#)
        #expect(result.first?.type == "webhook")
        #expect(result.first?.providerEventID.hasPrefix("sha256:") == true)
    }

    @Test func refusesAMalformedFormBody() throws {
        let provider = try #require(try configure(UnsignedPreset.self, "{}").factory).makeProvider(context: ProviderContext())
        let request = webhook(body: Array("a=%zz".utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")])
        #expect(throws: NormalizationFailure("malformed form body")) { _ = try provider.interpret(request) }
    }

    @Test func turnsTextThatIsNotJSONIntoAJSONString() throws {
        #expect(data(try events(body: "hello \"world\"\n\tä €", contentType: "text/plain")) == #""hello \"world\"\n\tä €""#)
        #expect(data(try events(body: "ping", contentType: nil)) == #""ping""#)
        #expect(data(try events(body: "{\"almost\": json", contentType: "text/plain")) == #""{\"almost\": json""#)
    }

    @Test func splicesJSONBodiesAsSentWhateverTheContentType() throws {
        let body = "{ \"id\" : 7, \"city\": \"Z\\u00fcrich\", \"name\": \"Jürgen\" }"
        for contentType in ["application/json", "application/cloudevents+json", "text/plain", nil] {
            #expect(data(try events(body: body, contentType: contentType)) == body, "\(contentType ?? "no content type")")
        }
        #expect(data(try events(body: "[1,2]", contentType: nil)) == "[1,2]")
        #expect(data(try events(body: "42", contentType: nil)) == "42")
    }

    @Test func refusesInvalidJSONDeclaredAsJSON() throws {
        let provider = try #require(try configure(UnsignedPreset.self, "{}").factory).makeProvider(context: ProviderContext())
        for contentType in ["application/json", "application/vnd.api+json; charset=utf-8"] {
            let request = webhook(body: Array("{\"a\":".utf8), headers: [("Content-Type", contentType)])
            #expect(throws: NormalizationFailure.self, "\(contentType)") { _ = try provider.interpret(request) }
        }
        let binary = webhook(body: [0xFF, 0xFE, 0x00], headers: [("Content-Type", "application/octet-stream")])
        #expect(throws: NormalizationFailure("body is neither JSON, a form nor UTF-8 text")) { _ = try provider.interpret(binary) }
    }

    @Test func readsTypeIdSubjectAndTimeFields() throws {
        let options = #"{"typeField":"event.kind","idField":"event.id","subjectField":"event.order.number","timeField":"event.at"}"#
        let body = #"{"event":{"kind":"order.paid","id":98765,"order":{"number":"A-1"},"at":1767225600}}"#
        let event = try #require(try events(options, body: body, contentType: "application/json").first)
        #expect(event.type == "order.paid")
        #expect(event.providerEventID == "98765", "numeric ids become text")
        #expect(event.subject == "A-1")
        #expect(event.time == 1_767_225_600_000)
    }

    @Test func prefersTheTypeHeaderAndFallsBackToIdHeaderThenBodyHash() throws {
        let options = #"{"typeHeader":"X-Event","typeField":"kind","idField":"missing.id","idHeader":"X-Request-Id"}"#
        let body = #"{"kind":"from.body"}"#
        let withHeaders = try #require(try events(options, body: body, contentType: "application/json",
                                                  headers: [("X-Event", "from.header"), ("X-Request-Id", "req-1")]).first)
        #expect(withHeaders.type == "from.header")
        #expect(withHeaders.providerEventID == "req-1")
        let bare = try #require(try events(options, body: body, contentType: "application/json").first)
        #expect(bare.type == "from.body")
        #expect(bare.providerEventID == Payload.bodyHash(Array(body.utf8)))
        #expect(bare.subject == nil)
        #expect(bare.time == nil)
    }

    @Test func readsFieldsOutOfAFormBody() throws {
        let options = #"{"typeField":"EventType","idField":"MessageSid","subjectField":"From"}"#
        let event = try #require(try events(options, body: "MessageSid=SM123&EventType=delivered&From=%2B15551234567",
                                            contentType: "application/x-www-form-urlencoded").first)
        #expect(event.type == "delivered")
        #expect(event.providerEventID == "SM123")
        #expect(event.subject == "+15551234567")
    }

    @Test func genericHMACSourcesShareTheEventFields() throws {
        let body = "order=17&status=paid"
        let provider = try makeHMACProvider(#"{"header":"X-Sig","typeField":"status","idField":"order"}"#, secrets: ["form-secret"])
        let mac = Hex.encode(try HMACKey(algorithm: .sha256, key: Array("form-secret".utf8)).authenticationCode(for: Array(body.utf8)))
        let request = webhook(body: Array(body.utf8), headers: [("X-Sig", mac), ("Content-Type", "application/x-www-form-urlencoded")])
        #expect(verification(provider, request) == nil)
        guard case .events(let events, _) = try provider.interpret(request) else { throw ConfigFailed(description: "no events") }
        #expect(events.map { String(decoding: $0.data, as: UTF8.self) } == [#"{"order":"17","status":"paid"}"#])
        #expect(events.map(\.type) == ["paid"])
        #expect(events.map(\.providerEventID) == ["17"])
    }
}
