import BundleStore
import Cryptography
import Foundation
import Testing

/// The worked examples of the Amazon S3 API reference ("Signature Calculations for the
/// Authorization Header" and "Query String Authentication"), with their published values, and
/// the same S3 requests compared with botocore's S3 signer.
@Suite struct SigV4S3ExampleTests {
    static let credentials = S3Credentials(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
    static let timestamp = SigV4Timestamp(epochSeconds: 1_369_353_600)
    static let endpoint = S3Endpoint.aws(region: "us-east-1")

    static func exampleURL(key: String, query: [S3QueryItem] = []) throws -> S3URL {
        let global = try S3Endpoint(parsing: "https://s3.amazonaws.com")
        return try S3URL.object(endpoint: global, bucket: "examplebucket", key: key, query: query, pathStyle: false)
    }

    @Test func getObjectWithRange() throws {
        let url = try Self.exampleURL(key: "test.txt")
        let authorization = Self.signer.authorize(method: "GET", url: url, headers: [(name: "Range", value: "bytes=0-9")], payload: .empty, at: Self.timestamp)
        #expect(authorization.signature.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(authorization.signature.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(authorization.signature.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let headers = Dictionary(uniqueKeysWithValues: authorization.headers.map { ($0.name, $0.value) })
        #expect(headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers["x-amz-date"] == "20130524T000000Z")
        #expect(headers["x-amz-content-sha256"] == SigV4Payload.emptyHash)
        #expect(headers["x-amz-security-token"] == nil)
        #expect(authorization.headers.count == 3)
    }

    @Test func putObjectWithDateAndStorageClass() throws {
        let body = "Welcome to Amazon S3."
        let url = try Self.exampleURL(key: "test$file.text")
        #expect(url.path == "/test%24file.text")
        let authorization = Self.signer.authorize(
            method: "PUT",
            url: url,
            headers: [(name: "Date", value: "Fri, 24 May 2013 00:00:00 GMT"), (name: "x-amz-storage-class", value: "REDUCED_REDUNDANCY")],
            payload: .sha256(SHA256.hash(Array(body.utf8)).hex),
            at: Self.timestamp
        )
        #expect(authorization.signature.signedHeaders == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(authorization.signature.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycle() throws {
        let global = try S3Endpoint(parsing: "https://s3.amazonaws.com")
        let url = S3URL.bucket(endpoint: global, bucket: "examplebucket", query: [S3QueryItem("lifecycle")], pathStyle: false)
        #expect(url.string == "https://examplebucket.s3.amazonaws.com/?lifecycle=")
        let authorization = Self.signer.authorize(method: "GET", url: url, payload: .empty, at: Self.timestamp)
        #expect(authorization.signature.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func listObjects() throws {
        let global = try S3Endpoint(parsing: "https://s3.amazonaws.com")
        let url = S3URL.bucket(endpoint: global, bucket: "examplebucket", query: [S3QueryItem("max-keys", "2"), S3QueryItem("prefix", "J")], pathStyle: false)
        let authorization = Self.signer.authorize(method: "GET", url: url, payload: .empty, at: Self.timestamp)
        #expect(authorization.signature.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func presignedGet() throws {
        let url = try Self.exampleURL(key: "test.txt")
        let presigned = try Self.signer.presignedURL(method: "GET", url: url, expires: 86400, at: Self.timestamp)
        #expect(presigned.signature.canonicalRequest == """
            GET
            /test.txt
            X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
            host:examplebucket.s3.amazonaws.com

            host
            UNSIGNED-PAYLOAD
            """)
        #expect(presigned.signature.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(presigned.url == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(try Self.signer.presign(method: "GET", url: url, expires: 86400, at: 1_369_353_600) == presigned.url)
    }

    struct S3Case: CustomTestStringConvertible, Sendable {
        let name: String
        let method: String
        let endpoint: String
        let pathStyle: Bool
        let key: String?
        var query: [S3QueryItem] = []
        var headers: [(name: String, value: String)] = []
        var body = ""
        var unsigned = false
        var token: String?
        var testDescription: String { name }
    }

    static let s3Cases: [S3Case] = [
        S3Case(name: "GET with Range, virtual-hosted", method: "GET", endpoint: "https://s3.us-east-1.amazonaws.com", pathStyle: false, key: "sha256/0a1b/bundle.tar.zst", headers: [(name: "Range", value: "bytes=100-199")]),
        S3Case(name: "PUT hashed body, path style, port", method: "PUT", endpoint: "http://127.0.0.1:9000", pathStyle: true, key: "staging/u1/bundle.tar.zst", headers: [(name: "If-None-Match", value: "*"), (name: "Content-Type", value: "application/zstd")], body: "hello"),
        S3Case(name: "PUT unsigned payload with session token", method: "PUT", endpoint: "https://s3.eu-west-1.amazonaws.com", pathStyle: true, key: "dir/a b+c=d&e%f~g.h/\u{00FC}\u{1234}.txt", unsigned: true, token: "FQoGZXIvYXdzE+/token=="),
        S3Case(name: "ListObjectsV2 with awkward query values", method: "GET", endpoint: "http://localhost:9000", pathStyle: false, key: nil, query: [S3QueryItem("list-type", "2"), S3QueryItem("prefix", "sha256/"), S3QueryItem("continuation-token", "a+b/c= d"), S3QueryItem("max-keys", "1000")]),
        S3Case(name: "CompleteMultipartUpload", method: "POST", endpoint: "https://minio.example.net:9443", pathStyle: true, key: "sha256/ff/bundle.tar.zst", query: [S3QueryItem("uploadId", "VXBsb2FkIElE~.-_")], headers: [(name: "If-None-Match", value: "*")], body: "<CompleteMultipartUpload/>"),
    ]

    @Test(arguments: s3Cases)
    func headerAuthorizationMatchesBotocore(_ testCase: S3Case) throws {
        let endpoint = try S3Endpoint(parsing: testCase.endpoint)
        let url = try testCase.key.map { key throws in try S3URL.object(endpoint: endpoint, bucket: "exthost-bundles", key: key, query: testCase.query, pathStyle: testCase.pathStyle) }
            ?? S3URL.bucket(endpoint: endpoint, bucket: "exthost-bundles", query: testCase.query, pathStyle: testCase.pathStyle)
        let credentials = S3Credentials(accessKey: "AKIAEXAMPLE", secretKey: "secret/with+chars=", sessionToken: testCase.token)
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
        let payload: SigV4Payload = testCase.unsigned ? .unsigned : (testCase.body.isEmpty ? .empty : .sha256(SHA256.hash(Array(testCase.body.utf8)).hex))
        let authorization = signer.authorize(method: testCase.method, url: url, headers: testCase.headers, payload: payload, at: Self.timestamp)

        var request: [String: Any] = [
            "accessKey": credentials.accessKey,
            "secretKey": credentials.secretKey,
            "region": "us-east-1",
            "service": "s3",
            "s3": true,
            "payload": testCase.unsigned ? "unsigned" : "body",
            "timestamp": "20130524T000000Z",
            "method": testCase.method,
            "url": "\(url.scheme)://\(url.hostHeader)\(url.path)",
            "query": jsonPairs(url.query),
            "headers": jsonPairs(testCase.headers),
            "body": testCase.body,
        ]
        if let token = testCase.token { request["token"] = token }
        let reference = try SigV4Tools.python("sigv4_reference.py", request)
        #expect(authorization.signature.canonicalRequest == reference["canonicalRequest"] as? String)
        #expect(authorization.signature.stringToSign == reference["stringToSign"] as? String)
        #expect(authorization.signature.authorization == reference["authorization"] as? String)

        // botocore's final header set holds ours (its own extra fields aside).
        let theirs = (reference["headers"] as? [[String]] ?? []).map { [$0[0].lowercased(), $0[1]] }
        for header in authorization.headers {
            #expect(theirs.contains([header.name.lowercased(), header.value]), "\(header.name) differs from botocore")
        }
        #expect(authorization.headers.contains { $0.name == "x-amz-security-token" } == (testCase.token != nil))
    }
}
