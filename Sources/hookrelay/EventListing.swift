import Glibc
import HookRelay

/// How `events` prints stored events.
enum EventListing {
    /// The stored envelope with `"status"` added as its last member, on one line (``StoredEvent/envelopeWithStatus(singleLine:)``).
    static func jsonLine(_ event: StoredEvent) -> String {
        String(decoding: event.envelopeWithStatus(singleLine: true), as: UTF8.self)
    }

    static func table(_ events: [StoredEvent]) -> String {
        let header = ["RECEIVED", "ID", "SOURCE", "TYPE", "STATUS", "DELIVERED"]
        let rows = events.map { event in
            [RFC3339.string(fromUnixSeconds: event.receivedAt / 1000), event.id, event.source, event.type,
             event.status, "\(event.summary.delivered)/\(event.summary.total)"]
        }
        return alignedTable(header: header, rows: rows, empty: "no events")
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func alignedTable(header: [String], rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return empty }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Option values shared by the listing and replay commands.
enum ListingOptions {
    /// `--since`: a duration back from `now` (`90s`, `2h`, `3d`) or an RFC 3339 time; nil when absent.
    static func since(_ arguments: ParsedArguments, now: Int64, command: String) throws(UsageError) -> Int64? {
        guard let text = arguments.value("since") else { return nil }
        do {
            return try ReplayRequest.since(text, now: now)
        } catch {
            throw UsageError(message: "Invalid --since '\(text)': expected a duration such as 90s, 2h or 3d, or an RFC 3339 time",
                             command: command)
        }
    }

    /// `--limit`: 1 to 100,000.
    static func limit(_ arguments: ParsedArguments, default defaultValue: Int, command: String) throws(UsageError) -> Int {
        guard let text = arguments.value("limit") else { return defaultValue }
        guard let limit = Int(text), (1...100_000).contains(limit) else {
            throw UsageError(message: "Invalid --limit '\(text)': expected 1 to 100000", command: command)
        }
        return limit
    }

    /// Now, unix milliseconds.
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
    }
}
