public import HTTPServer
import Synchronization

/// What every event loop shares: the current route config (swapped atomically on reload), the store, the logger.
public final class Gateway: Sendable {
    public let store: any EventStore
    public let logger: Logger
    /// Where sources may keep state (``ProviderContext/stateDirectory``).
    public let dataDirectory: String?
    /// Where ingress answers and verification failures are counted.
    public let metrics: GatewayMetrics?
    private let config: Mutex<RouteConfig>
    private let generation = Atomic<Int>(0)

    public init(config: RouteConfig, store: any EventStore, logger: Logger, dataDirectory: String? = nil, metrics: GatewayMetrics? = nil) {
        self.config = Mutex(config)
        self.dataDirectory = dataDirectory
        self.store = store
        self.logger = logger
        self.metrics = metrics
    }

    /// Replaces the running config; loops pick it up on their next request.
    public func replaceConfig(_ newConfig: RouteConfig) {
        config.withLock { $0 = newConfig }
        generation.add(1, ordering: .releasing)
    }

    var currentGeneration: Int { generation.load(ordering: .acquiring) }

    /// The destinations of the running config.
    public var destinations: [String: DestinationSettings] { config.withLock { $0.destinations } }
    var currentConfig: RouteConfig { config.withLock { $0 } }
}

/// The edge endpoint's handler, one per event loop (so providers' keyed HMAC contexts are per thread):
/// `POST /hooks/<source>` (and GET handshakes), `/healthz`, `/readyz`. Answers 2xx for an event only after the store's
/// commit is durable; see DESIGN.md §4 for every status.
public final class IngressHandler: HTTPRequestHandler {
    private let gateway: Gateway
    private var generation = -1
    private var config: RouteConfig?
    private var providers: [String: any Provider] = [:]

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    private func refresh() -> RouteConfig {
        let current = gateway.currentGeneration
        if current != generation || config == nil {
            config = gateway.currentConfig
            generation = current
            providers = [:]
        }
        return config!
    }

    private func provider(for source: SourceRuntime) -> any Provider {
        if let provider = providers[source.settings.name] { return provider }
        let provider = source.factory.makeProvider(context: ProviderContext(
            stateDirectory: gateway.dataDirectory.map { "\($0)/sources/\(source.settings.name)" }))
        providers[source.settings.name] = provider
        return provider
    }

    static let hooksPrefix = "/hooks/"

    public func bodyLimit(for head: HTTPRequestHead) -> Int? {
        guard head.target.hasPrefix(Self.hooksPrefix) else { return nil }
        let name = Self.sourceName(in: head.target)
        return refresh().sources[String(name)]?.settings.maxBody
    }

    static func sourceName(in target: String) -> Substring {
        let rest = target.dropFirst(hooksPrefix.count)
        return rest.prefix { $0 != "?" && $0 != "/" }
    }

