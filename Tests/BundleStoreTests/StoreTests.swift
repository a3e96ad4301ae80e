import Bundle
import BundleStore
import Cryptography
import ExthostCore
import Foundation
import HTTPClient
import Testing

/// S3BundleStore against the plain moto: the staging → canonical flow of DESIGN §6.
/// The two implementations the store-level tests run against, through the one protocol.
enum StoreUnderTest: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case s3, file

    var testDescription: String { rawValue }

    /// A fresh store; `holder` keeps a temporary file store's directory alive while it is used.
    func make() throws -> (store: any BundleStore, holder: AnyObject?) {
        switch self {
        case .s3: return (try StoreTests.store(), nil)
        case .file:
            let temporary = try TemporaryFileStore()
            return (temporary.store, temporary)
        }
    }
}

@Suite(.serialized) struct StoreTests {
    /// A store whose canonical base is unique to this run, so runs never collide.
    static func store() throws -> S3BundleStore {
        var environment = try S3TestStack.environment()
        environment["BUNDLE_STORE_BASE"] = S3TestStack.freshPrefix("store") + "sha256/"
        return S3BundleStore(client: S3TestStack.client(try S3Configuration(environment: environment)))
    }

    static func read(_ store: some BundleStore, _ key: String, range: ClosedRange<Int64>? = nil) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try store.open(key, range: range, sink: { bytes.append(contentsOf: $0) })
        return bytes
    }

    static func uploadId() -> String { "test-" + UUID().uuidString.lowercased() }

    @Test(arguments: StoreUnderTest.allCases) func stagingToCanonicalIsWriteOnce(_ kind: StoreUnderTest) throws {
        let (store, holder) = try kind.make()
        defer { withExtendedLifetime(holder) {} }
        let bundle = ByteStream.bytes(300_000, seed: 11)
        let hash = ContentHash(digest: SHA256.hash(bundle))
        let staging = try store.stagingKey(uploadId: Self.uploadId())
        #expect(staging.hasPrefix("staging/") && staging.hasSuffix("/bundle.tar.zst"))
        let canonical = store.canonicalBundleKey(hash: hash)
        #expect(canonical == store.keys.base + hash.hex + "/bundle.tar.zst")

        #expect(try !store.exists(staging))
        try store.putOnce(staging, body: .bytes(bundle))
        #expect(try store.exists(staging))
        try store.copyOnce(from: staging, to: canonical)
        let again = try #require(throws: BundleStoreError.self) { try store.copyOnce(from: staging, to: canonical) }
        #expect(again.code == "OBJECT_EXISTS")
        let overwrite = try #require(throws: BundleStoreError.self) { try store.putOnce(canonical, body: .bytes([0])) }
        #expect(overwrite.code == "OBJECT_EXISTS")
        try store.delete(staging)
        #expect(try !store.exists(staging))

        let info = try #require(try store.info(canonical))
        #expect(info.size == Int64(bundle.count))
        #expect(try Self.read(store, canonical) == bundle)
        #expect(try Self.read(store, canonical, range: 1000...1999) == Array(bundle[1000..<2000]))

        let manifest = store.canonicalManifestKey(hash: hash)
        try store.putOnce(manifest, body: .bytes(Array("{}".utf8)))
        var listed: [String] = []
        try store.list(prefix: store.keys.base) { listed.append($0.key) }
        #expect(listed == [canonical, manifest])
        for key in [canonical, manifest] { try store.delete(key) }
    }

    @Test(arguments: StoreUnderTest.allCases) func streamedPutOnceAndMissingObjects(_ kind: StoreUnderTest) throws {
        let (store, holder) = try kind.make()
        defer { withExtendedLifetime(holder) {} }
        let key = try store.stagingKey(uploadId: Self.uploadId())
        let content = ByteStream.bytes(1 << 20, seed: 5)
        var offset = 0
        try store.putOnce(key, body: .stream(length: Int64(content.count)) { buffer in
            let count = min(buffer.count, content.count - offset)
            content.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        })
        #expect(try Self.read(store, key) == content)
        try store.delete(key)
        let missing = try #require(throws: BundleStoreError.self) { try Self.read(store, key) }
        #expect(missing.code == "OBJECT_NOT_FOUND")
        #expect(try store.info(key) == nil)
    }

    @Test func presignedUploadAndDownloadWorkWithCurl() throws {
        let store = try Self.store()
        let key = try store.stagingKey(uploadId: Self.uploadId())
        let content = ByteStream.bytes(64_000, seed: 9)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try Data(content).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let upload = try store.presignUpload(key, expiresIn: 600, contentLength: Int64(content.count))
        #expect(upload.method == "PUT")
        #expect(upload.headers.map(\.name) == ["If-None-Match", "Content-Length"])
        #expect(upload.url.contains("X-Amz-SignedHeaders=content-length%3Bhost%3Bif-none-match"))
        let headerArguments = upload.headers.flatMap { ["-H", "\($0.name): \($0.value)"] }
        let putCommand = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", file.path] + headerArguments + [upload.url]
        #expect(try runProgram(putCommand).output == "200")
        #expect(try store.info(key)?.size == Int64(content.count))
        // Write-once: the same URL cannot replace what was stored.
        let before = try store.info(key)?.etag
        #expect(try runProgram(putCommand).output == "412")
        #expect(try store.info(key)?.etag == before)

        let download = try store.presignDownload(key, expiresIn: 600)
        let target = file.appendingPathExtension("out")
        defer { try? FileManager.default.removeItem(at: target) }
        let get = try runProgram(["curl", "-sS", "-o", target.path, "-w", "%{http_code}", download.url])
        #expect(get.output == "200")
        #expect(Array(try Data(contentsOf: target)) == content)
        try store.delete(key)

        let error = try #require(throws: BundleStoreError.self) { try store.presignUpload(key, expiresIn: 0, contentLength: nil) }
        #expect(!error.message.contains("X-Amz-Signature"))
    }

    @Test func multipartSessionThroughPresignedParts() throws {
        let store = try Self.store()
        let key = try store.stagingKey(uploadId: Self.uploadId())
        let first = ByteStream.bytes(5 << 20, seed: 21)
        let second = ByteStream.bytes(4321, seed: 22)
        let multipartId = try store.beginMultipart(key)

        // Part 1 as a client would send it: plain curl to a presigned part URL.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("store-part-\(UUID().uuidString)")
        try Data(first).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let part = try store.presignPart(key, multipartId: multipartId, partNumber: 1, expiresIn: 600)
        let sent = try runProgram(["curl", "-sS", "-D", "-", "-o", "/dev/null", "-T", file.path, part.url])
        #expect(sent.status == 0)
        let etag1 = try #require(sent.output.split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }
            .map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) })
        let etag2 = try store.uploadPart(key, multipartId: multipartId, partNumber: 2, body: .bytes(second))

        try store.completeMultipart(key, multipartId: multipartId, parts: [S3Part(number: 1, etag: etag1), S3Part(number: 2, etag: etag2)], ifNoneMatch: true)
        let hash = SHA256()
        try store.open(key, range: nil, sink: { hash.update($0) })
        #expect(hash.finalize() == SHA256.hash(first + second))

        // A second session onto the now existing key is refused at completion.
        let second2 = try store.beginMultipart(key)
        let etag = try store.uploadPart(key, multipartId: second2, partNumber: 1, body: .bytes([1, 2, 3]))
        let refused = try #require(throws: BundleStoreError.self) {
            try store.completeMultipart(key, multipartId: second2, parts: [S3Part(number: 1, etag: etag)], ifNoneMatch: true)
        }
        #expect(refused.code == "OBJECT_EXISTS")
        let badPart = try #require(throws: BundleStoreError.self) { try store.presignPart(key, multipartId: second2, partNumber: 10_001, expiresIn: 60) }
        #expect(badPart.code == "MULTIPART_INVALID")
        #expect(throws: BundleStoreError.self) { try store.uploadPart(key, multipartId: second2, partNumber: 0, body: .bytes([1])) }
        try store.abortMultipart(key, multipartId: second2)
        try store.abortMultipart(key, multipartId: second2)
        try store.delete(key)
    }

    @Test(arguments: StoreUnderTest.allCases) func listingIsConfinedToItsPrefix(_ kind: StoreUnderTest) throws {
        let (store, holder) = try kind.make()
        defer { withExtendedLifetime(holder) {} }
        let keys = try (0..<5).map { _ in try store.stagingKey(uploadId: Self.uploadId()) }
        for key in keys { try store.putOnce(key, body: .bytes([1])) }
        var seen: [StoredObject] = []
        try store.list(prefix: store.keys.base) { seen.append($0) }
        #expect(seen.isEmpty)
        var staged = Set<String>()
        try store.list(prefix: "staging/") { staged.insert($0.key) }
        #expect(Set(keys).isSubset(of: staged))
        for key in keys { try store.delete(key) }
    }
}
