import Foundation
@testable import HookRelay
import Testing

// Vectors are read from Tests/HookRelayTests/Vectors through a #filePath-relative path, so the test target needs no
// resource bundle.

@Suite enum CryptoTests {}

// MARK: - Helpers

private let vectorsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")

private func loadVectors<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(contentsOf: vectorsDirectory.appendingPathComponent(name)))
}

private func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text) else { fatalError("bad hex in test: \(text)") }
    return bytes
}

private struct HMACVectors: Decodable {
    struct Case: Decodable {
        var `case`: Int
        var key: String
        var data: String
        var sha1: String?
        var sha256: String?
        var sha384: String?
        var sha512: String?

        func expected(_ algorithm: DigestAlgorithm) -> String? {
            switch algorithm {
            case .sha1: sha1
            case .sha256: sha256
            case .sha384: sha384
            case .sha512: sha512
            }
        }
    }

    var cases: [Case]
}

private struct Ed25519Vectors: Decodable {
    struct Case: Decodable {
        var name: String
        var publicKey: String
        var message: String
        var signature: String
    }

    var cases: [Case]
}

private struct JWSVector: Decodable {
    struct JWK: Codable {
        var kty: String
        var crv: String
        var x: String
        var y: String
    }

    var jwk: JWK
    var jws: String
}

private struct OpenSSLFailed: Error, CustomStringConvertible {
    var description: String
}

/// A temporary directory in which the `openssl` command-line tool makes keys and signatures.
private final class OpenSSLWorkspace {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookrelay-crypto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `openssl arguments...` in the directory and returns its standard output.
    ///
    /// Output goes to files rather than pipes, so no read in this process can be interrupted by a signal.
    @discardableResult
    func run(_ arguments: String...) throws -> String {
        let stdoutURL = directory.appendingPathComponent("stdout.txt"), stderrURL = directory.appendingPathComponent("stderr.txt")
        try Data().write(to: stdoutURL)
        try Data().write(to: stderrURL)
        let stdout = try FileHandle(forWritingTo: stdoutURL), stderr = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? stdout.close()
            try? stderr.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailed(description: "openssl \(arguments.joined(separator: " ")): \(try readText("stderr.txt"))")
        }
        return try readText("stdout.txt")
    }

    func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    func readText(_ name: String) throws -> String {
        String(decoding: try read(name), as: UTF8.self)
    }

    /// The INTEGER values (hex) of an ECDSA DER signature, as decoded by `openssl asn1parse`: r then s.
    func ecdsaIntegers(ofSignatureFile name: String) throws -> [String] {
        try run("asn1parse", "-inform", "DER", "-in", name)
            .split(separator: "\n")
            .filter { $0.contains("INTEGER") }
            .compactMap { $0.split(separator: ":").last.map(String.init) }
    }
}

/// Left-pads a big-endian integer given as hex to `length` bytes.
private func fixedWidth(_ hexInteger: String, length: Int) -> [UInt8] {
    var text = hexInteger
    if text.count % 2 == 1 { text = "0" + text }
    let bytes = Array(hex(text).drop(while: { $0 == 0 }))
    return [UInt8](repeating: 0, count: length - bytes.count) + bytes
}

private func flippingBit(_ bytes: [UInt8], at index: Int) -> [UInt8] {
    var copy = bytes
    copy[index] ^= 0x01
    return copy
}

// MARK: - HMAC

extension CryptoTests {
    @Suite struct HMACTests {
        @Test func matchesRFC4231ForSHA256SHA384AndSHA512() throws {
            let vectors = try loadVectors("rfc4231.json", as: HMACVectors.self)
            #expect(vectors.cases.map(\.case) == [1, 2, 3, 4, 6, 7])
            for algorithm in [DigestAlgorithm.sha256, .sha384, .sha512] {
                for vector in vectors.cases {
                    let key = try HMACKey(algorithm: algorithm, key: hex(vector.key))
                    let mac = key.authenticationCode(for: hex(vector.data))
                    #expect(Hex.encode(mac) == vector.expected(algorithm), "RFC 4231 case \(vector.case), \(algorithm)")
                    #expect(mac.count == algorithm.outputByteCount)
                }
            }
        }

