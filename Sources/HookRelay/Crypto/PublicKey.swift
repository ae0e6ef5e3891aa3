import COpenSSL

/// A public key for verifying webhook signatures: Ed25519, ECDSA (P-256 and other named curves) or RSA.
///
/// Loading parses and validates the key once; verifying is then safe from any number of threads at the same time,
/// so one `PublicKey` can be shared by every event loop.
///
/// The `verify…` methods return `false` for a wrong signature, a malformed signature, or a key of the wrong type;
/// they never throw or trap on input. A message may be passed in parts, exactly as a provider defines it:
///
/// ```swift
/// let discord = try PublicKey(ed25519RawBytes: Hex.decode(config.publicKey) ?? [])
/// discord.verifyEd25519(signature: Hex.decode(sigHeader) ?? [], message: timestamp, request.body)
///
/// let sendGrid = try PublicKey(der: Base64.decode(config.publicKey) ?? [])
/// sendGrid.verifyECDSA(signature: Base64.decode(sigHeader) ?? [], message: timestamp, request.body)
/// ```
public struct PublicKey: Sendable, CustomStringConvertible {
    /// The type of a public key.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// An Ed25519 key.
        case ed25519
        /// An elliptic-curve key on the named curve: `P-256`, `P-384` or `P-521`, or OpenSSL's name for others.
        case ec(curve: String)
        /// An RSA key with a modulus of `bits` bits.
        case rsa(bits: Int)
        /// Any other key type OpenSSL can load, by OpenSSL's name; no `verify…` method accepts it.
        case other(String)

