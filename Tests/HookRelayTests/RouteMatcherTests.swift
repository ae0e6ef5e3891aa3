@testable import HookRelay
import Testing

/// The events the condition table runs against.
enum SampleEvent: String, Sendable, CaseIterable {
    /// A Stripe dispute with nested objects, arrays, escaped unicode, a number-named key and a 2^53 + 1 integer.
    case stripe
    /// A Meta page message: no subject, no provider event id, escaped non-ASCII text.
    case meta
    /// A SendGrid batch kept whole (`"split": false`): the payload is a top-level array.
    case sendgrid

    var envelope: Envelope {
        switch self {
        case .stripe:
            make(type: "stripe.charge.dispute.created", provider: "stripe", subject: "ch_1", providerEventID: "evt_1", data: """
                {"id":"evt_1","type":"charge.dispute.created","data":{"object":{"id":"du_1","amount":2000,
                 "amount_decimal":"2000.00","currency":"eur","livemode":true,"metadata":{"tier":"gold","note":null},
                 "tags":["vip","eu",3,true,null],"items":[{"id":"it_0","qty":1},{"id":"it_1","qty":2.5}],"0":"zero-key",
                 "customer":{"name":"J\\u00fcrgen \\ud83d\\ude00","email":"j\\u00fcrgen@example.com"},
                 "big":9007199254740993,"neg":-1.5e2}}}
                """)
        case .meta:
            make(type: "meta.page.messages", provider: "meta", subject: nil, providerEventID: nil, data: """
                {"object":"page","entry":[{"id":"PAGE_1","messaging":[{"message":{"text":"Gr\\u00fc\\u00dfe aus M\\u00fcnchen"}}]}]}
                """)
        case .sendgrid:
            make(type: "sendgrid.batch", provider: "sendgrid", subject: nil, providerEventID: "b1", data: """
                [{"event":"processed","sg_event_id":"e0"},{"event":"open","sg_event_id":"e1"}]
                """)
        }
    }

    private func make(type: String, provider: String, subject: String?, providerEventID: String?, data: String) -> Envelope {
        Envelope(id: "0193a5e2-7c1f-7b7e-9f0a-3c5d2e1b4a99", source: "/hooks/\(provider)", type: type,
                 time: "2026-11-21T10:15:00Z", subject: subject, data: Array(data.utf8)[...], provider: provider,
                 providerEventID: providerEventID, receivedAt: "2026-11-21T10:15:00.123Z")
    }
}

struct MatchCase: Sendable, CustomTestStringConvertible {
    let when: ConditionValue
    let event: SampleEvent
    let expected: Bool
    let note: String

    init(_ note: String, _ when: ConditionValue, _ expected: Bool) {
        self.init(note, when, .stripe, expected)
    }

    init(_ note: String, _ when: ConditionValue, _ event: SampleEvent, _ expected: Bool) {
        self.note = note
        self.when = when
        self.event = event
        self.expected = expected
    }

    var testDescription: String { "\(note): \(when) on \(event) → \(expected)" }
}

