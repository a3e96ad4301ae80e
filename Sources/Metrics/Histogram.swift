import ExthostCore

/// Observations counted into cumulative buckets, with their count and sum (latencies, fuel).
///
/// Invariants: bucket bounds are finite and strictly ascending, and `+Inf` is implied; an
/// observation lands in the first bucket whose bound is at least its value. Observations go
/// to the observing thread's stripe (`ThreadStripes`) and are summed when rendered, so request
/// threads do not queue on one lock.
public final class Histogram: Sendable {
    public let bounds: [Double]
    private let state: ThreadStripes<State>

    struct State: Sendable {
        var counts: [Int]
        var sum: Double = 0
        var count = 0
    }

    init(buckets: [Double]) {
        let sorted = Array(Set(buckets.filter(\.isFinite))).sorted()
        bounds = sorted
        state = ThreadStripes(count: 16) { State(counts: Array(repeating: 0, count: sorted.count)) }
    }

    public func observe(_ value: Double) {
        let index = bounds.firstIndex { value <= $0 }
        state.withLock { state in
            if let index { state.counts[index] += 1 }
            state.sum += value
            state.count += 1
        }
    }

    /// Observes a duration in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    func render(name: String, labels: LabelSet, into text: inout String) {
        var snapshot = State(counts: Array(repeating: 0, count: bounds.count))
        state.forEach { stripe in
            for index in stripe.counts.indices { snapshot.counts[index] += stripe.counts[index] }
            snapshot.sum += stripe.sum
            snapshot.count += stripe.count
        }
        var cumulative = 0
        for (bound, count) in zip(bounds, snapshot.counts) {
            cumulative += count
            text += "\(name)_bucket\(labels.adding("le", MetricName.number(bound)).rendered()) \(cumulative)\n"
        }
        text += "\(name)_bucket\(labels.adding("le", "+Inf").rendered()) \(snapshot.count)\n"
        text += "\(name)_sum\(labels.rendered()) \(MetricName.number(snapshot.sum))\n"
        text += "\(name)_count\(labels.rendered()) \(snapshot.count)\n"
    }

    /// Bounds for request latencies in seconds, 1 ms to 30 s.
    public static let latencySeconds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
}
