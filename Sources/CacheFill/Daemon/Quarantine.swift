import Bundle
import Synchronization

/// Bundles whose stored object was found bad (tampered, corrupted, badly signed), kept out of
/// the fetch path for a while so neither the reconcile loop nor a stream of `FILL` requests
/// downloads them over and over.
///
/// Invariant: the pause doubles with each consecutive failure of a hash, from `firstPause` up to
/// `longestPause`; a successful fill forgets the hash.
final class Quarantine: Sendable {
    private struct Entry {
        var failure: FillFailure
        var strikes: Int
        var until: ContinuousClock.Instant
    }

    private let entries = Mutex<[ContentHash: Entry]>([:])
    let firstPause: Duration
    let longestPause: Duration

    init(firstPause: Duration = .seconds(30), longestPause: Duration = .seconds(1800)) {
        self.firstPause = firstPause
        self.longestPause = longestPause
    }

    /// The failure to answer instead of fetching, while the hash's pause lasts.
    func check(_ hash: ContentHash) -> FillFailure? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            let remaining = ContinuousClock.now.duration(to: entry.until)
            guard remaining > .zero else { return nil }
            return .quarantined(entry.failure, retryInSeconds: max(1, Int(remaining.components.seconds)))
        }
    }

    /// Records a failure of the bundle itself; returns the pause it now serves.
    @discardableResult
    func record(_ hash: ContentHash, _ failure: FillFailure) -> Duration {
        entries.withLock { entries in
            let strikes = (entries[hash]?.strikes ?? 0) + 1
            var pause = firstPause
            for _ in 1..<min(strikes, 20) where pause < longestPause { pause *= 2 }
            pause = min(pause, longestPause)
            entries[hash] = Entry(failure: failure, strikes: strikes, until: .now.advanced(by: pause))
            return pause
        }
    }

    func forget(_ hash: ContentHash) {
        _ = entries.withLock { $0.removeValue(forKey: hash) }
    }
}
