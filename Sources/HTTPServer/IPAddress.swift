// IP addresses, CIDR blocks, and the client address behind trusted reverse proxies.
// Pure Swift: no inet_pton, no sockets; every parser here is strict and total (no input traps).

/// An IPv4 or IPv6 address, stored as 16 bytes; IPv4 addresses are IPv4-mapped (`::ffff:a.b.c.d`).
///
/// Because IPv4 is stored mapped, `IPAddress("1.2.3.4") == IPAddress("::ffff:1.2.3.4")`.
///
/// ```swift
/// IPAddress("2001:DB8:0:0::1")?.description  // "2001:db8::1"
/// IPAddress("::ffff:10.0.0.1")?.description  // "10.0.0.1"
/// IPAddress("01.2.3.4")                      // nil: leading zeros could mean octal
/// ```
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// Bytes 0–7, big-endian.
    private let high: UInt64
    /// Bytes 8–15, big-endian.
    private let low: UInt64

    /// The longest text form: six groups of four hex digits, then a dotted quad.
    private static let maxTextLength = 45

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The IPv4 address whose 32 bits, in host order, are `value` (`0x7F00_0001` is `127.0.0.1`).
    public init(ipv4 value: UInt32) {
        self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(value))
    }

    /// An address from 4 bytes (IPv4) or 16 bytes (IPv6), in network order; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        switch bytes.count {
        case 4:
            self.init(ipv4: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            self.init(high: bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) },
                      low: bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        default:
            return nil
        }
    }

    /// Parses dotted-quad IPv4 (`192.0.2.1`) or IPv6 text (`2001:db8::1`, `::ffff:192.0.2.1`).
    ///
    /// Strict: no leading zeros in IPv4 octets (`01.2.3.4` is ambiguous octal), no shorthand IPv4 (`10.1`),
    /// no zone ids (`fe80::1%eth0`), brackets, ports or whitespace. IPv6 hex is case-insensitive.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.maxTextLength else { return nil }
        if bytes.contains(UInt8(ascii: ":")) {
            guard let (high, low) = Self.parseIPv6(bytes[...]) else { return nil }
            self.init(high: high, low: low)
        } else {
            guard let value = Self.parseIPv4(bytes[...]) else { return nil }
            self.init(ipv4: value)
        }
    }

    /// The 16 bytes in network order (IPv4 addresses as `::ffff:a.b.c.d`).
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// Whether this is an IPv4 address (stored IPv4-mapped).
    public var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// The IPv4 address as 32 bits in host order, or nil for a non-mapped IPv6 address.
    public var ipv4Value: UInt32? { isIPv4 ? UInt32(truncatingIfNeeded: low) : nil }

    /// Canonical text: dotted quad for IPv4 (and IPv4-mapped), RFC 5952 for IPv6
    /// (lowercase, no leading zeros, the longest run of two or more zero groups as `::`, leftmost on a tie).
    public var description: String {
        if let v4 = ipv4Value { return Self.dotted(v4) }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: ($0 < 4 ? high : low) >> (48 - 16 * ($0 % 4))) }
        var bestStart = -1, bestLength = 1
        var i = 0
        while i < 8 {
            guard groups[i] == 0 else { i += 1; continue }
            var j = i
            while j < 8 && groups[j] == 0 { j += 1 }
            if j - i > bestLength { bestStart = i; bestLength = j - i }
            i = j
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    // MARK: Masking (for CIDR)

    /// This address with all but the first `bits` bits (0...128) cleared.
    func masked(toPrefix bits: Int) -> IPAddress {
        let (highMask, lowMask) = Self.masks(bits)
        return IPAddress(high: high & highMask, low: low & lowMask)
    }

    /// The two 64-bit halves of a 128-bit mask with `bits` leading ones.
    private static func masks(_ bits: Int) -> (UInt64, UInt64) {
        let bits = min(max(bits, 0), 128)
        let highMask: UInt64 = bits >= 64 ? .max : (bits == 0 ? 0 : .max << UInt64(64 - bits))
        let lowMask: UInt64 = bits <= 64 ? 0 : (bits == 128 ? .max : .max << UInt64(128 - bits))
        return (highMask, lowMask)
    }

    // MARK: Parsing

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func hexValue(_ c: UInt8) -> UInt16? {
        switch c {
        case 0x30...0x39: UInt16(c - 0x30)
        case 0x61...0x66: UInt16(c - 0x61 + 10)
        case 0x41...0x46: UInt16(c - 0x41 + 10)
        default: nil
        }
    }

    /// Exactly four decimal octets 0–255, each `0` or without a leading zero.
    static func parseIPv4(_ text: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var i = text.startIndex
        while true {
            let start = i
            var octet: UInt32 = 0
            while i < text.endIndex, isDigit(text[i]), i - start < 3 {
                octet = octet * 10 + UInt32(text[i] - 0x30)
                i += 1
            }
            let length = i - start
            guard length > 0, octet <= 255, !(length > 1 && text[start] == 0x30) else { return nil }
            value = value << 8 | octet
            octets += 1
            if octets == 4 { return i == text.endIndex ? value : nil }
            guard i < text.endIndex, text[i] == UInt8(ascii: ".") else { return nil }
            i += 1
        }
    }

    /// RFC 4291 §2.2 text: up to eight 1–4 digit hex groups, at most one `::` standing for one or more zero
    /// groups, optionally ending in a dotted quad that fills the last two groups.
    static func parseIPv6(_ text: ArraySlice<UInt8>) -> (UInt64, UInt64)? {
        let colon = UInt8(ascii: ":")
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var i = text.startIndex
        let end = text.endIndex

        if text.starts(with: [colon, colon]) {
            sawDoubleColon = true
            i += 2
            if i == end { return (0, 0) }
        } else if i < end, text[i] == colon {
            return nil
        }

        while true {
            let start = i
            var group: UInt16 = 0
            while i < end, i - start < 4, let digit = hexValue(text[i]) {
                group = group << 4 | digit
                i += 1
            }
            if i < end, text[i] == UInt8(ascii: ".") {
                // A dotted quad: the whole rest of the text, occupying two groups.
                guard let v4 = parseIPv4(text[start..<end]) else { return nil }
                let pair = [UInt16(truncatingIfNeeded: v4 >> 16), UInt16(truncatingIfNeeded: v4)]
                if sawDoubleColon { tail += pair } else { head += pair }
                break
            }
            guard i > start else { return nil }
            if sawDoubleColon { tail.append(group) } else { head.append(group) }
            if i == end { break }
            guard text[i] == colon else { return nil }
            i += 1
            if i < end, text[i] == colon {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                i += 1
                if i == end { break }
            } else if i == end {
                return nil
            }
            guard head.count + tail.count < 8 else { return nil }
        }

        let count = head.count + tail.count
        if sawDoubleColon {
            guard count <= 7 else { return nil }
        } else {
            guard count == 8 else { return nil }
        }
        let groups = head + Array(repeating: 0, count: 8 - count) + tail
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    private static func dotted(_ v: UInt32) -> String {
        "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
    }
}

/// A block of addresses: a network address and a prefix length, such as `10.0.0.0/8` or `2001:db8::/32`.
///
/// An IPv4 block matches IPv4 addresses however they were written (`1.2.3.4` or `::ffff:1.2.3.4`).
///
/// ```swift
/// let block = try CIDR.parse("10.0.0.0/8")
/// block.contains(IPAddress("10.1.2.3")!)  // true
/// try CIDR.parse("10.0.0.1/8")           // throws: host bits set in 10.0.0.1/8 (did you mean 10.0.0.0/8?)
/// ```
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// Why text is not a CIDR block; ``reason`` is written for a config diagnostic.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        private enum Code: Sendable, Equatable {
            case invalidAddress, invalidPrefixLength, prefixLengthTooLong, hostBitsSet
        }

        private let code: Code
        /// A one-line explanation that quotes the offending text.
        public let reason: String

        private init(_ code: Code, _ reason: String) {
            self.code = code
            self.reason = reason
        }

        /// The text before the `/` (or all of it) is not an IP address.
        public static let invalidAddress = Self(.invalidAddress, "invalid address in CIDR")
        /// The text after the `/` is not a decimal number without sign or leading zeros.
        public static let invalidPrefixLength = Self(.invalidPrefixLength, "invalid prefix length in CIDR")
        /// The prefix length exceeds 32 (IPv4) or 128 (IPv6).
        public static let prefixLengthTooLong = Self(.prefixLengthTooLong, "prefix length too long")
        /// Bits past the prefix are set, so the block is probably not what was meant (it is not masked).
        public static let hostBitsSet = Self(.hostBitsSet, "host bits set")

        /// ``invalidAddress`` quoting `text`.
        fileprivate static func invalidAddress(_ text: String) -> Self {
            Self(.invalidAddress, "invalid address in CIDR \(quoted(text))")
        }

        /// ``invalidPrefixLength`` quoting `text`.
        fileprivate static func invalidPrefixLength(_ text: String) -> Self {
            Self(.invalidPrefixLength, "invalid prefix length in CIDR \(quoted(text))")
        }

        /// ``prefixLengthTooLong`` quoting `text` and the family's maximum.
        fileprivate static func prefixLengthTooLong(_ text: String, maximum: Int) -> Self {
            Self(.prefixLengthTooLong, "prefix length in CIDR \(quoted(text)) exceeds \(maximum)")
        }

        /// ``hostBitsSet`` quoting `text` and suggesting the masked block.
        fileprivate static func hostBitsSet(_ text: String, suggestion: String) -> Self {
            Self(.hostBitsSet, "host bits set in \(quoted(text)) (did you mean \(suggestion)?)")
        }

        /// Whether two errors are of the same kind (the quoted text is not compared).
        public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

        /// The ``reason``.
        public var description: String { reason }

        /// Quotes config text, shortened so a diagnostic stays one readable line.
        private static func quoted(_ text: String) -> String {
            let shown = text.unicodeScalars.count > 64 ? String(text.unicodeScalars.prefix(64)) + "…" : text
            return "\"" + shown + "\""
        }
    }

    /// The network address (host bits are always zero).
    public let address: IPAddress
    /// The prefix length over the 128-bit stored form (IPv4 blocks are IPv4-mapped, so they add 96).
    private let storedPrefixLength: Int

    /// The prefix length in the address family's own terms: 0–32 for IPv4, 0–128 for IPv6.
    ///
    /// A block is IPv4 exactly when its network address is IPv4-mapped (its prefix then covers the 96-bit
    /// mapping prefix), so `::ffff:10.0.0.0/104` and `10.0.0.0/8` are the same block.
    public var prefixLength: Int { address.isIPv4 ? storedPrefixLength - 96 : storedPrefixLength }

    /// Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128); nil when ``parse(_:)`` throws.
    public init?(_ text: some StringProtocol) {
        guard let block = try? Self.parse(text) else { return nil }
        self = block
    }

    /// The block containing exactly `address` (/32 for IPv4, /128 for IPv6).
    public init(_ address: IPAddress) {
        self.address = address
        self.storedPrefixLength = 128
    }

    private init(address: IPAddress, storedPrefixLength: Int) {
        self.address = address
        self.storedPrefixLength = storedPrefixLength
    }

    /// Parses `address/prefix` or a bare address, strictly.
    ///
    /// The prefix is decimal without sign or leading zeros; host bits past the prefix must be zero
    /// (`10.0.0.1/8` is rejected rather than silently masked). An IPv4 block is written in dotted form;
    /// `::ffff:0:0/96`-style IPv6 text covering mapped addresses is accepted and means the same addresses.
    public static func parse(_ text: some StringProtocol) throws(ParseError) -> CIDR {
        let text = String(text)
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = parts[0]
        let isV4Text = !addressText.contains(":")
        guard let address = IPAddress(addressText) else { throw .invalidAddress(text) }
        let maximum = isV4Text ? 32 : 128
        guard parts.count == 2 else { return CIDR(address) }
        let prefixText = parts[1].utf8
        guard !prefixText.isEmpty, prefixText.count <= 3, prefixText.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              !(prefixText.count > 1 && prefixText.first == 0x30),
              let prefix = Int(parts[1])
        else { throw .invalidPrefixLength(text) }
        guard prefix <= maximum else { throw .prefixLengthTooLong(text, maximum: maximum) }
        let stored = isV4Text ? prefix + 96 : prefix
        let network = address.masked(toPrefix: stored)
        let block = CIDR(address: network, storedPrefixLength: stored)
        guard network == address else { throw .hostBitsSet(text, suggestion: block.description) }
        return block
    }

    /// Whether `address` lies in this block.
    public func contains(_ address: IPAddress) -> Bool {
        address.masked(toPrefix: storedPrefixLength) == self.address
    }

    /// `network/prefix` in canonical form, such as `10.0.0.0/8` or `2001:db8::/32`.
    public var description: String { "\(address)/\(prefixLength)" }
}

