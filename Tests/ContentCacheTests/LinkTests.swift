import Bundle
import ContentCache
import ExthostCore
import Foundation
import Testing

@Suite struct LinkTests {
    @Test func linksAreCreatedListedAndRemoved() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("ui")
        try cache.install(bundle)

        let linkA = try cache.link(extensionID: extensionA, hash: bundle.hash)
        #expect(linkA == scratch.cacheRoot + "/ext-ui/" + extensionA + "/" + bundle.hash.hex)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: linkA) == "../../sha256/\(bundle.hash.hex)/ui")
        #expect(try String(contentsOfFile: linkA + "/index.html", encoding: .utf8) == bundle.indexHTML)
        // Linking again replaces the link in place.
        #expect(try cache.link(extensionID: extensionA, hash: bundle.hash) == linkA)
        try cache.link(extensionID: extensionB, hash: bundle.hash)
        #expect(try cache.links() == [
            UILink(extensionID: extensionA, hash: bundle.hash), UILink(extensionID: extensionB, hash: bundle.hash),
        ])
        #expect(scratch.names(in: "tmp").isEmpty)

        #expect(try cache.unlink(extensionID: extensionA, hash: bundle.hash))
        #expect(try !cache.unlink(extensionID: extensionA, hash: bundle.hash))
        #expect(scratch.names(in: "ext-ui") == [extensionB])
        #expect(try cache.links() == [UILink(extensionID: extensionB, hash: bundle.hash)])
        #expect(cache.path(of: bundle.hash) != nil)
    }

    @Test func aLinkNeedsAPresentTreeWithAUIDirectory() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let absent = try scratch.bundle("absent")
        let headless = try scratch.bundle("headless", withUI: false)
        try cache.install(headless)

        #expect(errorCode { try cache.link(extensionID: extensionA, hash: absent.hash) } == "CACHE_NOT_PRESENT")
        #expect(errorCode { try cache.link(extensionID: extensionA, hash: headless.hash) } == "CACHE_NO_UI")
        #expect(try cache.links().isEmpty)
        #expect(scratch.names(in: "ext-ui").isEmpty)
    }

    @Test(arguments: [
        "", "..", "../../etc", "0B7C1D2E-3F40-4A5B-8C6D-7E8F9A0B1C2D", "{0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d}",
        "0b7c1d2e3f404a5b8c6d7e8f9a0b1c2d", "0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2g", "0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d/..",
        "0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2\u{0}",
    ])
    func nonCanonicalExtensionIDsAreRefused(id: String) throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("ids")
        try cache.install(bundle)

        #expect(errorCode { try cache.link(extensionID: id, hash: bundle.hash) } == "CACHE_INVALID_ID")
        #expect(errorCode { try cache.unlink(extensionID: id, hash: bundle.hash) } == "CACHE_INVALID_ID")
        #expect(errorCode { try cache.layout.uiLinkPath(extensionID: id, hash: bundle.hash) } == "CACHE_INVALID_ID")
        #expect(scratch.names(in: "ext-ui").isEmpty)
    }

    @Test func onlyCanonicalContentHashesParse() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(try ContentCacheLayout.contentHash(hex).hex == hex)
        #expect(try ContentCacheLayout.contentHash("sha256:" + hex).hex == hex)
        for text in [hex.uppercased(), "SHA256:" + hex, String(hex.dropLast()), hex + "0", "../" + String(hex.dropFirst(3)), "sha1:" + hex, ""] {
            #expect(errorCode { try ContentCacheLayout.contentHash(text) } == "CACHE_INVALID_ID", "\(text)")
        }
        do {
            _ = try ContentCacheLayout.contentHash("sha256:" + hex.uppercased())
            Issue.record("an uppercase hash was accepted")
        } catch {
            #expect(error.status == .badRequest)
        }
    }

    @Test func linksSurviveAReopenAndOddEntriesAreNotListed() throws {
        let scratch = try Scratch()
        let bundle = try scratch.bundle("keep")
        do {
            let cache = try scratch.openCache()
            try cache.install(bundle)
            try cache.link(extensionID: extensionA, hash: bundle.hash)
        }
        let manager = FileManager.default
        try manager.createDirectory(atPath: scratch.cacheRoot + "/ext-ui/not-a-uuid", withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: scratch.cacheRoot + "/ext-ui/\(extensionA)/stray", withDestinationPath: "/etc")

        let cache = try scratch.openCache()
        #expect(try cache.links() == [UILink(extensionID: extensionA, hash: bundle.hash)])
    }
}
