import Bundle
import ContentCache
import Synchronization

/// Serves the fills clients ask for over the socket: each runs on its own thread, so a client
/// can be answered at the daemon's deadline while the fill goes on, and one thread serves a
/// hash however many clients ask for it at once.
///
/// Invariant: at most one background fill per hash; it leaves the table when it ends.
final class FillRequests: Sendable {
    private typealias Outcome = Monitor<Result<String, FillFailure>?>

    let filler: BundleFiller
    let eviction: Eviction
    private let running = Mutex<[ContentHash: Outcome]>([:])

    init(filler: BundleFiller, eviction: Eviction) {
        self.filler = filler
        self.eviction = eviction
    }

    /// The tree's path once present, or why not; `.timedOut` when `timeout` passes first.
    func fill(_ hash: ContentHash, timeout: Duration) -> Result<String, FillFailure> {
        if let path = filler.cache.path(of: hash) {
            filler.cache.touch(hash)
            return .success(path)
        }
        let outcome = running.withLock { running in
            if let outcome = running[hash] { return outcome }
            let outcome = Outcome(nil)
            running[hash] = outcome
            WorkerThread.detach { [self] in run(hash, into: outcome) }
            return outcome
        }
        let seconds = Int(timeout.components.seconds)
        return outcome.wait(until: .now.advanced(by: timeout)) { $0 } ?? .failure(.timedOut(seconds: seconds))
    }

    private func run(_ hash: ContentHash, into outcome: Outcome) {
        let result = Result { () throws(FillFailure) in try filler.fill(hash, reason: "request") }
        if case .success = result { eviction.run(justFilled: hash) }
        running.withLock { _ = $0.removeValue(forKey: hash) }
        outcome.update { $0 = result }
    }
}
