/// What to put back to `pending` (replay): deliveries by id, all deliveries of events by id, or the deliveries a
/// filter selects. Deliveries are requeued in place (the store's `requeue`): never duplicated, attempt history kept;
/// ones in flight are left to the attempt under way.
///
/// The same value drives `hookrelay replay` on a store the CLI opened itself and `POST /api/replay` (its JSON body,
/// ``init(json:now:)`` and ``json``), so both select exactly the same deliveries.
public struct ReplayRequest: Sendable, Equatable {
    /// Delivery row ids (any status: replaying one delivered delivery by id is deliberate).
    public var deliveryIDs: [Int64]
    /// Event ids: every delivery of each.
    public var eventIDs: [String]
    /// A filter; its statuses must be among ``replayableStatuses`` and not empty.
    public var filter: DeliveryFilter?
    /// Only count what would be requeued.
    public var dryRun: Bool

    /// Statuses a filter may select: `retrying` and `dead` (`failed` is both).
    public static let replayableStatuses: Set<DeliveryStatus> = [.retrying, .dead]

    /// A replay of ids (deliveries and events).
    public init(deliveryIDs: [Int64] = [], eventIDs: [String] = [], dryRun: Bool = false) {
        self.deliveryIDs = deliveryIDs
        self.eventIDs = eventIDs
        self.dryRun = dryRun
    }

    /// A replay by filter (its `limit` is ignored: every match is replayed).
    public init(filter: DeliveryFilter, dryRun: Bool = false) {
        deliveryIDs = []
        eventIDs = []
        var filter = filter
        filter.limit = .max
        self.filter = filter
        self.dryRun = dryRun
    }

    /// Checks that the request selects something, one way only.
    public func validate() throws(ReplayRequestError) {
        if let filter {
            guard deliveryIDs.isEmpty, eventIDs.isEmpty else { throw ReplayRequestError("give ids or a filter (status), not both") }
            guard filter.eventID == nil else { throw ReplayRequestError("replay an event by its id, not in a filter") }
            guard !filter.statuses.isEmpty else { throw ReplayRequestError("a filter needs a status: dead, retrying or failed") }
            guard filter.statuses.allSatisfy(Self.replayableStatuses.contains) else {
                throw ReplayRequestError("status must be dead, retrying or failed")
            }
        } else if deliveryIDs.isEmpty && eventIDs.isEmpty {
            throw ReplayRequestError("nothing to replay: give delivery ids, event ids or a status")
        }
    }

    /// Requeues (or with ``dryRun`` counts) what the request selects; returns how many deliveries changed (or would).
    ///
    /// Blocks until the store committed every chunk; never call it on the store's writer thread.
    public func perform(on store: SQLiteStore, now: Int64) throws(StoreError) -> Int {
        if let filter { return try store.requeue(matching: filter, dryRun: dryRun) }
        var count = 0
        let ids = Array(Set(deliveryIDs)).sorted()
        if !ids.isEmpty {
            if dryRun {
                for id in ids {
                    guard let delivery = try store.delivery(id: id) else { continue }
                    if delivery.leaseUntil.map({ $0 <= now }) ?? true { count += 1 }
                }
            } else {
                count += try store.requeue(deliveryIDs: ids)
            }
        }
        for eventID in Array(Set(eventIDs)).sorted() {
            count += try store.requeue(matching: DeliveryFilter(eventID: eventID, limit: .max), dryRun: dryRun)
        }
        return count
    }

