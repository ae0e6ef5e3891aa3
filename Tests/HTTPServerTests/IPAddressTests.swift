import Glibc
import Testing

@testable import HTTPServer

/// IP address and CIDR parsing, and client address resolution behind trusted proxies.
struct IPAddressTests {
    // MARK: IPAddress

    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("192.0.2.1", "192.0.2.1"),
        ("10.0.0.10", "10.0.0.10"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),       // a single zero group is not compressed
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),                // the longest run wins
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),          // the leftmost of equal runs wins
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),                 // `::` may stand for one group
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("fe80::1:2", "fe80::1:2"),
        ("::ffff:192.0.2.1", "192.0.2.1"),                      // IPv4-mapped prints dotted
        ("::FFFF:c000:0201", "192.0.2.1"),
        ("0:0:0:0:0:ffff:10.1.2.3", "10.1.2.3"),
        ("::192.0.2.1", "::c000:201"),                          // deprecated IPv4-compatible: plain IPv6
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("0000:0000:0000:0000:0000:0000:0000:0001", "::1"),
    ])
    func parsesAddressesToCanonicalText(input: String, canonical: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test(arguments: [
        "", " ", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4\n", "1.2.3.4\0",
        "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "256.0.0.1", "1.2.3.1000", "-1.2.3.4", "+1.2.3.4",
        "01.2.3.4", "1.2.3.04", "1.2.3.00", "0x7f.0.0.1", "127.1", "2130706433", "1.2.3.4:80", "1.2.3.a",
        "١.٢.٣.٤",                                              // Arabic-Indic digits are not ASCII digits
        ":", ":::", "1:::2", "::1::", "1::2::3", ":1::", "1::2:", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:",
        "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::",
        "fe80::1%eth0", "fe80::1%1", "[::1]", "[::1]:80", "::1 ", "::ffff:1.2.3", "::ffff:01.2.3.4",
        "::1.2.3.4:5", "1.2.3.4::", "::1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6:1.2.3.4:8",
        "::ffff:1.2.3.4.", "::ffff:256.1.1.1", "0000:0000:0000:0000:0000:0000:0000:00001",
        "1111:2222:3333:4444:5555:6666:123.123.123.123x",
    ])
    func rejectsInvalidAddresses(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func mappedIPv4EqualsDottedIPv4() throws {
        let dotted = try #require(IPAddress("1.2.3.4"))
        let mapped = try #require(IPAddress("::ffff:1.2.3.4"))
        #expect(dotted == mapped)
        #expect(dotted.isIPv4)
        #expect(dotted.ipv4Value == 0x0102_0304)
        #expect(IPAddress(ipv4: 0x7F00_0001).description == "127.0.0.1")
        #expect(IPAddress(bytes: [10, 0, 0, 1]) == IPAddress("10.0.0.1"))
        #expect(IPAddress(bytes: dotted.bytes) == dotted)
        #expect(dotted.bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4])
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress("::1")?.isIPv4 == false)
        #expect(IPAddress("::1")?.ipv4Value == nil)
    }

    /// Random 16-byte addresses survive description → parse, and match glibc's `inet_ntop` except for the forms
    /// we print differently on purpose (IPv4-mapped as plain dotted quad; IPv4-compatible as hex).
    @Test func canonicalTextRoundTripsAndMatchesInetNtop() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            // Bias towards zero groups so compression is exercised.
            var bytes = [UInt8](repeating: 0, count: 16)
            for g in 0..<8 where Int.random(in: 0..<3, using: &rng) == 0 {
                bytes[2 * g] = Int.random(in: 0..<2, using: &rng) == 0 ? 0 : .random(in: 0...255, using: &rng)
                bytes[2 * g + 1] = .random(in: 0...255, using: &rng)
            }
            let address = try #require(IPAddress(bytes: bytes))
            #expect(IPAddress(address.description) == address)
            #expect(address.bytes == bytes)
            let isMappedOrCompatible = bytes[0..<10].allSatisfy { $0 == 0 } && (bytes[10] == bytes[11])
                && (bytes[10] == 0 || bytes[10] == 0xFF)
            if !isMappedOrCompatible {
                #expect(address.description == inetNtop6(bytes), "\(bytes)")
            }
        }
    }

    /// Random strings over the address alphabet: we accept exactly what glibc's `inet_pton` accepts, with the same
    /// bytes (glibc is strict in the same ways: no leading zeros in IPv4 octets, no shorthand, no zone ids).
    @Test func acceptanceMatchesInetPtonOnRandomText() {
        let alphabet = Array("0123:.:.fF:1:9:5::a25.")
        var rng = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<50_000 {
            let length = Int.random(in: 0...20, using: &rng)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
            let ours = IPAddress(text)
            let theirs = inetPton(text)
            #expect(ours?.bytes == theirs, "\(text)")
            if ours != nil { accepted += 1 }
        }
        #expect(accepted > 100)
    }



    // MARK: CIDR

    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8", 8),
        ("0.0.0.0/0", "0.0.0.0/0", 0),
        ("192.0.2.7", "192.0.2.7/32", 32),
        ("192.0.2.7/32", "192.0.2.7/32", 32),
        ("2001:db8::/32", "2001:db8::/32", 32),
        ("2001:DB8:0::/48", "2001:db8::/48", 48),
        ("::/0", "::/0", 0),
        ("::1", "::1/128", 128),
        ("::1/128", "::1/128", 128),
        ("::ffff:10.0.0.0/104", "10.0.0.0/8", 8),             // IPv6 spelling of an IPv4 block
        ("::ffff:0:0/96", "0.0.0.0/0", 0),
    ])
    func parsesCIDR(input: String, canonical: String, prefixLength: Int) throws {
        let block = try CIDR.parse(input)
        #expect(block.description == canonical)
        #expect(block.prefixLength == prefixLength)
        #expect(CIDR(canonical) == block)
    }

    @Test(arguments: [
        ("", CIDR.ParseError.invalidAddress),
        ("/8", .invalidAddress),
        ("10.0.0/8", .invalidAddress),
        ("010.0.0.0/8", .invalidAddress),
        ("fe80::%eth0/64", .invalidAddress),
        (" 10.0.0.0/8", .invalidAddress),
        ("10.0.0.0/", .invalidPrefixLength),
        ("10.0.0.0/08", .invalidPrefixLength),
        ("10.0.0.0/+8", .invalidPrefixLength),
        ("10.0.0.0/-8", .invalidPrefixLength),
        ("10.0.0.0/8 ", .invalidPrefixLength),
        ("10.0.0.0/8/8", .invalidPrefixLength),
        ("10.0.0.0/1000", .invalidPrefixLength),
        ("10.0.0.0/٨", .invalidPrefixLength),
        ("10.0.0.0/33", .prefixLengthTooLong),
        ("::/129", .prefixLengthTooLong),
        ("10.0.0.1/8", .hostBitsSet),
        ("0.0.0.1/0", .hostBitsSet),
        ("2001:db8::1/32", .hostBitsSet),
        ("::ffff:10.0.0.0/80", .hostBitsSet),
    ])
    func rejectsInvalidCIDR(input: String, error: CIDR.ParseError) {
        #expect(throws: error) { try CIDR.parse(input) }
        #expect(CIDR(input) == nil)
    }

    @Test func cidrErrorsExplainThemselves() {
        #expect(throws: CIDR.ParseError.self) { try CIDR.parse("10.0.0.1/8") }
        do {
            _ = try CIDR.parse("10.0.0.1/8")
        } catch {
            #expect(error.reason == #"host bits set in "10.0.0.1/8" (did you mean 10.0.0.0/8?)"#)
        }
        do {
            _ = try CIDR.parse("10.0.0.0/33")
        } catch {
            #expect(error.description == #"prefix length in CIDR "10.0.0.0/33" exceeds 32"#)
        }
        do {
            _ = try CIDR.parse("::ffff:10.0.0.1/104")
        } catch {
            #expect(error.reason == #"host bits set in "::ffff:10.0.0.1/104" (did you mean 10.0.0.0/8?)"#)
        }
    }

    @Test func cidrContainment() throws {
        func block(_ text: String) throws -> CIDR { try CIDR.parse(text) }
        func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

        // /0: every address of the family, none of the other.
        #expect(try block("0.0.0.0/0").contains(address("255.255.255.255")))
        #expect(try block("0.0.0.0/0").contains(address("::ffff:1.2.3.4")))
        #expect(try !block("0.0.0.0/0").contains(address("::1")))
        #expect(try !block("0.0.0.0/0").contains(address("2001:db8::1")))
        #expect(try block("::/0").contains(address("2001:db8::1")))
        #expect(try block("::/0").contains(address("1.2.3.4")))

        // /32 and /128: exactly one address.
        #expect(try block("192.0.2.7/32").contains(address("192.0.2.7")))
        #expect(try block("192.0.2.7/32").contains(address("::ffff:192.0.2.7")))
        #expect(try !block("192.0.2.7/32").contains(address("192.0.2.6")))
        #expect(try !block("192.0.2.7/32").contains(address("::c000:207")))    // IPv4-compatible is not IPv4
        #expect(try block("2001:db8::1/128").contains(address("2001:db8:0:0::1")))
        #expect(try !block("2001:db8::1/128").contains(address("2001:db8::2")))

        // Block boundaries.
        #expect(try block("10.0.0.0/8").contains(address("10.255.255.255")))
        #expect(try !block("10.0.0.0/8").contains(address("11.0.0.0")))
        #expect(try !block("10.0.0.0/8").contains(address("9.255.255.255")))
        #expect(try block("172.16.0.0/12").contains(address("172.31.0.1")))
        #expect(try !block("172.16.0.0/12").contains(address("172.32.0.1")))
        #expect(try block("2001:db8::/32").contains(address("2001:db8:ffff::1")))
        #expect(try !block("2001:db8::/32").contains(address("2001:db9::")))
        #expect(try block("2001:db8::/64").contains(address("2001:db8::ffff:ffff:ffff:ffff")))
        #expect(try !block("2001:db8::/64").contains(address("2001:db8:0:1::")))
        #expect(try block("2001:db8::/65").contains(address("2001:db8::7fff:ffff:ffff:ffff")))
        #expect(try !block("2001:db8::/65").contains(address("2001:db8::8000:0:0:0")))
        #expect(try block("::ffff:10.0.0.0/104").contains(address("10.9.9.9")))
        #expect(try block("fe80::/10").contains(address("febf::1")))
        #expect(try !block("fe80::/10").contains(address("fec0::1")))

        #expect(CIDR(try address("10.1.2.3")).contains(try address("::ffff:10.1.2.3")))
        #expect(CIDR(try address("10.1.2.3")).prefixLength == 32)
    }

    // MARK: ClientAddressResolver



    @Test func untrustedPeerIgnoresForwardingHeaders() {
        #expect(client(peer: "203.0.113.9", [("X-Forwarded-For", "1.2.3.4")]) == "203.0.113.9")
        #expect(client(peer: "203.0.113.9", [("Forwarded", "for=1.2.3.4")]) == "203.0.113.9")
        #expect(client(peer: "::1", [("X-Forwarded-For", "1.2.3.4")]) == "::1")
        let nobody = ClientAddressResolver(trustedProxies: [])
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "1.2.3.4")], resolver: nobody) == "10.0.0.1")
    }

    @Test func trustedPeerWithoutHeadersIsTheClient() {
        #expect(client(peer: "10.0.0.1", []) == "10.0.0.1")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "")]) == "10.0.0.1")
        #expect(client(peer: "::ffff:10.0.0.1", [("X-Forwarded-For", "1.2.3.4")]) == "1.2.3.4")
    }

    @Test func walksXForwardedForRightToLeftSkippingTrustedProxies() {
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5")]) == "203.0.113.5")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5, 10.1.1.1, 192.168.1.1")]) == "203.0.113.5")
        // Several fields are one list, in order.
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5"), ("x-forwarded-for", "10.2.2.2")])
            == "203.0.113.5")
        // Everything trusted: the left-most (last trusted) hop.
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "10.9.9.9,192.168.1.1")]) == "10.9.9.9")
        // IPv6 and ports.
        #expect(client(peer: "2001:db8:cafe::1", [("X-Forwarded-For", "2001:db8::7")]) == "2001:db8::7")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "[2001:db8::7]:4711, 10.0.0.2:80")]) == "2001:db8::7")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5:443")]) == "203.0.113.5")
        // Empty list elements are ignored.
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", ",203.0.113.5,, ,")]) == "203.0.113.5")
    }

    @Test func spoofedLeftMostEntriesAreNotBelieved() {
        // The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended the real address.
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "1.1.1.1, 203.0.113.5")]) == "203.0.113.5")
        // A client claiming to be a trusted proxy gains nothing: the first untrusted hop from the right wins.
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "1.1.1.1, 10.0.0.7, 203.0.113.5")]) == "203.0.113.5")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=1.1.1.1, for=203.0.113.5")]) == "203.0.113.5")
        // Garbage on the left: never reached.
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "<script>, 203.0.113.5")]) == "203.0.113.5")
    }

    @Test func malformedEntriesStopTheWalkAtTheLastTrustedHop() {
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5, nonsense")]) == "10.0.0.1")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5, garbage, 10.0.0.2")]) == "10.0.0.2")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5, 01.2.3.4")]) == "10.0.0.1")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5, 1.2.3.4:99999")]) == "10.0.0.1")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5, fe80::1%eth0")]) == "10.0.0.1")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5, unknown")]) == "10.0.0.1")
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "203.0.113.5 10.0.0.2")]) == "10.0.0.1")
    }

    @Test func parsesForwardedElements() {
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=203.0.113.5")]) == "203.0.113.5")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "For=\"203.0.113.5:4711\";proto=https;by=10.0.0.1")])
            == "203.0.113.5")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=\"[2001:db8::1]\"")]) == "2001:db8::1")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=\"[2001:db8::1]:4711\"")]) == "2001:db8::1")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=\"[2001:db8::1]:_hidden\"")]) == "2001:db8::1")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "proto=https; for=203.0.113.5 ;host=a.example")])
            == "203.0.113.5")
        // Chain across elements and fields, with a quoted comma that must not split an element.
        #expect(client(peer: "10.0.0.1", [
            ("Forwarded", "for=203.0.113.5;host=\"a,b\", for=10.0.0.9"), ("Forwarded", "for=\"[2001:db8:cafe::2]\""),
        ]) == "203.0.113.5")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=\"203.0.113.5\";host=\"x\\\"y\"")]) == "203.0.113.5")
    }

    @Test func forwardedUnknownObfuscatedAndMalformedStopTheWalk() {
        let cases: [(String, String)] = [
            ("for=203.0.113.5, for=unknown", "10.0.0.1"),
            ("for=203.0.113.5, for=UNKNOWN, for=10.0.0.2", "10.0.0.2"),
            ("for=203.0.113.5, for=_hidden", "10.0.0.1"),
            ("for=203.0.113.5, for=\"_SEVKISEK\"", "10.0.0.1"),
            ("for=203.0.113.5, proto=https", "10.0.0.1"),                  // element without for=
            ("for=203.0.113.5, for=10.0.0.2;for=10.0.0.3", "10.0.0.1"),    // repeated parameter
            ("for=[2001:db8::1]", "10.0.0.1"),                             // brackets must be quoted
            ("for=2001:db8::1", "10.0.0.1"),
            ("for=\"2001:db8::1\"", "10.0.0.1"),                           // IPv6 needs brackets
            ("for=\"[1.2.3.4]\"", "10.0.0.1"),
            ("for=\"[2001:db8::1]:99999\"", "10.0.0.1"),
            ("for=\"[2001:db8::1\"", "10.0.0.1"),
            ("for=\"203.0.113.5", "10.0.0.1"),                             // unterminated quoted string
            ("for=203.0.113.5 proto=http", "10.0.0.1"),
            ("for=", "10.0.0.1"),
            ("=1.2.3.4", "10.0.0.1"),
            ("for=1.2.3.4:80", "10.0.0.1"),                                // ':' is not a token character
            ("for=\"1.2.3.4\u{7F}\"", "10.0.0.1"),
        ]
        for (field, expected) in cases {
            #expect(client(peer: "10.0.0.1", [("Forwarded", field)]) == expected, "\(field)")
        }
    }

    @Test func unterminatedQuoteCannotSwallowALaterProxysField() {
        // The client sent an unterminated quote; our proxy added its own field. The client's field is never reached
        // because the proxy's hop is untrusted-and-valid; had the proxy appended to the same field, the walk stops.
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=\"1.1.1.1"), ("Forwarded", "for=203.0.113.5")])
            == "203.0.113.5")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=\"1.1.1.1, for=203.0.113.5")]) == "10.0.0.1")
        #expect(client(peer: "10.0.0.1", [("Forwarded", "for=\"1.1.1.1, for=\"203.0.113.5\"")]) == "10.0.0.1")
    }

    @Test func forwardedTakesPrecedenceOverXForwardedFor() {
        let headers = [("X-Forwarded-For", "198.51.100.1"), ("Forwarded", "for=203.0.113.5")]
        #expect(client(peer: "10.0.0.1", headers) == "203.0.113.5")
        // Even a useless Forwarded field wins: we do not fall back to the weaker header.
        #expect(client(peer: "10.0.0.1", [("X-Forwarded-For", "198.51.100.1"), ("Forwarded", "for=unknown")]) == "10.0.0.1")
    }

    @Test func garbageNeverCrashesAndNeverEscapesTheTrustedChain() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("for=\"[]:;,_ 1.2.3.4 10.0.0.2 ::ff unknown\\\t=proto x")
        for _ in 0..<20_000 {
            let text = String((0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            for name in ["Forwarded", "X-Forwarded-For"] {
                let result = resolver.clientAddress(peer: IPAddress("10.0.0.1")!, headers: HTTPHeaders([(name, text)]))
                // The answer is the peer or an address written in the text (possibly with a port).
                let tokens = text.split { ",;=\"[] \t".contains($0) }
                let written = tokens.contains { token in
                    IPAddress(token) == result || IPAddress(token.split(separator: ":").first ?? "") == result
                }
                #expect(result == IPAddress("10.0.0.1") || written, "\(name): \(text) → \(result)")
            }
        }
    }
}

// MARK: Helpers

private func inetNtop6(_ bytes: [UInt8]) -> String {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    var addr = in6_addr()
    withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
    _ = inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func inetPton(_ text: String) -> [UInt8]? {
    var v6 = [UInt8](repeating: 0, count: 16)
    if text.contains(":") {
        return inet_pton(AF_INET6, text, &v6) == 1 ? v6 : nil
    }
    var v4 = [UInt8](repeating: 0, count: 4)
    guard inet_pton(AF_INET, text, &v4) == 1 else { return nil }
    return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + v4
}

private let proxies = ["10.0.0.0/8", "192.168.1.1", "2001:db8:cafe::/48"].compactMap(CIDR.init)

private let resolver = ClientAddressResolver(trustedProxies: proxies)

private func client(
    peer: String, _ headers: [(String, String)], resolver: ClientAddressResolver = resolver
) -> String {
    resolver.clientAddress(peer: IPAddress(peer)!, headers: HTTPHeaders(headers)).description
}
