import HookRelay

/// How `events` prints stored events.
enum EventListing {
    /// An event's overall state: `dead` if any delivery died, else `retrying`, `pending`, `delivered`;
    /// `stored` when no route matched.
    static func status(_ event: StoredEvent) -> String {
        let summary = event.summary
        if summary.total == 0 { return "stored" }
        if summary.dead > 0 { return "dead" }
        if summary.retrying > 0 { return "retrying" }
        if summary.pending > 0 { return "pending" }
        return "delivered"
    }

    /// The stored envelope with `"status"` added as its last member, on one line.
    ///
    /// `data` is spliced as the provider sent it, and providers such as Stripe send pretty-printed JSON. In a valid
    /// envelope a raw CR or LF can only be insignificant whitespace (inside strings they are escaped), so each becomes
    /// a space: the same JSON value, the same length, and one line per event.
    static func jsonLine(_ event: StoredEvent) -> String {
        var bytes = event.envelope
        for index in bytes.indices where bytes[index] == 0x0A || bytes[index] == 0x0D { bytes[index] = 0x20 }
        while let last = bytes.last, last != UInt8(ascii: "}") { bytes.removeLast() }
        guard !bytes.isEmpty else { return "{\"id\":\"\(event.id)\",\"status\":\"\(status(event))\"}" }
        bytes.removeLast()
        bytes.append(contentsOf: Array(",\"status\":\"\(status(event))\"}".utf8))
        return String(decoding: bytes, as: UTF8.self)
    }

    static func table(_ events: [StoredEvent]) -> String {
        let header = ["RECEIVED", "ID", "SOURCE", "TYPE", "STATUS", "DELIVERED"]
        let rows = events.map { event in
            [RFC3339.string(fromUnixSeconds: event.receivedAt / 1000), event.id, event.source, event.type,
             status(event), "\(event.summary.delivered)/\(event.summary.total)"]
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
