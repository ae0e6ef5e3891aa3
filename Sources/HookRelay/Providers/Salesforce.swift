import HTTPServer

/// Salesforce Outbound Messages: SOAP 1.1 (`text/xml`) `notifications` with `OrganizationId`, `ActionId`, optional
/// `SessionId`, `EnterpriseUrl`, `PartnerUrl` and up to 100 `Notification`s (`Id` + `sObject` with the chosen fields).
/// There is no signature: the message's `OrganizationId` must be one of `organizationId` (15- or 18-character ids
/// compared on their first 15, case-sensitive characters); restrict `allowIPs` to Salesforce's published ranges too.
/// The XML is read defensively (no DTDs or entities, bounded size and depth). Each notification becomes an envelope
/// whose `data` is JSON (XML cannot be spliced); hookrelay answers the SOAP acknowledgement `<Ack>true</Ack>`, without
/// which Salesforce retries for 24 hours.
public enum SalesforcePreset: ProviderPreset {
    public static let name = "salesforce"
    public static let optionKeys = ["organizationId"]
    static let maxNotifications = 100

    public static func configure(_ settings: SourceSettings, source: ConfigObject, decoder: inout ConfigDecoder) -> (any ProviderFactory)? {
        let path = source.path.appending("organizationId")
        if !settings.secrets.isEmpty {
            decoder.error("salesforce outbound messages carry no secret; use organizationId (and allowIPs)",
                          at: source["secrets"]?.position ?? source.position, path: source.path.appending("secrets"))
        }
        guard let node = source["organizationId"] else {
            decoder.error("salesforce needs organizationId (Setup → Company Information → Salesforce.com Organization ID)",
                          at: source.position, path: source.path)
            return nil
        }
        var texts: [(String, SourcePosition)] = []
        if let text = node.stringValue {
            texts = [(text, node.position)]
        } else if let items = node.arrayValue, !items.isEmpty {
            for item in items {
                guard let text = item.stringValue else {
                    decoder.typeMismatch(expected: "an organization id string", found: item, at: path)
                    return nil
                }
                texts.append((text, item.position))
            }
        } else {
            decoder.typeMismatch(expected: "an organization id or a non-empty array of them", found: node, at: path)
            return nil
        }
        var ids: [String] = []
        for (text, position) in texts {
            guard isOrganizationID(text) else {
                decoder.error("not a Salesforce organization id (15 or 18 letters and digits starting with 00D)", at: position, path: path)
                continue
            }
            ids.append(String(text.prefix(15)))
        }
        guard ids.count == texts.count, settings.secrets.isEmpty else { return nil }
        if settings.allowIPs.isEmpty {
            decoder.warning("salesforce outbound messages are not signed: set allowIPs to Salesforce's IP ranges",
                            at: source.member("provider")?.value.position ?? source.position, path: source.path.appending("provider"))
        }
        return Factory(organizationIDs: ids, split: settings.split)
    }

    static func isOrganizationID(_ text: String) -> Bool {
        (text.utf8.count == 15 || text.utf8.count == 18) && text.hasPrefix("00D")
            && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
    }

    struct Factory: ProviderFactory {
        let organizationIDs: [String]
        let split: Bool
        func makeProvider(context: ProviderContext) -> any Provider { SalesforceProvider(organizationIDs: organizationIDs, split: split) }
    }

    /// The SOAP acknowledgement Salesforce waits for.
    static let acknowledgement = HTTPResponse(
        status: 200, headers: HTTPHeaders([("Content-Type", "text/xml; charset=utf-8")]),
        body: Array(("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
            + "<soapenv:Body><notificationsResponse xmlns=\"http://soap.sforce.com/2005/09/outbound\"><Ack>true</Ack>"
            + "</notificationsResponse></soapenv:Body></soapenv:Envelope>").utf8))
}

/// One outbound message, read out of its SOAP envelope.
struct SalesforceOutboundMessage {
    struct Notification {
        var id: String
        var sObjectType: String
        var sObject: GroupDXMLElement
    }

    var organizationID: String
    var header: [(name: String, element: GroupDXMLElement?)]
    var notifications: [Notification]

