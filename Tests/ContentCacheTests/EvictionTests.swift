import Bundle
import ContentCache
import Foundation
import Testing

@Suite struct EvictionTests {
    /// Installs the bundles in order, so the first is the least recently used.
    private func installed(_ tags: [String], sizes: [Int], in scratch: Scratch, _ cache: ContentCache) throws -> [TestBundle] {
        try zip(tags, sizes).map { tag, size in
            let bundle = try scratch.bundle(tag, payloadBytes: size)
            try cache.install(bundle)
            return bundle
        }
    }

    @Test func theLeastRecentlyUsedGoFirstAndPinnedOnesStay() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundles = try installed(["a", "b", "c"], sizes: [1000, 2000, 3000], in: scratch, cache)
        let (a, b, c) = (bundles[0], bundles[1], bundles[2])
        #expect(cache.touch(a.hash))
        #expect(cache.cachedTrees().map(\.hash) == [b.hash, c.hash, a.hash])

        let first = try cache.evict(maxBytes: a.treeBytes + c.treeBytes, hardLimitBytes: .max, pinned: [])
        #expect(first.evicted.map(\.hash) == [b.hash])
        #expect(first.evictedPinned.isEmpty)
        #expect(first.usageBytes == a.treeBytes + c.treeBytes)
        #expect(cache.usage() == first.usageBytes)
        #expect(!first.aboveTarget)
        #expect(cache.path(of: b.hash) == nil)

        let second = try cache.evict(maxBytes: 0, hardLimitBytes: .max, pinned: [a.hash])
        #expect(second.evicted.map(\.hash) == [c.hash])
        #expect(second.evictedPinned.isEmpty)
        #expect(second.aboveTarget)
        #expect(cache.path(of: a.hash) != nil)
        #expect(scratch.names(in: "sha256") == [a.hash.hex])
        #expect(scratch.names(in: "tmp").isEmpty)
    }

    @Test func aboveTheHardLimitPinnedTreesGoTooLeastRecentlyUsedFirst() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundles = try installed(["p1", "u", "p2"], sizes: [1000, 1000, 1000], in: scratch, cache)
        let (p1, u, p2) = (bundles[0], bundles[1], bundles[2])
        let pinned: Set = [p1.hash, p2.hash]
        try cache.link(extensionID: extensionA, hash: p1.hash)

        // Unpinned trees go first even though p1 is older; then p1 until under the hard limit.
        let report = try cache.evict(maxBytes: 0, hardLimitBytes: p2.treeBytes, pinned: pinned)
        #expect(report.evicted.map(\.hash) == [u.hash, p1.hash])
        #expect(report.evictedPinned.map(\.hash) == [p1.hash])
        #expect(report.usageBytes == p2.treeBytes)
        #expect(report.aboveTarget)
        #expect(cache.path(of: p2.hash) != nil)
        // Removing a tree removed its links first.
        #expect(try cache.links().isEmpty)
        #expect(scratch.names(in: "ext-ui").isEmpty)
    }

    @Test func underTheTargetNothingIsEvicted() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundles = try installed(["x", "y"], sizes: [500, 500], in: scratch, cache)
        let report = try cache.evict(maxBytes: cache.usage(), hardLimitBytes: 0, pinned: [])
        #expect(report.evicted.isEmpty)
        #expect(bundles.allSatisfy { cache.path(of: $0.hash) != nil })
    }

    @Test func usageIsTheSumOfTheTreesFilesThroughInstallRemoveAndReopen() throws {
        let scratch = try Scratch()
        let bundles: [TestBundle]
        do {
            let cache = try scratch.openCache()
            #expect(cache.usage() == 0)
            bundles = try installed(["one", "two", "three"], sizes: [10_000, 0, 123_457], in: scratch, cache)
            #expect(cache.usage() == bundles.reduce(0) { $0 + $1.treeBytes })
            #expect(cache.usage() == bundles.reduce(0) { $0 + bytesOnDisk(scratch.cacheRoot + "/sha256/" + $1.hash.hex) })

            try cache.link(extensionID: extensionB, hash: bundles[1].hash)
            #expect(try cache.remove(bundles[1].hash))
            #expect(try !cache.remove(bundles[1].hash))
            #expect(try cache.links().isEmpty)
            #expect(cache.usage() == bundles[0].treeBytes + bundles[2].treeBytes)
        }
        let reopened = try scratch.openCache()
        #expect(reopened.usage() == bundles[0].treeBytes + bundles[2].treeBytes)
        #expect(Set(reopened.cachedTrees().map(\.hash)) == [bundles[0].hash, bundles[2].hash])
    }

    @Test func theUseOrderSurvivesAReopen() throws {
        let scratch = try Scratch()
        let bundles: [TestBundle]
        do {
            let cache = try scratch.openCache()
            bundles = try installed(["old", "new"], sizes: [100, 100], in: scratch, cache)
            #expect(cache.touch(bundles[0].hash))
            #expect(!cache.touch(try scratch.bundle("never").hash))
        }
        let reopened = try scratch.openCache()
        #expect(reopened.cachedTrees().map(\.hash) == [bundles[1].hash, bundles[0].hash])
        // A use after the reopen is newer than anything read from disk.
        #expect(reopened.touch(bundles[1].hash))
        #expect(reopened.cachedTrees().map(\.hash) == [bundles[0].hash, bundles[1].hash])
    }

    /// Regular files' sizes under `path`, as an independent check of the cache's accounting.
    private func bytesOnDisk(_ path: String) -> Int {
        var total = 0
        let enumerator = FileManager.default.enumerator(atPath: path)!
        while let relative = enumerator.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relative)
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? Int) ?? 0 }
        }
        return total
    }
}

