/// Turns a route's `when` object into a ``RouteCondition``, reporting each problem at its own line and column.
enum RouteConditionLoader {
    static func load(_ value: JSONValue, at path: JSONPath, decoder: inout ConfigDecoder) -> RouteCondition? {
        guard value.members != nil else {
            decoder.typeMismatch(expected: "an object of conditions", found: value, at: path)
            return nil
        }
        do {
            return try RouteCondition(conditionValue(value))
        } catch {
            for issue in error.issues {
                let (node, nodePath, keyPosition) = locate(issue.path, in: value, at: path)
                decoder.error(issue.message, at: issue.isAboutKey ? keyPosition ?? node.position : node.position, path: nodePath)
            }
            return nil
        }
    }

    static func conditionValue(_ value: JSONValue) -> ConditionValue {
        switch value.kind {
        case .null: .null
        case .bool(let b): .bool(b)
        case .number(let n): .number(n.text)
        case .string(let s): .string(s)
        case .array(let items): .array(items.map(conditionValue))
        case .object(let members): .object(members.map { (key: $0.key, value: conditionValue($0.value)) })
        }
    }

    /// Follows a JSON Pointer (`/$or/1/data.amount`) from `root` as far as it goes: the node reached, its path, and
    /// the position of its key when the last step was an object member.
    static func locate(_ pointer: String, in root: JSONValue, at rootPath: JSONPath) -> (JSONValue, JSONPath, SourcePosition?) {
        var node = root
        var path = rootPath
        var keyPosition: SourcePosition?
        for raw in pointer.split(separator: "/", omittingEmptySubsequences: true) {
            let segment = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let members = node.members, let member = members.first(where: { $0.key == segment }) {
                node = member.value
                path = path.appending(segment)
                keyPosition = member.keyPosition
            } else if let items = node.arrayValue, let index = Int(segment), items.indices.contains(index) {
                node = items[index]
                path = path.appending(index: index)
                keyPosition = nil
            } else {
                break
            }
        }
        return (node, path, keyPosition)
    }
}
