import COpenSSL

/// A private key that signs `hookrelay send` samples for the asymmetric presets (Discord, SendGrid, Plaid, PayPal,
/// Standard Webhooks `v1a`): the provider's signing run in reverse, with a key the operator made for testing.
///
/// Only samples use it; verification never needs a private key. Loading accepts an Ed25519 seed (32 raw bytes) or
/// a PEM private key (`PRIVATE KEY`, `EC PRIVATE KEY`, `RSA PRIVATE KEY`; unencrypted).
final class SampleSigningKey: @unchecked Sendable {
    private let pkey: OpaquePointer

    /// An Ed25519 key from its 32-byte seed (RFC 8032's private key).
    init(ed25519Seed seed: some MessageBytes) throws {
        pkey = try seed.withNonNullMessageBytes { raw in
            guard raw.count == 32 else { throw CryptoError.invalidKeyLength(expected: 32, actual: raw.count) }
            guard let pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, raw.baseAddress, raw.count) else {
                throw CryptoError.openSSL("EVP_PKEY_new_raw_private_key")
            }
            return pkey
        }
    }

    /// The first private key in PEM `text`.
    init(pem text: some MessageBytes) throws {
        pkey = try text.withNonNullMessageBytes { pem in
            guard pem.count <= Int(Int32.max), let bio = BIO_new_mem_buf(pem.baseAddress, Int32(pem.count)) else {
                throw CryptoError.openSSL("BIO_new_mem_buf")
            }
            defer { BIO_free(bio) }
            guard let pkey = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { throw CryptoError.openSSL("PEM_read_bio_PrivateKey") }
            return pkey
        }
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    var isEd25519: Bool { EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519 }
    var isRSA: Bool { EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA }
    /// Whether this is an EC key on P-256 (the curve SendGrid and Plaid's ES256 use).
    var isP256: Bool { EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC && EVP_PKEY_get_bits(pkey) == 256 }

    /// The raw 32-byte public key of an Ed25519 key.
    var ed25519PublicKey: [UInt8]? {
        guard isEd25519 else { return nil }
        var length = 32
        var bytes = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_get_raw_public_key(pkey, &bytes, &length) == 1, length == 32 else {
            _ = drainOpenSSLErrors()
            return nil
        }
        return bytes
    }

    /// The public key as DER SubjectPublicKeyInfo (SendGrid's verification key format, base64 aside).
    var publicKeyDER: [UInt8]? {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else {
            _ = drainOpenSSLErrors()
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(pkey, &cursor)
        }
        return written == length ? bytes : nil
    }

    /// Signs `message`: Ed25519 (no digest), or RSASSA-PKCS1-v1_5 / ECDSA (DER `SEQUENCE { r, s }`) over `digest`.
    func sign(_ message: [UInt8], digest: DigestAlgorithm = .sha256) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        let md = isEd25519 ? nil : digest.fetchedMD
        guard EVP_DigestSignInit(ctx, nil, md, nil, pkey) == 1 else { throw CryptoError.openSSL("EVP_DigestSignInit") }
        return try message.withNonNullMessageBytes { raw in
            let input = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            var length = 0
            guard EVP_DigestSign(ctx, nil, &length, input, raw.count) == 1 else { throw CryptoError.openSSL("EVP_DigestSign") }
            var signature = [UInt8](repeating: 0, count: length)
            guard EVP_DigestSign(ctx, &signature, &length, input, raw.count) == 1 else { throw CryptoError.openSSL("EVP_DigestSign") }
            return Array(signature.prefix(length))
        }
    }

    /// A DER ECDSA signature as the fixed-size `r || s` JWS uses (ES256: 32 bytes each), or nil if it is not DER.
    static func rawECDSASignature(fromDER der: [UInt8], scalarLength: Int = 32) -> [UInt8]? {
        der.withUnsafeBufferPointer { buffer -> [UInt8]? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let signature = d2i_ECDSA_SIG(nil, &cursor, buffer.count) else {
                _ = drainOpenSSLErrors()
                return nil
            }
            defer { ECDSA_SIG_free(signature) }
            var raw = [UInt8](repeating: 0, count: 2 * scalarLength)
            let ok = raw.withUnsafeMutableBufferPointer { out -> Bool in
                guard let r = ECDSA_SIG_get0_r(signature), let s = ECDSA_SIG_get0_s(signature),
                      BN_bn2binpad(r, out.baseAddress, Int32(scalarLength)) == scalarLength,
                      BN_bn2binpad(s, out.baseAddress! + scalarLength, Int32(scalarLength)) == scalarLength else { return false }
                return true
            }
            if !ok { _ = drainOpenSSLErrors() }
            return ok ? raw : nil
        }
    }
}

/// Key material for the asymmetric presets: `publicKey` values and `hookrelay send` secrets that may be given
/// inline or as `file:PATH` (relative to the route file's directory), since certificates and JWK sets are files.
enum KeyMaterial {
    /// The bytes `value` names: the contents of `file:PATH` (at most 64 KiB), else `value` itself. Nil for an
    /// unreadable file.
    static func resolve(_ value: String, relativeTo routeFile: String) -> [UInt8]? {
        guard value.hasPrefix("file:") else { return Array(value.utf8) }
        var path = String(value.dropFirst(5))
        guard !path.isEmpty else { return nil }
        if !path.hasPrefix("/") {
            let directory = routeFile.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            path = (directory.isEmpty ? "." : directory) + "/" + path
        }
        return Secret.readSmallFile(path)
    }

    /// Whether `bytes` contain a PEM block.
    static func isPEM(_ bytes: [UInt8]) -> Bool {
        bytes.firstRange(of: Array("-----BEGIN ".utf8)) != nil
    }

    /// A `hookrelay send` secret as a signing key: PEM, or (for Ed25519) a 32-byte seed in hex or base64.
    static func signingKey(_ secret: Secret, ed25519: Bool) throws(SampleError) -> SampleSigningKey {
        do {
            if isPEM(secret.bytes) { return try SampleSigningKey(pem: secret.bytes) }
            if ed25519 {
                let text = trimmedWhitespace(secret.text)
                if let seed = Hex.decode(text), seed.count == 32 { return try SampleSigningKey(ed25519Seed: seed) }
                if let seed = Base64.decode(text, padding: .optional), seed.count == 32 || seed.count == 64 {
                    return try SampleSigningKey(ed25519Seed: seed.prefix(32))
                }
            }
        } catch {
            throw SampleError("the secret is not a usable private key: \(error)")
        }
        throw SampleError(ed25519 ? "the secret must be an Ed25519 private key: a 32-byte seed in hex or base64, or PEM"
                                  : "the secret must be a PEM private key")
    }

    /// `text` without leading and trailing ASCII whitespace (a key pasted into a file usually ends with a newline).
    static func trimmedWhitespace(_ text: String) -> Substring {
        var s = Substring(text)
        while let c = s.first, c.isWhitespace, c.isASCII { s.removeFirst() }
        while let c = s.last, c.isWhitespace, c.isASCII { s.removeLast() }
        return s
    }
}