        @Test func matchesRFC2202ForSHA1() throws {
            let vectors = try loadVectors("rfc2202.json", as: HMACVectors.self)
            #expect(vectors.cases.count == 7)
            for vector in vectors.cases {
                let key = try HMACKey(algorithm: .sha1, key: hex(vector.key))
                #expect(Hex.encode(key.authenticationCode(for: hex(vector.data))) == vector.sha1, "RFC 2202 case \(vector.case)")
            }
        }

        @Test func reusedContextsMatchFreshOnesWhenInterleaved() throws {
            let vectors = try loadVectors("rfc4231.json", as: HMACVectors.self)
            let reused = try vectors.cases.map { try HMACKey(algorithm: .sha256, key: hex($0.key)) }
            // Three rounds over all keys, each key MACing its RFC message, then an unrelated one, then its message again.
            for round in 0..<3 {
                for (index, vector) in vectors.cases.enumerated() {
                    let key = reused[index]
                    #expect(Hex.encode(key.authenticationCode(for: hex(vector.data))) == vector.sha256, "round \(round)")
                    let other: [UInt8] = Array("round \(round) message \(index)".utf8)
                    let fresh = try HMACKey(algorithm: .sha256, key: hex(vector.key))
                    #expect(key.authenticationCode(for: other) == fresh.authenticationCode(for: other))
                    #expect(key.isValidAuthenticationCode(hex(vector.sha256!), for: hex(vector.data)))
                }
            }
        }

        @Test func partsAreMACedAsTheirConcatenation() throws {
            let key = try HMACKey(algorithm: .sha256, key: Array("whsec_test".utf8))
            let body: [UInt8] = Array(#"{"id":"evt_1","type":"charge.succeeded"}"#.utf8)
            let whole = key.authenticationCode(for: Array("1700000000.".utf8) + body)
            #expect(key.authenticationCode(for: "1700000000", ".", body) == whole)
            #expect(key.authenticationCode(for: "1700000000."[...], body[...]) == whole)
            #expect(key.authenticationCode(for: "", "1700000000.", [UInt8](), body) == whole)
            let streamed = key.authenticationCode { message in
                for byte in "1700000000.".utf8 { message.append([byte]) }
                message.append(body)
            }
            #expect(streamed == whole)
            #expect(key.authenticationCode(for: "1700000000", body) != whole)
        }

        @Test func validatesCodesInConstantTimeAndRejectsTamperedOnes() throws {
            let key = try HMACKey(algorithm: .sha512, key: Array("Jefe".utf8))
            let message = "what do ya want for nothing?"
            let expected = key.authenticationCode(for: message)
            #expect(key.isValidAuthenticationCode(expected, for: message))
            #expect(key.isValidAuthenticationCode(expected, for: "what do ya want ", "for nothing?"))
            #expect(!key.isValidAuthenticationCode(flippingBit(expected, at: 63), for: message))
            #expect(!key.isValidAuthenticationCode(expected, for: message + " "))
            #expect(!key.isValidAuthenticationCode(Array(expected.prefix(32)), for: message))
            #expect(!key.isValidAuthenticationCode([UInt8](), for: message))
        }

        @Test func refusesAnEmptyKey() {
            #expect(throws: CryptoError.self) { try HMACKey(algorithm: .sha256, key: [UInt8]()) }
            #expect(throws: CryptoError.self) { try HMACSecret(algorithm: .sha1, key: []).makeKey() }
        }

        @Test func secretsNeverPrintTheirKey() throws {
            let secret = HMACSecret(algorithm: .sha256, key: Array("s3cr3t-signing-key".utf8))
            var dumped = ""
            dump(secret, to: &dumped)
            let renderings = [secret.description, secret.debugDescription, "\(secret)", String(reflecting: secret), dumped]
            for text in renderings {
                #expect(text.contains("<redacted>"), "\(text)")
                #expect(!text.contains("s3cr3t"), "\(text)")
                #expect(!text.contains(Hex.encode(Array("s3cr3t".utf8))), "\(text)")
                #expect(!text.contains("115, 51"), "\(text)")  // "s3" as a byte array
            }
            #expect(secret.keyByteCount == 18)
            let key = try secret.makeKey()
            #expect(key.algorithm == .sha256)
            #expect(try HMACKey(secret).authenticationCode(for: "x") == key.authenticationCode(for: "x"))
        }
    }
}

// MARK: - Digests and comparison

extension CryptoTests {
    @Suite struct DigestTests {
        @Test func matchesKnownAnswersForEmptyAndABC() {
            let known: [(DigestAlgorithm, String, String)] = [
                (.sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "a9993e364706816aba3e25717850c26c9cd0d89d"),
                (
                    .sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                ),
                (
                    .sha384,
                    "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
                    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
                ),
                (
                    .sha512,
                    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                        + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
                    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                        + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
                ),
            ]
            for (algorithm, empty, abc) in known {
                #expect(Hex.encode(Digest.hash(algorithm, [UInt8]())) == empty, "\(algorithm)")
                #expect(Hex.encode(Digest.hash(algorithm, "abc")) == abc, "\(algorithm)")
                #expect(Hex.encode(Digest.hash(algorithm, "a", "", "bc")) == abc, "\(algorithm) in parts")
                #expect(Digest.hash(algorithm, "abd") != hex(abc))
            }
        }