    /// The JSON body of `POST /api/replay`:
    ///
    /// ```json
    /// {"ids": [12, 13], "eventIds": ["0193a5e2-…"], "dryRun": false}
    /// {"status": "failed", "destination": "billing", "source": "stripe", "since": "2h", "dryRun": true}
    /// ```
    ///
    /// `status` is `dead`, `retrying`, `failed` or an array of the first two; `since` a duration (`90s`, `2h`, `3d`,
    /// counted back from `now`) or an RFC 3339 time. Unknown members are refused, so a typo never widens a replay.
    public init(json bytes: [UInt8], now: Int64) throws(ReplayRequestError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes, maxBytes: 1 << 20)
        } catch {
            throw ReplayRequestError("body is not valid JSON: \(error)")
        }
        guard let members = root.members else { throw ReplayRequestError("body must be a JSON object") }
        var ids: [Int64] = []
        var eventIDs: [String] = []
        var statuses: [DeliveryStatus]?
        var destination: String?
        var source: String?
        var since: Int64?
        var dryRun = false
        for member in members {
            let value = member.value
            switch member.key {
            case "ids":
                guard let elements = value.arrayValue else { throw ReplayRequestError("ids must be an array of delivery ids") }
                ids = try elements.map { element throws(ReplayRequestError) in
                    guard let id = element.numberValue?.intValue, id > 0 else { throw ReplayRequestError("ids must be positive integers") }
                    return Int64(id)
                }
            case "eventIds":
                guard let elements = value.arrayValue else { throw ReplayRequestError("eventIds must be an array of event ids") }
                eventIDs = try elements.map { element throws(ReplayRequestError) in
                    guard let id = element.stringValue, !id.isEmpty else { throw ReplayRequestError("eventIds must be strings") }
                    return id
                }
            case "status":
                if let text = value.stringValue {
                    statuses = try Self.statuses(text)
                } else if let elements = value.arrayValue {
                    var selected: [DeliveryStatus] = []
                    for element in elements {
                        guard let text = element.stringValue else { throw ReplayRequestError("status must be a string or an array of strings") }
                        selected += try Self.statuses(text)
                    }
                    statuses = selected
                } else {
                    throw ReplayRequestError("status must be a string or an array of strings")
                }
            case "destination":
                guard let text = value.stringValue else { throw ReplayRequestError("destination must be a string") }
                destination = text
            case "source":
                guard let text = value.stringValue else { throw ReplayRequestError("source must be a string") }
                source = text
            case "since":
                guard let text = value.stringValue else { throw ReplayRequestError("since must be a duration such as \"2h\" or an RFC 3339 time") }
                since = try Self.since(text, now: now)
            case "dryRun":
                guard let flag = value.boolValue else { throw ReplayRequestError("dryRun must be true or false") }
                dryRun = flag
            default:
                throw ReplayRequestError("unknown member \"\(member.key)\" (expected ids, eventIds, status, destination, source, since, dryRun)")
            }
        }
        if let statuses {
            self.init(filter: DeliveryFilter(statuses: statuses, destination: destination, source: source, createdSince: since), dryRun: dryRun)
        } else {
            guard destination == nil, source == nil, since == nil else {
                throw ReplayRequestError("destination, source and since narrow a status filter: give a status")
            }
            self.init(deliveryIDs: ids, eventIDs: eventIDs, dryRun: dryRun)
        }
        if statuses != nil && !(ids.isEmpty && eventIDs.isEmpty) { throw ReplayRequestError("give ids or a filter (status), not both") }
        try validate()
    }

    /// The request as the JSON body ``init(json:now:)`` reads (`since` as an RFC 3339 time).
    public var json: JSONOutput {
        var members: [(String, JSONOutput)] = []
        if let filter {
            let statuses = Self.replayableStatuses.filter(filter.statuses.contains).map(\.rawValue).sorted()
            members.append(("status", .array(statuses.map { .string($0) })))
            if let destination = filter.destination { members.append(("destination", .string(destination))) }
            if let source = filter.source { members.append(("source", .string(source))) }
            if let since = filter.createdSince { members.append(("since", .time(since))) }
        } else {
            if !deliveryIDs.isEmpty { members.append(("ids", .array(deliveryIDs.map { .int($0) }))) }
            if !eventIDs.isEmpty { members.append(("eventIds", .array(eventIDs.map { .string($0) }))) }
        }
        members.append(("dryRun", .bool(dryRun)))
        return .object(members)
    }

    /// `dead`, `retrying`, or `failed` (both).
    public static func statuses(_ text: String) throws(ReplayRequestError) -> [DeliveryStatus] {
        guard let statuses = [DeliveryStatus].selection(text), statuses.allSatisfy(replayableStatuses.contains) else {
            throw ReplayRequestError("status must be dead, retrying or failed, not \"\(text)\"")
        }
        return statuses
    }

    /// A lower time bound, unix ms: a duration counted back from `now`, or an RFC 3339 time.
    public static func since(_ text: String, now: Int64) throws(ReplayRequestError) -> Int64 {
        if let time = RFC3339.parse(text) { return time.milliseconds }
        do {
            let duration = try Duration(configText: text)
            let (seconds, attoseconds) = duration.components
            let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
            return now - milliseconds
        } catch {
            throw ReplayRequestError("since must be a duration such as 90s, 2h or 3d, or an RFC 3339 time: \(error)")
        }
    }
}

/// Why a replay request is refused (HTTP 400; a usage error in the CLI).
public struct ReplayRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in a short sentence.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
