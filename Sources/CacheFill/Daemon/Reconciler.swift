import Bundle
import ContentCache
import Logging
import Registry

/// Brings the tree in line with the registry: every enabled (extension, hash) pair has its tree
/// and, when its version declares a UI, its `ext-ui` link; links of pairs no longer enabled go.
///
/// Invariants: only pairs inside the scope are touched (links outside it are left as they are);
/// a failed fill is logged and skipped, so one bad bundle never blocks the others; the trees of
/// all enabled pairs (not only those in scope) are the eviction pins.
final class Reconciler: Sendable {
    struct Report: Sendable, Equatable {
        var filled = 0
        var failed = 0
        var linked = 0
        var unlinked = 0
        var changed: Bool { filled + failed + linked + unlinked > 0 }
    }

    let cache: ContentCache
    let delivery: BundleDelivery
    let filler: BundleFiller
    let eviction: Eviction
    let stop: StopFlag
    let logger: Logger

    init(cache: ContentCache, delivery: BundleDelivery, filler: BundleFiller, eviction: Eviction, stop: StopFlag, logger: Logger) {
        self.cache = cache
        self.delivery = delivery
        self.filler = filler
        self.eviction = eviction
        self.stop = stop
        self.logger = logger
    }

    func reconcile(_ scope: ReconcileScope) throws(RegistryError) -> Report {
        let pairs = enabledLinks(try delivery.enabledPairs())
        eviction.updatePins(Set(pairs.map(\.link.hash)))
        let inScope = pairs.filter { scope.contains(extensionID: $0.link.extensionID) }
        let wanted = Set(inScope.filter(\.hasUI).map(\.link))
        var report = Report()
        let existing = currentLinks().filter { scope.contains(extensionID: $0.extensionID) }
        for link in existing.subtracting(wanted) where remove(link) { report.unlinked += 1 }
        var seen = Set<ContentHash>()
        for pair in inScope where seen.insert(pair.link.hash).inserted {
            if stop.isRaised { break }
            let hash = pair.link.hash
            if cache.path(of: hash) == nil {
                do {
                    _ = try filler.fill(hash, reason: "reconcile")
                    report.filled += 1
                    eviction.run(justFilled: hash)
                } catch {
                    report.failed += 1
                    continue
                }
            }
            for link in wanted where link.hash == hash && !existing.contains(link) {
                if add(link) { report.linked += 1 }
            }
        }
        return report
    }

    private struct EnabledLink {
        let link: UILink
        let hasUI: Bool
    }

    /// The registry's pairs with checked ids; a malformed row is logged and left out rather
    /// than let near a path.
    private func enabledLinks(_ pairs: [EnabledPair]) -> [EnabledLink] {
        pairs.compactMap { pair in
            guard let extensionID = try? ContentCacheLayout.extensionID(pair.extensionID),
                  let hash = try? ContentCacheLayout.contentHash(pair.contentHash)
            else {
                logger.warning("enabled pair with a malformed id skipped", metadata: [
                    "extensionId": "\(pair.extensionID.prefix(80))", "contentHash": "\(pair.contentHash.prefix(80))",
                ])
                return nil
            }
            return EnabledLink(link: UILink(extensionID: extensionID, hash: hash), hasUI: pair.hasUI)
        }
    }

    private func currentLinks() -> Set<UILink> {
        do {
            return Set(try cache.links())
        } catch {
            logger.error("listing ext-ui links failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
            return []
        }
    }

    private func add(_ link: UILink) -> Bool {
        do {
            try cache.link(extensionID: link.extensionID, hash: link.hash)
            logger.info("ui linked", metadata: ["extensionId": "\(link.extensionID)", "hash": "\(link.hash)"])
            return true
        } catch {
            logger.warning("ui link not made", metadata: [
                "extensionId": "\(link.extensionID)", "hash": "\(link.hash)", "code": "\(error.code)", "error": "\(error.message)",
            ])
            return false
        }
    }

    private func remove(_ link: UILink) -> Bool {
        do {
            let removed = try cache.unlink(extensionID: link.extensionID, hash: link.hash)
            if removed { logger.info("ui unlinked", metadata: ["extensionId": "\(link.extensionID)", "hash": "\(link.hash)"]) }
            return removed
        } catch {
            logger.error("ui unlink failed", metadata: [
                "extensionId": "\(link.extensionID)", "hash": "\(link.hash)", "code": "\(error.code)", "error": "\(error.message)",
            ])
            return false
        }
    }
}