        @Test func comparesInConstantTimeOnlyEqualBytesAsEqual() {
            let a: [UInt8] = Array(repeating: 0x5a, count: 32)
            #expect(constantTimeEquals(a, a))
            #expect(constantTimeEquals(a, a[...]))
            #expect(constantTimeEquals([UInt8](), ""))
            #expect(constantTimeEquals("token-123", Array("token-123".utf8)))
            #expect(!constantTimeEquals(a, flippingBit(a, at: 0)))
            #expect(!constantTimeEquals(a, flippingBit(a, at: 31)))
            #expect(!constantTimeEquals(a, Array(a.dropLast())))
            #expect(!constantTimeEquals(a, a + [0x5a]))
            #expect(!constantTimeEquals("", "x"))
        }
    }
}

// MARK: - Encodings

extension CryptoTests {
    @Suite struct EncodingTests {
        @Test func hexRoundTripsEveryByteInLowercase() {
            let all = (0...255).map(UInt8.init)
            let text = Hex.encode(all)
            #expect(text.count == 512)
            #expect(text.hasPrefix("000102"))
            #expect(text.hasSuffix("fdfeff"))
            #expect(text == text.lowercased())
            #expect(Hex.decode(text) == all)
            #expect(Hex.decode(text.uppercased()) == all)
            #expect(Hex.decode("DeAdBeEf") == [0xde, 0xad, 0xbe, 0xef])
            #expect(Hex.decode("") == [])
            #expect(Hex.encode([UInt8]()) == "")
        }

        @Test(arguments: ["a", "abc", "0g", "g0", "zz", "0x00", " 00", "00 ", "00\n", "-1", "é0", "0:", "@0", "`0", "G0"])
        func hexRejects(_ text: String) {
            #expect(Hex.decode(text) == nil)
        }

        @Test func base64MatchesRFC4648Vectors() {
            let vectors = [
                ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
                ("foobar", "Zm9vYmFy"),
            ]
            for (plain, encoded) in vectors {
                #expect(Base64.encode(plain) == encoded)
                #expect(Base64.decode(encoded) == Array(plain.utf8))
                #expect(Base64.decode(encoded, padding: .optional) == Array(plain.utf8))
                let unpadded = encoded.replacingOccurrences(of: "=", with: "")
                #expect(Base64.decode(unpadded, padding: .optional) == Array(plain.utf8))
                #expect(Base64URL.encode(plain) == unpadded)
                #expect(Base64URL.decode(unpadded) == Array(plain.utf8))
            }
            #expect(Base64.encode([0xfb, 0xff, 0xbf]) == "+/+/")
            #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
            #expect(Base64.decode("+/+/") == [0xfb, 0xff, 0xbf])
            #expect(Base64URL.decode("-_-_") == [0xfb, 0xff, 0xbf])
        }

        @Test func base64RoundTripsEveryLengthInBothAlphabets() {
            var generator = SystemRandomNumberGenerator()
            for length in 0..<200 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                #expect(Base64.decode(Base64.encode(bytes)) == bytes)
                #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
                #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString(), "agrees with Foundation")
                #expect(Base64.encode(bytes).count % 4 == 0)
            }
        }

