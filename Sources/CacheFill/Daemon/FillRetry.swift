import Glibc

/// How patiently a fill repeats a failed download: `attempts` tries in all, with pauses that
/// double from `firstPause`, each with random jitter so nodes do not retry in step.
struct FillRetry: Sendable {
    var attempts: Int
    var firstPause: Duration
    var sleep: @Sendable (Duration) -> Void

    static let standard = FillRetry(attempts: 3, firstPause: .milliseconds(500)) { duration in
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 { request = remaining }
    }

    func pause(after attempt: Int) -> Duration {
        let base = firstPause * (1 << min(attempt - 1, 10))
        return base + base * Double.random(in: 0..<0.5)
    }
}
