import Glibc

/// A structured logger: a constant message plus dotted metadata keys (`event.id`, `source`, `destination`).
///
/// A value you pass in; there is no global logger. Messages are built only when the level is enabled.
///
/// ```swift
/// logger.info("event stored", ["event.id": id, "source": "stripe"])
/// ```
public struct Logger: Sendable {
    /// Severity, from most to least verbose.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case trace, debug, info, notice, warning, error, critical

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .trace: "trace"
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            case .critical: "critical"
            }
        }

        /// The level named `name` (as printed), if any.
        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.description == name }) else { return nil }
            self = level
        }
    }

    /// Ordered key/value metadata.
    public typealias Metadata = KeyValuePairs<String, String>

    /// The least severe level that is logged.
    public var level: Level
    private let handler: any LogHandler
    private var context: [(String, String)]

    public init(level: Level = .info, handler: any LogHandler) {
        self.level = level
        self.handler = handler
        self.context = []
    }

    /// A logger that adds `metadata` to every line.
    public func with(_ metadata: Metadata) -> Logger {
        var copy = self
        copy.context.append(contentsOf: metadata.map { ($0.key, $0.value) })
        return copy
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        guard level >= self.level else { return }
        handler.log(level: level, message: message(), metadata: context + metadata().map { ($0.key, $0.value) })
    }

    public func trace(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.trace, message(), metadata())
    }

    public func debug(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.debug, message(), metadata())
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.info, message(), metadata())
    }

    public func notice(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.notice, message(), metadata())
    }

    public func warning(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.warning, message(), metadata())
    }

    public func error(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.error, message(), metadata())
    }

    public func critical(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.critical, message(), metadata())
    }

    /// A logger that discards everything.
    public static let disabled = Logger(level: .critical, handler: DiscardingLogHandler())
}

/// Where log lines go.
public protocol LogHandler: Sendable {
    func log(level: Logger.Level, message: String, metadata: [(String, String)])
}

/// Discards every line.
public struct DiscardingLogHandler: LogHandler {
    public init() {}
    public func log(level: Logger.Level, message: String, metadata: [(String, String)]) {}
}

/// Writes one line per entry to a file descriptor (stderr by default), as logfmt or JSON.
///
/// Each line goes out in a single `write(2)`, so lines from different threads never interleave.
public struct StreamLogHandler: LogHandler {
    /// The line format.
    public enum Format: String, Sendable, CaseIterable {
        case logfmt, json
    }

    private let fd: Int32
    private let format: Format

    public init(format: Format = .logfmt, fd: Int32 = 2) {
        self.format = format
        self.fd = fd
    }

    public func log(level: Logger.Level, message: String, metadata: [(String, String)]) {
        let line = format == .json
            ? Self.json(time: Self.timestamp(), level: level, message: message, metadata: metadata)
            : Self.logfmt(time: Self.timestamp(), level: level, message: message, metadata: metadata)
        var bytes = Array(line.utf8)
        bytes.append(10)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    /// `time=… level=info msg="…" key=value …`; values are quoted when they contain spaces, quotes or `=`.
    static func logfmt(time: String, level: Logger.Level, message: String, metadata: [(String, String)]) -> String {
        var line = "time=\(time) level=\(level) msg=\(logfmtValue(message))"
        for (key, value) in metadata { line += " \(key)=\(logfmtValue(value))" }
        return line
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C || $0 == 0x7F }
        return needsQuotes ? "\"" + escaped(value) + "\"" : value
    }

    static func json(time: String, level: Logger.Level, message: String, metadata: [(String, String)]) -> String {
        var line = "{\"time\":\"\(time)\",\"level\":\"\(level)\",\"msg\":\"\(escaped(message))\""
        for (key, value) in metadata { line += ",\"\(escaped(key))\":\"\(escaped(value))\"" }
        return line + "}"
    }

    /// Escapes for a JSON string body (also used inside logfmt quotes).
    static func escaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }
}
