/// A value whose bytes can be hashed, MACed, verified, compared or encoded without first being copied into an array.
///
/// Byte arrays and slices, unsafe buffers, and strings (as UTF-8) conform, so a signed message can be passed in
/// parts exactly as a provider defines it:
///
/// ```swift
/// let mac = key.authenticationCode(for: "v0:", timestamp, ":", request.body)
/// ```
public protocol MessageBytes {
    /// Calls `body` with this value's bytes as one contiguous buffer, valid only for the duration of the call.
    func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
}

extension Array: MessageBytes where Element == UInt8 {
    /// Calls `body` with the array's storage.
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: MessageBytes where Element == UInt8 {
    /// Calls `body` with the slice's storage.
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(body)
    }
}

extension ContiguousArray: MessageBytes where Element == UInt8 {
    /// Calls `body` with the array's storage.
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(body)
    }
}

extension UnsafeRawBufferPointer: MessageBytes {
    /// Calls `body` with this buffer.
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(self)
    }
}

extension UnsafeBufferPointer: MessageBytes where Element == UInt8 {
    /// Calls `body` with this buffer.
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(self))
    }
}

extension String: MessageBytes {
    /// Calls `body` with the string's UTF-8 bytes (without copying, for native Swift strings).
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var string = self
        return try string.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}

extension Substring: MessageBytes {
    /// Calls `body` with the substring's UTF-8 bytes (without copying, for slices of native Swift strings).
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var string = self
        return try string.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}

extension String.UTF8View: MessageBytes {
    /// Calls `body` with the view's bytes.
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try String(self).withMessageBytes(body)
    }
}

extension Substring.UTF8View: MessageBytes {
    /// Calls `body` with the view's bytes.
    public func withMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Substring(self).withMessageBytes(body)
    }
}

extension MessageBytes {
    /// Like `withMessageBytes`, but the buffer's base address is never `nil` (empty input gets a valid address), so
    /// it can go to C functions that reject null pointers even with a zero length.
    @inline(__always)
    func withNonNullMessageBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withMessageBytes { bytes in
            if bytes.baseAddress != nil { return try body(bytes) }
            return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) {
                try body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0))
            }
        }
    }
}
