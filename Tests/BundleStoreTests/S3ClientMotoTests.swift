import BundleStore
import Cryptography
import ExthostCore
import Foundation
import HTTPClient
import Testing

/// S3Client against the stack's moto servers (plain, and header-auth checking signatures).
@Suite(.serialized) struct S3ClientMotoTests {
    static func collect(_ client: S3Client, _ key: String, range: ClosedRange<Int64>? = nil) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try client.get(key, range: range, sink: { bytes.append(contentsOf: $0) })
        return bytes
    }

    /// Put, head, get (whole and ranged), delete, on either server.
    static func exerciseObjectOperations(_ client: S3Client, key: String) throws {
        let content = ByteStream.bytes(70_000, seed: 7)
        let etag = try client.put(key, body: .bytes(content), contentType: "application/x-test")
        #expect(etag.hasPrefix("\""))

        let info = try #require(try client.head(key))
        #expect(info.size == Int64(content.count))
        #expect(info.etag == etag)
        #expect(!info.lastModified.isEmpty)
        #expect(info.contentType == "application/x-test")

        #expect(try collect(client, key) == content)
        #expect(try collect(client, key, range: 10...19) == Array(content[10..<20]))

        try client.delete(key)
        #expect(try client.head(key) == nil)
        try client.delete(key)
        let missing = try #require(throws: BundleStoreError.self) { try collect(client, key) }
        #expect(missing.code == "OBJECT_NOT_FOUND" && missing.status.code == 404)
    }

    /// Two parts (5 MiB and a short last one), listed, completed; and an aborted upload.
    static func exerciseMultipart(_ client: S3Client, prefix: String) throws {
        let key = prefix + "multipart.bin"
        let first = ByteStream.bytes(5 << 20, seed: 1)
        let second = ByteStream.bytes(1234, seed: 2)
        let uploadId = try client.createMultipartUpload(key)
        let etag1 = try client.uploadPart(key, uploadId: uploadId, partNumber: 1, body: .bytes(first))
        var offset = 0
        let etag2 = try client.uploadPart(key, uploadId: uploadId, partNumber: 2, body: .stream(length: Int64(second.count)) { buffer in
            let count = min(buffer.count, second.count - offset)
            second.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        })
        let listed = try client.listParts(key, uploadId: uploadId)
        #expect(listed.map(\.number) == [1, 2])
        #expect(listed.map(\.etag) == [etag1, etag2])
        #expect(listed.map(\.size) == [Int64(first.count), Int64(second.count)])

        let etag = try client.completeMultipartUpload(key, uploadId: uploadId, parts: listed.reversed(), ifNoneMatch: true)
        #expect(etag.hasSuffix("-2\""))
        let whole = SHA256()
        try client.get(key, sink: { whole.update($0) })
        #expect(whole.finalize() == SHA256.hash(first + second))

        let aborted = try client.createMultipartUpload(prefix + "aborted.bin")
        _ = try client.uploadPart(prefix + "aborted.bin", uploadId: aborted, partNumber: 1, body: .bytes([1, 2, 3]))
        try client.abortMultipartUpload(prefix + "aborted.bin", uploadId: aborted)
        let gone = try #require(throws: BundleStoreError.self) { try client.listParts(prefix + "aborted.bin", uploadId: aborted) }
        #expect(gone.code == "OBJECT_NOT_FOUND")
        #expect(try client.head(prefix + "aborted.bin") == nil)
        try client.delete(key)
    }

    @Test func everyObjectOperationOnPlainMoto() throws {
        // Characters that need encoding, to check the wire form too.
        let key = S3TestStack.freshPrefix("plain") + "dir/a b+c&d=\u{00FC}~(1)%.bin"
        try Self.exerciseObjectOperations(S3TestStack.client(try S3TestStack.plainConfiguration()), key: key)
    }

    @Test func signedOperationsOnTheAuthCheckingMoto() throws {
        let client = S3TestStack.client(try S3TestStack.authConfiguration())
        let prefix = S3TestStack.freshPrefix("auth")
        // moto's signature check mis-handles `+`, `&` and non-ASCII in keys (botocore's own
        // requests fail there too), so the signed run uses a key with a space only.
        try Self.exerciseObjectOperations(client, key: prefix + "dir/a b.bin")
        try Self.exerciseMultipart(client, prefix: prefix)
        _ = try client.putOnce(prefix + "once", body: .bytes([1]))
        #expect(throws: BundleStoreError.self) { try client.putOnce(prefix + "once", body: .bytes([2])) }
        try client.delete(prefix + "once")
    }

    @Test func aWrongSecretIsStorageMisconfigured() throws {
        let client = S3TestStack.client(try S3TestStack.authConfiguration(wrongSecret: true))
        let key = S3TestStack.freshPrefix("wrong") + "x"
        for operation in [
            { _ = try client.put(key, body: .bytes([1, 2])) },
            { _ = try client.head(key) },
            { _ = try client.listObjectsV2(prefix: "s3client-tests/") },
        ] as [() throws -> Void] {
            let error = try #require(throws: BundleStoreError.self) { try operation() }
            #expect(error.code == "STORAGE_MISCONFIGURED")
            #expect(error.status.code == 503)
            #expect(!error.message.contains(try S3TestStack.environment()["STORAGE_S3_AUTH_SECRET_KEY"]!))
        }
    }

    @Test func multipartHappyPathAndAbortOnPlainMoto() throws {
        try Self.exerciseMultipart(S3TestStack.client(try S3TestStack.plainConfiguration()), prefix: S3TestStack.freshPrefix("multipart"))
    }

    @Test func writeOncePutsAndCopies() throws {
        let client = S3TestStack.client(try S3TestStack.plainConfiguration())
        let prefix = S3TestStack.freshPrefix("once")
        let source = prefix + "staging/src.bin"
        let target = prefix + "canonical/dst.bin"
        try client.putOnce(source, body: .bytes(Array("first".utf8)))
        let again = try #require(throws: BundleStoreError.self) { try client.putOnce(source, body: .bytes(Array("second".utf8))) }
        #expect(again.code == "OBJECT_EXISTS" && again.status.code == 409)
        // Without the HEAD, the store's own If-None-Match refuses too.
        let conditional = try #require(throws: BundleStoreError.self) { try client.put(source, body: .bytes([9]), ifNoneMatch: true) }
        #expect(conditional.code == "OBJECT_EXISTS")
        #expect(try Self.collect(client, source) == Array("first".utf8))

        let copied = try client.copyOnce(from: source, to: target)
        #expect(try client.head(target)?.etag == copied)
        #expect(try Self.collect(client, target) == Array("first".utf8))
        try client.put(prefix + "other", body: .bytes(Array("other".utf8)))
        let overCopy = try #require(throws: BundleStoreError.self) { try client.copyOnce(from: prefix + "other", to: target) }
        #expect(overCopy.code == "OBJECT_EXISTS")
        #expect(try Self.collect(client, target) == Array("first".utf8))
        let missing = try #require(throws: BundleStoreError.self) { try client.copyOnce(from: prefix + "nothing", to: prefix + "new") }
        #expect(missing.code == "OBJECT_NOT_FOUND")
        for key in [source, target, prefix + "other"] { try client.delete(key) }
    }

    @Test func listObjectsV2FollowsContinuationTokens() throws {
        let client = S3TestStack.client(try S3TestStack.plainConfiguration())
        let prefix = S3TestStack.freshPrefix("list")
        let keys = (0..<7).map { prefix + "k\($0)&<\($0)>" }
        for (index, key) in keys.enumerated() { try client.put(key, body: .bytes(Array(repeating: 1, count: index))) }
        try client.put(S3TestStack.freshPrefix("elsewhere") + "x", body: .bytes([1]))

        var seen: [StoredObject] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try client.listObjectsV2(prefix: prefix, continuationToken: token, maxKeys: 3)
            #expect(page.objects.count <= 3)
            seen += page.objects
            token = page.nextContinuationToken
            pages += 1
        } while token != nil
        #expect(pages == 3)
        #expect(seen.map(\.key) == keys)
        #expect(seen.map(\.size) == (0..<7).map { Int64($0) })
        #expect(seen.allSatisfy { !$0.etag.isEmpty && !$0.lastModified.isEmpty })
        for key in keys { try client.delete(key) }
        #expect(try client.listObjectsV2(prefix: prefix).objects.isEmpty)
    }

    @Test func aPresignedPutWorksWithPlainCurl() throws {
        let client = S3TestStack.client(try S3TestStack.plainConfiguration())
        let key = S3TestStack.freshPrefix("presigned") + "upload.bin"
        let content = ByteStream.bytes(100_000, seed: 3)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("s3client-\(UUID().uuidString)")
        try Data(content).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let url = try client.presignedURL(method: "PUT", key: key, expiresIn: 300).url
        #expect(url.contains("X-Amz-Signature="))
        let result = try runProgram(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", file.path, url])
        #expect(result.status == 0)
        #expect(result.output == "200")
        #expect(try client.head(key)?.size == Int64(content.count))
        #expect(try Self.collect(client, key) == content)
        try client.delete(key)
    }

    @Test func anInjected503IsRetriedThroughMoto() throws {
        let configuration = try S3TestStack.plainConfiguration()
        let transport = ScriptedTransport(next: S3TestStack.http) { index, _ in
            index == 0 ? .init(status: 503, body: Array("<Error><Code>SlowDown</Code></Error>".utf8)) : nil
        }
        let client = S3TestStack.client(configuration, transport: transport, retryPolicy: S3RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10)))
        let key = S3TestStack.freshPrefix("retry") + "object"
        try client.putOnce(key, body: .bytes(Array("retried".utf8)))
        // HEAD (503, then 404), then the PUT.
        #expect(transport.requests.map(\.method) == ["HEAD", "HEAD", "PUT"])
        #expect(try Self.collect(client, key) == Array("retried".utf8))

        let failing = ScriptedTransport(next: S3TestStack.http) { index, request in
            request.method == "PUT" && index < 10 ? .init(status: 503) : nil
        }
        let noRetry = S3TestStack.client(configuration, transport: failing, retryPolicy: S3RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10)))
        let unconditional = try #require(throws: BundleStoreError.self) { try noRetry.put(key + "2", body: .bytes([1])) }
        #expect(unconditional.code == "STORAGE_UNAVAILABLE")
        #expect(failing.requests.count == 1)
        try client.delete(key)
    }

    /// 200 MiB out and back through the client with the process's peak RSS nearly flat.
    @Test func streams200MiBWithFlatMemory() throws {
        let client = S3TestStack.client(try S3TestStack.plainConfiguration())
        let key = S3TestStack.freshPrefix("large") + "200MiB.bin"
        let size: Int64 = 200 << 20
        resetPeakResident()
        let before = peakResidentBytes()

        var stream = ByteStream(seed: 42)
        var sent: Int64 = 0
        let sentHash = SHA256()
        try client.put(key, body: .stream(length: size) { buffer in
            let count = Int(min(Int64(buffer.count), size - sent))
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            stream.fill(slice)
            sentHash.update(UnsafeRawBufferPointer(slice))
            sent += Int64(count)
            return count
        })
        #expect(try client.head(key)?.size == size)

        let receivedHash = SHA256()
        var received: Int64 = 0
        try client.get(key, sink: { chunk in
            receivedHash.update(chunk)
            received += Int64(chunk.count)
        })
        let growth = peakResidentBytes() - before
        #expect(received == size)
        #expect(receivedHash.finalize() == sentHash.finalize())
        #expect(growth < 64 << 20, "peak RSS grew by \(growth >> 20) MiB")
        try client.delete(key)
    }
}
