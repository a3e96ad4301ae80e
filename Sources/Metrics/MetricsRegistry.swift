import ExthostCore
import Synchronization

/// The metrics of one process, rendered for Prometheus at `GET /metrics`.
///
/// Invariants: a series is identified by its family name and its label pairs; asking again for
/// the same name and labels returns the same series, so request-time code may look series up
/// by label values; a family keeps one type and help text (the first registration wins, and a
/// clash of types is a programming error). Safe to share between threads: request threads
/// find series they used before in their own stripe of a cache (`ThreadStripes`), so they do
/// not contend on the registry's lock, which only creating a series and rendering take.
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[String: MetricFamily]>([:])
    private let order = Mutex<[String]>([])
    private let known = ThreadStripes<[String: MetricSeries]> { [:] }

    public init() {}

    /// The counter `name{labels}`, created at zero on first use.
    public func counter(_ name: String, help: String, labels: [(String, String)] = []) -> Counter {
        series(name, help: help, kind: .counter, labels: labels) { .counter(Counter()) }.counter!
    }

    /// The histogram `name{labels}` with `buckets` (upper bounds, ascending), created empty on first use.
    public func histogram(_ name: String, help: String, buckets: [Double], labels: [(String, String)] = []) -> Histogram {
        series(name, help: help, kind: .histogram, labels: labels) { .histogram(Histogram(buckets: buckets)) }.histogram!
    }

    /// A value read when the metrics are rendered: for numbers another component already keeps
    /// (engine statistics, pool sizes). `kind` is `.counter` for totals that only grow.
    public func sampled(_ name: String, help: String, kind: MetricKind, labels: [(String, String)] = [], read: @escaping @Sendable () -> Double) {
        precondition(kind != .histogram, "a sampled metric is a counter or a gauge")
        _ = series(name, help: help, kind: kind, labels: labels) { .sampled(read) }
    }

    /// Every family in registration order, in the Prometheus text exposition format 0.0.4.
    public func render() -> String {
        let names = order.withLock { $0 }
        let snapshot = families.withLock { $0 }
        var text = ""
        for name in names {
            guard let family = snapshot[name] else { continue }
            family.render(into: &text)
        }
        return text
    }

    private func series(_ name: String, help: String, kind: MetricKind, labels: [(String, String)], make: () -> MetricSeries) -> MetricSeries {
        // NUL and SOH cannot occur in a valid name, and separate label values unambiguously.
        var flat = name
        for (label, value) in labels { flat += "\u{0}" + label + "\u{1}" + value }
        if let found = known.withLock({ $0[flat] }) { return found }
        let found = registered(name, help: help, kind: kind, labels: labels, make: make)
        known.withLock { $0[flat] = found }
        return found
    }

    private func registered(_ name: String, help: String, kind: MetricKind, labels: [(String, String)], make: () -> MetricSeries) -> MetricSeries {
        precondition(MetricName.isValid(name), "invalid metric name \(name)")
        let key = LabelSet(labels)
        return families.withLock { families in
            if let existing = families[name] {
                precondition(existing.kind == kind, "metric \(name) registered as \(existing.kind) and \(kind)")
                if let found = existing.series[key] { return found }
                let created = make()
                families[name]!.series[key] = created
                families[name]!.seriesOrder.append(key)
                return created
            }
            let created = make()
            families[name] = MetricFamily(name: name, help: help, kind: kind, series: [key: created], seriesOrder: [key])
            order.withLock { $0.append(name) }
            return created
        }
    }
}

/// The Prometheus type of a family.
public enum MetricKind: String, Sendable {
    case counter
    case gauge
    case histogram
}
