import Bundle
import BundleStore
import Cryptography
import Foundation
import Testing

/// What every `BundleStore` must do, run against the file store and against S3 (moto).
func exerciseStoreContract(_ store: any BundleStore) throws {
    let bundle = ByteStream.bytes(300_000, seed: 31)
    let hash = ContentHash(digest: SHA256.hash(bundle))
    let staging = try store.stagingKey(uploadId: "contract-" + UUID().uuidString.lowercased())
    let canonical = store.canonicalBundleKey(hash: hash)
    let manifest = store.canonicalManifestKey(hash: hash)
    func read(_ key: String, _ range: ClosedRange<Int64>? = nil) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try store.open(key, range: range, sink: { bytes.append(contentsOf: $0) })
        return bytes
    }

    // Write-once puts.
    #expect(try !store.exists(staging))
    #expect(try store.info(staging) == nil)
    let etag = try store.putOnce(staging, body: .bytes(bundle))
    #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
    let info = try #require(try store.info(staging))
    #expect(info.size == Int64(bundle.count) && info.etag == etag && !info.lastModified.isEmpty)
    #expect(storeError { try store.putOnce(staging, body: .bytes([1])) }?.code == "OBJECT_EXISTS")
    #expect(try read(staging) == bundle)

    // Ranges, including one past the end (clamped).
    #expect(try read(staging, 0...0) == [bundle[0]])
    #expect(try read(staging, 1000...1999) == Array(bundle[1000..<2000]))
    #expect(try read(staging, 299_990...400_000) == Array(bundle[299_990...]))

    // Write-once copies; the copy outlives the deleted staging object.
    try store.copyOnce(from: staging, to: canonical)
    #expect(storeError { try store.copyOnce(from: staging, to: canonical) }?.code == "OBJECT_EXISTS")
    try store.delete(staging)
    try store.delete(staging)
    #expect(try !store.exists(staging))
    #expect(storeError { _ = try read(staging) }?.code == "OBJECT_NOT_FOUND")
    #expect(storeError { try store.copyOnce(from: staging, to: manifest) }?.code == "OBJECT_NOT_FOUND")
    #expect(try read(canonical) == bundle)

    // A streamed put, and the listing of the canonical area in key order.
    let document = Array(#"{"name":"contract"}"#.utf8)
    var offset = 0
    try store.putOnce(manifest, body: .stream(length: Int64(document.count)) { buffer in
        let count = min(buffer.count, document.count - offset, 7)
        document.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
        offset += count
        return count
    })
    var listed: [StoredObject] = []
    try store.list(prefix: store.keys.base) { listed.append($0) }
    #expect(listed.map(\.key) == [canonical, manifest])
    #expect(listed.map(\.size) == [Int64(bundle.count), Int64(document.count)])

    // Multipart: a part uploaded again replaces the earlier one; the result is the concatenation.
    let target = try store.stagingKey(uploadId: "contract-" + UUID().uuidString.lowercased())
    let first = ByteStream.bytes(5 << 20, seed: 32)
    let second = ByteStream.bytes(4321, seed: 33)
    let multipartId = try store.beginMultipart(target)
    let etag1 = try store.uploadPart(target, multipartId: multipartId, partNumber: 1, body: .bytes(first))
    _ = try store.uploadPart(target, multipartId: multipartId, partNumber: 2, body: .bytes([9, 9, 9]))
    let etag2 = try store.uploadPart(target, multipartId: multipartId, partNumber: 2, body: .bytes(second))
    let wrong = storeError {
        try store.completeMultipart(target, multipartId: multipartId, parts: [S3Part(number: 1, etag: etag2), S3Part(number: 2, etag: etag2)], ifNoneMatch: true)
    }
    #expect(wrong?.code == "MULTIPART_INVALID")
    try store.completeMultipart(target, multipartId: multipartId, parts: [S3Part(number: 2, etag: etag2), S3Part(number: 1, etag: etag1)], ifNoneMatch: true)
    let digest = SHA256()
    try store.open(target, range: nil, sink: { digest.update($0) })
    #expect(digest.finalize() == SHA256.hash(first + second))
    #expect(try store.info(target)?.size == Int64(first.count + second.count))

    let late = try store.beginMultipart(target)
    let lateEtag = try store.uploadPart(target, multipartId: late, partNumber: 1, body: .bytes([1, 2, 3]))
    let taken = storeError { try store.completeMultipart(target, multipartId: late, parts: [S3Part(number: 1, etag: lateEtag)], ifNoneMatch: true) }
    #expect(taken?.code == "OBJECT_EXISTS")
    #expect(storeError { _ = try store.presignPart(target, multipartId: late, partNumber: 10_001, expiresIn: 60) }?.code == "MULTIPART_INVALID")
    #expect(storeError { _ = try store.uploadPart(target, multipartId: late, partNumber: 0, body: .bytes([1])) }?.code == "MULTIPART_INVALID")
    try store.abortMultipart(target, multipartId: late)
    try store.abortMultipart(target, multipartId: late)

    // Presigning: a write-once PUT with the exact length; expiry bounds.
    let upload = try store.presignUpload(target, expiresIn: 600, contentLength: 42)
    #expect(upload.method == "PUT" && upload.headers.map(\.name) == ["If-None-Match", "Content-Length"] && upload.headers.map(\.value) == ["*", "42"])
    #expect(try store.presignDownload(canonical, expiresIn: 600).method == "GET")
    #expect(storeError { _ = try store.presignUpload(target, expiresIn: 0, contentLength: nil) } != nil)

    // Keys that would leave their place are refused before any request or file operation.
    for key in ["sha256/../../etc/passwd", "../outside", "staging/./x"] {
        #expect(storeError { try store.putOnce(key, body: .bytes([1])) }?.code == "STORE_KEY_INVALID", "\(key)")
    }
    #expect(storeError { _ = try store.stagingKey(uploadId: "../../etc") }?.code == "UPLOAD_ID_INVALID")

    for key in [canonical, manifest, target] { try store.delete(key) }
    var left: [StoredObject] = []
    try store.list(prefix: store.keys.base) { left.append($0) }
    #expect(left.isEmpty)
}

@Suite(.serialized) struct FileStoreContractTests {
    @Test func fileStoreKeepsTheContract() throws {
        let fixture = try TemporaryFileStore()
        try exerciseStoreContract(fixture.store)
        // Nothing is left behind: no temporary file, no multipart directory.
        #expect(try fixture.names(in: "tmp").isEmpty)
        #expect(try fixture.names(in: "multipart").isEmpty)
    }

    /// Needs the stack's moto: fails (never skips) without it, saying to run under scripts/test.
    @Test func s3StoreKeepsTheContract() throws {
        try exerciseStoreContract(try StoreTests.store())
    }
}
