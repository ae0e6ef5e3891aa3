import COpenSSL

/// Compares two byte sequences in time that depends only on their lengths, never on their contents.
///
/// Use it for every comparison involving a MAC, a token or a signature. Sequences of different lengths are unequal
/// (lengths of MACs and tokens are not secret); sequences of equal length are compared with OpenSSL's
/// `CRYPTO_memcmp`, which always reads every byte.
///
/// ```swift
/// guard constantTimeEquals(expectedMAC, Hex.decode(header) ?? []) else { throw ... }
/// ```
public func constantTimeEquals(_ a: some MessageBytes, _ b: some MessageBytes) -> Bool {
    a.withNonNullMessageBytes { a in
        b.withNonNullMessageBytes { b in
            a.count == b.count && CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
        }
    }
}