/// Finds the real client address of a request that may have come through trusted reverse proxies.
///
/// When the TCP peer is a trusted proxy, the forwarding chain is read from `Forwarded` (RFC 7239) if the
/// request has any `Forwarded` field, otherwise from `X-Forwarded-For`, and walked from the right (the hop
/// nearest to us) to the left. Addresses that are themselves trusted proxies are skipped; the first untrusted
/// one is the client. An entry that is malformed, `unknown` or an obfuscated identifier stops the walk, and
/// the last trusted hop is used: a left-most value a client supplied is never believed on its own.
///
/// Accepted entries:
/// - `Forwarded`: elements separated by `,` (empty elements ignored), each with exactly one `for=` parameter
///   whose value is a token IPv4 address, or a quoted `"192.0.2.1:4711"`, `"[2001:db8::1]"` or
///   `"[2001:db8::1]:4711"` (port digits or an obfuscated `_port`). An element without `for=` stops the walk.
///   Unquoted values containing `:` or `[` are not tokens and stop the walk.
/// - `X-Forwarded-For`: comma-separated addresses across all fields in order (empty entries ignored); an entry
///   may be a bare IPv4 or IPv6 address, `192.0.2.1:4711`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
///
/// Each header field is split on its own, so an unterminated quote cannot swallow a later proxy's field.
public struct ClientAddressResolver: Sendable {
    /// The blocks whose addresses are trusted to report the client honestly.
    public let trustedProxies: [CIDR]

