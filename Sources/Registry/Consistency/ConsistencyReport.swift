import JSON

/// What one `exthost admin fsck` run checked and found, and the exit status that follows.
///
/// Invariants: memory stays bounded whatever the size of the registry: at most
/// `detailLimit` findings are kept in full, the rest only counted (per code and severity);
/// once `failures` has an entry the run could not check everything, and the status is 2 whatever
/// was found, because an unchecked registry is never reported clean.
public struct ConsistencyReport: Sendable {
    public enum Status: Int32, Sendable {
        case clean = 0
        case inconsistent = 1
        case cannotCheck = 2
    }

    public let detailLimit: Int
    public private(set) var findings: [ConsistencyFinding] = []
    /// Findings per code, the ones beyond `detailLimit` included.
    public private(set) var counts: [String: (severity: ConsistencyFinding.Severity, count: Int)] = [:]
    /// How many things of each kind were looked at, in the order they were first counted.
    public private(set) var checked: [(what: String, count: Int)] = []
    /// Why parts of the run could not be checked (an unreachable store or database), in order.
    public private(set) var failures: [String] = []

    public init(detailLimit: Int = 1000) {
        self.detailLimit = detailLimit
    }

    public mutating func add(_ finding: ConsistencyFinding) {
        counts[finding.code, default: (finding.severity, 0)].count += 1
        if findings.count < detailLimit { findings.append(finding) }
    }

    /// `count` more findings of `code` that a query only counted: they weigh in the status and
    /// the counts like the others, without details.
    public mutating func addUnlisted(code: String, severity: ConsistencyFinding.Severity, count: Int) {
        guard count > 0 else { return }
        counts[code, default: (severity, 0)].count += count
    }

    public mutating func count(_ what: String, _ amount: Int = 1) {
        if let index = checked.firstIndex(where: { $0.what == what }) {
            checked[index].count += amount
        } else {
            checked.append((what, amount))
        }
    }

    public mutating func fail(_ reason: String) {
        failures.append(reason)
    }

    public func total(_ severity: ConsistencyFinding.Severity) -> Int {
        counts.values.filter { $0.severity == severity }.reduce(0) { $0 + $1.count }
    }

    public var status: Status {
        if !failures.isEmpty { return .cannotCheck }
        return total(.error) > 0 ? .inconsistent : .clean
    }

    public var json: JSONValue {
        let summary = counts.keys.sorted().map { code in
            JSONValue.object([
                ("code", .string(code)), ("severity", .string(counts[code]!.severity.rawValue)),
                ("count", .number(JSONNumber(counts[code]!.count))),
            ])
        }
        return .object([
            ("status", .string(statusName)), ("exitCode", .number(JSONNumber(Int(status.rawValue)))),
            ("checked", .object(checked.map { ($0.what, .number(JSONNumber($0.count))) })),
            ("errors", .number(JSONNumber(total(.error)))), ("warnings", .number(JSONNumber(total(.warning)))),
            ("summary", .array(summary)),
            ("findings", .array(findings.map { finding in
                .object([
                    ("severity", .string(finding.severity.rawValue)), ("code", .string(finding.code)),
                    ("subject", .string(finding.subject)), ("message", .string(finding.message)),
                ])
            })),
            ("truncated", .bool(findings.count < counts.values.reduce(0) { $0 + $1.count })),
            ("failures", .array(failures.map(JSONValue.string))),
        ])
    }

    /// Errors first, then warnings, one line each, and a summary line a person reads first.
    public var text: String {
        var lines: [String] = []
        for finding in findings.sorted(by: { $0.severity > $1.severity }) {
            lines.append("\(finding.severity.rawValue): \(finding.code) \(finding.subject): \(finding.message)")
        }
        let shown = findings.count
        let all = counts.values.reduce(0) { $0 + $1.count }
        if shown < all { lines.append("… \(all - shown) more findings not shown (see the counts below)") }
        for code in counts.keys.sorted() { lines.append("  \(code): \(counts[code]!.count) (\(counts[code]!.severity.rawValue))") }
        lines.append("checked: " + (checked.isEmpty ? "nothing" : checked.map { "\($0.count) \($0.what)" }.joined(separator: ", ")))
        lines += failures.map { "cannot check: \($0)" }
        lines.append("fsck: \(statusName) (\(total(.error)) errors, \(total(.warning)) warnings)")
        return lines.joined(separator: "\n") + "\n"
    }

    private var statusName: String {
        switch status {
        case .clean: "clean"
        case .inconsistent: "inconsistent"
        case .cannotCheck: "incomplete"
        }
    }
}