        @Test(arguments: [
            "Zg",  // padding missing
            "Zg=", "Zm8", "Z", "Z===", "Zg===", "====", "=",  // wrong padding or length
            "Zh==", "Zm9=",  // non-zero unused bits (non-canonical)
            "Zm9v\n", " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\r\n",  // whitespace
            "Zg==Zg==", "Zm=v", "Z=9v",  // padding in the middle
            "Zm9-", "Zm9_", "Zm9*", "Zm9é",  // outside the alphabet
        ])
        func base64StrictlyRejects(_ text: String) {
            #expect(Base64.decode(text) == nil)
        }

        @Test func base64WithOptionalPaddingStillRejectsWrongPadding() {
            #expect(Base64.decode("Zg", padding: .optional) == Array("f".utf8))
            #expect(Base64.decode("Zm8", padding: .optional) == Array("fo".utf8))
            for text in ["Zg=", "Z", "Zh", "Zm8==", "Zm9v=", "Zg===", "Zm9v\n"] {
                #expect(Base64.decode(text, padding: .optional) == nil, "\(text)")
            }
        }

        @Test(arguments: ["Zg==", "Zm8=", "+/+/", "Z", "Zh", "-_-_=", "ab cd"])
        func base64URLRejects(_ text: String) {
            #expect(Base64URL.decode(text) == nil)
        }
    }
}

// MARK: - Ed25519

extension CryptoTests {
    @Suite struct Ed25519Tests {
        @Test func verifiesRFC8032Vectors() throws {
            let vectors = try loadVectors("rfc8032.json", as: Ed25519Vectors.self)
            #expect(vectors.cases.map(\.name) == ["TEST 1", "TEST 2", "TEST 3"])
            for vector in vectors.cases {
                let key = try PublicKey(ed25519RawBytes: hex(vector.publicKey))
                #expect(key.kind == .ed25519)
                let message = hex(vector.message), signature = hex(vector.signature)
                #expect(key.verifyEd25519(signature: signature, message: message), "\(vector.name)")
                #expect(!key.verifyEd25519(signature: signature, message: message + [0x00]), "\(vector.name) longer message")
                if !message.isEmpty {
                    #expect(!key.verifyEd25519(signature: signature, message: flippingBit(message, at: 0)), "\(vector.name)")
                }
                for index in [0, 31, 32, 63] {
                    #expect(!key.verifyEd25519(signature: flippingBit(signature, at: index), message: message), "\(vector.name)")
                }
                #expect(!key.verifyEd25519(signature: Array(signature.dropLast()), message: message))
                #expect(!key.verifyEd25519(signature: [UInt8](), message: message))
                #expect(isOpenSSLErrorQueueEmpty())
            }
        }

        @Test func verifiesAMessageGivenInParts() throws {
            let key = try PublicKey(ed25519RawBytes: hex("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"))
            let signature = hex(
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
            )
            let af: [UInt8] = [0xaf], x82: [UInt8] = [0x82]
            #expect(key.verifyEd25519(signature: signature, message: af, x82))
            #expect(key.verifyEd25519(signature: signature, message: [UInt8](), af + x82, ""))
            #expect(!key.verifyEd25519(signature: signature, message: x82, af))
        }

        @Test func refusesKeysThatAreNot32Bytes() {
            #expect(throws: CryptoError.self) { try PublicKey(ed25519RawBytes: [UInt8](repeating: 1, count: 31)) }
            #expect(throws: CryptoError.self) { try PublicKey(ed25519RawBytes: [UInt8](repeating: 1, count: 33)) }
            #expect(throws: CryptoError.self) { try PublicKey(ed25519RawBytes: [UInt8]()) }
        }

