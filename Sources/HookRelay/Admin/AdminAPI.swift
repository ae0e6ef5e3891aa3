import Dispatch
public import HTTPServer

/// The admin API, served on its own listener (`serve --admin`): events, deliveries and their attempts, replay,
/// pausing destinations, Prometheus metrics and health. Every answer is JSON except `/metrics`. See
/// `docs/admin-api.md` and `docs/admin-api.openapi.yaml`.
///
/// Requests are authenticated first (``AdminAuthenticator``; 401 with `WWW-Authenticate: Bearer`), then routed
/// (``AdminRoute``; 404 / 405 with `Allow`), then answered off the event loop: replays on one serial queue (they wait
/// for the store's writer to commit each chunk), everything else on another with the API's own read-only store
/// connection, so a long replay never holds up the listener, a listing, a scrape or a pause.
public final class AdminAPI: Sendable {
    private let store: SQLiteStore
    private let reader: SQLiteStoreReader
    private let gateway: Gateway
    private let dispatcher: Dispatcher?
    private let metrics: GatewayMetrics
    private let authenticator: AdminAuthenticator
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let reads = DispatchQueue(label: "hookrelay.admin.reads")
    private let writes = DispatchQueue(label: "hookrelay.admin.writes")

    /// The most bytes a request body may have (`POST /api/replay`).
    public static let maxBodyBytes = 1 << 20

    /// - Parameters:
    ///   - store: the running store (replays go through its writer).
    ///   - reader: a read-only connection of the API's own (listings, details, the queue-depth gauge).
    ///   - gateway: the running config (destination names) and the store's health.
    ///   - dispatcher: the delivery engine (pause, resume, breaker states).
    ///   - metrics: the registry `/metrics` renders; the API adds its scrape-time gauges to it.
    public init(store: SQLiteStore, reader: SQLiteStoreReader, gateway: Gateway, dispatcher: Dispatcher?, metrics: GatewayMetrics,
                authenticator: AdminAuthenticator, logger: Logger, clock: (@Sendable () -> Int64)? = nil) {
        self.store = store
        self.reader = reader
        self.gateway = gateway
        self.dispatcher = dispatcher
        self.metrics = metrics
        self.authenticator = authenticator
        self.logger = logger
        self.clock = clock ?? { WallClock.unixMilliseconds() }
        metrics.queueDepth.collect {
            guard let counts = try? reader.deliveryCounts() else { return [] }
            return DeliveryStatus.allCases.map { ([$0.rawValue], Double(counts[$0] ?? 0)) }
        }
        metrics.circuitState.collect {
            let states = dispatcher?.circuitStates ?? [:]
            return gateway.destinations.keys.map { ([$0], (states[$0] ?? .closed).metricValue) }
        }
        metrics.destinationPaused.collect {
            let paused = dispatcher?.pausedDestinations ?? []
            return gateway.destinations.keys.map { ([$0], paused.contains($0) ? 1 : 0) }
        }
    }

    /// A handler for the admin listener's event loop.
    public func makeHandler() -> any HTTPRequestHandler { AdminHandler(api: self) }

