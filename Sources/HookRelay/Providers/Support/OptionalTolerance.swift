/// The timestamp check of presets whose provider signs `timestamp + raw body` but states no tolerance (Discord,
/// SendGrid): none applies unless the source sets `tolerance`, and then in both directions.
struct OptionalTolerance {
    /// Whole seconds; nil when the timestamp is not checked.
    let seconds: Int64?
    /// Now, in unix seconds.
    let clock: () -> Int64

    init(_ tolerance: Duration?, clock: @escaping () -> Int64) {
        seconds = tolerance?.components.seconds
        self.clock = clock
    }

    /// Does nothing without a tolerance. With one, throws `malformed_signature` for `header` unless `timestamp` is 1 to
    /// 18 decimal digits, and `stale_timestamp` when it is further than the tolerance from now.
    func check(_ timestamp: ArraySlice<UInt8>, header: String) throws(VerificationFailure) {
        guard let seconds else { return }
        guard let t = asciiDecimal(timestamp, maxDigits: 18) else {
            throw .malformedHeader(header)
        }
        let skew = abs(clock() - t)
        if skew > seconds { throw .timestampOutsideTolerance(by: skew - seconds) }
    }
}
