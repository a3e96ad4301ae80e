import Bundle
import ContentCache
import Logging
import Synchronization

/// Keeps the tree near its byte budget after fills: least recently used trees go first, and the
/// trees of enabled installs only when the tree would otherwise pass the hard limit.
///
/// Invariants: with no budget nothing is ever evicted; the hard limit is 1.25 × `maxBytes`
/// (DESIGN §9 has no variable for it: a quarter of headroom lets enabled installs outgrow the
/// target for a while without filling the disk); the tree just filled is never evicted by the
/// eviction that follows its own fill, so the client that asked for it can still be served.
final class Eviction: Sendable {
    let cache: ContentCache
    let maxBytes: Int?
    let status: DaemonStatus
    let logger: Logger
    /// The hashes of enabled installs as of the latest reconcile.
    private let pinned = Mutex<Set<ContentHash>>([])

    init(cache: ContentCache, maxBytes: Int?, status: DaemonStatus, logger: Logger) {
        self.cache = cache
        self.maxBytes = maxBytes
        self.status = status
        self.logger = logger
    }

    var hardLimitBytes: Int? { maxBytes.map(Self.hardLimit(for:)) }

    /// 1.25 × `maxBytes`, saturating instead of overflowing.
    static func hardLimit(for maxBytes: Int) -> Int {
        let (sum, overflow) = maxBytes.addingReportingOverflow(maxBytes / 4)
        return overflow ? Int.max : sum
    }

    func updatePins(_ hashes: Set<ContentHash>) { pinned.withLock { $0 = hashes } }

    /// Evicts when usage is above the budget; `justFilled` counts as pinned this time.
    func run(justFilled: ContentHash?) {
        guard let maxBytes, cache.usage() > maxBytes else { return }
        var pins = pinned.withLock { $0 }
        if let justFilled { pins.insert(justFilled) }
        do {
            let report = try cache.evict(maxBytes: maxBytes, hardLimitBytes: Self.hardLimit(for: maxBytes), pinned: pins)
            guard !report.evicted.isEmpty || report.aboveTarget else { return }
            status.change { $0.evictions += report.evicted.count }
            for tree in report.evicted {
                logger.info("tree evicted", metadata: ["hash": "\(tree.hash)", "bytes": "\(tree.bytes)"])
            }
            if !report.evictedPinned.isEmpty {
                logger.error("trees of enabled installs evicted: the cache was above its hard limit", metadata: [
                    "hashes": "\(report.evictedPinned.map(\.hash.description).joined(separator: ","))",
                    "hardLimitBytes": "\(Self.hardLimit(for: maxBytes))",
                ])
            }
            if report.aboveTarget {
                logger.warning("enabled installs alone exceed the cache budget", metadata: [
                    "usageBytes": "\(report.usageBytes)", "maxBytes": "\(maxBytes)",
                ])
            }
        } catch {
            logger.error("eviction failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
        }
    }
}
