/// What route matching reads from an event: envelope attributes, and the raw payload for `data…` paths.
///
/// ``Envelope`` conforms. Matching asks for the payload only when a condition has a `data…` field
/// (``RouteCondition/needsData``), and then looks up just the paths it needs in the raw bytes.
public protocol RoutableEvent {
    /// The attribute's value, or `nil` when the envelope omits it (`subject`, `providereventid`).
    func attribute(_ attribute: EnvelopeAttribute) -> String?

    /// Calls `body` with the payload: the bytes of one JSON value.
    func withDataBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
}

extension Envelope: RoutableEvent {
    public func attribute(_ attribute: EnvelopeAttribute) -> String? {
        switch attribute {
        case .specversion: Self.specVersion
        case .id: id
        case .source: source
        case .type: type
        case .time: time
        case .subject: subject
        case .datacontenttype: Self.dataContentType
        case .provider: provider
        case .providereventid: providerEventID
        case .receivedat: receivedAt
        }
    }

    public func withDataBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try data.withUnsafeBytes(body)
    }
}