    static func read(_ body: [UInt8]) throws(GroupDXMLError) -> SalesforceOutboundMessage {
        let root = try GroupDXML.parse(body)
        guard root.localName == "Envelope", let notifications = root.child("Body")?.child("notifications") else {
            throw GroupDXMLError("not a SOAP envelope with notifications")
        }
        guard let organization = notifications.child("OrganizationId")?.text, !organization.isEmpty else {
            throw GroupDXMLError("outbound message has no OrganizationId")
        }
        let items = notifications.children("Notification")
        guard items.count <= SalesforcePreset.maxNotifications else {
            throw GroupDXMLError("more than \(SalesforcePreset.maxNotifications) notifications")
        }
        var read: [Notification] = []
        for item in items {
            guard let id = item.child("Id")?.text, !id.isEmpty, let sObject = item.child("sObject") else {
                throw GroupDXMLError("a Notification lacks its Id or sObject")
            }
            let type = sObject.attribute("type").map { String(GroupDXML.localName($0)) } ?? "sObject"
            read.append(Notification(id: id, sObjectType: type, sObject: sObject))
        }
        let header = ["OrganizationId", "ActionId", "SessionId", "EnterpriseUrl", "PartnerUrl"].map { ($0, notifications.child($0)) }
        return SalesforceOutboundMessage(organizationID: organization, header: header, notifications: read)
    }

    /// `{"organizationId":…,"actionId":…,"sessionId":…,"enterpriseUrl":…,"partnerUrl":…,` (open object).
    func appendHeader(to json: inout [UInt8]) {
        json.append(0x7B)
        for (name, element) in header {
            JSONString.appendQuoted(name.prefix(1).lowercased() + name.dropFirst(), to: &json)
            json.append(0x3A)
            if let element, !element.isNil { JSONString.appendQuoted(element.text, to: &json) } else { json += Array("null".utf8) }
            json.append(0x2C)
        }
    }

