/// Short human forms of sizes, speeds and durations for progress lines (no Foundation).
enum ProgressFormat {
    private static let units = ["B", "KiB", "MiB", "GiB", "TiB"]

    /// `512 B`, `1.5 KiB`, `12.0 MiB`: binary units, one decimal above bytes.
    static func bytes(_ count: Int64) -> String {
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(decimal(value, places: 1)) \(units[unit])"
    }

    /// `8.2 MiB/s`.
    static func rate(bytesPerSecond: Double) -> String {
        bytes(Int64(bytesPerSecond.rounded())) + "/s"
    }

    /// `0:07`, `12:30`, `1:02:03`; `--:--` when unknown (no rate yet).
    static func duration(seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0, seconds < 360_000 else { return "--:--" }
        let total = Int(seconds.rounded(.up))
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        let mmss = "\(minutes):\(secs < 10 ? "0" : "")\(secs)"
        guard hours > 0 else { return mmss }
        return "\(hours):\(minutes < 10 ? "0" : "")\(mmss)"
    }

    /// `0.250` for seconds in summaries.
    static func seconds(_ value: Double) -> String { decimal(value, places: 3) }

    /// Fixed-point text without Foundation's `String(format:)`.
    static func decimal(_ value: Double, places: Int) -> String {
        StoreTransferReport.decimal(value, places: places)
    }
}

extension Duration {
    /// The duration as fractional seconds, for rates and ETAs.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
