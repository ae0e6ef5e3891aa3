// Temporary stand-in until the IPAddress/CIDR work lands (branch netconf).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init?(_ text: some StringProtocol) { description = String(text) }
}
public struct CIDR: Sendable, Hashable { public init?(_ text: some StringProtocol) {} }
public struct ClientAddressResolver: Sendable {
    public init(trustedProxies: [CIDR]) {}
    public func clientAddress(peer: IPAddress, headers: HTTPHeaders) -> IPAddress { peer }
}
