import COpenSSL

/// One-shot message digests (SHA-1, SHA-256, SHA-384, SHA-512).
///
/// Used where a provider hashes rather than MACs: HubSpot v1/v2 signatures (`sha256(secret + body)`), Twilio's
/// `bodySHA256` query parameter, and Plaid's `request_body_sha256` claim.
///
/// ```swift
/// let bodyHash = Hex.encode(Digest.hash(.sha256, body))
/// let hubSpotV1 = Digest.hash(.sha256, clientSecret, body)   // hashes the parts as one message
/// ```
public enum Digest {
    /// Returns the digest of the concatenation of `parts`, without concatenating them in memory.
    ///
    /// Traps only if OpenSSL cannot allocate a digest context or lacks the algorithm (a broken installation).
    public static func hash<each Part: MessageBytes>(_ algorithm: DigestAlgorithm, _ parts: repeat each Part) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: \(drainOpenSSLErrors())") }
        defer { EVP_MD_CTX_free(ctx) }
        guard let md = algorithm.fetchedMD, EVP_DigestInit_ex2(ctx, md, nil) == 1 else {
            fatalError("EVP_DigestInit_ex2 failed: \(drainOpenSSLErrors())")
        }
        for part in repeat each parts {
            let ok = part.withMessageBytes { $0.isEmpty ? 1 : EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
            guard ok == 1 else { fatalError("EVP_DigestUpdate failed: \(drainOpenSSLErrors())") }
        }
        return [UInt8](unsafeUninitializedCapacity: algorithm.outputByteCount) { buffer, initialized in
            var length: UInt32 = 0
            guard EVP_DigestFinal_ex(ctx, buffer.baseAddress, &length) == 1, Int(length) == algorithm.outputByteCount else {
                fatalError("EVP_DigestFinal_ex failed: \(drainOpenSSLErrors())")
            }
            initialized = Int(length)
        }
    }
}