    /// A resolver that trusts forwarding headers only from peers in `trustedProxies` (none: never).
    public init(trustedProxies: [CIDR]) {
        self.trustedProxies = trustedProxies
    }

    /// Whether `address` is one of the trusted proxies.
    public func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// The client address for a request received from `peer` with `headers`.
    public func clientAddress(peer: IPAddress, headers: HTTPHeaders) -> IPAddress {
        isTrusted(peer) ? clientAddress(trustedPeer: peer, headers: headers) : peer
    }

    /// ``clientAddress(peer:headers:)`` for a peer already known to be a trusted proxy (the event loop checks once
    /// per connection).
    func clientAddress(trustedPeer peer: IPAddress, headers: HTTPHeaders) -> IPAddress {
        let forwarded = headers.values("Forwarded")
        let hops = forwarded.isEmpty
            ? headers.values("X-Forwarded-For").flatMap(Self.forwardedForHops)
            : forwarded.flatMap(Self.forwardedHops)
        var client = peer
        for hop in hops.reversed() {
            guard let address = hop else { return client }
            guard isTrusted(address) else { return address }
            client = address
        }
        return client
    }

    // MARK: X-Forwarded-For

    /// The entries of one `X-Forwarded-For` field; nil marks an entry that stops the walk.
    static func forwardedForHops(_ field: String) -> [IPAddress?] {
        var hops: [IPAddress?] = []
        for raw in Array(field.utf8).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let entry = trimmingOWS(raw)
            if entry.isEmpty { continue }
            hops.append(parseForwardedForEntry(entry))
        }
        return hops
    }

    private static func parseForwardedForEntry(_ entry: ArraySlice<UInt8>) -> IPAddress? {
        if let address = IPAddress(String(decoding: entry, as: UTF8.self)) { return address }
        return parseNode(entry, allowObfuscatedPort: false)
    }

    // MARK: Forwarded (RFC 7239)

    /// The elements of one `Forwarded` field; nil marks an element that stops the walk.
    static func forwardedHops(_ field: String) -> [IPAddress?] {
        var hops: [IPAddress?] = []
        for element in splitElements(Array(field.utf8)) {
            guard let element else { hops.append(nil); continue }
            let trimmed = trimmingOWS(element)
            if trimmed.isEmpty { continue }
            hops.append(parseElement(trimmed))
        }
        return hops
    }

    /// Splits a field at commas outside quoted strings; an unterminated quoted string yields a final nil.
    private static func splitElements(_ bytes: [UInt8]) -> [ArraySlice<UInt8>?] {
        var elements: [ArraySlice<UInt8>?] = []
        var start = 0
        var inQuote = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if inQuote {
                if c == UInt8(ascii: "\\") { i += 1 } else if c == UInt8(ascii: "\"") { inQuote = false }
            } else if c == UInt8(ascii: "\"") {
                inQuote = true
            } else if c == UInt8(ascii: ",") {
                elements.append(bytes[start..<i])
                start = i + 1
            }
            i += 1
        }
        elements.append(inQuote ? nil : bytes[start..<bytes.count])
        return elements
    }

    /// `pair *( ";" pair )` with optional whitespace around separators; returns the `for=` node's address.
    private static func parseElement(_ element: ArraySlice<UInt8>) -> IPAddress? {
        var i = element.startIndex
        let end = element.endIndex
        var seen: Set<[UInt8]> = []
        var forValue: [UInt8]?
        while true {
            while i < end, isOWS(element[i]) { i += 1 }
            if i == end { break }
            if element[i] == UInt8(ascii: ";") { i += 1; continue }
            let nameStart = i
            while i < end, isTokenChar(element[i]) { i += 1 }
            guard i > nameStart, i < end, element[i] == UInt8(ascii: "=") else { return nil }
            let name = element[nameStart..<i].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            i += 1
            var value: [UInt8] = []
            if i < end, element[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < end {
                    let c = element[i]
                    if c == UInt8(ascii: "\"") { closed = true; i += 1; break }
                    if c == UInt8(ascii: "\\") {
                        i += 1
                        guard i < end else { return nil }
                    }
                    let q = element[i]
                    guard q == 0x09 || q >= 0x20, q != 0x7F else { return nil }
                    value.append(q)
                    i += 1
                }
                guard closed else { return nil }
            } else {
                let valueStart = i
                while i < end, isTokenChar(element[i]) { i += 1 }
                guard i > valueStart else { return nil }
                value = Array(element[valueStart..<i])
            }
            guard seen.insert(name).inserted else { return nil }
            if name == Array("for".utf8) { forValue = value }
            while i < end, isOWS(element[i]) { i += 1 }
            if i == end { break }
            guard element[i] == UInt8(ascii: ";") else { return nil }
            i += 1
        }
        guard let forValue else { return nil }
        return parseNode(forValue[...], allowObfuscatedPort: true)
    }

    /// `IPv4 [":" port]` or `"[" IPv6 "]" [":" port]`; `unknown`, `_obfuscated` and anything else give nil.
    private static func parseNode(_ node: ArraySlice<UInt8>, allowObfuscatedPort: Bool) -> IPAddress? {
        guard let first = node.first else { return nil }
        if first == UInt8(ascii: "[") {
            guard let close = node.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let inner = node[(node.startIndex + 1)..<close]
            guard inner.contains(UInt8(ascii: ":")), let (high, low) = IPAddress.parseIPv6(inner),
                  isValidPort(node[(close + 1)...], allowObfuscated: allowObfuscatedPort)
            else { return nil }
            return IPAddress(bytes: bytes(high, low))
        }
        let hostEnd = node.firstIndex(of: UInt8(ascii: ":")) ?? node.endIndex
        guard let v4 = IPAddress.parseIPv4(node[..<hostEnd]),
              isValidPort(node[hostEnd...], allowObfuscated: allowObfuscatedPort)
        else { return nil }
        return IPAddress(ipv4: v4)
    }

    /// Empty, or `":"` followed by 1–5 digits up to 65535 or (if allowed) `_` and `[A-Za-z0-9._-]+`.
    private static func isValidPort(_ text: ArraySlice<UInt8>, allowObfuscated: Bool) -> Bool {
        if text.isEmpty { return true }
        guard text.first == UInt8(ascii: ":") else { return false }
        let port = text.dropFirst()
        if allowObfuscated, port.first == UInt8(ascii: "_") {
            return port.count > 1 && port.dropFirst().allSatisfy { c in
                isAlphanumeric(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
            }
        }
        guard (1...5).contains(port.count), port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        return port.reduce(0) { $0 * 10 + Int($1 - 0x30) } <= 65535
    }

    private static func bytes(_ high: UInt64, _ low: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    private static func trimmingOWS(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, isOWS(bytes[start]) { start += 1 }
        while end > start, isOWS(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    private static func isOWS(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenChar(_ c: UInt8) -> Bool {
        if isAlphanumeric(c) { return true }
        switch c {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
