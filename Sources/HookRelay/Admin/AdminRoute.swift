/// An admin API endpoint, matched from a method and path by ``match(method:path:)`` (a pure function).
public enum AdminRoute: Sendable, Equatable {
    /// The event inspector page (`/` and `/inspector`), served without a token: it holds no data.
    case inspector
    case listEvents
    case event(id: String)
    case listDeliveries
    case delivery(id: Int64)
    case replayDelivery(id: Int64)
    case replay
    case listDestinations
    case pause(destination: String)
    case resume(destination: String)
    case metrics
    case health
    case ready

    /// Why a request matched no route.
    public enum Miss: Error, Sendable, Equatable {
        /// No such path (404).
        case notFound
        /// The path exists with other methods (405 with `Allow`).
        case methodNotAllowed(allow: String)
    }

    /// The route for `method` and `path` (without the query), or why there is none. `HEAD` is accepted wherever `GET` is.
    public static func match(method: String, path: Substring) -> Result<AdminRoute, Miss> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let get = method == "GET" || method == "HEAD"
        let post = method == "POST"
        func only(_ route: AdminRoute, _ allowed: Bool, _ allow: String) -> Result<AdminRoute, Miss> {
            allowed ? .success(route) : .failure(.methodNotAllowed(allow: allow))
        }
        if path == "/" || path == "/inspector" { return only(.inspector, get, "GET, HEAD") }
        guard path.first == "/", !segments.contains(where: \.isEmpty) else { return .failure(.notFound) }
        switch segments {
        case ["metrics"]: return only(.metrics, get, "GET, HEAD")
        case ["healthz"]: return only(.health, get, "GET, HEAD")
        case ["readyz"]: return only(.ready, get, "GET, HEAD")
        case ["api", "events"]: return only(.listEvents, get, "GET, HEAD")
        case ["api", "deliveries"]: return only(.listDeliveries, get, "GET, HEAD")
        case ["api", "replay"]: return only(.replay, post, "POST")
        case ["api", "destinations"]: return only(.listDestinations, get, "GET, HEAD")
        default: break
        }
        if segments.count == 3, segments[0] == "api", segments[1] == "events" {
            return only(.event(id: segments[2]), get, "GET, HEAD")
        }
        if segments.count >= 3, segments[0] == "api", segments[1] == "deliveries" {
            guard let id = Int64(segments[2]), id > 0 else { return .failure(.notFound) }
            if segments.count == 3 { return only(.delivery(id: id), get, "GET, HEAD") }
            if segments.count == 4, segments[3] == "replay" { return only(.replayDelivery(id: id), post, "POST") }
            return .failure(.notFound)
        }
        if segments.count == 4, segments[0] == "api", segments[1] == "destinations" {
            switch segments[3] {
            case "pause": return only(.pause(destination: segments[2]), post, "POST")
            case "resume": return only(.resume(destination: segments[2]), post, "POST")
            default: return .failure(.notFound)
            }
        }
        return .failure(.notFound)
    }

    /// Whether answering waits for the store's writer (a replay): such routes get a queue of their own, so a long
    /// replay never holds up a listing, a scrape or a pause.
    var waitsForTheWriter: Bool {
        switch self {
        case .replay, .replayDelivery: true
        default: false
        }
    }
}
