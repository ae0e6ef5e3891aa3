import Foundation
@testable import hookrelay
import HookRelay
import Testing

@Suite struct EventListingTests {
    @Test func printsAPrettyPrintedPayloadOnOneLine() throws {
        let data = "{\r\n  \"id\": \"evt_1\",\n  \"note\": \"line\\nbreak \\u00e4 ä\"\n}"
        let envelope = Envelope(id: "0193a5e2-7c1f-7b7e-9f0a-3c5d2e1b4a99", source: "/hooks/stripe", type: "stripe.x",
                                time: "2026-01-01T00:00:00Z", subject: nil, data: Array(data.utf8)[...], provider: "stripe",
                                providerEventID: "evt_1", receivedAt: "2026-01-01T00:00:00.000Z").encoded()
        let event = StoredEvent(id: "0193a5e2-7c1f-7b7e-9f0a-3c5d2e1b4a99", source: "stripe", provider: "stripe",
                                providerEventID: "evt_1", type: "stripe.x", subject: nil, time: "2026-01-01T00:00:00Z",
                                receivedAt: 0, rawHeaders: [], rawBody: Array(data.utf8), envelope: envelope, deliveries: [])
        let line = EventListing.jsonLine(event)
        #expect(!line.contains("\n") && !line.contains("\r"))
        #expect(line.utf8.count == envelope.count + #","status":"stored""#.utf8.count)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let expected = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? NSDictionary
        #expect((object["data"] as? NSDictionary) == expected)
        #expect((object["data"] as? [String: Any])?["note"] as? String == "line\nbreak ä ä")
        #expect(object["status"] as? String == "stored")
    }
}
