import HTTPServer

/// The address ranges `blockPrivateNetworks` refuses to connect to: anything that is not a public unicast address.
///
/// IPv4: `0/8` (this network), `10/8`, `100.64/10` (carrier-grade NAT), `127/8`, `169.254/16` (link-local, cloud
/// metadata), `172.16/12`, `192.0.0/24`, `192.168/16`, `198.18/15` (benchmarking), `224/4` (multicast), `240/4`
/// (reserved, broadcast). IPv6: `::/96` (unspecified, loopback, IPv4-compatible), `fc00::/7` (unique local),
/// `fe80::/10` (link-local), `fec0::/10` (site-local), `ff00::/8` (multicast), `64:ff9b:1::/48` (local-use NAT64).
/// IPv4-mapped addresses are checked as IPv4, and so are the IPv4 addresses embedded in well-known-prefix NAT64
/// (`64:ff9b::/96`) and 6to4 (`2002::/16`).
enum PrivateNetworks {
    static let ipv4Blocks: [CIDR] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    ].map { CIDR($0)! }

    static let ipv6Blocks: [CIDR] = ["::/96", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "64:ff9b:1::/48"].map { CIDR($0)! }

    /// Whether connecting to `address` is refused.
    static func contains(_ address: IPAddress) -> Bool {
        if address.isIPv4 { return ipv4Blocks.contains { $0.contains(address) } }
        if ipv6Blocks.contains(where: { $0.contains(address) }) { return true }
        if let embedded = embeddedIPv4(address) { return contains(embedded) }
        return false
    }

    /// The IPv4 address inside a NAT64 or 6to4 address.
    private static func embeddedIPv4(_ address: IPAddress) -> IPAddress? {
        let bytes = address.bytes
        if nat64.contains(address) { return IPAddress(bytes: bytes[12..<16]) }
        if sixToFour.contains(address) { return IPAddress(bytes: bytes[2..<6]) }
        return nil
    }

    private static let nat64 = CIDR("64:ff9b::/96")!
    private static let sixToFour = CIDR("2002::/16")!
}