        @Test func ed25519KeysRejectOtherSchemesWithoutCrashing() throws {
            let key = try PublicKey(ed25519RawBytes: hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
            let signature = hex(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            )
            #expect(key.verifyEd25519(signature: signature, message: [UInt8]()))
            #expect(!key.verifyECDSA(signature: signature, message: [UInt8]()))
            #expect(!key.verifyECDSA(rawSignature: signature, message: [UInt8]()))
            #expect(!key.verifyRSA(signature: signature, message: [UInt8]()))
        }
    }
}

// MARK: - ECDSA, JWK and JWS

extension CryptoTests {
    @Suite struct ECDSATests {
        @Test func verifiesOpenSSLSignaturesInDERAndRawForm() throws {
            let workspace = try OpenSSLWorkspace()
            try workspace.run("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "ec.pem")
            try workspace.run("ec", "-in", "ec.pem", "-pubout", "-out", "ec.pub.pem")
            try workspace.run("ec", "-in", "ec.pem", "-pubout", "-outform", "DER", "-out", "ec.pub.der")
            let message: [UInt8] = Array(#"1700000000[{"email":"a@example.com","event":"processed"}]"#.utf8)
            try workspace.write(message, to: "message.bin")
            try workspace.run("dgst", "-sha256", "-sign", "ec.pem", "-out", "signature.der", "message.bin")
            let der = try workspace.read("signature.der")

            let fromPEM = try PublicKey(pem: workspace.readText("ec.pub.pem"))
            let fromDER = try PublicKey(der: workspace.read("ec.pub.der"))
            for key in [fromPEM, fromDER] {
                #expect(key.kind == .ec(curve: "P-256"))
                #expect(key.verifyECDSA(signature: der, message: message))
                #expect(key.verifyECDSA(signature: der, digest: .sha256, message: message.prefix(10), message.dropFirst(10)))
                #expect(!key.verifyECDSA(signature: der, digest: .sha512, message: message))
                #expect(!key.verifyECDSA(signature: der, message: flippingBit(message, at: message.count - 1)))
                #expect(!key.verifyECDSA(signature: flippingBit(der, at: der.count - 1), message: message))
                #expect(!key.verifyECDSA(signature: der + [0x00], message: message))
                #expect(!key.verifyEd25519(signature: der, message: message))
                #expect(!key.verifyRSA(signature: der, message: message))
                #expect(isOpenSSLErrorQueueEmpty())
            }

            // openssl asn1parse (not our code) splits the DER signature into r and s for the JWS-style form.
            let integers = try workspace.ecdsaIntegers(ofSignatureFile: "signature.der")
            #expect(integers.count == 2)
            let raw = fixedWidth(integers[0], length: 32) + fixedWidth(integers[1], length: 32)
            #expect(fromDER.verifyECDSA(rawSignature: raw, message: message))
            #expect(!fromDER.verifyECDSA(rawSignature: flippingBit(raw, at: 5), message: message))
            #expect(!fromDER.verifyECDSA(rawSignature: flippingBit(raw, at: 40), message: message))
            #expect(!fromDER.verifyECDSA(rawSignature: raw, message: message + [0x0a]))
            #expect(!fromDER.verifyECDSA(rawSignature: Array(raw.dropLast()), message: message))
            #expect(!fromDER.verifyECDSA(rawSignature: der, message: message), "DER is not the raw form")
            #expect(!fromDER.verifyECDSA(signature: raw, message: message), "raw is not DER")
            #expect(!fromDER.verifyECDSA(rawSignature: [UInt8](repeating: 0, count: 64), message: message))

            // The same key as a JWK, built from the uncompressed point at the end of the SubjectPublicKeyInfo.
            let point = try workspace.read("ec.pub.der").suffix(65)
            #expect(point.first == 0x04)
            let x = Base64URL.encode(Array(point.dropFirst().prefix(32))), y = Base64URL.encode(Array(point.suffix(32)))
            let jwk = #"{"kty":"EC","crv":"P-256","kid":"test","x":"\#(x)","y":"\#(y)"}"#
            let fromJWK = try PublicKey(jwk: jwk)
            #expect(fromJWK.verifyECDSA(signature: der, message: message))
            #expect(fromJWK.verifyECDSA(rawSignature: raw, message: message))
            #expect(!fromJWK.verifyECDSA(rawSignature: raw, message: flippingBit(message, at: 0)))
        }

        @Test func verifiesTheRFC7515AppendixA3ES256Example() throws {
            let vector = try loadVectors("rfc7515-a3.json", as: JWSVector.self)
            let key = try PublicKey(jwk: String(decoding: try JSONEncoder().encode(vector.jwk), as: UTF8.self))
            #expect(key.kind == .ec(curve: "P-256"))
            let parts = vector.jws.split(separator: ".")
            #expect(parts.count == 3)
            let signingInput = vector.jws[..<vector.jws.lastIndex(of: ".")!]
            let signature = try #require(Base64URL.decode(parts[2]))
            #expect(signature.count == 64)
            #expect(key.verifyECDSA(rawSignature: signature, message: signingInput))
            #expect(key.verifyECDSA(rawSignature: signature, message: parts[0], ".", parts[1]))
            #expect(!key.verifyECDSA(rawSignature: flippingBit(signature, at: 63), message: signingInput))
            #expect(!key.verifyECDSA(rawSignature: signature, message: signingInput.dropLast()))
            #expect(String(decoding: Base64URL.decode(parts[0]) ?? [], as: UTF8.self) == #"{"alg":"ES256"}"#)
        }

        @Test func refusesMalformedJWKs() throws {
            let x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
            #expect(throws: Never.self) { try PublicKey(jwk: #"{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(y)","alg":"ES256","use":"sig"}"#) }
            let offCurveY = Base64URL.encode(flippingBit(Base64URL.decode(y)!, at: 31))
            let bad = [
                "not json",
                "[]",
                #"{"kty":"RSA","crv":"P-256","x":"\#(x)","y":"\#(y)"}"#,
                #"{"kty":"EC","crv":"P-384","x":"\#(x)","y":"\#(y)"}"#,
                #"{"kty":"EC","crv":"P-256","x":"\#(x)"}"#,
                #"{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(y)=" }"#,
                #"{"kty":"EC","crv":"P-256","x":"\#(x.dropLast(2))","y":"\#(y)"}"#,
                #"{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(y)","alg":"RS256"}"#,
                #"{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(y)","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#,
                #"{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(offCurveY)"}"#,
            ]
            for json in bad {
                #expect(throws: CryptoError.self, "\(json)") { try PublicKey(jwk: json) }
            }
            let error = try #require(throws: CryptoError.self) {
                try PublicKey(jwk: #"{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(y)","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#)
            }
            #expect(error.description.contains("(d)"))
            #expect(!error.description.contains("jpsQ"))
        }
    }
}

// MARK: - RSA and PEM

extension CryptoTests {
    @Suite struct RSATests {
        @Test func verifiesWithAKeyFromASelfSignedCertificateAndFromSPKI() throws {
            let workspace = try OpenSSLWorkspace()
            try workspace.run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem")
            try workspace.run("req", "-x509", "-new", "-key", "rsa.pem", "-subj", "/CN=hookrelay-test", "-days", "1", "-out", "cert.pem")
            try workspace.run("pkey", "-in", "rsa.pem", "-pubout", "-out", "rsa.pub.pem")
            let message: [UInt8] = Array("8a2b3c4d|2024-01-01T00:00:00Z|WH-123|3040993513".utf8)  // PayPal-style
            try workspace.write(message, to: "message.bin")
            try workspace.run("dgst", "-sha256", "-sign", "rsa.pem", "-out", "signature.bin", "message.bin")
            let signature = try workspace.read("signature.bin")
            #expect(signature.count == 256)

            let fromCertificate = try PublicKey(pem: workspace.readText("cert.pem"))
            let fromSPKI = try PublicKey(pem: workspace.readText("rsa.pub.pem"))
            for key in [fromCertificate, fromSPKI] {
                #expect(key.kind == .rsa(bits: 2048))
                #expect(key.verifyRSA(signature: signature, message: message))
                #expect(key.verifyRSA(signature: signature, digest: .sha256, message: "8a2b3c4d|", message.dropFirst(9)))
                #expect(!key.verifyRSA(signature: signature, digest: .sha512, message: message))
                #expect(!key.verifyRSA(signature: signature, message: message.dropLast()))
                #expect(!key.verifyRSA(signature: flippingBit(signature, at: 100), message: message))
                #expect(!key.verifyRSA(signature: Array(signature.dropFirst()), message: message))
                #expect(!key.verifyECDSA(signature: signature, message: message))
                #expect(!key.verifyEd25519(signature: signature, message: message))
                #expect(isOpenSSLErrorQueueEmpty())
            }
        }

