/// One route from config: events from some sources that satisfy `when` go to some destinations.
public struct Route: Sendable, Equatable {
    /// The route's unique name.
    public var name: String
    /// Source names (`from`). An empty list matches no source (the config loader rejects it).
    public var sources: [String]
    /// The compiled `when`; `nil` matches every event from ``sources``.
    public var condition: RouteCondition?
    /// Destination names (`to`), in order.
    public var destinations: [String]

    /// A route as written in config: `name`, `from`, `when`, `to`.
    public init(name: String, from sources: [String], when condition: RouteCondition? = nil, to destinations: [String]) {
        self.name = name
        self.sources = sources
        self.condition = condition
        self.destinations = destinations
    }
}

/// One delivery to plan for an event: which destination, and the route that chose it.
public struct PlannedDelivery: Sendable, Hashable, CustomStringConvertible {
    /// The matching route's name.
    public var route: String
    /// The destination's name.
    public var destination: String

    /// A delivery planned by `route` to `destination`.
    public init(route: String, destination: String) {
        self.route = route
        self.destination = destination
    }

    public var description: String { "\(route) → \(destination)" }
}

/// The routes of the loaded config, indexed by source, answering "where does this event go?".
///
/// Immutable and `Sendable`: build one per config load and share it with every event loop.
public struct RouteTable: Sendable {
    /// The routes in config order.
    public let routes: [Route]
    /// Route indices by `source` attribute (`/hooks/<name>`), in config order.
    private let routesBySource: [String: [Int]]
    private let needsData: [Bool]

    /// A table over `routes`, kept in the given (config) order.
    public init(_ routes: [Route]) {
        self.routes = routes
        var bySource: [String: [Int]] = [:]
        for (index, route) in routes.enumerated() {
            for source in Set(route.sources) { bySource[Envelope.source(forSourceNamed: source), default: []].append(index) }
        }
        self.routesBySource = bySource
        self.needsData = routes.map { $0.condition?.needsData ?? false }
    }

    /// The deliveries for `event`: for each route whose `from` names the event's source (taken from its `source`
    /// attribute, `/hooks/<name>`) and whose `when` matches, each of its destinations.
    ///
    /// In config order (routes, then each route's `to`), **one delivery per destination**: when several matching
    /// routes name the same destination, the first route in config order gets it and later ones are skipped, so a
    /// receiver gets an event at most once however the routes overlap. The payload is opened at most once, and only
    /// if a candidate route's condition needs it.
    public func plan<Event: RoutableEvent>(for event: Event) -> [PlannedDelivery] {
        guard let source = event.attribute(.source), let candidates = routesBySource[source] else { return [] }
        if candidates.contains(where: { needsData[$0] }) {
            return event.withDataBytes { plan(candidates, for: event, data: $0) }
        }
        return plan(candidates, for: event, data: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    private func plan<Event: RoutableEvent>(_ candidates: [Int], for event: Event, data: UnsafeRawBufferPointer) -> [PlannedDelivery] {
        var deliveries: [PlannedDelivery] = []
        for index in candidates {
            let route = routes[index]
            if let condition = route.condition, !condition.evaluate(event, data: data) { continue }
            for destination in route.destinations where !deliveries.contains(where: { $0.destination == destination }) {
                deliveries.append(PlannedDelivery(route: route.name, destination: destination))
            }
        }
        return deliveries
    }
}