@Suite struct RouteMatcherTests {
    static let table: [MatchCase] = [
        // type globs
        MatchCase("star spans dots", ["type": "charge.*"], true),
        MatchCase("question mark is one character", ["type": "charge.?ispute.created"], true),
        MatchCase("no wildcard means the whole type", ["type": "charge"], false),
        MatchCase("array of globs is any-of", ["type": ["invoice.paid", "charge.dispute.*"]], true),
        MatchCase("leading star", ["type": "*.created"], true),
        MatchCase("provider prefix is not part of the type", ["type": "stripe.charge.*"], false),
        MatchCase("globs are case-sensitive", ["type": "Charge.*"], false),
        MatchCase("star alone", ["type": "*"], .meta, true),
        MatchCase("question mark mid-word", ["type": "page.messag?s"], .meta, true),
        // $eq and bare values
        MatchCase("bare true is $eq", ["data.data.object.livemode": true], true),
        MatchCase("$eq false on true", ["data.data.object.livemode": ["$eq": false]], false),
        MatchCase("bare number", ["data.data.object.amount": 2000], true),
        MatchCase("1 equals 1.0", ["data.data.object.amount": 2000.0], true),
        MatchCase("number never equals string", ["data.data.object.amount": "2000"], false),
        MatchCase("string never equals number", ["data.data.object.amount_decimal": ["$eq": 2000]], false),
        MatchCase("null equals null", ["data.data.object.metadata.note": .null], true),
        MatchCase("missing is not null", ["data.data.object.metadata.missing": .null], false),
        MatchCase("attribute equality", ["subject": "ch_1"], true),
        MatchCase("integers beyond 2^53 compare exactly", ["data.data.object.big": 9_007_199_254_740_993], true),
        MatchCase("2^53 is not 2^53 + 1", ["data.data.object.big": 9_007_199_254_740_992], false),
        MatchCase("escaped unicode decodes before comparing", ["data.data.object.customer.name": "Jürgen 😀"], true),
        MatchCase("an array never equals a scalar", ["data.data.object.tags": ["$eq": "vip"]], false),
        MatchCase("an object never equals a scalar", ["data.data.object.metadata": ["$eq": "gold"]], false),
        MatchCase("specversion attribute", ["specversion": "1.0"], true),
        MatchCase("datacontenttype attribute", ["datacontenttype": "application/json"], true),
        // $neq
        MatchCase("$neq different", ["subject": ["$neq": "ch_2"]], true),
        MatchCase("$neq on a missing attribute is true", ["subject": ["$neq": "x"]], .meta, true),
        MatchCase("$neq same", ["data.data.object.currency": ["$neq": "eur"]], false),
        MatchCase("$neq across types is true", ["data.data.object.amount": ["$neq": "2000"]], true),
        // $in / $nin
        MatchCase("$in strings", ["data.data.object.currency": ["$in": ["usd", "eur"]]], true),
        MatchCase("$in numbers numerically", ["data.data.object.amount": ["$in": [1, 2000.0]]], true),
        MatchCase("$nin member", ["data.data.object.currency": ["$nin": ["usd", "eur"]]], false),
        MatchCase("$nin on missing is true", ["data.data.object.nope": ["$nin": ["a"]]], true),
        MatchCase("$in on missing is false, even with null", ["data.data.object.nope": ["$in": ["a", .null]]], false),
        // $exists
        MatchCase("null counts as present", ["data.data.object.metadata.note": ["$exists": true]], true),
        MatchCase("$exists false on missing", ["data.data.object.metadata.gone": ["$exists": false]], true),
        MatchCase("absent subject does not exist", ["subject": ["$exists": false]], .meta, true),
        MatchCase("providereventid exists", ["providereventid": ["$exists": true]], true),
        MatchCase("absent providereventid", ["providereventid": ["$exists": true]], .meta, false),
        // $gt $gte $lt $lte
        MatchCase("$gt", ["data.data.object.amount": ["$gt": 1999]], true),
        MatchCase("range with two operators", ["data.data.object.amount": ["$gte": 2000, "$lt": 2001]], true),
        MatchCase("$lt boundary", ["data.data.object.amount": ["$lt": 2000]], false),
        MatchCase("$lte with a fraction literal", ["data.data.object.amount": ["$lte": 2000.0]], true),
        MatchCase("negative exponent number", ["data.data.object.neg": ["$lt": -149.99]], true),
        MatchCase("RFC 3339 strings order by time", ["time": ["$gte": "2026-01-01T00:00:00Z"]], true),
        MatchCase("$lt on equal time", ["time": ["$lt": "2026-11-21T10:15:00Z"]], false),
        MatchCase("string field against number literal", ["data.data.object.amount_decimal": ["$gt": 100]], false),
        MatchCase("number field against string literal", ["data.data.object.amount": ["$gt": "1"]], false),
        MatchCase("comparison on missing", ["data.data.object.nope": ["$lt": 5]], false),
        MatchCase("string order by code points", ["data.entry.0.messaging.0.message.text": ["$gt": "Gr"]], .meta, true),
        // $startsWith
        MatchCase("$startsWith through escapes", ["data.data.object.customer.email": ["$startsWith": "jürgen@"]], true),
        MatchCase("$startsWith on an attribute", ["source": ["$startsWith": "/hooks/"]], true),
        MatchCase("$startsWith on a number", ["data.data.object.amount": ["$startsWith": "20"]], false),
        MatchCase("$startsWith longer than the value", ["subject": ["$startsWith": "ch_1_and_more"]], false),
        // $contains
        MatchCase("$contains array element", ["data.data.object.tags": ["$contains": "eu"]], true),
        MatchCase("$contains number element numerically", ["data.data.object.tags": ["$contains": 3.0]], true),
        MatchCase("$contains null element", ["data.data.object.tags": ["$contains": .null]], true),
        MatchCase("$contains on arrays is membership, not substring", ["data.data.object.tags": ["$contains": "v"]], false),
        MatchCase("$contains substring", ["data.data.object.customer.email": ["$contains": "@example"]], true),
        MatchCase("$contains number in a string", ["data.data.object.customer.email": ["$contains": 1]], false),
        MatchCase("$contains on an object", ["data.data.object.metadata": ["$contains": "gold"]], false),
        // data paths and array indices
        MatchCase("dotted index", ["data.data.object.items.1.id": "it_1"], true),
        MatchCase("dotted index then comparison", ["data.data.object.items.1.qty": ["$gt": 2]], true),
        MatchCase("index out of bounds", ["data.data.object.items.2.id": ["$exists": true]], false),
        MatchCase("leading zero is not an index", ["data.data.object.items.01.id": ["$exists": true]], false),
        MatchCase("numeric segment names a key in an object", ["data.data.object.0": "zero-key"], true),
        MatchCase("top-level array index", ["data.1.event": "open"], .sendgrid, true),
        MatchCase("key on an array is missing", ["data.event": ["$exists": true]], .sendgrid, false),
        MatchCase("path through a scalar is missing", ["data.data.object.amount.x": ["$exists": false]], true),
        MatchCase("whole payload exists", ["data": ["$exists": true]], true),
        MatchCase("top-level array $contains", ["data": ["$contains": "open"]], .sendgrid, false),
        // $and $or $not
        MatchCase("$or with one true branch", ["$or": [["type": "invoice.*"], ["data.data.object.amount": ["$gte": 1000]]]], true),
        MatchCase("$and with one false branch", ["$and": [["type": "charge.*"], ["data.data.object.currency": "usd"]]], false),
        MatchCase("$not of true", ["$not": ["data.data.object.livemode": true]], false),
        MatchCase("$not of missing is true", ["$not": ["data.data.object.nope": 1]], true),
        MatchCase("nested combinators", ["$or": [["$and": [["type": "charge.*"], ["$not": ["subject": ["$startsWith": "in_"]]]]],
                                               ["provider": "meta"]]], true),
        MatchCase("nested combinators, no branch", ["$or": [["$and": [["type": "charge.*"], ["$not": ["subject": ["$startsWith": "ch_"]]]]],
                                                          ["provider": "meta"]]], false),
        MatchCase("field-level $not", ["data.data.object.amount": ["$not": ["$gt": 5000]]], true),
        MatchCase("field-level $not with bare value", ["data.data.object.currency": ["$not": "eur"]], false),
        MatchCase("several keys are AND-ed", ["type": "charge.*", "provider": "stripe", "data.data.object.metadata.tier": "gold"], true),
        MatchCase("several keys, one false", ["type": "charge.*", "provider": "github"], false),
        MatchCase("empty when matches everything", [:], .meta, true),
        // unicode
        MatchCase("escaped non-ASCII equals literal", ["data.entry.0.messaging.0.message.text": "Grüße aus München"], .meta, true),
        MatchCase("code points, not canonical equivalence", ["data.entry.0.messaging.0.message.text": "Gru\u{0308}ße aus München"], .meta, false),
        MatchCase("unicode substring", ["data.entry.0.messaging.0.message.text": ["$contains": "ße"]], .meta, true),
    ]