    static func appendNotification(_ notification: Notification, to json: inout [UInt8]) {
        json += Array(#"{"id":"#.utf8)
        JSONString.appendQuoted(notification.id, to: &json)
        json += Array(#","sObjectType":"#.utf8)
        JSONString.appendQuoted(notification.sObjectType, to: &json)
        json += Array(#","sObject":"#.utf8)
        appendFields(of: notification.sObject, to: &json)
        json.append(0x7D)
    }

    /// An element's child elements as a JSON object: leaf text as strings, `xsi:nil` as null, nested elements as
    /// objects, a name repeated as an array.
    static func appendFields(of element: GroupDXMLElement, to json: inout [UInt8]) {
        json.append(0x7B)
        var seen: Set<Substring> = []
        var first = true
        for child in element.children where !seen.contains(child.localName) {
            seen.insert(child.localName)
            if !first { json.append(0x2C) }
            first = false
            JSONString.appendQuoted(String(child.localName), to: &json)
            json.append(0x3A)
            let all = element.children(String(child.localName))
            if all.count > 1 { json.append(0x5B) }
            for (index, item) in all.enumerated() {
                if index > 0 { json.append(0x2C) }
                if item.isNil {
                    json += Array("null".utf8)
                } else if item.children.isEmpty {
                    JSONString.appendQuoted(item.text, to: &json)
                } else {
                    appendFields(of: item, to: &json)
                }
            }
            if all.count > 1 { json.append(0x5D) }
        }
        json.append(0x7D)
    }

    /// The last-modified time of a notification's record, when the message includes such a field.
    static func time(of notification: Notification) -> Int64? {
        for field in ["LastModifiedDate", "SystemModstamp", "CreatedDate"] {
            if let text = notification.sObject.child(field)?.text, let time = RFC3339.parse(text) { return time.milliseconds }
        }
        return nil
    }
}

final class SalesforceProvider: Provider {
    private let organizationIDs: [String]
    private let split: Bool
    /// The message ``verify(_:)`` read, reused by ``interpret(_:)`` for the same body (one request at a time per loop).
    private var lastRead: (body: [UInt8], message: SalesforceOutboundMessage)?

    init(organizationIDs: [String], split: Bool = true) {
        self.organizationIDs = organizationIDs.map { String($0.prefix(15)) }
        self.split = split
    }

    private func read(_ body: [UInt8]) throws(GroupDXMLError) -> SalesforceOutboundMessage {
        if let lastRead, lastRead.body == body { return lastRead.message }
        let message = try SalesforceOutboundMessage.read(body)
        lastRead = (body, message)
        return message
    }

    func verify(_ request: WebhookRequest) throws(VerificationFailure) {
        lastRead = nil
        let message: SalesforceOutboundMessage
        do { message = try read(request.body) } catch { throw VerificationFailure("malformed_body", error.description, status: 400) }
        let presented = String(message.organizationID.prefix(15))
        guard GroupD.matchesAny(presented, organizationIDs.map { Array($0.utf8) }) else {
            throw VerificationFailure("bad_signature", "OrganizationId is not this source's organization")
        }
    }

    func interpret(_ request: WebhookRequest) throws(NormalizationFailure) -> ProviderOutcome {
        let message: SalesforceOutboundMessage
        do { message = try read(request.body) } catch { throw NormalizationFailure(error.description) }
        defer { lastRead = nil }
        guard split else {
            var json: [UInt8] = []
            message.appendHeader(to: &json)
            json += Array(#""notifications":["#.utf8)
            for (index, notification) in message.notifications.enumerated() {
                if index > 0 { json.append(0x2C) }
                SalesforceOutboundMessage.appendNotification(notification, to: &json)
            }
            json += Array("]}".utf8)
            let first = message.notifications.first
            let types = Set(message.notifications.map(\.sObjectType))
            let event = NormalizedEvent(type: types.count == 1 ? first!.sObjectType : "notifications",
                                        providerEventID: message.notifications.map(\.id).joined(separator: ","),
                                        time: first.flatMap(SalesforceOutboundMessage.time(of:)),
                                        subject: message.notifications.count == 1 ? first?.sObject.child("Id")?.text : nil, data: json)
            return .events(message.notifications.isEmpty ? [] : [event], acknowledgement: SalesforcePreset.acknowledgement)
        }
        let events = message.notifications.map { notification in
            var json: [UInt8] = []
            message.appendHeader(to: &json)
            json += Array(#""notification":"#.utf8)
            SalesforceOutboundMessage.appendNotification(notification, to: &json)
            json.append(0x7D)
            return NormalizedEvent(type: notification.sObjectType, providerEventID: notification.id,
                                   time: SalesforceOutboundMessage.time(of: notification), subject: notification.sObject.child("Id")?.text,
                                   data: json)
        }
        return .events(events, acknowledgement: SalesforcePreset.acknowledgement)
    }
}

extension SalesforcePreset: SamplingPreset {
    public static let sampleEventTypes = ["Opportunity", "Account", "Contact", "Lead", "Case"]

    /// The secret is the organization id the source expects (outbound messages are not signed).
    public static func sample(_ request: SampleRequest) throws(SampleError) -> SampleWebhook {
        let type = request.eventType ?? sampleEventTypes[0]
        guard isOrganizationID(request.secret.text) else {
            throw SampleError("the secret is the Salesforce organization id (15 or 18 characters, starting with 00D)")
        }
        let org = request.secret.text
        let prefix = ["Opportunity": "006", "Account": "001", "Contact": "003", "Lead": "00Q", "Case": "500"][type] ?? "a00"
        let suffix = String(Hex.encode(Digest.hash(.sha256, request.nonce).prefix(6)).uppercased())
        let recordID = prefix + "5w0000" + suffix.prefix(9)
        let time = RFC3339.string(fromUnixMilliseconds: request.now)
        let fields: String
        switch type {
        case "Opportunity":
            fields = "<sf:Amount>45000.0</sf:Amount><sf:CloseDate>2026-07-11</sf:CloseDate><sf:Name>Example &amp; Co renewal</sf:Name>"
                + "<sf:StageName>Closed Won</sf:StageName>"
        case "Account": fields = "<sf:Name>Example &amp; Co</sf:Name><sf:Type>Customer</sf:Type><sf:Phone xsi:nil=\"true\"/>"
        case "Case": fields = "<sf:CaseNumber>00001042</sf:CaseNumber><sf:Status>New</sf:Status><sf:Subject>Login fails</sf:Subject>"
        default: fields = "<sf:Email>alice@example.com</sf:Email><sf:FirstName>Alice</sf:FirstName><sf:LastName>Example</sf:LastName>"
        }
        let body = """
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" \
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
         <soapenv:Body>
          <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
           <OrganizationId>\(org)</OrganizationId>
           <ActionId>04k5w000000TSwMAAW</ActionId>
           <SessionId xsi:nil="true"/>
           <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/61.0/\(org.prefix(15))</EnterpriseUrl>
           <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/61.0/\(org.prefix(15))</PartnerUrl>
           <Notification>
            <Id>04l5w0000\(suffix.prefix(9))</Id>
            <sObject xsi:type="sf:\(type)" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
             <sf:Id>\(recordID)</sf:Id>
             \(fields)
             <sf:LastModifiedDate>\(time)</sf:LastModifiedDate>
            </sObject>
           </Notification>
          </notifications>
         </soapenv:Body>
        </soapenv:Envelope>
        """
        return SampleWebhook(headers: [("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", "\"\"")], body: Array(body.utf8))
    }
}
