import COpenSSL

/// A keyed, reusable HMAC context: compute or check many MACs under one key without re-keying.
///
/// Re-initialising a keyed OpenSSL `EVP_MAC_CTX` is about 3.5× faster than OpenSSL's one-shot `HMAC()` for
/// webhook-sized bodies, so each event-loop thread keeps one `HMACKey` per secret.
///
/// **Not thread-safe, by design.** A key holds mutable OpenSSL state and is not `Sendable`: share the
/// ``HMACSecret`` instead and let each thread call ``HMACSecret/makeKey()`` once.
///
/// ```swift
/// let key = try HMACKey(algorithm: .sha256, key: Array(secret.utf8))
/// let mac = key.authenticationCode(for: timestamp, ".", request.body)   // Stripe: "{t}.{body}"
/// let ok = key.isValidAuthenticationCode(Hex.decode(v1) ?? [], for: timestamp, ".", request.body)
/// ```
public final class HMACKey {
    /// The hash function this key uses.
    public let algorithm: DigestAlgorithm

    /// The `EVP_MAC_CTX`, keyed once in `init` and re-initialised (same key) before each message.
    private let ctx: OpaquePointer

    /// Makes a context keyed with `key`.
    ///
    /// - Throws: ``CryptoError`` if `key` is empty (an empty secret is a configuration mistake that would let anyone
    ///   forge MACs) or if OpenSSL fails.
    public init(algorithm: DigestAlgorithm, key: some MessageBytes) throws {
        guard key.withMessageBytes({ !$0.isEmpty }) else { throw CryptoError.emptyKey }
        guard let mac = hmacAlgorithm.mac else { throw CryptoError.openSSL("EVP_MAC_fetch") }
        guard let ctx = EVP_MAC_CTX_new(mac) else { throw CryptoError.openSSL("EVP_MAC_CTX_new") }
        let keyed = key.withMessageBytes { key -> Bool in
            // OSSL_PARAM stores the pointers it is given: both C strings must outlive EVP_MAC_init.
            return OSSL_MAC_PARAM_DIGEST.withCString { paramName in
                algorithm.openSSLName.withCString { digestName in
                    var params = [
                        OSSL_PARAM_construct_utf8_string(paramName, UnsafeMutablePointer(mutating: digestName), 0),
                        OSSL_PARAM_construct_end(),
                    ]
                    return EVP_MAC_init(ctx, key.baseAddress, key.count, &params) == 1
                }
            }
        }
        guard keyed else {
            let error = CryptoError.openSSL("EVP_MAC_init")
            EVP_MAC_CTX_free(ctx)
            throw error
        }
        self.algorithm = algorithm
        self.ctx = ctx
    }

    /// Makes a context from a shareable secret description.
    public convenience init(_ secret: HMACSecret) throws {
        try self.init(algorithm: secret.algorithm, key: secret.key)
    }

    deinit {
        EVP_MAC_CTX_free(ctx)  // also cleanses the key schedule
    }

    /// The MAC length in bytes (20, 32, 48 or 64).
    public var outputByteCount: Int { algorithm.outputByteCount }

    /// Returns the MAC of the concatenation of `parts`, without concatenating them in memory.
    ///
    /// Traps only if OpenSSL fails on a context it already accepted, which means memory exhaustion.
    public func authenticationCode<each Part: MessageBytes>(for parts: repeat each Part) -> [UInt8] {
        begin()
        for part in repeat each parts { append(part) }
        return [UInt8](unsafeUninitializedCapacity: outputByteCount) { buffer, initialized in
            initialized = finish(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Returns the MAC of everything `feed` appends, for messages made of a variable number of parts.
    ///
    /// ```swift
    /// // Twilio: URL, then each POST parameter's name and value, sorted by name
    /// let mac = key.authenticationCode { message in
    ///     message.append(url)
    ///     for (name, value) in parameters.sorted(by: { $0.0 < $1.0 }) { message.append(name); message.append(value) }
    /// }
    /// ```
    public func authenticationCode(_ feed: (borrowing Message) throws -> Void) rethrows -> [UInt8] {
        begin()
        // Bound to a local: `feed(Message(key: self))` crashes the Swift 6.3.1 optimizer when a caller inlines this
        // ("Cannot initialize a nonCopyable type with a guaranteed value"), so `swift build -c release` failed.
        let message = Message(key: self)
        try feed(message)
        return [UInt8](unsafeUninitializedCapacity: outputByteCount) { buffer, initialized in
            initialized = finish(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Returns whether `code` is the MAC of the concatenation of `parts`, comparing in constant time.
    ///
    /// Allocates nothing. A `code` of the wrong length is simply not valid.
    public func isValidAuthenticationCode<each Part: MessageBytes>(
        _ code: some MessageBytes,
        for parts: repeat each Part
    ) -> Bool {
        begin()
        for part in repeat each parts { append(part) }
        return withUnsafeTemporaryAllocation(byteCount: Int(EVP_MAX_MD_SIZE), alignment: 1) { buffer in
            let length = finish(into: buffer)
            return constantTimeEquals(UnsafeRawBufferPointer(rebasing: buffer[..<length]), code)
        }
    }

    /// The message being MACed inside ``authenticationCode(_:)``; it cannot escape the closure.
    public struct Message: ~Copyable {
        fileprivate let key: HMACKey

        /// Appends `bytes` to the message.
        public func append(_ bytes: some MessageBytes) {
            key.append(bytes)
        }
    }

    private func begin() {
        // A NULL key with no parameters re-initialises the context with the key it already holds.
        guard EVP_MAC_init(ctx, nil, 0, nil) == 1 else { fatalError("EVP_MAC_init failed: \(drainOpenSSLErrors())") }
    }

    private func append(_ part: some MessageBytes) {
        let ok = part.withMessageBytes { $0.isEmpty ? 1 : EVP_MAC_update(ctx, $0.baseAddress, $0.count) }
        guard ok == 1 else { fatalError("EVP_MAC_update failed: \(drainOpenSSLErrors())") }
    }

    /// Writes the MAC into `buffer` (at least `outputByteCount` bytes) and returns its length.
    private func finish(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var length = 0
        guard EVP_MAC_final(ctx, buffer.baseAddress, &length, buffer.count) == 1, length == outputByteCount else {
            fatalError("EVP_MAC_final failed: \(drainOpenSSLErrors())")
        }
        return length
    }
}

@available(*, unavailable, message: "an HMACKey holds mutable OpenSSL state; share an HMACSecret and make one key per thread")
extension HMACKey: Sendable {}

@available(*, unavailable)
extension HMACKey.Message: Sendable {}

/// The fetched HMAC implementation, shared by all contexts. `EVP_MAC` is reference counted and immutable.
private struct FetchedMAC: @unchecked Sendable {
    let mac: OpaquePointer?
}

private let hmacAlgorithm = FetchedMAC(mac: EVP_MAC_fetch(nil, "HMAC", nil))