    @Test(arguments: table)
    func conditionTable(_ row: MatchCase) throws {
        let condition = try RouteCondition(row.when)
        #expect(condition.matches(row.event.envelope) == row.expected)
    }

    /// Conditions over mangled payloads must stay in bounds (debug builds trap otherwise) and never crash.
    @Test func matchingMangledPayloadsStaysInBounds() throws {
        let conditions = try [
            RouteCondition(["data.data.object.tags": ["$contains": "eu"]]),
            RouteCondition(["data.data.object.items.1.qty": ["$gt": 2], "data.data.object.customer.name": ["$startsWith": "J"]]),
            RouteCondition(["$or": [["data.data.object.big": ["$in": [1, "x"]]], ["data.0": ["$exists": true]]]]),
            RouteCondition(["data": ["$contains": .null], "data.data.object.metadata.note": .null]),
        ]
        let seed = SampleEvent.stripe.envelope
        var generator = SplitMix64(seed: 11)
        let alphabet = Array(#"{}[]",:ģ456789-.etrufalsn "#.utf8) + [0xC3, 0xFF]
        for _ in 0..<2000 {
            var bytes = Array(seed.data)
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.removeSubrange(position...)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            var event = seed
            event.data = bytes[...]
            for condition in conditions { _ = condition.matches(event) }
        }
    }

    @Test func tableIsLargeAndCoversEveryOperator() {
        #expect(Self.table.count >= 40)
        let text = Self.table.map { $0.when.description }.joined()
        for op in ["$eq", "$neq", "$in", "$nin", "$exists", "$gt", "$gte", "$lt", "$lte", "$startsWith", "$contains",
                   "$and", "$or", "$not"] {
            #expect(text.contains("\"\(op)\""), "\(op)")
        }
    }

    @Test func compilesToTheExpectedTreeWithCheapTestsFirst() throws {
        let condition = try RouteCondition(["data.object.amount": ["$gte": 100, "$lt": 500], "type": ["a.*", "b"], "subject": "x"])
        #expect(condition == .and([
            .eventType([TypeGlob("a.*"), TypeGlob("b")]),
            .field(.attribute(.subject), .eq(.string("x"))),
            .and([.field(.data(["object", "amount"]), .gte(.number(JSONNumber("100")!))),
                  .field(.data(["object", "amount"]), .lt(.number(JSONNumber("500")!)))]),
        ]))
        #expect(try RouteCondition(["data": ["$exists": true]]) == .field(.data([]), .exists(true)))
    }
}

