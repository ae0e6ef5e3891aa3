import COpenSSL

/// A hash function used for digests, HMACs and signatures.
public enum DigestAlgorithm: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// SHA-1 (20-byte output). Still used by legacy webhook schemes (GitHub `sha1=`, Twilio, Intercom, Mandrill).
    case sha1
    /// SHA-256 (32-byte output).
    case sha256
    /// SHA-384 (48-byte output).
    case sha384
    /// SHA-512 (64-byte output).
    case sha512

    /// The length of this function's output in bytes.
    public var outputByteCount: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The conventional lowercase name: `sha1`, `sha256`, `sha384` or `sha512`.
    public var description: String {
        switch self {
        case .sha1: "sha1"
        case .sha256: "sha256"
        case .sha384: "sha384"
        case .sha512: "sha512"
        }
    }

    /// The name OpenSSL fetches the algorithm by.
    var openSSLName: String {
        switch self {
        case .sha1: "SHA1"
        case .sha256: "SHA2-256"
        case .sha384: "SHA2-384"
        case .sha512: "SHA2-512"
        }
    }

    /// The fetched `EVP_MD`, shared by all threads, or `nil` if OpenSSL's providers lack it (a broken installation).
    /// Fetching once avoids OpenSSL 3's per-call provider lookup.
    var fetchedMD: OpaquePointer? {
        let digest: FetchedDigest
        switch self {
        case .sha1: digest = fetchedSHA1
        case .sha256: digest = fetchedSHA256
        case .sha384: digest = fetchedSHA384
        case .sha512: digest = fetchedSHA512
        }
        return digest.md
    }
}

/// An `EVP_MD` fetched once and never freed. `EVP_MD` is reference counted and immutable, so sharing it is safe.
struct FetchedDigest: @unchecked Sendable {
    let md: OpaquePointer?

    init(_ name: String) {
        md = EVP_MD_fetch(nil, name, nil)
    }
}

private let fetchedSHA1 = FetchedDigest(DigestAlgorithm.sha1.openSSLName)
private let fetchedSHA256 = FetchedDigest(DigestAlgorithm.sha256.openSSLName)
private let fetchedSHA384 = FetchedDigest(DigestAlgorithm.sha384.openSSLName)
private let fetchedSHA512 = FetchedDigest(DigestAlgorithm.sha512.openSSLName)
