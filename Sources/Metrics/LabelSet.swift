/// The label pairs of one series, in the order given, escaped once for the text format.
///
/// Invariant: names are valid label names (a programming error otherwise); values may hold
/// anything and are escaped (`\`, `"`, newline) when rendered.
struct LabelSet: Hashable, Sendable {
    let pairs: [Pair]

    struct Pair: Hashable, Sendable {
        let name: String
        let value: String
    }

    init(_ labels: [(String, String)]) {
        pairs = labels.map { name, value in
            precondition(MetricName.isValid(name) && !name.contains(":"), "invalid label name \(name)")
            return Pair(name: name, value: value)
        }
    }

    private init(pairs: [Pair]) { self.pairs = pairs }

    func adding(_ name: String, _ value: String) -> LabelSet {
        LabelSet(pairs: pairs + [Pair(name: name, value: value)])
    }

    func rendered() -> String {
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0.name)=\"\(MetricName.escapedLabelValue($0.value))\"" }.joined(separator: ",") + "}"
    }
}
