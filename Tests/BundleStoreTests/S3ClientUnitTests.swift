import Bundle
import BundleStore
import Cryptography
import ExthostCore
import Foundation
import HTTPClient
import Testing

/// S3Client against a scripted transport: XML, error mapping, retries and redaction, no network.
@Suite struct S3ClientUnitTests {
    static let secret = "SECRETsecretSECRETsecret0123456789abcdef"

    static func configuration() throws -> S3Configuration {
        try S3Configuration(environment: [
            "STORAGE_S3_ENDPOINT": "http://127.0.0.1:9", "STORAGE_S3_BUCKET": "unit-bucket",
            "STORAGE_S3_ACCESS_KEY": "AKIDUNITTEST", "STORAGE_S3_SECRET_KEY": secret,
            "STORAGE_S3_FORCE_PATH_STYLE": "true",
        ])
    }

    static func client(_ answer: @escaping @Sendable (Int, ScriptedTransport.Recorded) -> ScriptedTransport.Answer?) throws -> (S3Client, ScriptedTransport) {
        let transport = ScriptedTransport(answer: answer)
        return (S3TestStack.client(try configuration(), transport: transport, retryPolicy: noSleepRetry), transport)
    }

    static func errorXML(_ code: String) -> [UInt8] {
        Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>details with \(secret)</Message><RequestId>R1</RequestId></Error>".utf8)
    }

    // MARK: XML