    public func rejected(status: Int) {
        gateway.metrics?.countRejection(status: status)
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let path = request.path
        if path.hasPrefix(Self.hooksPrefix) {
            ingest(request, name: String(Self.sourceName(in: request.target)), responder: responder)
            return
        }
        switch path {
        case "/healthz":
            guard request.method == "GET" || request.method == "HEAD" else { return responder.respond(Self.methodNotAllowed("GET, HEAD")) }
            responder.respond(.json(200, #"{"status":"ok"}"#))
        case "/readyz":
            guard request.method == "GET" || request.method == "HEAD" else { return responder.respond(Self.methodNotAllowed("GET, HEAD")) }
            _ = refresh()
            if gateway.store.isWritable {
                responder.respond(.json(200, #"{"status":"ready","config":"loaded","store":"writable"}"#))
            } else {
                var response = HTTPResponse.json(503, #"{"status":"unavailable","config":"loaded","store":"unavailable"}"#)
                response.headers.append(name: "Retry-After", value: "5")
                responder.respond(response)
            }
        default:
            responder.respond(.text(404, "not found"))
        }
    }

    private func ingest(_ request: HTTPRequest, name: String, responder plain: HTTPResponder) {
        let config = refresh()
        guard request.path.count == Self.hooksPrefix.count + name.utf8.count, let source = config.sources[name] else {
            gateway.metrics?.countIngress(source: GatewayMetrics.unknownSource, status: 404)
            return plain.respond(.text(404, "unknown source"))
        }
        let responder = CountingResponder(responder: plain, metrics: gateway.metrics, source: name)
        gateway.logger.trace("webhook received", ["source": name, "http.method": request.method, "http.body_bytes": "\(request.body.count)",
                                                  "client.address": request.clientAddress])
        let settings = source.settings
        if !settings.allowIPs.isEmpty {
            guard let client = IPAddress(request.clientAddress), settings.allowIPs.contains(where: { $0.contains(client) }) else {
                gateway.logger.warning("client address not allowed", ["source": name, "client.address": request.clientAddress])
                return responder.respond(.text(403, "client address not allowed"))
            }
        }
        let provider = provider(for: source)
        guard provider.allowedMethods.contains(request.method) else {
            return responder.respond(Self.methodNotAllowed(provider.allowedMethods.joined(separator: ", ")))
        }
        let receivedAt = WallClock.unixMilliseconds()
        let webhook = WebhookRequest(method: request.method, target: request.target, headers: request.headers, body: request.body,
                                     clientAddress: request.clientAddress, receivedAt: receivedAt,
                                     publicURL: Self.publicURL(settings.publicURL, request))
        if let answer = provider.unsignedHandshake(webhook) { return responder.respond(answer) }
        do {
            try provider.verify(webhook)
        } catch {
            gateway.metrics?.verificationFailures.increment([name, error.code])
            gateway.logger.warning("verification failed", ["source": name, "reason": error.code, "client.address": request.clientAddress])
            return responder.respond(.text(error.status, error.reason))
        }
        let outcome: ProviderOutcome
        do {
            outcome = try provider.interpret(webhook)
        } catch {
            gateway.logger.info("request body not understood", ["source": name, "client.address": request.clientAddress])
            return responder.respond(.text(400, error.reason))
        }
        switch outcome {
        case .handshake(let answer):
            responder.respond(answer)
        case .events(let events, let acknowledgement):
            guard !events.isEmpty else { return responder.respond(acknowledgement ?? .json(200, #"{"ids":[]}"#)) }
            let records = events.map { makeRecord($0, source: settings, webhook: webhook, config: config) }
            let logger = gateway.logger
            let accepted = gateway.store.append(records) { result in
                switch result {
                case .success(let outcomes):
                    for outcome in outcomes {
                        logger.debug(outcome.isDuplicate ? "duplicate event; already stored" : "event stored",
                                     ["event.id": outcome.eventID, "source": name])
                    }
                    if let acknowledgement { return responder.respond(acknowledgement) }
                    let ids = outcomes.map { "\"\($0.eventID)\"" }
                    responder.respond(.json(200, ids.count == 1 ? "{\"id\":\(ids[0])}" : "{\"ids\":[\(ids.joined(separator: ","))]}"))
                case .failure(let error):
                    logger.error("store failed; event not accepted", ["source": name, "error": error.description])
                    responder.respond(Self.unavailable("store unavailable", retryAfter: 5))
                }
            }
            if !accepted {
                logger.warning("store queue full; answering 503", ["source": name])
                responder.respond(Self.unavailable("overloaded, retry later", retryAfter: 1))
            }
        }
    }

    /// The envelope, routes and record to store for one normalized event.
    private func makeRecord(_ event: NormalizedEvent, source: SourceSettings, webhook: WebhookRequest, config: RouteConfig) -> NewEvent {
        let id = makeUUIDv7(unixMilliseconds: UInt64(webhook.receivedAt))
        let time = event.time.map { $0 % 1000 == 0 ? RFC3339.string(fromUnixSeconds: $0 / 1000) : RFC3339.string(fromUnixMilliseconds: $0) }
        let envelope = Envelope(id: id, source: Envelope.source(forSourceNamed: source.name), type: "\(source.provider).\(event.type)",
                                time: time ?? RFC3339.string(fromUnixMilliseconds: webhook.receivedAt),
                                subject: event.subject, data: event.data[...], provider: source.provider,
                                providerEventID: event.providerEventID,
                                receivedAt: RFC3339.string(fromUnixMilliseconds: webhook.receivedAt))
        let deliveries = config.routeTable.plan(for: envelope)
        return NewEvent(id: id, source: source.name, provider: source.provider, providerEventID: event.providerEventID,
                        type: envelope.type, subject: event.subject, time: envelope.time, receivedAt: webhook.receivedAt,
                        rawHeaders: webhook.headers.raw, rawBody: webhook.body, envelope: envelope.encoded(), deliveries: deliveries)
    }

    /// The URL the provider called: the configured `publicURL` plus this request's query string (a configured URL
    /// that has a query is used as is), else scheme + Host + target as received.
    static func publicURL(_ configured: String?, _ request: HTTPRequest) -> String {
        if let configured {
            guard let query = request.query, !configured.contains("?") else { return configured }
            return configured + "?" + query
        }
        return (request.isSecure ? "https://" : "http://") + (request.headers["Host"] ?? "localhost") + request.target
    }

    /// Counts each answer to a known source in `hookrelay_ingress_requests_total`, then sends it.
    struct CountingResponder: Sendable {
        let responder: HTTPResponder
        let metrics: GatewayMetrics?
        let source: String

        func respond(_ response: HTTPResponse) {
            metrics?.countIngress(source: source, status: response.status)
            responder.respond(response)
        }
    }

    static func methodNotAllowed(_ allow: String) -> HTTPResponse {
        var response = HTTPResponse.text(405, "method not allowed")
        response.headers.append(name: "Allow", value: allow)
        return response
    }

    static func unavailable(_ reason: String, retryAfter seconds: Int) -> HTTPResponse {
        var response = HTTPResponse.text(503, reason)
        response.headers.append(name: "Retry-After", value: "\(seconds)")
        return response
    }
}
