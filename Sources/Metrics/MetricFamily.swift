/// One family (`# HELP`, `# TYPE`) and its series, as the registry stores them.
struct MetricFamily {
    let name: String
    let help: String
    let kind: MetricKind
    var series: [LabelSet: MetricSeries]
    var seriesOrder: [LabelSet]

    func render(into text: inout String) {
        text += "# HELP \(name) \(MetricName.escapedHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        for labels in seriesOrder {
            guard let one = series[labels] else { continue }
            switch one {
            case .counter(let counter):
                text += "\(name)\(labels.rendered()) \(counter.value)\n"
            case .sampled(let read):
                text += "\(name)\(labels.rendered()) \(MetricName.number(read()))\n"
            case .histogram(let histogram):
                histogram.render(name: name, labels: labels, into: &text)
            }
        }
    }
}

/// One series of a family.
enum MetricSeries: Sendable {
    case counter(Counter)
    case histogram(Histogram)
    case sampled(@Sendable () -> Double)

    var counter: Counter? { if case .counter(let value) = self { value } else { nil } }
    var histogram: Histogram? { if case .histogram(let value) = self { value } else { nil } }
}
