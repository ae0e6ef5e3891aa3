/// A shareable description of an HMAC key: the algorithm and the key bytes.
///
/// Configuration holds secrets in this form and hands them to every event-loop thread, each of which makes its own
/// ``HMACKey`` with ``makeKey()``. The key bytes never appear in `description`, `debugDescription`, `dump` or string
/// interpolation; they print as `<redacted>`.
///
/// ```swift
/// let secret = HMACSecret(algorithm: .sha256, key: Array("whsec_...".utf8))
/// print(secret)                  // HMACSecret(sha256, <redacted>)
/// let key = try secret.makeKey() // once per thread
/// ```
public struct HMACSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The hash function.
    public let algorithm: DigestAlgorithm
    /// The raw key bytes. Internal so that only this module's crypto code reads them.
    let key: [UInt8]

    /// Describes an HMAC key. The bytes are the key itself: decode hex or base64 secrets first.
    public init(algorithm: DigestAlgorithm, key: [UInt8]) {
        self.algorithm = algorithm
        self.key = key
    }

    /// The key length in bytes (safe to log).
    public var keyByteCount: Int { key.count }

    /// Makes a keyed context for the calling thread.
    ///
    /// - Throws: ``CryptoError`` if the key is empty or OpenSSL fails.
    public func makeKey() throws -> HMACKey {
        try HMACKey(self)
    }

    /// `HMACSecret(sha256, <redacted>)`.
    public var description: String { "HMACSecret(\(algorithm), <redacted>)" }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror without the key bytes, so `dump` and debuggers show `<redacted>` too.
    public var customMirror: Mirror {
        Mirror(self, children: ["algorithm": algorithm, "key": "<redacted>"], displayStyle: .struct)
    }
}
