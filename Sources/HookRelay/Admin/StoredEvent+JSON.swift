extension StoredEvent {
    /// The event's overall state: `dead` if any delivery died, else `retrying`, `pending`, `delivered`; `stored` when
    /// no route matched.
    public var status: String {
        let summary = summary
        if summary.total == 0 { return "stored" }
        if summary.dead > 0 { return "dead" }
        if summary.retrying > 0 { return "retrying" }
        if summary.pending > 0 { return "pending" }
        return "delivered"
    }

    /// The stored envelope with `"status"` added as its last member (`hookrelay events --json`, `GET /api/events`).
    ///
    /// `data` is spliced as the provider sent it, and providers such as Stripe send pretty-printed JSON. With
    /// `singleLine`, each raw CR or LF becomes a space: in a valid envelope they can only be insignificant whitespace
    /// (inside strings they are escaped), so it is the same JSON value, the same length, on one line.
    public func envelopeWithStatus(singleLine: Bool = true) -> [UInt8] {
        var bytes = envelope
        if singleLine {
            for index in bytes.indices where bytes[index] == 0x0A || bytes[index] == 0x0D { bytes[index] = 0x20 }
        }
        while let last = bytes.last, last != UInt8(ascii: "}") { bytes.removeLast() }
        guard !bytes.isEmpty else { return JSONOutput.object([("id", .string(id)), ("status", .string(status))]).encoded() }
        bytes.removeLast()
        bytes.append(contentsOf: ",\"status\":".utf8)
        JSONString.appendQuoted(status, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// The raw request's header fields as `[name, value]` pairs, in the order received. Values of `Authorization`,
    /// `Proxy-Authorization` and `Cookie` are replaced by `[redacted]`: they may be credentials, and no provider's
    /// signature scheme needs them.
    public var requestHeaderPairs: [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        var lineStart = rawHeaders.startIndex
        while lineStart < rawHeaders.endIndex {
            let lineEnd = rawHeaders[lineStart...].firstIndex(of: 0x0A) ?? rawHeaders.endIndex
            var line = rawHeaders[lineStart..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            lineStart = lineEnd == rawHeaders.endIndex ? lineEnd : lineEnd + 1
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
            while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
            let redacted = ["authorization", "proxy-authorization", "cookie"].contains(name.lowercased())
            pairs.append((name, redacted ? "[redacted]" : String(decoding: value, as: UTF8.self)))
        }
        return pairs
    }
}

extension Delivery {
    /// The admin API's delivery object.
    public var json: JSONOutput {
        let isWaiting = status == .pending || status == .retrying
        return .object([
            ("id", .int(id)),
            ("eventId", .string(eventID)),
            ("route", .string(route)),
            ("destination", .string(destination)),
            ("status", .string(status.rawValue)),
            ("attempts", .int(attempts)),
            ("lastStatusCode", lastStatusCode.map { .int($0) } ?? .null),
            ("lastError", .string(lastError)),
            ("nextAttemptAt", isWaiting ? .time(nextAttemptAt) : .null),
            ("inFlight", .bool(isWaiting && leaseUntil != nil)),
            ("createdAt", .time(createdAt)),
            ("updatedAt", .time(updatedAt)),
            ("firstAttemptAt", .time(firstAttemptAt)),
        ])
    }
}

extension DeliveryAttempt {
    /// The admin API's attempt object; the response's first bytes as text when they are UTF-8, else base64.
    public var json: JSONOutput {
        var members: [(String, JSONOutput)] = [
            ("number", .int(number)),
            ("startedAt", .time(startedAt)),
            ("durationMs", .int(durationMilliseconds)),
            ("statusCode", statusCode.map { .int($0) } ?? .null),
            ("error", .string(error)),
        ]
        if let responseHead {
            let (text, encoding) = JSONOutput.textOrBase64(responseHead)
            members.append(("responseHead", .string(text)))
            members.append(("responseHeadEncoding", .string(encoding)))
        } else {
            members.append(("responseHead", .null))
        }
        return .object(members)
    }
}

extension JSONOutput {
    /// `bytes` as a string and its encoding: `utf8` when they are valid UTF-8, else `base64`.
    public static func textOrBase64(_ bytes: [UInt8]) -> (text: String, encoding: String) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, "utf8") }
        return (Base64.encode(bytes), "base64")
    }
}
