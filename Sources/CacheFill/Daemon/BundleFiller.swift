import Bundle
import BundleStore
import ContentCache
import Logging
import Registry
import Synchronization

/// Makes one bundle's tree present on this node: finds the bundle in the registry, streams its
/// canonical object from the bundle store into the content cache (which checks signature, hash
/// and format), retrying store failures; quarantines bundles that are bad in themselves.
///
/// Invariants: nothing unverified ever reaches `sha256/` (the cache's guarantee); a bad object
/// is fetched again only after its quarantine pause; once `abandonFills()` has been called,
/// running downloads stop at their next chunk and no new one starts.
final class BundleFiller: Sendable {
    let cache: ContentCache
    let delivery: BundleDelivery
    let store: any BundleStore
    let policy: SignaturePolicy
    let retry: FillRetry
    let quarantine: Quarantine
    let status: DaemonStatus
    let logger: Logger
    private let abandoned = Atomic<Bool>(false)

    init(
        cache: ContentCache, delivery: BundleDelivery, store: any BundleStore, policy: SignaturePolicy,
        retry: FillRetry, quarantine: Quarantine, status: DaemonStatus, logger: Logger
    ) {
        self.cache = cache
        self.delivery = delivery
        self.store = store
        self.policy = policy
        self.retry = retry
        self.quarantine = quarantine
        self.status = status
        self.logger = logger
    }

    /// Ends running downloads at their next chunk (the daemon is stopping).
    func abandonFills() { abandoned.store(true, ordering: .relaxed) }

    /// The tree's path, filling it first when it is missing; `reason` goes to the log.
    func fill(_ hash: ContentHash, reason: String) throws(FillFailure) -> String {
        if let path = cache.path(of: hash) {
            cache.touch(hash)
            return path
        }
        if abandoned.load(ordering: .relaxed) { throw .stopping }
        if let failure = quarantine.check(hash) { throw failure }
        let registered: DeliverableBundle?
        do {
            registered = try delivery.bundle(contentHash: hash.description)
        } catch {
            throw .registry(error)
        }
        guard let bundle = registered else { throw .notRegistered(hash) }
        let started = ContinuousClock.now
        do {
            let path = try install(hash, bundle)
            quarantine.forget(hash)
            status.change { $0.fills += 1 }
            logger.info("tree filled", metadata: [
                "hash": "\(hash)", "bytes": "\(bundle.size)", "reason": "\(reason)",
                "ms": "\(started.millisecondsAgo)",
            ])
            return path
        } catch {
            status.change { $0.failures += 1 }
            report(error, hash, reason: reason)
            throw error
        }
    }

    /// Runs the install, again after a transient store failure, up to `retry.attempts` times.
    private func install(_ hash: ContentHash, _ bundle: DeliverableBundle) throws(FillFailure) -> String {
        let signature: BundleSignature?
        do {
            signature = try bundle.signature.map { json throws(BundleSignatureError) in try BundleSignature(json: json) }
        } catch {
            throw .cache(.signatureRejected(error))
        }
        let key = store.canonicalBundleKey(hash: hash)
        var attempt = 1
        while true {
            do {
                return try cache.install(hash: hash, signature: signature, publisher: bundle.publisher, policy: policy) { sink in
                    try ReadAhead.stream(produce: { [self] chunkSink in
                        try store.open(key, range: nil) { chunk in
                            if abandoned.load(ordering: .relaxed) { throw FillAbandoned() }
                            try chunkSink(chunk)
                        }
                    }, consume: sink)
                }
            } catch {
                let failure = FillFailure.cache(error)
                guard failure.isTransientStoreFailure, attempt < retry.attempts, !abandoned.load(ordering: .relaxed) else {
                    throw failure
                }
                let pause = retry.pause(after: attempt)
                logger.warning("bundle store failed, retrying", metadata: [
                    "hash": "\(hash)", "attempt": "\(attempt)", "code": "\(failure.code)", "error": "\(failure.message)",
                    "retryInMs": "\(pause.wholeMilliseconds)",
                ])
                retry.sleep(pause)
                attempt += 1
            }
        }
    }

    private func report(_ failure: FillFailure, _ hash: ContentHash, reason: String) {
        var metadata: Logger.Metadata = [
            "hash": "\(hash)", "code": "\(failure.code)", "error": "\(failure.message)", "reason": "\(reason)",
        ]
        if abandoned.load(ordering: .relaxed) {
            logger.info("fill abandoned: the daemon is stopping", metadata: metadata)
        } else if failure.isBundleFault {
            let pause = quarantine.record(hash, failure)
            metadata["quarantineSeconds"] = "\(pause.components.seconds)"
            logger.error("bundle object rejected: it never enters the tree", metadata: metadata)
        } else {
            logger.error("fill failed", metadata: metadata)
        }
    }
}