    fileprivate func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let started = clock()
        let finish: @Sendable (HTTPResponse) -> Void = { [logger, clock] response in
            logger.debug("admin request", ["http.method": request.method, "http.path": String(request.path),
                                           "status": "\(response.status)", "duration_ms": "\(clock() - started)"])
            responder.respond(response)
        }
        // The inspector page holds no data (its API calls carry the token), so it is served to anyone who can connect.
        if case .success(.inspector) = AdminRoute.match(method: request.method, path: request.path) {
            return finish(InspectorPage.response)
        }
        switch authenticator.check(request.headers) {
        case .authorized: break
        case .missingToken:
            logger.warning("admin request unauthorized", ["reason": "missing_token", "client.address": request.clientAddress])
            return finish(Self.unauthorized("missing bearer token", challenge: #"Bearer realm="hookrelay-admin""#))
        case .invalidToken:
            logger.warning("admin request unauthorized", ["reason": "invalid_token", "client.address": request.clientAddress])
            return finish(Self.unauthorized("invalid bearer token", challenge: #"Bearer realm="hookrelay-admin", error="invalid_token""#))
        }
        let route: AdminRoute
        switch AdminRoute.match(method: request.method, path: request.path) {
        case .success(let matched): route = matched
        case .failure(.notFound): return finish(Self.error(404, "not found"))
        case .failure(.methodNotAllowed(let allow)):
            var response = Self.error(405, "method not allowed")
            response.headers.append(name: "Allow", value: allow)
            return finish(response)
        }
        (route.waitsForTheWriter ? writes : reads).async { [self] in
            var response: HTTPResponse
            do {
                response = try answer(route, request)
            } catch let error as AdminError {
                response = Self.error(error.status, error.message)
            } catch let error as StoreError where error.kind == .queueFull || error.kind == .closed {
                response = Self.error(503, error.kind == .closed ? "the store is closed" : "the store is busy; try again shortly")
                response.headers.append(name: "Retry-After", value: "1")
            } catch {
                logger.error("admin request failed", ["http.path": String(request.path), "error": "\(error)"])
                response = Self.error(500, "internal error")
            }
            finish(response)
        }
    }

    /// Answers an authenticated, routed request (blocking: runs on one of the API's queues).
    func answer(_ route: AdminRoute, _ request: HTTPRequest) throws -> HTTPResponse {
        switch route {
        case .inspector:
            return InspectorPage.response
        case .health:
            return .json(200, #"{"status":"ok"}"#)
        case .ready:
            if store.isWritable { return .json(200, #"{"status":"ready","store":"writable"}"#) }
            var response = HTTPResponse.json(503, #"{"status":"unavailable","store":"unavailable"}"#)
            response.headers.append(name: "Retry-After", value: "5")
            return response
        case .metrics:
            return HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]),
                                body: Array(metrics.registry.render().utf8))
        case .listEvents:
            let query = try QueryParameters(request.query, allowed: ["source", "type", "since", "limit"])
            let filter = EventFilter(source: query["source"], typeGlob: query["type"], receivedSince: try query.since(now: clock()),
                                     limit: try query.limit(default: 50))
            let events = try reader.events(matching: filter)
            return Self.json(.object([("events", .array(events.map { .raw($0.envelopeWithStatus()) }))]))
        case .event(let id):
            _ = try QueryParameters(request.query, allowed: [])
            guard let event = try reader.event(id: id) else { throw AdminError(404, "no event \(id)") }
            return Self.json(try eventDetail(event))
        case .listDeliveries:
            let query = try QueryParameters(request.query, allowed: ["status", "destination", "source", "event", "since", "limit"])
            let filter = DeliveryFilter(statuses: try query.statuses(), destination: query["destination"], source: query["source"],
                                        eventID: query["event"], createdSince: try query.since(now: clock()), limit: try query.limit(default: 100))
            let deliveries = try reader.deliveries(matching: filter)
            return Self.json(.object([("deliveries", .array(deliveries.map(\.json)))]))
        case .delivery(let id):
            _ = try QueryParameters(request.query, allowed: [])
            guard let delivery = try reader.delivery(id: id) else { throw AdminError(404, "no delivery \(id)") }
            return Self.json(.object([("delivery", delivery.json), ("attempts", .array(try reader.attempts(forDelivery: id).map(\.json)))]))
        case .replayDelivery(let id):
            let query = try QueryParameters(request.query, allowed: ["dryRun"])
            guard try reader.delivery(id: id) != nil else { throw AdminError(404, "no delivery \(id)") }
            return try performReplay(ReplayRequest(deliveryIDs: [id], dryRun: try query.flag("dryRun")))
        case .replay:
            let replay: ReplayRequest
            do {
                replay = try ReplayRequest(json: request.body, now: clock())
            } catch {
                throw AdminError(400, error.message)
            }
            return try performReplay(replay)
        case .listDestinations:
            let states = dispatcher?.circuitStates ?? [:]
            let paused = dispatcher?.pausedDestinations ?? []
            let destinations = gateway.destinations.values.sorted { $0.name < $1.name }.map { settings -> JSONOutput in
                .object([("name", .string(settings.name)), ("kind", .string(settings.kind.rawValue)),
                         ("paused", .bool(paused.contains(settings.name))),
                         ("circuit", .string(Self.name(of: states[settings.name] ?? .closed)))])
            }
            return Self.json(.object([("destinations", .array(destinations))]))
        case .pause(let name), .resume(let name):
            guard gateway.destinations[name] != nil else { throw AdminError(404, "no destination \(name)") }
            guard let dispatcher else { throw AdminError(503, "the dispatcher is not running") }
            let pausing = route == .pause(destination: name)
            let changed = pausing ? dispatcher.pause(destination: name) : dispatcher.resume(destination: name)
            return Self.json(.object([("destination", .string(name)), ("paused", .bool(pausing)), ("changed", .bool(changed))]))
        }
    }

    private func performReplay(_ replay: ReplayRequest) throws -> HTTPResponse {
        let count = try replay.perform(on: store, now: clock())
        logger.info(replay.dryRun ? "replay dry run" : "deliveries requeued", [
            "replay.count": "\(count)", "replay.ids": "\(replay.deliveryIDs.count)", "replay.events": "\(replay.eventIDs.count)",
            "replay.status": replay.filter.map { $0.statuses.map(\.rawValue).sorted().joined(separator: ",") } ?? "-",
            "destination": replay.filter?.destination ?? "-", "source": replay.filter?.source ?? "-",
        ])
        return Self.json(.object([("count", .int(count)), ("dryRun", .bool(replay.dryRun))]))
    }

    private func eventDetail(_ event: StoredEvent) throws -> JSONOutput {
        let (body, encoding) = JSONOutput.textOrBase64(event.rawBody)
        let headers = event.requestHeaderPairs.map { JSONOutput.array([.string($0.name), .string($0.value)]) }
        let deliveries = try event.deliveries.map { delivery throws -> JSONOutput in
            .object([("delivery", delivery.json), ("attempts", .array(try reader.attempts(forDelivery: delivery.id).map(\.json)))])
        }
        return .object([
            ("event", .raw(event.envelope)),
            ("status", .string(event.status)),
            ("source", .string(event.source)),
            ("receivedAt", .time(event.receivedAt)),
            ("request", .object([("headers", .array(headers)), ("body", .string(body)), ("bodyEncoding", .string(encoding))])),
            ("deliveries", .array(deliveries)),
        ])
    }

    static func name(of state: CircuitBreaker.State) -> String {
        switch state {
        case .closed: "closed"
        case .halfOpen: "half-open"
        case .open: "open"
        }
    }

    static func json(_ value: JSONOutput, status: Int = 200) -> HTTPResponse {
        .json(status, bytes: value.encoded())
    }

    static func error(_ status: Int, _ message: String) -> HTTPResponse {
        json(.object([("error", .string(message))]), status: status)
    }

    static func unauthorized(_ message: String, challenge: String) -> HTTPResponse {
        var response = error(401, message)
        response.headers.append(name: "WWW-Authenticate", value: challenge)
        return response
    }
}

/// The admin listener's per-loop handler.
struct AdminHandler: HTTPRequestHandler {
    let api: AdminAPI

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        api.handle(request, responder: responder)
    }

    func bodyLimit(for head: HTTPRequestHead) -> Int? { AdminAPI.maxBodyBytes }
}

/// A request the admin API refuses: its status and a short reason.
struct AdminError: Error {
    let status: Int
    let message: String

    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// A request's query parameters, decoded (`application/x-www-form-urlencoded`), each at most once, only known names.
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ query: Substring?, allowed: Set<String>) throws(AdminError) {
        guard let query, !query.isEmpty else { return }
        let pairs: [(name: String, value: String)]
        do {
            pairs = try FormURLEncoded.parse(Array(query.utf8))
        } catch {
            throw AdminError(400, "malformed query: \(error.reason)")
        }
        for (name, value) in pairs {
            guard allowed.contains(name) else {
                throw AdminError(400, allowed.isEmpty ? "unknown parameter \(name)"
                                 : "unknown parameter \(name) (expected \(allowed.sorted().joined(separator: ", ")))")
            }
            guard values.updateValue(value, forKey: name) == nil else { throw AdminError(400, "parameter \(name) given twice") }
        }
    }

    subscript(name: String) -> String? { values[name] }

    /// `limit`: 1 to 1000.
    func limit(default defaultValue: Int) throws(AdminError) -> Int {
        guard let text = values["limit"] else { return defaultValue }
        guard let limit = Int(text), (1...1000).contains(limit) else { throw AdminError(400, "limit must be 1 to 1000") }
        return limit
    }

    /// `since`: a duration back from `now` or an RFC 3339 time.
    func since(now: Int64) throws(AdminError) -> Int64? {
        guard let text = values["since"] else { return nil }
        do {
            return try ReplayRequest.since(text, now: now)
        } catch {
            throw AdminError(400, error.message)
        }
    }

    /// `status`: comma-separated `pending`, `retrying`, `delivered`, `dead`, `failed`.
    func statuses() throws(AdminError) -> [DeliveryStatus] {
        guard let text = values["status"] else { return [] }
        var statuses: [DeliveryStatus] = []
        for name in text.split(separator: ",") {
            if let named = [DeliveryStatus].selection(name) {
                statuses += named
            } else {
                throw AdminError(400, "status must be pending, retrying, delivered, dead or failed")
            }
        }
        return statuses
    }

    /// A boolean parameter: `true`/`false`, `1`/`0`; absent is false.
    func flag(_ name: String) throws(AdminError) -> Bool {
        switch values[name] {
        case nil, "false", "0": return false
        case "true", "1": return true
        default: throw AdminError(400, "\(name) must be true or false")
        }
    }
}
