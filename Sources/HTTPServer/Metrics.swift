import Synchronization

/// A registry of counters, gauges and histograms, rendered in the Prometheus text format (version 0.0.4).
/// Passed in where metrics are recorded; there is no global registry.
///
/// ```swift
/// let requests = metrics.counter("hookrelay_ingress_requests_total", "Ingress requests.", labels: ["source", "status"])
/// requests.increment(["stripe", "200"])
/// print(metrics.render())
/// ```
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any MetricFamily]>([])

    public init() {}

    /// A counter family (monotonic).
    public func counter(_ name: String, _ help: String, labels: [String] = []) -> Counter {
        register(Counter(name: name, help: help, labels: labels))
    }

    /// A gauge family (set to a value).
    public func gauge(_ name: String, _ help: String, labels: [String] = []) -> Gauge {
        register(Gauge(name: name, help: help, labels: labels))
    }

    /// A histogram family with upper bounds `buckets` (ascending; `+Inf` is implied).
    public func histogram(_ name: String, _ help: String, labels: [String] = [], buckets: [Double]) -> Histogram {
        register(Histogram(name: name, help: help, labels: labels, buckets: buckets))
    }

    private func register<Family: MetricFamily>(_ family: Family) -> Family {
        families.withLock { all in
            precondition(!all.contains { $0.name == family.name }, "metric \(family.name) registered twice")
            all.append(family)
        }
        return family
    }

    /// Every family in registration order, in the Prometheus text format.
    public func render() -> String {
        var out = ""
        for family in families.withLock({ $0 }) {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            family.render(into: &out)
        }
        return out
    }

    /// `{a="x",b="y"}` with Prometheus escaping; empty without labels.
    static func labelText(_ names: [String], _ values: [String], extra: (String, String)? = nil) -> String {
        var pairs = zip(names, values).map { "\($0)=\"\(escape($1))\"" }
        if let extra { pairs.append("\(extra.0)=\"\(extra.1)\"") }
        return pairs.isEmpty ? "" : "{" + pairs.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// What every metric family renders.
protocol MetricFamily: Sendable {
    var name: String { get }
    var help: String { get }
    var type: String { get }
    func render(into out: inout String)
}

/// A monotonically increasing count per label set.
public final class Counter: MetricFamily {
    let name: String
    let help: String
    let type = "counter"
    private let labels: [String]
    private let values = Mutex<[[String]: Double]>([:])

    init(name: String, help: String, labels: [String]) {
        self.name = name
        self.help = help
        self.labels = labels
    }

    /// Adds `amount` to the series with these label values (in the family's label order).
    public func increment(_ labelValues: [String] = [], by amount: Double = 1) {
        values.withLock { $0[labelValues, default: 0] += amount }
    }

    /// The current value of one series (tests).
    public func value(_ labelValues: [String] = []) -> Double {
        values.withLock { $0[labelValues] ?? 0 }
    }

    func render(into out: inout String) {
        for (key, value) in values.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "\(name)\(MetricsRegistry.labelText(labels, key)) \(MetricsRegistry.number(value))\n"
        }
    }
}

/// A value that goes up and down per label set; optionally computed when rendered.
public final class Gauge: MetricFamily {
    let name: String
    let help: String
    let type = "gauge"
    private let labels: [String]
    private let values = Mutex<[[String]: Double]>([:])
    private let collector = Mutex<(@Sendable () -> [([String], Double)])?>(nil)

    init(name: String, help: String, labels: [String]) {
        self.name = name
        self.help = help
        self.labels = labels
    }

    public func set(_ value: Double, _ labelValues: [String] = []) {
        values.withLock { $0[labelValues] = value }
    }

    /// Computes the series at render time instead (e.g. queue depth read from the store).
    public func collect(_ body: @escaping @Sendable () -> [([String], Double)]) {
        collector.withLock { $0 = body }
    }

    public func value(_ labelValues: [String] = []) -> Double? {
        values.withLock { $0[labelValues] }
    }

    func render(into out: inout String) {
        var series = values.withLock { $0 }
        if let collect = collector.withLock({ $0 }) {
            for (key, value) in collect() { series[key] = value }
        }
        for (key, value) in series.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "\(name)\(MetricsRegistry.labelText(labels, key)) \(MetricsRegistry.number(value))\n"
        }
    }
}

/// Observations counted into cumulative buckets, with their sum and count, per label set.
public final class Histogram: MetricFamily {
    let name: String
    let help: String
    let type = "histogram"
    private let labels: [String]
    private let buckets: [Double]
    private let series = Mutex<[[String]: (counts: [UInt64], sum: Double, count: UInt64)]>([:])

    init(name: String, help: String, labels: [String], buckets: [Double]) {
        self.name = name
        self.help = help
        self.labels = labels
        self.buckets = buckets.sorted()
    }

    public func observe(_ value: Double, _ labelValues: [String] = []) {
        let index = buckets.firstIndex { value <= $0 } ?? buckets.count
        let width = buckets.count
        series.withLock { all in
            // In place: copying the entry out would share its counts array and copy it on the increment.
            all[labelValues, default: (Array(repeating: 0, count: width + 1), 0, 0)].counts[index] += 1
            all[labelValues]!.sum += value
            all[labelValues]!.count += 1
        }
    }

    /// Observations so far in one series (tests).
    public func count(_ labelValues: [String] = []) -> UInt64 {
        series.withLock { $0[labelValues]?.count ?? 0 }
    }

    func render(into out: inout String) {
        for (key, entry) in series.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            var cumulative: UInt64 = 0
            for (i, bound) in buckets.enumerated() {
                cumulative += entry.counts[i]
                out += "\(name)_bucket\(MetricsRegistry.labelText(labels, key, extra: ("le", MetricsRegistry.number(bound)))) \(cumulative)\n"
            }
            cumulative += entry.counts[buckets.count]
            out += "\(name)_bucket\(MetricsRegistry.labelText(labels, key, extra: ("le", "+Inf"))) \(cumulative)\n"
            out += "\(name)_sum\(MetricsRegistry.labelText(labels, key)) \(MetricsRegistry.number(entry.sum))\n"
            out += "\(name)_count\(MetricsRegistry.labelText(labels, key)) \(entry.count)\n"
        }
    }
}