        /// `Ed25519`, `EC P-256`, `RSA 2048` and so on.
        public var description: String {
            switch self {
            case .ed25519: "Ed25519"
            case .ec(let curve): "EC \(curve)"
            case .rsa(let bits): "RSA \(bits)"
            case .other(let name): name
            }
        }
    }

    private let storage: Storage

    /// The key's type.
    public var kind: Kind { storage.kind }

    /// `PublicKey(EC P-256)` and so on.
    public var description: String { "PublicKey(\(kind))" }

    // MARK: Loading

    /// Loads a raw 32-byte Ed25519 public key (RFC 8032), such as Discord's application public key after hex
    /// decoding.
    public init(ed25519RawBytes bytes: some MessageBytes) throws {
        let pkey = try bytes.withNonNullMessageBytes { raw in
            guard raw.count == 32 else { throw CryptoError.invalidKeyLength(expected: 32, actual: raw.count) }
            guard let pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, raw.baseAddress, raw.count) else {
                throw CryptoError.openSSL("EVP_PKEY_new_raw_public_key")
            }
            return pkey
        }
        storage = try Storage(taking: pkey)
    }

    /// Loads a DER-encoded SubjectPublicKeyInfo, such as SendGrid's verification key after base64 decoding.
    ///
    /// - Throws: ``CryptoError`` if the bytes are not one complete SubjectPublicKeyInfo.
    public init(der bytes: some MessageBytes) throws {
        let pkey = try bytes.withNonNullMessageBytes { der in
            guard let start = der.baseAddress?.assumingMemoryBound(to: UInt8.self) else { throw CryptoError.openSSL("d2i_PUBKEY") }
            var cursor: UnsafePointer<UInt8>? = UnsafePointer(start)
            guard let pkey = d2i_PUBKEY(nil, &cursor, der.count) else { throw CryptoError.openSSL("d2i_PUBKEY") }
            let consumed = cursor.map { $0 - UnsafePointer(start) } ?? 0
            guard consumed == der.count else {
                EVP_PKEY_free(pkey)
                throw CryptoError.trailingBytes(count: der.count - consumed)
            }
            return pkey
        }
        storage = try Storage(taking: pkey)
    }

    /// Loads the first PEM block of `text`: a `PUBLIC KEY` (SubjectPublicKeyInfo) or a `CERTIFICATE`, whose
    /// public key is used (PayPal publishes its signing key as a certificate chain, leaf first).
    ///
    /// Only the key is extracted: the certificate's validity, issuer and chain are **not** checked here.
    ///
    /// - Throws: ``CryptoError`` for a missing block, another block type (such as a private key), or bad contents.
    public init(pem text: some MessageBytes) throws {
        let pkey = try text.withNonNullMessageBytes { pem -> OpaquePointer in
            let label = try firstPEMLabel(in: pem)
            guard label == "PUBLIC KEY" || label == "CERTIFICATE" else { throw CryptoError.unsupportedPEM(label: label) }
            guard pem.count <= Int(Int32.max), let bio = BIO_new_mem_buf(pem.baseAddress, Int32(pem.count)) else {
                throw CryptoError.openSSL("BIO_new_mem_buf")
            }
            defer { BIO_free(bio) }
            if label == "PUBLIC KEY" {
                guard let pkey = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else { throw CryptoError.openSSL("PEM_read_bio_PUBKEY") }
                return pkey
            }
            guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else { throw CryptoError.openSSL("PEM_read_bio_X509") }
            defer { X509_free(certificate) }
            guard let pkey = X509_get_pubkey(certificate) else { throw CryptoError.openSSL("X509_get_pubkey") }
            return pkey
        }
        storage = try Storage(taking: pkey)
    }

    /// Loads a P-256 public key from its affine coordinates (32 bytes each, big-endian), as found in a JWK's `x`
    /// and `y` after base64url decoding.
    ///
    /// - Throws: ``CryptoError`` if a coordinate is not 32 bytes or the point is not on the curve.
    public init(p256X x: some MessageBytes, y: some MessageBytes) throws {
        var point: [UInt8] = [0x04]  // SEC 1 uncompressed point: 04 || x || y
        point.reserveCapacity(65)
        try x.withMessageBytes { x in
            guard x.count == 32 else { throw CryptoError.invalidKeyLength(expected: 32, actual: x.count) }
            point.append(contentsOf: x)
        }
        try y.withMessageBytes { y in
            guard y.count == 32 else { throw CryptoError.invalidKeyLength(expected: 32, actual: y.count) }
            point.append(contentsOf: y)
        }
        storage = try Storage(taking: try makeECPublicKey(group: "P-256", point: point))
    }

    // MARK: Verifying

    /// Returns whether `signature` (64 bytes) is a valid Ed25519 signature of the concatenation of `message`.
    public func verifyEd25519<each Part: MessageBytes>(signature: some MessageBytes, message: repeat each Part) -> Bool {
        guard kind == .ed25519 else { return false }
        // Ed25519 hashes the message twice, so OpenSSL needs it in one piece.
        var partCount = 0
        for _ in repeat each message { partCount += 1 }
        if partCount == 1 {
            for part in repeat each message {
                return part.withNonNullMessageBytes { whole in verify(signature, digest: nil) { oneShot in oneShot(whole) } }
            }
        }
        var joined: [UInt8] = []
        for part in repeat each message { part.withMessageBytes { joined.append(contentsOf: $0) } }
        return joined.withNonNullMessageBytes { whole in verify(signature, digest: nil) { oneShot in oneShot(whole) } }
    }

    /// Returns whether `signature` is a valid DER-encoded ECDSA signature (ASN.1 `SEQUENCE { r, s }`, as SendGrid
    /// sends after base64 decoding) of the concatenation of `message` hashed with `digest`.
    public func verifyECDSA<each Part: MessageBytes>(
        signature: some MessageBytes,
        digest: DigestAlgorithm = .sha256,
        message: repeat each Part
    ) -> Bool {
        guard case .ec = kind else { return false }
        return verify(signature, digest: digest) { update in
            for part in repeat each message {
                guard part.withNonNullMessageBytes(update) else { return false }
            }
            return true
        }
    }

    /// Returns whether `rawSignature` is a valid ECDSA signature in the fixed-size `r || s` form used by JWS (ES256:
    /// 64 bytes for P-256) of the concatenation of `message` hashed with `digest`.
    public func verifyECDSA<each Part: MessageBytes>(
        rawSignature: some MessageBytes,
        digest: DigestAlgorithm = .sha256,
        message: repeat each Part
    ) -> Bool {
        guard case .ec = kind else { return false }
        let scalarLength = (Int(EVP_PKEY_get_bits(storage.pkey)) + 7) / 8
        guard let der = rawSignature.withMessageBytes({ derECDSASignature(fromRaw: $0, scalarLength: scalarLength) }) else {
            return false
        }
        return verifyECDSA(signature: der, digest: digest, message: repeat each message)
    }

    /// Returns whether `signature` is a valid RSASSA-PKCS1-v1_5 signature (`SHA256withRSA` for `.sha256`) of the
    /// concatenation of `message` hashed with `digest`.
    public func verifyRSA<each Part: MessageBytes>(
        signature: some MessageBytes,
        digest: DigestAlgorithm = .sha256,
        message: repeat each Part
    ) -> Bool {
        guard case .rsa = kind else { return false }
        return verify(signature, digest: digest) { update in
            for part in repeat each message {
                guard part.withNonNullMessageBytes(update) else { return false }
            }
            return true
        }
    }

    /// Runs one `EVP_DigestVerify` operation and leaves this thread's OpenSSL error queue empty.
    ///
    /// `feed` receives a function that passes one piece of the message to OpenSSL and reports success. With a
    /// digest the pieces are streamed (`EVP_DigestVerifyUpdate`); without one (Ed25519) `feed` must call it exactly
    /// once with the whole message (`EVP_DigestVerify`).
    private func verify(
        _ signature: some MessageBytes,
        digest: DigestAlgorithm?,
        feed: ((UnsafeRawBufferPointer) -> Bool) -> Bool
    ) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else {
            _ = drainOpenSSLErrors()
            return false
        }
        defer { EVP_MD_CTX_free(ctx) }
        let md = digest?.fetchedMD
        if digest != nil, md == nil { return false }  // OpenSSL lacks the algorithm: nothing can be verified with it
        let valid = signature.withNonNullMessageBytes { signature -> Bool in
            guard !signature.isEmpty, EVP_DigestVerifyInit(ctx, nil, md, nil, storage.pkey) == 1 else { return false }
            let sig = signature.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if digest == nil {
                var result: Int32 = 0
                _ = feed { whole in
                    result = EVP_DigestVerify(ctx, sig, signature.count, whole.baseAddress?.assumingMemoryBound(to: UInt8.self), whole.count)
                    return result == 1
                }
                return result == 1
            }
            let fed = feed { part in part.isEmpty || EVP_DigestVerifyUpdate(ctx, part.baseAddress, part.count) == 1 }
            return fed && EVP_DigestVerifyFinal(ctx, sig, signature.count) == 1
        }
        if !valid { _ = drainOpenSSLErrors() }  // a bad signature leaves entries that would confuse TLS code later
        return valid
    }
}

