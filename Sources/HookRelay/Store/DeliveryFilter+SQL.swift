extension DeliveryFilter {
    /// The filter's conditions on `deliveries` (without `limit`), to be joined with `AND`; their
    /// parameters are bound by `bindConditions`, in order.
    var sqlConditions: [String] {
        var conditions: [String] = []
        let statuses = Array(Set(statuses)).sorted { $0.rawValue < $1.rawValue }
        if !statuses.isEmpty {
            // Literals from the enum's raw values, never user text.
            conditions.append("status IN (" + statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")")
        }
        if destination != nil { conditions.append("destination = :destination") }
        if source != nil { conditions.append("event_id IN (SELECT id FROM events WHERE source = :source)") }
        if eventID != nil { conditions.append("event_id = :event") }
        if createdSince != nil { conditions.append("created_at >= :since") }
        return conditions
    }

    /// Binds the parameters of `sqlConditions` from `index` on; returns the next free index.
    func bindConditions(to statement: SQLiteStatement, from index: Int32) throws(StoreError) -> Int32 {
        var index = index
        if let destination { try statement.bind(destination, at: index); index += 1 }
        if let source { try statement.bind(source, at: index); index += 1 }
        if let eventID { try statement.bind(eventID, at: index); index += 1 }
        if let createdSince { try statement.bind(createdSince, at: index); index += 1 }
        return index
    }

    /// `WHERE …` for `sqlConditions` plus `extra`, or an empty string.
    func whereClause(adding extra: [String] = []) -> String {
        let conditions = sqlConditions + extra
        return conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }
}
