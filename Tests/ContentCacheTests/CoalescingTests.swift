import Bundle
import ContentCache
import Foundation
import Synchronization
import Testing

@Suite struct CoalescingTests {
    static let threads = 8

    /// A source that waits until every thread has called `install`, then lingers so that the
    /// others join the running fill rather than arrive after it.
    private func slowSource(_ bundle: TestBundle, arrived: Counter, reads: Counter, fail: Bool) -> ContentCache.ByteSource {
        let feed = bundle.source()
        return { sink in
            reads.increment()
            waitUntil { arrived.value == Self.threads }
            usleep(100_000)
            if fail { throw CancellationError() }
            try feed(sink)
        }
    }

    @Test func concurrentInstallsOfOneHashExtractOnce() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("shared", payloadBytes: 300_000)
        let arrived = Counter()
        let reads = Counter()
        let results = Mutex<[String]>([])

        onSeparateThreads(Self.threads) { _ in
            let source = slowSource(bundle, arrived: arrived, reads: reads, fail: false)
            arrived.increment()
            let path = (try? cache.install(bundle, source: source)) ?? "failed"
            results.withLock { $0.append(path) }
        }
        #expect(reads.value == 1)
        #expect(results.withLock { $0 } == Array(repeating: scratch.cacheRoot + "/sha256/" + bundle.hash.hex, count: Self.threads))
        #expect(cache.usage() == bundle.treeBytes)
        #expect(scratch.names(in: "tmp").isEmpty)
    }

    @Test func waitersShareTheFailureAndALaterCallTriesAgain() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("flaky")
        let arrived = Counter()
        let reads = Counter()
        let codes = Mutex<[String]>([])

        onSeparateThreads(Self.threads) { _ in
            let source = slowSource(bundle, arrived: arrived, reads: reads, fail: true)
            arrived.increment()
            let code = errorCode { try cache.install(bundle, source: source) }
            codes.withLock { $0.append(code) }
        }
        #expect(reads.value == 1)
        #expect(codes.withLock { $0 } == Array(repeating: "CACHE_SOURCE_FAILED", count: Self.threads))
        #expect(cache.path(of: bundle.hash) == nil)

        try cache.install(bundle, source: slowSource(bundle, arrived: arrived, reads: reads, fail: false))
        #expect(reads.value == 2)
        #expect(cache.path(of: bundle.hash) != nil)
    }

    @Test func fillsOfDifferentHashesRunSideBySide() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundles = try (0..<4).map { try scratch.bundle("side-\($0)") }
        let started = Counter()
        let sawAllStarted = Counter()

        onSeparateThreads(bundles.count) { index in
            let feed = bundles[index].source()
            _ = try? cache.install(bundles[index], source: { sink in
                started.increment()
                // Each fill can only finish once all have started: they must not be serialized.
                if waitUntil({ started.value == bundles.count }) { sawAllStarted.increment() }
                try feed(sink)
            })
        }
        #expect(sawAllStarted.value == bundles.count)
        #expect(cache.usage() == bundles.reduce(0) { $0 + $1.treeBytes })
        #expect(bundles.allSatisfy { cache.path(of: $0.hash) != nil })
    }
}