@Suite struct TypeGlobTests {
    @Test(arguments: [
        ("a*b", "ab", true), ("*", "", true), ("?", "", false), ("?", "ü", true), ("a?c", "aüc", true),
        ("a?c", "a😀c", true), ("a??c", "a😀c", false), ("*.created", "charge.dispute.created", true),
        ("charge.*", "charge.", true), ("charge.*", "charge", false), ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYbZ", false), ("**", "x", true), ("", "", true), ("", "a", false), ("*a", "bbbba", true),
        ("*ü?", "xxüy", true), ("a*a*a*a*b", String(repeating: "a", count: 200), false), ("exact", "exact", true),
        ("exact", "exactly", false),
    ])
    func matches(pattern: String, type: String, expected: Bool) {
        #expect(TypeGlob(pattern).matches(type) == expected)
    }
}

@Suite struct RouteConditionErrorTests {
    @Test(arguments: [
        (["data.x": ["$foo": 1]], "/data.x/$foo", "unknown operator $foo; use one of"),
        (["$eq": 1], "/$eq", "$eq must be inside a field"),
        (["$xor": []], "/$xor", "unknown operator $xor; conditions combine with $and, $or and $not"),
        (["data.x": ["$in": "a"]], "/data.x/$in", "$in needs a non-empty array of literals"),
        (["data.x": ["$nin": []]], "/data.x/$nin", "$nin needs a non-empty array of literals"),
        (["data.x": ["$in": [1, [2]]]], "/data.x/$in/1", "$in needs a string, number, boolean or null, not an array"),
        (["data.x": ["$exists": "yes"]], "/data.x/$exists", "$exists needs true or false, not a string"),
        (["data.x": ["$gt": true]], "/data.x/$gt", "$gt needs a number or a string, not a boolean"),
        (["data.x": ["$lte": .null]], "/data.x/$lte", "$lte needs a number or a string, not null"),
        (["data.x": ["$startsWith": 1]], "/data.x/$startsWith", "$startsWith needs a string, not a number"),
        (["data.x": ["$contains": ["a": 1]]], "/data.x/$contains", "$contains needs a string, number, boolean or null, not an object"),
        (["data.x": ["$eq": ["a"]]], "/data.x/$eq", "$eq needs a string, number, boolean or null, not an array"),
        (["data.x": ["a", "b"]], "/data.x", "a bare array is ambiguous"),
        (["data.x": ["a": 1]], "/data.x", "comparing with an object is not supported; use a dotted path such as data.x.a"),
        (["data.x": ["$eq": 1, "a": 1]], "/data.x", "data.x mixes operators with the plain key a"),
        (["data.x": [:]], "/data.x", "data.x needs at least one operator"),
        (["object.livemode": true], "/object.livemode", "unknown field object.livemode (did you mean data.object.livemode?)"),
        (["data..x": 1], "/data..x", "empty segment in path data..x"),
        (["data.": 1], "/data.", "empty segment in path data."),
        (["type": 5], "/type", "type needs a glob or a non-empty array of globs"),
        (["type": []], "/type", "type needs a glob or a non-empty array of globs"),
        (["type": ["a", 1]], "/type/1", "type globs must be non-empty strings"),
        (["type": ""], "/type", "type needs a non-empty glob"),
        (["type": ["$eq": "a"]], "/type", "type needs a glob or a non-empty array of globs"),
        (["$and": []], "/$and", "$and needs a non-empty array of conditions"),
        (["$or": [:]], "/$or", "$or needs a non-empty array of conditions"),
        (["$and": [[:]]], "/$and/0", "empty condition"),
        (["$not": 1], "/$not", "a condition must be an object, not a number"),
        ("charge.*", "", "a condition must be an object, not a string"),
        (["data.x": ["$eq": .number("1.")]], "/data.x/$eq", "1. is not a JSON number"),
        (["data.a/b~c": ["$bogus": 1]], "/data.a~1b~0c/$bogus", "unknown operator $bogus"),
        (["data.x": ["$not": ["$bogus": 1]]], "/data.x/$not/$bogus", "unknown operator $bogus"),
        (["time": ["$gt": 1, "$lt": []]], "/time/$lt", "$lt needs a string, number, boolean or null, not an array"),
    ] as [(ConditionValue, String, String)])
    func reportsPathAndMessage(when: ConditionValue, path: String, message: String) {
        #expect {
            try RouteCondition(when)
        } throws: { error in
            guard let issues = (error as? RouteConditionError)?.issues, issues.count == 1 else { return false }
            return issues[0].path == path && issues[0].message.hasPrefix(message)
        }
    }

    @Test func collectsEveryIssueInDocumentOrder() {
        let when: ConditionValue = ["$or": [["data.x": ["$gt": [1]]], ["nope": 1]], "type": 3, "data.ok": 1]
        #expect {
            try RouteCondition(when)
        } throws: { error in
            let issues = (error as? RouteConditionError)?.issues ?? []
            return issues.map(\.path) == ["/$or/0/data.x/$gt", "/$or/1/nope", "/type"]
        }
    }

    @Test func errorDescriptionListsIssues() {
        let error = RouteConditionError(issues: [.init(path: "/a", message: "m1"), .init(path: "", message: "m2")])
        #expect(error.description == "/a: m1; m2")
    }
}

