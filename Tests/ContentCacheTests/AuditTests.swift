import Bundle
import ContentCache
import Foundation
import Testing

@Suite struct AuditTests {
    private static let grace: Int64 = 600 * 1_000_000_000

    @Test func aCacheTheOwnerBuiltIsClean() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("clean")
        try cache.install(bundle)
        try cache.link(extensionID: extensionA, hash: bundle.hash)

        let audit = try ContentCacheAudit(layout: cache.layout, stagingGraceNanoseconds: Self.grace)
        #expect(audit.problems.isEmpty)
        #expect(audit.trees == [bundle.hash])
        #expect(audit.links == [UILink(extensionID: extensionA, hash: bundle.hash)])
    }

    @Test func everyBrokenPromiseIsReportedByKindAndPath() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let kept = try scratch.bundle("kept")
        let removed = try scratch.bundle("removed")
        try cache.install(kept)
        try cache.install(removed)
        try cache.link(extensionID: extensionA, hash: kept.hash)
        try cache.link(extensionID: extensionB, hash: removed.hash)
        let files = FileManager.default
        let root = scratch.cacheRoot
        // A tree deleted behind the owner's back leaves its link dangling.
        try files.removeItem(atPath: root + "/sha256/" + removed.hash.hex)
        // A half-extracted staging directory, old enough not to belong to a fill in progress.
        try files.createDirectory(atPath: root + "/tmp/tmp-dead", withIntermediateDirectories: true)
        try files.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: root + "/tmp/tmp-dead")
        try files.createDirectory(atPath: root + "/tmp/tmp-running", withIntermediateDirectories: true)
        // A tree without its manifest, a stray name, a link pointing elsewhere.
        let hollow = String(repeating: "ab", count: 32)
        try files.createDirectory(atPath: root + "/sha256/" + hollow + "/ui", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/sha256/not-a-hash"))
        try files.createSymbolicLink(atPath: root + "/ext-ui/" + extensionA + "/" + hollow, withDestinationPath: "/etc")

        let audit = try ContentCacheAudit(layout: cache.layout, stagingGraceNanoseconds: Self.grace)
        let found = Set(audit.problems.map { "\($0.kind.rawValue) \($0.path)" })
        #expect(found == [
            "CACHE_STAGING_LEFTOVER tmp/tmp-dead",
            "CACHE_STRAY_TREE sha256/not-a-hash",
            "CACHE_INCOMPLETE_TREE sha256/\(hollow)",
            "CACHE_WRONG_LINK_TARGET ext-ui/\(extensionA)/\(hollow)",
            "CACHE_DANGLING_LINK ext-ui/\(extensionB)/\(removed.hash.hex)",
        ])
        #expect(audit.stagingInFlight == 1)
        #expect(audit.trees == [kept.hash])
        #expect(audit.links == [UILink(extensionID: extensionA, hash: kept.hash)])
    }

    @Test func aMissingRootCannotBeChecked() {
        #expect(throws: ContentCacheError.self) {
            try ContentCacheAudit(layout: ContentCacheLayout(root: "/nonexistent/exthost-cache"), stagingGraceNanoseconds: 0)
        }
    }

    @Test func auditingWhileTheOwnerHoldsTheLockChangesNothing() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        try FileManager.default.createDirectory(atPath: scratch.cacheRoot + "/tmp/tmp-running", withIntermediateDirectories: true)
        _ = try ContentCacheAudit(layout: cache.layout, stagingGraceNanoseconds: Self.grace)
        #expect(scratch.names(in: "tmp") == ["tmp-running"])
        #expect(errorCode { try scratch.openCache() } == "CACHE_LOCKED")
    }
}
