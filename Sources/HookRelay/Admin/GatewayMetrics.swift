public import HTTPServer

/// Every metric family hookrelay exports, created once in one registry and passed to the parts that record them
/// (ingress, store, dispatcher); `GET /metrics` on the admin listener renders ``registry``. No globals.
///
/// | family | type | labels |
/// |---|---|---|
/// | `hookrelay_ingress_requests_total` | counter | `source` (`(unknown)` for an unknown one), `status` |
/// | `hookrelay_http_rejections_total` | counter | `status` (answered by the HTTP layer, before any handler) |
/// | `hookrelay_verification_failures_total` | counter | `source`, `reason` (`VerificationFailure.code`) |
/// | `hookrelay_store_commit_seconds` | histogram | — |
/// | `hookrelay_store_commit_batch_size` | histogram | — (requests per committed transaction) |
/// | `hookrelay_deliveries_total` | counter | `destination`, `outcome` (`delivered`, `retry`, `dead`) |
/// | `hookrelay_delivery_duration_seconds` | histogram | `destination` (every attempt that got an answer or an error) |
/// | `hookrelay_queue_depth` | gauge, read from the store at scrape time | `state` (each delivery status) |
/// | `hookrelay_circuit_state` | gauge, at scrape time | `destination`: 0 closed, 1 half-open, 2 open |
/// | `hookrelay_destination_paused` | gauge, at scrape time | `destination`: 1 while paused through the admin API |
/// | `hookrelay_build_info` | gauge, always 1 | `version` |
public final class GatewayMetrics: Sendable {
    /// The registry the families live in.
    public let registry: MetricsRegistry
    /// Answers to `/hooks/<source>` requests the handler saw.
    public let ingressRequests: Counter
    /// Requests the HTTP layer answered itself (malformed, oversized, too slow, over the connection limit).
    public let httpRejections: Counter
    /// Requests refused by signature or timestamp verification.
    public let verificationFailures: Counter
    /// Store transaction latency, `BEGIN IMMEDIATE` to `COMMIT` returned.
    public let storeCommitSeconds: Histogram
    /// Requests (appends and delivery operations) per committed transaction.
    public let storeCommitBatchSize: Histogram
    /// Delivery attempts by outcome.
    public let deliveries: Counter
    /// Attempt durations.
    public let deliveryDurationSeconds: Histogram
    /// Deliveries per status, computed when scraped.
    public let queueDepth: Gauge
    /// Circuit breaker state per destination, computed when scraped.
    public let circuitState: Gauge
    /// Whether a destination is paused, computed when scraped.
    public let destinationPaused: Gauge
    /// The running version.
    public let buildInfo: Gauge

    /// The label value for requests to a source that is not configured (keeps the label set bounded).
    public static let unknownSource = "(unknown)"

    /// Creates every family in `registry`.
    public init(registry: MetricsRegistry = MetricsRegistry(), version: String = hookrelayVersion) {
        self.registry = registry
        ingressRequests = registry.counter("hookrelay_ingress_requests_total", "Requests to /hooks/<source>, by source and answer status.",
                                           labels: ["source", "status"])
        httpRejections = registry.counter("hookrelay_http_rejections_total",
                                          "Requests the HTTP layer answered before any handler: malformed (400), too large (413, 414, "
                                              + "431), too slow (408), unsupported (501, 505), over the connection limit or "
                                              + "unanswered in time (503).",
                                          labels: ["status"])
        verificationFailures = registry.counter("hookrelay_verification_failures_total",
                                                "Requests refused by signature or timestamp verification, by source and reason.",
                                                labels: ["source", "reason"])
        storeCommitSeconds = registry.histogram("hookrelay_store_commit_seconds", "Store transaction latency (BEGIN to COMMIT, one fsync).",
                                                buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1])
        storeCommitBatchSize = registry.histogram("hookrelay_store_commit_batch_size", "Requests per committed store transaction (group commit).",
                                                  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000])
        deliveries = registry.counter("hookrelay_deliveries_total", "Delivery attempts by destination and outcome (delivered, retry, dead).",
                                      labels: ["destination", "outcome"])
        deliveryDurationSeconds = registry.histogram("hookrelay_delivery_duration_seconds", "Delivery attempt duration by destination.",
                                                     labels: ["destination"],
                                                     buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
        queueDepth = registry.gauge("hookrelay_queue_depth", "Deliveries by state, read from the store when scraped.", labels: ["state"])
        circuitState = registry.gauge("hookrelay_circuit_state", "Circuit breaker per destination: 0 closed, 1 half-open, 2 open.",
                                      labels: ["destination"])
        destinationPaused = registry.gauge("hookrelay_destination_paused", "1 while a destination is paused through the admin API.",
                                           labels: ["destination"])
        buildInfo = registry.gauge("hookrelay_build_info", "The running hookrelay version (always 1).", labels: ["version"])
        buildInfo.set(1, [version])
    }

    /// Counts one request the HTTP layer answered itself (``HTTPRequestHandler/rejected(status:)``).
    public func countRejection(status: Int) {
        httpRejections.increment([String(status)])
    }

    /// Counts one answer to a `/hooks/<source>` request.
    public func countIngress(source: String, status: Int) {
        ingressRequests.increment([source, String(status)])
    }

    /// Records one committed store transaction (`SQLiteStore.Configuration.commitObserver`).
    public func observeCommit(_ sample: CommitSample) {
        storeCommitSeconds.observe(Double(sample.durationMicros) / 1_000_000)
        storeCommitBatchSize.observe(Double(sample.requests))
    }

    /// Records one finished delivery attempt.
    public func observeAttempt(destination: String, outcome: AttemptOutcomeLabel, durationMilliseconds: Int) {
        deliveries.increment([destination, outcome.rawValue])
        deliveryDurationSeconds.observe(Double(durationMilliseconds) / 1000, [destination])
    }

    /// The `outcome` label of `hookrelay_deliveries_total`.
    public enum AttemptOutcomeLabel: String, Sendable {
        case delivered, retry, dead
    }
}

extension CircuitBreaker.State {
    /// The value of `hookrelay_circuit_state`: 0 closed, 1 half-open, 2 open.
    public var metricValue: Double {
        switch self {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        }
    }
}
