import ContentCache
import Glibc
import Logging

/// Writes the status line to the status file whenever something changed (checked every
/// `checkEvery`) and at least every `refreshEvery`, so a stale file shows the daemon is stuck.
final class StatusWriter: Sendable {
    let path: String
    let cache: ContentCache
    let maxBytes: Int?
    let status: DaemonStatus
    let stop: StopFlag
    let logger: Logger
    let checkEvery: Duration
    let refreshEvery: Duration

    init(
        path: String, cache: ContentCache, maxBytes: Int?, status: DaemonStatus, stop: StopFlag, logger: Logger,
        checkEvery: Duration = .milliseconds(500), refreshEvery: Duration = .seconds(5)
    ) {
        self.path = path
        self.cache = cache
        self.maxBytes = maxBytes
        self.status = status
        self.stop = stop
        self.logger = logger
        self.checkEvery = checkEvery
        self.refreshEvery = refreshEvery
    }

    func run() {
        var written: (revision: Int, at: ContinuousClock.Instant)?
        var failing = false
        repeat {
            let counters = status.snapshot
            if let written, written.revision == counters.revision, written.at.duration(to: .now) < refreshEvery { continue }
            if let failure = write(counters) {
                // Said once, not twice a second, until it works again.
                if !failing { logger.error("status file not written", metadata: ["path": "\(path)", "error": "\(failure)"]) }
                failing = true
            } else {
                failing = false
            }
            written = (counters.revision, .now)
        } while !stop.sleep(checkEvery)
    }

    /// Writes the current line now; the failure text, or nil.
    @discardableResult
    func write(_ counters: DaemonStatus.Counters) -> String? {
        let links = (try? cache.links().count) ?? 0
        let figures = TreeFigures(bytes: cache.usage(), maxBytes: maxBytes, trees: cache.cachedTrees().count, links: links)
        return SmallFiles.replace(path, with: DaemonStatus.line(counters, tree: figures, now: Int64(time(nil))))
    }
}