        @Test func refusesPrivateKeysGarbageAndTrailingBytes() throws {
            let workspace = try OpenSSLWorkspace()
            try workspace.run("genpkey", "-algorithm", "ED25519", "-out", "ed.pem")
            try workspace.run("pkey", "-in", "ed.pem", "-pubout", "-outform", "DER", "-out", "ed.pub.der")
            let privatePEM = try workspace.readText("ed.pem")
            let privateError = try #require(throws: CryptoError.self) { try PublicKey(pem: privatePEM) }
            #expect(privateError.description.contains("PRIVATE KEY"))
            let body = privatePEM.split(separator: "\n")[1]
            #expect(!privateError.description.contains(body))
            #expect(throws: CryptoError.self) { try PublicKey(pem: "no pem here") }
            #expect(throws: CryptoError.self) { try PublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }

            let der = try workspace.read("ed.pub.der")
            #expect(try PublicKey(der: der).kind == .ed25519)
            #expect(throws: CryptoError.self) { try PublicKey(der: der + [0x00]) }
            #expect(throws: CryptoError.self) { try PublicKey(der: Array(der.dropLast())) }
            let error = try #require(throws: CryptoError.self) { try PublicKey(der: [0x30, 0x00]) }
            #expect(error.openSSLFunction == "d2i_PUBKEY")
            #expect(error.description.hasPrefix("d2i_PUBKEY failed"))
            #expect(isOpenSSLErrorQueueEmpty())
        }
    }
}

// MARK: - UUIDv7

extension CryptoTests {
    @Suite struct UUIDv7Tests {
        private static func isCanonical(_ id: String) -> Bool {
            let characters = Array(id)
            guard characters.count == 36 else { return false }
            for (index, character) in characters.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    guard character == "-" else { return false }
                } else {
                    guard "0123456789abcdef".contains(character) else { return false }
                }
            }
            return true
        }