/// An event that counts how often its payload is opened.
final class CountingEvent: RoutableEvent {
    let envelope: Envelope
    var dataAccesses = 0

    init(_ envelope: Envelope) { self.envelope = envelope }

    func attribute(_ attribute: EnvelopeAttribute) -> String? { envelope.attribute(attribute) }

    func withDataBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        dataAccesses += 1
        return try envelope.withDataBytes(body)
    }
}

@Suite struct NeedsDataTests {
    @Test(arguments: [
        (["type": "a.*", "subject": "x"], false),
        (["$or": [["type": "a"], ["data.x": 1]]], true),
        (["$not": ["data": ["$exists": true]]], true),
        ([:], false),
        (["$and": [["provider": "p"], ["$not": ["time": ["$gt": "2026"]]]]], false),
        (["data.x": ["$not": ["$eq": 1]]], true),
    ] as [(ConditionValue, Bool)])
    func reportsWhetherThePayloadIsNeeded(when: ConditionValue, expected: Bool) throws {
        #expect(try RouteCondition(when).needsData == expected)
    }

    @Test func attributeOnlyConditionsNeverOpenThePayload() throws {
        let event = CountingEvent(SampleEvent.stripe.envelope)
        #expect(try RouteCondition(["type": "charge.*", "subject": ["$startsWith": "ch_"]]).matches(event))
        #expect(event.dataAccesses == 0)
        #expect(try RouteCondition(["data.data.object.livemode": true]).matches(event))
        #expect(event.dataAccesses == 1)
    }
}

