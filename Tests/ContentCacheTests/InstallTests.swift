import Bundle
import ContentCache
import Cryptography
import ExthostCore
import Foundation
import Testing

@Suite struct InstallTests {
    @Test func installExtractsTheTreeAndAReinstallReturnsAtOnce() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("hello")

        let path = try cache.install(bundle)
        #expect(path == scratch.cacheRoot + "/sha256/" + bundle.hash.hex)
        #expect(try String(contentsOfFile: path + "/ui/index.html", encoding: .utf8) == bundle.indexHTML)
        #expect(FileManager.default.fileExists(atPath: path + "/manifest.json"))
        #expect(cache.path(of: bundle.hash) == path)
        #expect(cache.usage() == bundle.treeBytes)

        let calls = Counter()
        let again = try cache.install(bundle, source: { _ in calls.increment() })
        #expect(again == path)
        #expect(calls.value == 0)
        #expect(cache.usage() == bundle.treeBytes)
        #expect(scratch.names(in: "tmp").isEmpty)
    }

    @Test func aFlippedByteNeverBecomesVisible() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("tamper", payloadBytes: 200_000)

        let code = errorCode { try cache.install(bundle.tampered()) }
        // Depending on where the flip lands, zstd/tar refuse it or it decodes to another hash.
        #expect(["CACHE_BUNDLE_INVALID", "CACHE_HASH_MISMATCH"].contains(code))
        #expect(cache.path(of: bundle.hash) == nil)
        #expect(scratch.names(in: "sha256").isEmpty)
        #expect(scratch.names(in: "tmp").isEmpty)
        #expect(cache.usage() == 0)

        // The failure is not remembered: the real bytes install afterwards.
        #expect(try cache.install(bundle) == scratch.cacheRoot + "/sha256/" + bundle.hash.hex)
    }

    @Test func anotherValidBundleUnderTheHashIsAHashMismatch() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let expected = try scratch.bundle("expected")
        let substitute = try scratch.bundle("substitute")
        let forged = TestBundle(bytes: substitute.bytes, hash: expected.hash, treeBytes: 0, indexHTML: nil)

        do {
            try cache.install(forged)
            Issue.record("a forged object was installed")
        } catch let error as ContentCacheError {
            #expect(error.code == "CACHE_HASH_MISMATCH")
            #expect(error.status == .unprocessableEntity)
            guard case .hashMismatch(let wanted, let actual) = error else { throw error }
            #expect(wanted == expected.hash)
            #expect(actual == substitute.hash)
        }
        #expect(scratch.names(in: "sha256").isEmpty)
        #expect(scratch.names(in: "tmp").isEmpty)
    }

    @Test func aSourceFailureIsReportedAsSuchAndLeavesNothing() throws {
        struct ConnectionReset: Error {}
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("partial", payloadBytes: 100_000)
        let half = Array(bundle.bytes.prefix(bundle.bytes.count / 2))

        let code = errorCode {
            try cache.install(bundle, source: { sink in
                try half.withUnsafeBytes(sink)
                throw ConnectionReset()
            })
        }
        #expect(code == "CACHE_SOURCE_FAILED")
        #expect(scratch.names(in: "sha256").isEmpty)
        #expect(scratch.names(in: "tmp").isEmpty)
    }

    @Test func extractionErrorsAreRecognisedWhenTheSourceWrapsOrSwallowsThem() throws {
        struct Wrapped: Error { let inner: any Error }
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let garbage = TestBundle(bytes: Array(repeating: 0x41, count: 5000), hash: try scratch.bundle("g").hash, treeBytes: 0, indexHTML: nil)
        let feed = garbage.source()

        // A bundle store wraps what the sink throws in its own error type.
        #expect(errorCode { try cache.install(garbage, source: { sink in
            do { try feed(sink) } catch { throw Wrapped(inner: error) }
        }) } == "CACHE_BUNDLE_INVALID")
        // A source that ignores the sink's error must not make the bundle look fine.
        #expect(errorCode { try cache.install(garbage, source: { sink in try? feed(sink) }) } == "CACHE_BUNDLE_INVALID")
        #expect(scratch.names(in: "tmp").isEmpty)
    }

    @Test func aTreeDeletedBehindTheCachesBackIsFilledAgain() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("wiped")
        let path = try cache.install(bundle)

        try FileManager.default.removeItem(atPath: path)
        #expect(cache.path(of: bundle.hash) == nil)
        #expect(cache.usage() == 0)
        let calls = Counter()
        let feed = bundle.source()
        #expect(try cache.install(bundle, source: { calls.increment(); try feed($0) }) == path)
        #expect(calls.value == 1)
        #expect(cache.usage() == bundle.treeBytes)
    }
}

@Suite struct SignatureTests {
    static let caKey = try! PrivateKey.generate(.ecdsaP256)
    static let ca = try! Certificate.selfSigned(commonName: "Test CA", key: caKey, days: 30, isCA: true)
    static let publisherKey = try! PrivateKey.generate(.ed25519)
    static let trustingCA = SignaturePolicy(trustStore: try! TrustStore(certificates: [ca]))

    static func signature(_ hash: ContentHash, issuedByCA: Bool) throws -> BundleSignature {
        let certificate = issuedByCA
            ? try Certificate.issue(commonName: "acme", publicKey: publisherKey.publicKey, issuerCert: ca, issuerKey: caKey, days: 10)
            : try Certificate.selfSigned(commonName: "acme", key: publisherKey, days: 10, isCA: false)
        return try BundleSignature.sign(hash, key: publisherKey, certificate: certificate)
    }

    /// Installs with `signature` under a trust store, counting how often the bytes are read.
    private func install(_ bundle: TestBundle, _ signature: BundleSignature?, in cache: ContentCache, reads: Counter) throws -> String {
        let feed = bundle.source()
        return try cache.install(
            hash: bundle.hash, signature: signature, publisher: "acme", policy: Self.trustingCA,
            source: { reads.increment(); try feed($0) })
    }

    @Test func withATrustStoreAnUnsignedBundleIsRefusedBeforeAnyByteIsRead() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("unsigned")
        let reads = Counter()

        do {
            _ = try install(bundle, nil, in: cache, reads: reads)
            Issue.record("an unsigned bundle was installed under a trust store")
        } catch let error as ContentCacheError {
            #expect(error.code == "CACHE_SIGNATURE_REJECTED")
            #expect(error.status == .unprocessableEntity)
            guard case .signatureRejected(.missing) = error else { throw error }
        }
        #expect(reads.value == 0)
        #expect(scratch.names(in: "sha256").isEmpty)
    }

    @Test func withATrustStoreOnlyATrustedSignatureIsInstalled() throws {
        let scratch = try Scratch()
        let cache = try scratch.openCache()
        let bundle = try scratch.bundle("signed")
        let reads = Counter()

        let stranger = try Self.signature(bundle.hash, issuedByCA: false)
        #expect(errorCode { try install(bundle, stranger, in: cache, reads: reads) } == "CACHE_SIGNATURE_REJECTED")
        let otherHash = try scratch.bundle("other").hash
        let forOtherBundle = try Self.signature(otherHash, issuedByCA: true)
        #expect(errorCode { try install(bundle, forOtherBundle, in: cache, reads: reads) } == "CACHE_SIGNATURE_REJECTED")
        #expect(reads.value == 0)

        let trusted = try Self.signature(bundle.hash, issuedByCA: true)
        #expect(try install(bundle, trusted, in: cache, reads: reads) == scratch.cacheRoot + "/sha256/" + bundle.hash.hex)
        #expect(reads.value == 1)
    }
}
