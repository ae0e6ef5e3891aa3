/// The deadlines of one connection, as a pure state machine: the loop reports what happened and when
/// (monotonic nanoseconds), and asks which deadline, if any, has passed. Tests drive it with a manual clock.
///
/// - Before a request's head is complete: `headerReadTimeout`, from accept or from the request's first byte.
/// - While its body arrives: `bodyReadTimeout` from the end of the head.
/// - While the handler owes a response: `responseTimeout` (reset each time one arrives).
/// - While the client does not take our output: `writeTimeout` (reset on progress).
/// - Between requests with nothing outstanding: `idleTimeout`.
/// - While lingering after our final response: ``lingerTimeout``.
struct ConnectionTimer: Equatable {
    /// Which deadline passed.
    enum Expiry: Equatable {
        case headerRead, bodyRead, idle, response, write, linger
    }

    /// How long a closing connection keeps reading (and discarding) so the peer gets our last response.
    static let lingerTimeout: UInt64 = 2_000_000_000

    private let headerTimeout: UInt64
    private let bodyTimeout: UInt64
    private let idleTimeout: UInt64
    private let responseTimeout: UInt64
    private let writeTimeout: UInt64

    private(set) var read: (kind: Expiry, deadline: UInt64)?
    private(set) var responseDeadline: UInt64?
    private(set) var writeDeadline: UInt64?

    init(limits: HTTPLimits, acceptedAt now: UInt64) {
        headerTimeout = limits.headerReadTimeout.nanoseconds
        bodyTimeout = limits.bodyReadTimeout.nanoseconds
        idleTimeout = limits.idleTimeout.nanoseconds
        responseTimeout = limits.responseTimeout.nanoseconds
        writeTimeout = limits.writeTimeout.nanoseconds
        read = (.headerRead, now &+ headerTimeout)
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.read?.kind == rhs.read?.kind && lhs.read?.deadline == rhs.read?.deadline
            && lhs.responseDeadline == rhs.responseDeadline && lhs.writeDeadline == rhs.writeDeadline
    }

    /// Bytes of a new request arrived: the header deadline starts unless a request is already being read.
    mutating func requestBytesArrived(at now: UInt64) {
        if read == nil || read?.kind == .idle { read = (.headerRead, now &+ headerTimeout) }
    }

    /// A head is complete; its body (if any) must arrive in time.
    mutating func headReceived(at now: UInt64) {
        read = (.bodyRead, now &+ bodyTimeout)
    }

    /// A request is complete and handed to the handler. `moreBuffered`: bytes of the next one are already here.
    mutating func requestCompleted(at now: UInt64, moreBuffered: Bool) {
        read = moreBuffered ? (.headerRead, now &+ headerTimeout) : nil
        if responseDeadline == nil { responseDeadline = now &+ responseTimeout }
    }

    /// A response arrived from the handler; `outstanding` more are owed.
    mutating func responseArrived(at now: UInt64, outstanding: Int) {
        responseDeadline = outstanding > 0 ? now &+ responseTimeout : nil
    }

    /// Output could not be written completely, or some of it was written and more remains.
    mutating func outputPending(at now: UInt64, progressed: Bool) {
        if writeDeadline == nil || progressed { writeDeadline = now &+ writeTimeout }
    }

    /// All output is written. When nothing else is owed and no request is being read, idleness starts.
    mutating func outputDrained(at now: UInt64, isIdle: Bool) {
        writeDeadline = nil
        if isIdle && responseDeadline == nil && (read == nil || read?.kind == .idle) { read = (.idle, now &+ idleTimeout) }
    }

    /// The connection no longer reads requests (closing, or paused at the pipelining limit).
    mutating func stopReading() {
        read = nil
    }

    /// The final response is out; the connection reads and discards for a short while.
    mutating func startLingering(at now: UInt64) {
        read = (.linger, now &+ Self.lingerTimeout)
        responseDeadline = nil
        writeDeadline = nil
    }

    /// The earliest deadline that has passed at `now`, if any.
    func expiry(at now: UInt64) -> Expiry? {
        if let w = writeDeadline, now >= w { return .write }
        if let r = responseDeadline, now >= r { return .response }
        if let read, now >= read.deadline { return read.kind }
        return nil
    }
}