    @Test func parsesFlatDocumentsWithEntitiesNamespacesAndCDATA() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <IsTruncated>true</IsTruncated>
              <Contents><Key>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x41;</Key><Size>12</Size></Contents>
              <Contents><Key><![CDATA[x&y<z>]]></Key><Size>0</Size><Empty/></Contents>
              <s3:NextContinuationToken a='1>2'>tok</s3:NextContinuationToken>
            </ListBucketResult>
            """
        let root = try S3XML.parse(Array(text.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.text(of: "IsTruncated") == "true")
        let contents = root.children("Contents")
        #expect(contents.count == 2)
        #expect(contents[0].text(of: "Key") == "a & b <c> \"d\" 'e' \u{E9}A")
        #expect(contents[1].text(of: "Key") == "x&y<z>")
        #expect(contents[1].child("Empty")?.text == "")
        #expect(root.text(of: "NextContinuationToken") == "tok")
    }

    @Test(arguments: ["", "<a>", "<a></b>", "<a>&bogus;</a>", "<a>x</a><b/>", "<a><b></a>", String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)])
    func refusesMalformedXML(_ text: String) {
        #expect(throws: S3XML.ParseError.self) { try S3XML.parse(Array(text.utf8)) }
    }

    @Test func escapesTheFiveEntities() throws {
        let original = "\"etag\" & <'x'>"
        #expect(S3XML.escape(original) == "&quot;etag&quot; &amp; &lt;&apos;x&apos;&gt;")
        #expect(try S3XML.parse(Array("<E>\(S3XML.escape(original))</E>".utf8)).text == original)
    }

    // MARK: errors

    @Test(arguments: [
        (404, "NoSuchKey", "OBJECT_NOT_FOUND", 404),
        (404, "", "OBJECT_NOT_FOUND", 404),
        (412, "PreconditionFailed", "OBJECT_EXISTS", 409),
        (403, "SignatureDoesNotMatch", "STORAGE_MISCONFIGURED", 503),
        (403, "AccessDenied", "STORAGE_MISCONFIGURED", 503),
        (404, "NoSuchBucket", "STORAGE_MISCONFIGURED", 503),
        (503, "SlowDown", "STORAGE_UNAVAILABLE", 503),
        (500, "InternalError", "STORAGE_UNAVAILABLE", 503),
        (200, "InternalError", "STORAGE_UNAVAILABLE", 503),
        (400, "EntityTooSmall", "MULTIPART_INVALID", 422),
        (400, "InvalidArgument", "STORAGE_PROTOCOL_ERROR", 502),
    ])
    func mapsS3ErrorsToTypedErrors(status: Int, code: String, expectedCode: String, expectedStatus: Int) {
        let error = S3ErrorResponse(status: status, body: Self.errorXML(code).filter { _ in !code.isEmpty })
        let mapped = error.storeError(operation: "PutObject", key: "k")
        #expect(mapped.code == expectedCode)
        #expect(mapped.status.code == expectedStatus)
    }

    @Test func errorMessagesCarryNoSecretsOrSignatures() throws {
        let (client, _) = try Self.client { _, _ in .init(status: 403, body: Self.errorXML("SignatureDoesNotMatch")) }
        let error = try #require(throws: BundleStoreError.self) { try client.put("k", body: .bytes([1, 2, 3])) }
        #expect(error.code == "STORAGE_MISCONFIGURED")
        let text = "\(error) \(error.message) \(String(reflecting: error))"
        #expect(!text.contains(Self.secret))
        #expect(!text.contains("Signature="))
        #expect(!text.contains("X-Amz-Signature"))
        #expect(text.contains("SignatureDoesNotMatch"))
    }

    // MARK: retries

    @Test func retriesAHeadAfterA503() throws {
        let (client, transport) = try Self.client { index, _ in
            index == 0 ? .init(status: 503, body: Self.errorXML("SlowDown"))
                : .init(status: 200, headers: [("Content-Length", "5"), ("ETag", "\"e\""), ("Last-Modified", "Wed, 25 Nov 2026 21:00:00 GMT")])
        }
        let info = try #require(try client.head("k"))
        #expect(info.size == 5 && info.etag == "\"e\"")
        #expect(transport.requests.count == 2)
        // Each attempt is signed on its own.
        #expect(transport.requests.allSatisfy { $0.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 ") == true })
    }

    @Test func givesUpAfterMaxAttemptsAndOnConnectionErrors() throws {
        let (client, transport) = try Self.client { _, _ in .init(status: 0) }
        let error = try #require(throws: BundleStoreError.self) { try client.delete("k") }
        #expect(error.code == "STORAGE_UNAVAILABLE")
        #expect(transport.requests.count == 3)
    }

    @Test func doesNotRetryUnconditionalPutsStreamsOrNonTransientErrors() throws {
        let (client, transport) = try Self.client { _, _ in .init(status: 503) }
        #expect(throws: BundleStoreError.self) { try client.put("k", body: .bytes([1])) }
        #expect(transport.requests.count == 1)
        var remaining = 4
        #expect(throws: BundleStoreError.self) {
            try client.put("k", body: .stream(length: 4) { buffer in
                let count = min(buffer.count, remaining)
                remaining -= count
                return count
            }, ifNoneMatch: true)
        }
        #expect(transport.requests.count == 2)
        #expect(transport.requests[1].header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
        #expect(transport.requests[1].header("If-None-Match") == "*")

        let (refusing, refused) = try Self.client { _, _ in .init(status: 403, body: Self.errorXML("AccessDenied")) }
        #expect(throws: BundleStoreError.self) { try refusing.head("k") }
        #expect(refused.requests.count == 1)
    }

    @Test func aGetIsNotRetriedOnceTheSinkHasBytes() throws {
        let (client, transport) = try Self.client { index, _ in
            index == 0 ? .init(status: 200, headers: [("Content-Length", "3")], body: [1, 2, 3]) : .init(status: 200, body: [9])
        }
        struct Broken: Error {}
        #expect(throws: BundleStoreError.self) { try client.get("k", sink: { _ in throw Broken() }) }
        #expect(transport.requests.count == 1)
    }

    @Test func conditionalPutRetryAccepts412OnlyWhenTheObjectHoldsOurBytes() throws {
        let body: [UInt8] = Array("exactly these bytes".utf8)
        for stored in [body, Array("other bytes, same size".utf8.prefix(body.count))] {
            let (client, transport) = try Self.client { index, request in
                switch (index, request.method) {
                case (0, _): return .init(status: 500)
                case (1, "PUT"): return .init(status: 412, body: Self.errorXML("PreconditionFailed"))
                case (_, "HEAD"): return .init(status: 200, headers: [("Content-Length", "\(stored.count)"), ("ETag", "\"x\"")])
                default: return .init(status: 200, headers: [("Content-Length", "\(stored.count)")], body: stored)
                }
            }
            if stored == body {
                #expect(try client.put("k", body: .bytes(body), ifNoneMatch: true) == "\"x\"")
            } else {
                let error = try #require(throws: BundleStoreError.self) { try client.put("k", body: .bytes(body), ifNoneMatch: true) }
                #expect(error.code == "OBJECT_EXISTS")
            }
            #expect(transport.requests.map(\.method) == ["PUT", "PUT", "HEAD", "GET"])
            #expect(transport.requests[0].header("x-amz-content-sha256") == SHA256.hash(body).hex)
        }
    }

    @Test func aFirst412IsAlreadyExistsWithoutVerification() throws {
        let (client, transport) = try Self.client { _, _ in .init(status: 412) }
        let error = try #require(throws: BundleStoreError.self) { try client.put("k", body: .bytes([1]), ifNoneMatch: true) }
        #expect(error.code == "OBJECT_EXISTS" && error.status.code == 409)
        #expect(transport.requests.count == 1)
    }

    @Test func completeMultipartTreatsA200ErrorBodyAsAFailureAndRetriesIt() throws {
        let (client, transport) = try Self.client { index, _ in
            index == 0 ? .init(status: 200, body: Self.errorXML("InternalError"))
                : .init(status: 200, body: Array("<CompleteMultipartUploadResult><ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>".utf8))
        }
        let parts = [S3Part(number: 2, etag: "\"b\""), S3Part(number: 1, etag: "\"a\"")]
        #expect(try client.completeMultipartUpload("k", uploadId: "u", parts: parts, ifNoneMatch: true) == "\"abc-2\"")
        #expect(transport.requests.count == 2)

        let (plain, _) = try Self.client { _, _ in .init(status: 200, body: Self.errorXML("InvalidPart")) }
        let error = try #require(throws: BundleStoreError.self) { try plain.completeMultipartUpload("k", uploadId: "u", parts: parts) }
        #expect(error.code == "MULTIPART_INVALID")
    }

    @Test func backoffIsJitteredAndCapped() {
        let policy = S3RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        for attempt in 1...9 {
            let ceiling = min(Duration.seconds(2), .milliseconds(100) * (1 << (attempt - 1)))
            for _ in 0..<20 { #expect(policy.delay(after: attempt) <= ceiling) }
        }
        let samples = Set((0..<20).map { _ in policy.delay(after: 5) })
        #expect(samples.count > 1)
    }

    // MARK: keys

    @Test func keyPolicyBuildsTheDesignLayoutAndGuardsStaging() throws {
        let keys = BundleKeyPolicy(base: "sha256/")
        let hash = try #require(ContentHash(parsing: "sha256:" + String(repeating: "ab", count: 32)))
        #expect(keys.canonicalBundleKey(hash: hash) == "sha256/\(hash.hex)/bundle.tar.zst")
        #expect(keys.canonicalManifestKey(hash: hash) == "sha256/\(hash.hex)/manifest.json")
        #expect(try keys.stagingKey(uploadId: "Upload-0123") == "staging/Upload-0123/bundle.tar.zst")
        for bad in ["short", "../../sha256", "a/b/c/d/e/f", "abcdefgh.", String(repeating: "a", count: 65), "abcdefg h", "abcdefgh\n"] {
            let error = try #require(throws: BundleStoreError.self) { try keys.stagingKey(uploadId: bad) }
            #expect(error.code == "UPLOAD_ID_INVALID")
        }
    }
}