        private static func timestamp(of id: String) -> UInt64? {
            UInt64(id.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16)
        }

        @Test func hasTheCanonicalFormVersionVariantAndTimestamp() {
            let generator = UUIDv7Generator()
            let milliseconds: UInt64 = 0x0193_a5e2_7c1f
            for _ in 0..<100 {
                let id = generator.make(unixMilliseconds: milliseconds + 1000)
                #expect(Self.isCanonical(id), "\(id)")
                #expect(Array(id)[14] == "7", "version 7: \(id)")
                #expect("89ab".contains(Array(id)[19]), "variant 10: \(id)")
                #expect(Self.timestamp(of: id).map { $0 >= milliseconds + 1000 && $0 < milliseconds + 1010 } == true)
            }
            let first = generator.make(unixMilliseconds: 1_000_000_000_000_000)
            #expect(Self.timestamp(of: first) == 0xffff_ffff_ffff, "clamped to 48 bits")
            let now = makeUUIDv7()
            #expect(Self.isCanonical(now))
            let nowMilliseconds = UInt64(Date().timeIntervalSince1970 * 1000)
            #expect(Self.timestamp(of: now).map { $0 + 60_000 > nowMilliseconds && $0 < nowMilliseconds + 60_000 } == true)
        }

        @Test func successiveIdsAreStrictlyIncreasingEvenWithinOneMillisecond() {
            let generator = UUIDv7Generator()
            var previous = generator.make(unixMilliseconds: 1_700_000_000_000)
            var seen: Set<String> = [previous]
            // 10,000 ids in one millisecond exhaust the 12-bit counter several times over.
            for _ in 0..<10_000 {
                let id = generator.make(unixMilliseconds: 1_700_000_000_000)
                #expect(id > previous)
                previous = id
                seen.insert(id)
            }
            #expect(seen.count == 10_001)
            // Later milliseconds, and a clock that steps back, keep the order too.
            for milliseconds: UInt64 in [1_700_000_000_500, 1_700_000_000_499, 1_600_000_000_000, 1_800_000_000_000] {
                let id = generator.make(unixMilliseconds: milliseconds)
                #expect(id > previous, "\(milliseconds)")
                previous = id
            }
            #expect(Self.timestamp(of: previous) == 1_800_000_000_000)
        }

        @Test func concurrentCallersGetDistinctIds() async {
            let generator = UUIDv7Generator()
            let ids = await withTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask { (0..<2_000).map { _ in generator.make(unixMilliseconds: 1_700_000_000_000) } }
                }
                var all: [String] = []
                for await batch in group {
                    #expect(zip(batch, batch.dropFirst()).allSatisfy { $0 < $1 }, "each caller sees increasing ids")
                    all += batch
                }
                return all
            }
            #expect(Set(ids).count == 8_000)
        }
    }
}
