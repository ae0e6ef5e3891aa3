/// One normalized event: a CloudEvents 1.0 envelope in JSON structured mode (DESIGN.md §6).
///
/// `data` is the provider's payload (or one item of a batch) as raw bytes of one JSON value. ``encoded()`` splices
/// those bytes in unchanged (key order, whitespace, `\u00e4` escapes and `\/` survive), because providers such as
/// Meta sign the escaped form and receivers that re-verify need the exact bytes.
///
/// ```swift
/// let envelope = Envelope(id: uuid, source: Envelope.source(forSourceNamed: "stripe"),
///                         type: "stripe.invoice.payment_failed", time: RFC3339.string(fromUnixSeconds: created),
///                         subject: "in_1P…", data: body[valueRange], provider: "stripe",
///                         providerEventID: "evt_1P…", receivedAt: RFC3339.string(fromUnixMilliseconds: nowMs))
/// store(envelope.encoded())
/// ```
public struct Envelope: Sendable, Hashable {
    /// The CloudEvents version written as `specversion`.
    public static let specVersion = "1.0"
    /// The `datacontenttype` of every envelope: form bodies are converted, so `data` is always JSON.
    public static let dataContentType = "application/json"

    /// hookrelay's id for the event, a UUIDv7 (time-ordered), supplied by the caller.
    public var id: String
    /// `/hooks/<source name>`; see ``source(forSourceNamed:)``.
    public var source: String
    /// `<provider>.<provider's own event type>`, for example `stripe.invoice.payment_failed`.
    public var type: String
    /// RFC 3339: the provider's event time, else the receive time.
    public var time: String
    /// The main entity's id when the provider has one (`in_1P…`); omitted from the JSON when `nil`.
    public var subject: String?
    /// The payload: the bytes of exactly one JSON value, spliced into ``encoded()`` unchanged.
    ///
    /// The caller guarantees it is valid JSON (``RawJSON/validate(_:maxDepth:)`` the body first) without surrounding
    /// whitespace. A slice shares the request body's storage; its indices are the body's, so read it through
    /// `withUnsafeBytes` rather than by index from 0.
    public var data: ArraySlice<UInt8>
    /// The provider preset name, for example `stripe`.
    public var provider: String
    /// The provider's own id for the event (`evt_1P…`), the deduplication key; omitted from the JSON when `nil`.
    public var providerEventID: String?
    /// When hookrelay received the request: RFC 3339 UTC with milliseconds (`2026-11-21T10:15:00.123Z`).
    public var receivedAt: String

    /// An envelope from its attributes; `data` must be one JSON value (see ``data``).
    public init(id: String, source: String, type: String, time: String, subject: String? = nil,
                data: ArraySlice<UInt8>, provider: String, providerEventID: String?, receivedAt: String) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.data = data
        self.provider = provider
        self.providerEventID = providerEventID
        self.receivedAt = receivedAt
    }

    /// The `source` attribute for a configured source: `/hooks/<name>`.
    public static func source(forSourceNamed name: String) -> String { "/hooks/" + name }

    /// The envelope as compact JSON, attributes in the order of DESIGN.md §6, `data` spliced in byte for byte.
    public func encoded() -> [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer, extra: [])
        return buffer
    }

    /// The envelope with extra string members after `receivedat`, e.g. `[("status", "pending")]` for `--json`.
    public func encoded(extra: [(name: String, value: String)]) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer, extra: extra)
        return buffer
    }

    /// Appends the encoded envelope to `buffer` (reusing its capacity), with optional extra string members.
    public func encode(into buffer: inout [UInt8], extra: [(name: String, value: String)] = []) {
        var capacity = 160 + data.count + id.utf8.count + source.utf8.count + type.utf8.count + time.utf8.count
            + (subject?.utf8.count ?? 0) + provider.utf8.count + (providerEventID?.utf8.count ?? 0) + receivedAt.utf8.count
        for member in extra { capacity += member.name.utf8.count + member.value.utf8.count + 6 }
        buffer.reserveCapacity(buffer.count + capacity)

        append(#"{"specversion":"1.0","id":"#, to: &buffer)
        JSONString.appendQuoted(id, to: &buffer)
        append(#","source":"#, to: &buffer)
        JSONString.appendQuoted(source, to: &buffer)
        append(#","type":"#, to: &buffer)
        JSONString.appendQuoted(type, to: &buffer)
        append(#","time":"#, to: &buffer)
        JSONString.appendQuoted(time, to: &buffer)
        if let subject {
            append(#","subject":"#, to: &buffer)
            JSONString.appendQuoted(subject, to: &buffer)
        }
        append(#","datacontenttype":"application/json","data":"#, to: &buffer)
        buffer.append(contentsOf: data)
        append(#","provider":"#, to: &buffer)
        JSONString.appendQuoted(provider, to: &buffer)
        if let providerEventID {
            append(#","providereventid":"#, to: &buffer)
            JSONString.appendQuoted(providerEventID, to: &buffer)
        }
        append(#","receivedat":"#, to: &buffer)
        JSONString.appendQuoted(receivedAt, to: &buffer)
        for member in extra {
            buffer.append(JSONByte.comma)
            JSONString.appendQuoted(member.name, to: &buffer)
            buffer.append(JSONByte.colon)
            JSONString.appendQuoted(member.value, to: &buffer)
        }
        buffer.append(JSONByte.closeBrace)
    }

    /// Reads an envelope back from its JSON (as stored, or as delivered); `nil` if a required attribute is missing or
    /// not a string, `specversion` is not `1.0`, or the bytes are not valid JSON. `data` becomes a copy of its bytes.
    public init?(decoding json: [UInt8]) {
        let decoded: Envelope? = json.withUnsafeBytes { bytes in
            guard (try? RawJSON.validate(bytes)) != nil, let root = RawJSON.valueRange(in: bytes),
                  RawJSON.kind(at: root, in: bytes) == .object else { return nil }
            func string(_ name: String) -> String? {
                RawJSON.member(name, inObjectAt: root, in: bytes).flatMap { RawJSON.string(at: $0, in: bytes) }
            }
            func optionalString(_ name: String) -> String?? {
                guard let range = RawJSON.member(name, inObjectAt: root, in: bytes) else { return .some(nil) }
                return RawJSON.string(at: range, in: bytes).map { .some($0) }
            }
            guard string("specversion") == Self.specVersion, let id = string("id"), let source = string("source"),
                  let type = string("type"), let time = string("time"), let provider = string("provider"),
                  let receivedAt = string("receivedat"), let subject = optionalString("subject"),
                  let providerEventID = optionalString("providereventid"),
                  let dataRange = RawJSON.member("data", inObjectAt: root, in: bytes) else { return nil }
            return Envelope(id: id, source: source, type: type, time: time, subject: subject,
                            data: ArraySlice(bytes[dataRange]), provider: provider, providerEventID: providerEventID,
                            receivedAt: receivedAt)
        }
        guard let decoded else { return nil }
        self = decoded
    }

    private func append(_ text: StaticString, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