@Suite struct RouteTableTests {
    func table() throws -> RouteTable {
        RouteTable([
            Route(name: "charges", from: ["stripe"], when: try RouteCondition(["type": "charge.*"]), to: ["billing", "audit"]),
            Route(name: "big", from: ["stripe", "stripe"], when: try RouteCondition(["data.data.object.amount": ["$gte": 1000]]),
                  to: ["audit", "alerts"]),
            Route(name: "github", from: ["github"], to: ["audit"]),
            Route(name: "everything", from: ["stripe"], to: ["billing", "archive", "archive"]),
            Route(name: "small", from: ["stripe"], when: try RouteCondition(["data.data.object.amount": ["$lt": 1000]]), to: ["small"]),
            Route(name: "meta-only", from: ["meta"], when: try RouteCondition(["provider": "meta"]), to: ["inbox"]),
        ])
    }

    @Test func plansOneDeliveryPerDestinationFirstRouteWins() throws {
        let plan = try table().plan(for: SampleEvent.stripe.envelope)
        #expect(plan == [
            PlannedDelivery(route: "charges", destination: "billing"),
            PlannedDelivery(route: "charges", destination: "audit"),
            PlannedDelivery(route: "big", destination: "alerts"),
            PlannedDelivery(route: "everything", destination: "archive"),
        ])
    }

    @Test func onlyRoutesFromTheEventsSourceApply() throws {
        #expect(try table().plan(for: SampleEvent.meta.envelope) == [PlannedDelivery(route: "meta-only", destination: "inbox")])
        #expect(try table().plan(for: SampleEvent.sendgrid.envelope).isEmpty)
        #expect(RouteTable([]).plan(for: SampleEvent.stripe.envelope).isEmpty)
    }

    @Test func opensThePayloadAtMostOnceAndOnlyWhenNeeded() throws {
        let stripe = CountingEvent(SampleEvent.stripe.envelope)
        _ = try table().plan(for: stripe)
        #expect(stripe.dataAccesses == 1)
        let meta = CountingEvent(SampleEvent.meta.envelope)
        _ = try table().plan(for: meta)
        #expect(meta.dataAccesses == 0)
    }
}
