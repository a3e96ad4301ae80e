import Bundle
import ContentCache
import Foundation
import Testing

/// `CachedTreeComparison`: a tree the cache extracted matches its bundle; every kind of change
/// made to it afterwards is found and named by its path; a bad bundle never blames the tree.
@Suite struct TreeComparisonTests {
    /// A cache holding the tree of one small bundle, and the path of that tree.
    private struct Fixture {
        let scratch: Scratch
        let cache: ContentCache
        let bundle: TestBundle
        let tree: String

        init() throws {
            scratch = try Scratch()
            cache = try scratch.openCache()
            bundle = try scratch.bundle("compared", payloadBytes: 200_000)
            tree = try cache.install(bundle)
        }

        /// Compares with the bundle streamed in small chunks, so files span many pieces.
        func compare(_ source: TestBundle? = nil) throws -> TreeComparison {
            try CachedTreeComparison.compare(layout: cache.layout, hash: bundle.hash, source: (source ?? bundle).source(chunkSize: 777))
        }

        /// The one difference found, as "kind path".
        func onlyDifference() throws -> String {
            let result = try compare()
            #expect(result.differenceCount == 1, "\(result.summary)")
            return result.differences.map { "\($0.kind.rawValue) \($0.path)" }.joined(separator: ", ")
        }

        func write(_ relative: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: tree + "/" + relative))
        }
    }

    @Test func anExtractedTreeMatchesItsBundle() throws {
        let fixture = try Fixture()
        let result = try fixture.compare()
        #expect(result.matches, "\(result.summary)")
        #expect(result.differences.isEmpty)
        #expect(result.entryCount >= 3)
    }

    @Test func aFlippedByteIsFoundWithItsOffset() throws {
        let fixture = try Fixture()
        let path = fixture.tree + "/dist/payload.bin"
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 150_000)
        try handle.write(contentsOf: Data("y".utf8))
        try handle.close()
        #expect(try fixture.onlyDifference() == "content dist/payload.bin")
        #expect(try fixture.compare().summary.contains("at byte 150000"))
    }

    @Test func aTruncatedFileIsFound() throws {
        let fixture = try Fixture()
        #expect(truncate(fixture.tree + "/dist/payload.bin", 10) == 0)
        #expect(try fixture.onlyDifference() == "size dist/payload.bin")
    }

    @Test func anExtraFileIsFound() throws {
        let fixture = try Fixture()
        try fixture.write("ui/injected.js", "alert(1)")
        #expect(try fixture.onlyDifference() == "extra ui/injected.js")
    }

    @Test func aMissingFileIsFound() throws {
        let fixture = try Fixture()
        try FileManager.default.removeItem(atPath: fixture.tree + "/ui/index.html")
        #expect(try fixture.onlyDifference() == "missing ui/index.html")
    }

    @Test func aFileReplacedByASymbolicLinkIsFoundAndNotFollowed() throws {
        let fixture = try Fixture()
        // A link to a copy of the right bytes: following it would hide the change.
        let copy = fixture.scratch.path + "/index-copy.html"
        try FileManager.default.copyItem(atPath: fixture.tree + "/ui/index.html", toPath: copy)
        try FileManager.default.removeItem(atPath: fixture.tree + "/ui/index.html")
        try FileManager.default.createSymbolicLink(atPath: fixture.tree + "/ui/index.html", withDestinationPath: copy)
        #expect(try fixture.onlyDifference() == "wrongType ui/index.html")
        #expect(try fixture.compare().summary.contains("symbolic link"))
    }

    @Test func aDirectoryReplacedByALinkIsFoundWithoutFollowingIt() throws {
        let fixture = try Fixture()
        let elsewhere = fixture.scratch.path + "/ui-copy"
        try FileManager.default.moveItem(atPath: fixture.tree + "/ui", toPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: fixture.tree + "/ui", withDestinationPath: elsewhere)
        let result = try fixture.compare()
        #expect(!result.matches)
        #expect(result.differences.contains { $0.path == "ui/index.html" && $0.kind == .missing } || result.differences.contains { $0.path == "ui" })
    }

    @Test func anAddedNameInAnotherUnicodeNormalizationIsExtra() throws {
        let scratch = try Scratch()
        let source = scratch.path + "/unicode-src"
        let composed = "ui/caf\u{E9}.html", decomposed = "ui/cafe\u{301}.html"
        try FileManager.default.createDirectory(atPath: source + "/ui", withIntermediateDirectories: true)
        try Data(#"{"name": "unicode", "publisher": "acme", "version": "1.0.0", "runtime": "exthost-wasm@1"}"#.utf8)
            .write(to: URL(fileURLWithPath: source + "/manifest.json"))
        try Data("<p>caf\u{E9}</p>".utf8).write(to: URL(fileURLWithPath: source + "/" + composed))
        var bytes: [UInt8] = []
        let hash = try BundlePacker.pack(directory: source) { bytes.append(contentsOf: $0) }.contentHash
        let cache = try scratch.openCache()
        let stream: ContentCache.ByteSource = { sink in try bytes.withUnsafeBytes(sink) }
        let tree = try cache.install(hash: hash, signature: nil, publisher: "acme", policy: unsignedPolicy, source: stream)
        #expect(try CachedTreeComparison.compare(layout: cache.layout, hash: hash, source: stream).matches)
        // Swift's String calls the two names equal; the file system does not.
        #expect(composed == decomposed)
        try Data("x".utf8).write(to: URL(fileURLWithPath: tree + "/" + decomposed))
        let result = try CachedTreeComparison.compare(layout: cache.layout, hash: hash, source: stream)
        #expect(result.differenceCount == 1)
        #expect(result.differences.first?.kind == .extra)
        #expect(result.differences.first.map { Array($0.path.utf8) } == Array(decomposed.utf8))
    }

    @Test func aChangedExecutableBitIsFound() throws {
        let fixture = try Fixture()
        #expect(chmod(fixture.tree + "/manifest.json", 0o755) == 0)
        #expect(try fixture.onlyDifference() == "mode manifest.json")
    }

    @Test func manyDifferencesAreListedUpToTheLimitAndCounted() throws {
        let fixture = try Fixture()
        for index in 0..<8 { try fixture.write("extra-\(index).txt", "x") }
        let result = try fixture.compare()
        #expect(result.differenceCount == 8)
        #expect(result.differences.count == 5)
        #expect(result.summary.hasSuffix("and 3 more"))
    }

    @Test func aBundleThatIsNotTheHashsBlamesTheStoreNotTheTree() throws {
        let fixture = try Fixture()
        try fixture.write("ui/index.html", "changed")
        let code = errorCode { try fixture.compare(fixture.bundle.tampered()) }
        #expect(code == "CACHE_HASH_MISMATCH" || code == "CACHE_BUNDLE_INVALID")
    }

    @Test func aFailingSourceAndAMissingTreeAreErrorsNotDifferences() throws {
        let fixture = try Fixture()
        struct Unreachable: Error {}
        #expect(errorCode {
            try CachedTreeComparison.compare(layout: fixture.cache.layout, hash: fixture.bundle.hash) { _ in throw Unreachable() }
        } == "CACHE_SOURCE_FAILED")
        try FileManager.default.removeItem(atPath: fixture.tree)
        #expect(errorCode { try fixture.compare() } == "CACHE_NOT_PRESENT")
    }
}
