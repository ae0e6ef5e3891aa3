import COpenSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Makes time-ordered UUIDs, version 7 (RFC 9562 §5.7), as lowercase canonical text.
///
/// Layout: 48 bits of Unix time in milliseconds, version `0111`, a 12-bit counter (`rand_a`), variant `10`, and
/// 62 random bits (`rand_b`) from OpenSSL's `RAND_bytes`.
///
/// Ids from one generator are strictly increasing, as strings and as bytes (RFC 9562 §6.2, method 1): within one
/// millisecond the counter counts up from a random start below 2048; if it runs out, or the clock steps back, the
/// timestamp is advanced past the last one issued rather than going backwards. The generator is thread-safe.
///
/// ```swift
/// let id = makeUUIDv7()   // "0193a5e2-7c1f-7b7e-9f0a-3c5d2e1b4a99"
/// ```
public final class UUIDv7Generator: Sendable {
    private struct State {
        var lastMilliseconds: UInt64 = 0
        var counter: UInt16 = 0
        /// Random bytes drawn ahead from OpenSSL, 10 per id: one `RAND_bytes` call (which also checks for a fork)
        /// per ``poolSize``/10 ids instead of one per id.
        var pool: [UInt8] = []
        var poolIndex = 0
    }

    /// How many random bytes one `RAND_bytes` call draws ahead.
    static let poolSize = 4_000

    private let state = Mutex(State())

    /// Makes a generator; ids are ordered only among those from the same generator.
    public init() {}

    /// The shared generator behind ``makeUUIDv7()``.
    public static let shared = UUIDv7Generator()

    /// Returns a new id for the current time.
    public func make() -> String {
        make(unixMilliseconds: currentUnixMilliseconds())
    }

    /// Returns a new id stamped with `unixMilliseconds` (or a little later, to stay ordered after earlier ids).
    ///
    /// Times past the 48-bit field (the year 10889) are clamped to its maximum.
    public func make(unixMilliseconds: UInt64) -> String {
        let unixMilliseconds = min(unixMilliseconds, 0xffff_ffff_ffff)
        return state.withLock { state -> String in
            if state.poolIndex + 10 > state.pool.count {
                state.pool = randomBytes(Self.poolSize)
                state.poolIndex = 0
            }
            let random = state.poolIndex
            state.poolIndex += 10
            if unixMilliseconds > state.lastMilliseconds {
                state.lastMilliseconds = unixMilliseconds
                // Leave headroom to count up.
                state.counter = (UInt16(state.pool[random + 8]) << 8 | UInt16(state.pool[random + 9])) & 0x07ff
            } else if state.counter < 0x0fff {
                state.counter += 1
            } else {
                state.lastMilliseconds += 1  // counter exhausted (or clock went back): borrow the next millisecond
                state.counter = 0
            }
            let milliseconds = state.lastMilliseconds, counter = state.counter
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { bytes in
                for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
                bytes[6] = 0x70 | UInt8(counter >> 8)
                bytes[7] = UInt8(truncatingIfNeeded: counter)
                for index in 0..<8 { bytes[8 + index] = state.pool[random + index] }
                bytes[8] = 0x80 | (bytes[8] & 0x3f)
                return formatUUID(UnsafeBufferPointer(bytes))
            }
        }
    }
}

/// Returns a new UUIDv7 for the current time from the shared, process-wide generator (see ``UUIDv7Generator``).
public func makeUUIDv7() -> String {
    UUIDv7Generator.shared.make()
}

/// Returns a new UUIDv7 stamped with `unixMilliseconds` from the shared generator; for tests and replays.
public func makeUUIDv7(unixMilliseconds: UInt64) -> String {
    UUIDv7Generator.shared.make(unixMilliseconds: unixMilliseconds)
}

/// The wall-clock time in milliseconds since 1970-01-01 UTC.
func currentUnixMilliseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(max(0, now.tv_sec)) * 1000 + UInt64(max(0, now.tv_nsec)) / 1_000_000
}

/// Returns `count` random bytes from OpenSSL's CSPRNG, falling back to the system generator if OpenSSL fails.
func randomBytes(_ count: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        if RAND_bytes(buffer.baseAddress, Int32(count)) != 1 {
            _ = drainOpenSSLErrors()
            var system = SystemRandomNumberGenerator()
            for index in 0..<count { buffer[index] = system.next() }
        }
        initialized = count
    }
}

/// Formats 16 bytes as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase.
private func formatUUID(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    String(unsafeUninitializedCapacity: 36) { output in
        var o = 0
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 {
                output[o] = UInt8(ascii: "-")
                o += 1
            }
            output[o] = Hex.digit(byte >> 4)
            output[o + 1] = Hex.digit(byte & 0x0f)
            o += 2
        }
        return o
    }
}