/// Owns an `EVP_PKEY`. Verification only reads the key, and OpenSSL locks its internal caches, so sharing is safe.
private final class Storage: @unchecked Sendable {
    let pkey: OpaquePointer
    let kind: PublicKey.Kind

    /// Takes ownership of `pkey` (freeing it if validation fails).
    init(taking pkey: OpaquePointer) throws {
        let kind = keyKind(of: pkey)
        if case .ec = kind {
            // Reject points that are not on the curve (or are the point at infinity) before anything is verified.
            guard let check = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else {
                EVP_PKEY_free(pkey)
                throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_pkey")
            }
            defer { EVP_PKEY_CTX_free(check) }
            guard EVP_PKEY_public_check(check) == 1 else {
                let error = CryptoError.openSSL("EVP_PKEY_public_check")
                EVP_PKEY_free(pkey)
                throw error
            }
        }
        self.pkey = pkey
        self.kind = kind
    }

    deinit {
        EVP_PKEY_free(pkey)
    }
}

private func keyKind(of pkey: OpaquePointer) -> PublicKey.Kind {
    switch EVP_PKEY_get_base_id(pkey) {
    case EVP_PKEY_ED25519:
        return .ed25519
    case EVP_PKEY_RSA:
        return .rsa(bits: Int(EVP_PKEY_get_bits(pkey)))
    case EVP_PKEY_EC:
        let name = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 80) { buffer -> String in
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, buffer.baseAddress, buffer.count, &length) == 1 else {
                _ = drainOpenSSLErrors()
                return "unknown"
            }
            return String(cString: buffer.baseAddress!)
        }
        switch name {
        case "prime256v1", "P-256": return .ec(curve: "P-256")
        case "secp384r1", "P-384": return .ec(curve: "P-384")
        case "secp521r1", "P-521": return .ec(curve: "P-521")
        default: return .ec(curve: name)
        }
    default:
        return .other(EVP_PKEY_get0_type_name(pkey).map { String(cString: $0) } ?? "unknown")
    }
}

