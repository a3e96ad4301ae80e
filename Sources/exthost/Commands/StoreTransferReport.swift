import Glibc

/// Measures one transfer and prints its summary line to stderr, so stdout stays free for data.
struct StoreTransferReport {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init() { start = clock.now }

    /// Prints `verb key: N bytes[, etag E] in S s (R MiB/s)`.
    func finish(_ verb: String, key: String, bytes: Int64, etag: String? = nil) {
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(bytes) / 1_048_576 / seconds : 0
        let etagText = etag.map { ", etag \($0)" } ?? ""
        let line = "\(verb) \(key): \(bytes) bytes\(etagText) in \(Self.decimal(seconds, places: 3)) s (\(Self.decimal(rate, places: 1)) MiB/s)\n"
        // A plain write(2) to descriptor 2: libc's `stderr` global is not concurrency-safe in Swift 6.
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Fixed-point text without Foundation's `String(format:)`.
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded())
        let fraction = String(scaled % scale)
        let padding = String(repeating: "0", count: places - fraction.count)
        return places == 0 ? String(scaled) : "\(scaled / scale).\(padding)\(fraction)"
    }
}
