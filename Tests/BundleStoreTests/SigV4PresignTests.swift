import BundleStore
import ExthostCore
import Foundation
import Testing

/// Presigned URLs compared byte for byte with botocore's `generate_presigned_url` for the same
/// inputs and clock.
@Suite struct SigV4PresignTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let operation: String
        let method: String
        var endpoint = "https://s3.us-east-1.amazonaws.com"
        var region = "us-east-1"
        let pathStyle: Bool
        var key = "sha256/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/bundle.tar.zst"
        /// Operation query items, in botocore's order.
        var query: [S3QueryItem] = []
        /// Extra botocore parameters (in the order of `query` for those that become query items)
        /// and the signed headers they become.
        var extraParams: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var token: String?
        var expires = 900
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "GET virtual-hosted", operation: "get_object", method: "GET", pathStyle: false),
        Case(name: "GET path style", operation: "get_object", method: "GET", pathStyle: true, expires: 604_800),
        Case(name: "PUT virtual-hosted with session token", operation: "put_object", method: "PUT", pathStyle: false, token: "IQoJb3JpZ2luX2VjEC8aCXVzLWVhc3QtMSJH+/token=="),
        Case(name: "PUT path style with session token", operation: "put_object", method: "PUT", pathStyle: true, token: "IQoJb3JpZ2luX2VjEC8aCXVzLWVhc3QtMSJH+/token=="),
        Case(
            name: "PUT path style, port, IP endpoint, signed Content-Type",
            operation: "put_object", method: "PUT", endpoint: "http://127.0.0.1:9000", region: "eu-west-1", pathStyle: true, key: "staging/0c5f1e6a/bundle.tar.zst",
            extraParams: [(name: "ContentType", value: "application/zstd")], headers: [(name: "Content-Type", value: "application/zstd")]
        ),
        Case(
            name: "PUT virtual-hosted, custom endpoint with port, If-None-Match",
            operation: "put_object", method: "PUT", endpoint: "http://minio.internal:9000", region: "eu-west-1", pathStyle: false,
            extraParams: [(name: "IfNoneMatch", value: "*")], headers: [(name: "If-None-Match", value: "*")], token: "tok"
        ),
        Case(
            name: "GET key that needs encoding",
            operation: "get_object", method: "GET", endpoint: "https://s3.eu-central-1.amazonaws.com", region: "eu-central-1", pathStyle: true,
            key: "dir/a b+c=d&e%f~g.h/\u{00FC}\u{1234}/@:!$'()*,;.txt"
        ),
        Case(
            name: "UploadPart virtual-hosted with operation query items",
            operation: "upload_part", method: "PUT", endpoint: "http://localhost:9000", region: "eu-west-1", pathStyle: false, key: "staging/a b/\u{00FC}.tar",
            query: [S3QueryItem("partNumber", "3"), S3QueryItem("uploadId", "abc~+/=")], extraParams: [(name: "PartNumber", value: "3"), (name: "UploadId", value: "abc~+/=")], token: "tok+/="
        ),
    ]

    static let amzDate = "20261125T120000Z"

    @Test(arguments: cases)
    func matchesBotocoreGeneratePresignedURL(_ testCase: Case) throws {
        let credentials = S3Credentials(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sessionToken: testCase.token)
        let signer = SigV4Signer(credentials: credentials, region: testCase.region)
        let endpoint = try S3Endpoint(parsing: testCase.endpoint)
        let url = try S3URL.object(endpoint: endpoint, bucket: "exthost-bundles", key: testCase.key, query: testCase.query, pathStyle: testCase.pathStyle)
        let timestamp = try #require(SigV4Timestamp(amzDate: Self.amzDate))
        let ours = try signer.presign(method: testCase.method, url: url, headers: testCase.headers, expires: testCase.expires, at: timestamp.epochSeconds)

        var request: [String: Any] = [
            "accessKey": credentials.accessKey,
            "secretKey": credentials.secretKey,
            "region": testCase.region,
            "endpoint": testCase.endpoint,
            "addressingStyle": testCase.pathStyle ? "path" : "virtual",
            "operation": testCase.operation,
            "params": [["Bucket", "exthost-bundles"], ["Key", testCase.key]] + jsonPairs(testCase.extraParams),
            "expires": testCase.expires,
            "timestamp": Self.amzDate,
        ]
        if let token = testCase.token { request["token"] = token }
        let reference = try SigV4Tools.python("presign_reference.py", request)
        #expect(ours == reference["url"] as? String)
    }

    @Test func signedHeadersAndTokenAreInTheURL() throws {
        let signer = SigV4Signer(credentials: S3Credentials(accessKey: "AKID", secretKey: "secret", sessionToken: "tok/en"), region: "us-east-1")
        let url = try S3URL.object(endpoint: .aws(region: "us-east-1"), bucket: "exthost-bundles", key: "k", pathStyle: true)
        let presigned = try signer.presignedURL(method: "PUT", url: url, headers: [(name: "If-None-Match", value: "*")], expires: 60, at: SigV4Timestamp(epochSeconds: 0))
        #expect(presigned.url.hasPrefix(
            "https://s3.us-east-1.amazonaws.com/exthost-bundles/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F19700101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=19700101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bif-none-match&X-Amz-Security-Token=tok%2Fen&X-Amz-Signature="
        ))
        #expect(presigned.signature.signedHeaders == "host;if-none-match")
        #expect(presigned.signature.canonicalRequest.hasSuffix("\nhost:s3.us-east-1.amazonaws.com\nif-none-match:*\n\nhost;if-none-match\nUNSIGNED-PAYLOAD"))
        #expect(presigned.requiredHeaders.map(\.name) == ["If-None-Match"])
        let signature = try #require(presigned.url.split(separator: "&").last)
        #expect(signature == "X-Amz-Signature=\(presigned.signature.signature)")
        #expect(presigned.signature.signature.count == 64)
    }

    @Test func expiryMustBeOneSecondToSevenDays() throws {
        let signer = SigV4Signer(credentials: S3Credentials(accessKey: "AKID", secretKey: "secret"), region: "us-east-1")
        let url = try S3URL.object(endpoint: .aws(region: "us-east-1"), bucket: "exthost-bundles", key: "k", pathStyle: true)
        for expires in [0, -1, 604_801, Int.max] {
            #expect(throws: SigV4Error.expiryOutOfRange(seconds: expires)) { try signer.presign(method: "GET", url: url, expires: expires, at: 0) }
        }
        for expires in [1, 604_800] {
            #expect(try signer.presign(method: "GET", url: url, expires: expires, at: 0).contains("X-Amz-Expires=\(expires)&"))
        }
        let error = SigV4Error.expiryOutOfRange(seconds: 0)
        #expect(error.status.code == 500)
        #expect(error.code == "PRESIGN_INVALID")
    }

    @Test func refusesAURLThatIsAlreadyPresigned() throws {
        let signer = SigV4Signer(credentials: S3Credentials(accessKey: "AKID", secretKey: "secret"), region: "us-east-1")
        let url = try S3URL.object(endpoint: .aws(region: "us-east-1"), bucket: "exthost-bundles", key: "k", query: [S3QueryItem("x-amz-signature", "0")], pathStyle: true)
        #expect(throws: SigV4Error.alreadyPresigned) { try signer.presign(method: "GET", url: url, expires: 60, at: 0) }
    }
}