/// Builds an EC public key from a curve name and an uncompressed SEC 1 point.
private func makeECPublicKey(group: String, point: [UInt8]) throws -> OpaquePointer {
    guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_name") }
    defer { EVP_PKEY_CTX_free(ctx) }
    guard EVP_PKEY_fromdata_init(ctx) == 1 else { throw CryptoError.openSSL("EVP_PKEY_fromdata_init") }
    var pkey: OpaquePointer?
    // OSSL_PARAM keeps the pointers it is given: every buffer must stay alive until EVP_PKEY_fromdata returns.
    let ok = OSSL_PKEY_PARAM_GROUP_NAME.withCString { groupKey in
        OSSL_PKEY_PARAM_PUB_KEY.withCString { pubKey in
            group.withCString { groupName in
                point.withUnsafeBytes { point in
                    var params = [
                        OSSL_PARAM_construct_utf8_string(groupKey, UnsafeMutablePointer(mutating: groupName), 0),
                        OSSL_PARAM_construct_octet_string(pubKey, UnsafeMutableRawPointer(mutating: point.baseAddress), point.count),
                        OSSL_PARAM_construct_end(),
                    ]
                    return EVP_PKEY_fromdata(ctx, &pkey, COpenSSL_EVP_PKEY_PUBLIC_KEY(), &params) == 1
                }
            }
        }
    }
    guard ok, let pkey else { throw CryptoError.openSSL("EVP_PKEY_fromdata") }
    return pkey
}

/// Converts a JWS-style `r || s` signature into DER, or returns `nil` if it does not have the curve's length.
private func derECDSASignature(fromRaw raw: UnsafeRawBufferPointer, scalarLength: Int) -> [UInt8]? {
    guard scalarLength > 0, raw.count == 2 * scalarLength, let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
        return nil
    }
    guard let signature = ECDSA_SIG_new() else {
        _ = drainOpenSSLErrors()
        return nil
    }
    defer { ECDSA_SIG_free(signature) }
    guard let r = BN_bin2bn(base, Int32(scalarLength), nil) else {
        _ = drainOpenSSLErrors()
        return nil
    }
    guard let s = BN_bin2bn(base + scalarLength, Int32(scalarLength), nil) else {
        BN_free(r)
        _ = drainOpenSSLErrors()
        return nil
    }
    guard ECDSA_SIG_set0(signature, r, s) == 1 else {  // on success the signature owns r and s
        BN_free(r)
        BN_free(s)
        _ = drainOpenSSLErrors()
        return nil
    }
    let length = i2d_ECDSA_SIG(signature, nil)
    guard length > 0 else {
        _ = drainOpenSSLErrors()
        return nil
    }
    return [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
        var cursor = buffer.baseAddress
        initialized = max(0, Int(i2d_ECDSA_SIG(signature, &cursor)))
    }
}

/// Returns the label of the first `-----BEGIN <label>-----` line.
private func firstPEMLabel(in pem: UnsafeRawBufferPointer) throws -> String {
    let begin = Array("-----BEGIN ".utf8), dashes = Array("-----".utf8)
    guard let start = firstIndex(of: begin, in: pem, from: 0) else { throw CryptoError.noPEMBlock }
    let labelStart = start + begin.count
    guard let labelEnd = firstIndex(of: dashes, in: pem, from: labelStart), labelEnd - labelStart <= 64 else {
        throw CryptoError.noPEMBlock
    }
    return String(decoding: UnsafeRawBufferPointer(rebasing: pem[labelStart..<labelEnd]), as: UTF8.self)
}

private func firstIndex(of needle: [UInt8], in haystack: UnsafeRawBufferPointer, from: Int) -> Int? {
    guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
    for index in from...(haystack.count - needle.count) where haystack[index] == needle[0] {
        if zip(needle.indices, needle).allSatisfy({ haystack[index + $0] == $1 }) { return index }
    }
    return nil
}