@Suite struct OpenTests {
    @Test func staleStagingIsRemovedAtOpenAndCompleteTreesKept() throws {
        let scratch = try Scratch()
        let bundle = try scratch.bundle("kept")
        do {
            let cache = try scratch.openCache()
            try cache.install(bundle)
        }
        let manager = FileManager.default
        let tmp = scratch.cacheRoot + "/tmp"
        try manager.createDirectory(atPath: tmp + "/tmp-deadbeef/ui/deep", withIntermediateDirectories: true)
        try Data("half".utf8).write(to: URL(fileURLWithPath: tmp + "/tmp-deadbeef/ui/deep/index.html"))
        try manager.createSymbolicLink(atPath: tmp + "/link-1234", withDestinationPath: "../../sha256/x/ui")
        // A link in tmp/ to a directory outside must be removed, not followed.
        let outside = scratch.path + "/outside"
        try manager.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside + "/precious"))
        try manager.createSymbolicLink(atPath: tmp + "/removed-5678", withDestinationPath: outside)

        let cache = try scratch.openCache()
        #expect(scratch.names(in: "tmp").isEmpty)
        #expect(manager.fileExists(atPath: outside + "/precious"))
        #expect(cache.path(of: bundle.hash) != nil)
        #expect(cache.usage() == bundle.treeBytes)
    }

    @Test func aSecondOwnerIsRefusedWhileTheFirstIsOpen() throws {
        let scratch = try Scratch()
        var first: ContentCache? = try scratch.openCache()
        #expect(errorCode { try scratch.openCache() } == "CACHE_LOCKED")
        #expect(first != nil)
        first = nil
        _ = try scratch.openCache()
    }

    @Test func theRootAndItsParentsAreCreated() throws {
        let scratch = try Scratch()
        let cache = try ContentCache(root: scratch.path + "/a/b/cache/", synchronizes: false)
        #expect(cache.layout.root == scratch.path + "/a/b/cache")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/a/b/cache/sha256"))
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/a/b/cache/ext-ui"))
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/a/b/cache/tmp"))
    }
}
