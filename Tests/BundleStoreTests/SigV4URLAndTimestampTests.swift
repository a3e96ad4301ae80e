import BundleStore
import ExthostCore
import Foundation
import Testing

@Suite struct SigV4URLAndTimestampTests {
    @Test(arguments: [
        (Int64(0), "19700101T000000Z"),
        (1_440_938_160, "20150830T123600Z"),
        (951_868_799, "20000229T235959Z"),
        (2_147_483_648, "20380119T031408Z"),
        (4_102_444_799, "20991231T235959Z"),
        (253_402_300_799, "99991231T235959Z"),
    ])
    func timestampForms(_ epochSeconds: Int64, _ amzDate: String) {
        let timestamp = SigV4Timestamp(epochSeconds: epochSeconds)
        #expect(timestamp.amzDate == amzDate)
        #expect(timestamp.dateStamp == String(amzDate.prefix(8)))
        #expect(SigV4Timestamp(amzDate: amzDate) == timestamp)
    }

    @Test func nowIsTheSystemClock() {
        let now = Int64(Date().timeIntervalSince1970)
        #expect(abs(SigV4Timestamp.now().epochSeconds - now) <= 2)
    }

    @Test func pathStyleAndVirtualHostedURLs() throws {
        let aws = S3Endpoint.aws(region: "eu-west-1")
        let virtual = try S3URL.object(endpoint: aws, bucket: "exthost-bundles", key: "sha256/ab/bundle.tar.zst", pathStyle: false)
        #expect(virtual.host == "exthost-bundles.s3.eu-west-1.amazonaws.com")
        #expect(virtual.path == "/sha256/ab/bundle.tar.zst")
        #expect(virtual.hostHeader == "exthost-bundles.s3.eu-west-1.amazonaws.com")
        #expect(virtual.string == "https://exthost-bundles.s3.eu-west-1.amazonaws.com/sha256/ab/bundle.tar.zst")

        let local = try S3Endpoint(parsing: "http://127.0.0.1:9000")
        let path = try S3URL.object(endpoint: local, bucket: "exthost-bundles", key: "staging/u1/bundle.tar.zst", query: [S3QueryItem("uploads")], pathStyle: true)
        #expect(path.hostHeader == "127.0.0.1:9000")
        #expect(path.requestTarget == "/exthost-bundles/staging/u1/bundle.tar.zst?uploads=")
        #expect(path.string == "http://127.0.0.1:9000/exthost-bundles/staging/u1/bundle.tar.zst?uploads=")

        let named = try S3Endpoint(parsing: "https://minio.example.net:9443")
        let virtualPort = try S3URL.object(endpoint: named, bucket: "b-1", key: "k", pathStyle: false)
        #expect(virtualPort.hostHeader == "b-1.minio.example.net:9443")
        #expect(virtualPort.string == "https://b-1.minio.example.net:9443/k")

        let ipv6 = try S3Endpoint(parsing: "http://[::1]:9000")
        #expect(S3URL.bucket(endpoint: ipv6, bucket: "abc", pathStyle: true).string == "http://[::1]:9000/abc")
        #expect(S3URL.bucket(endpoint: aws, bucket: "abc", query: [S3QueryItem("list-type", "2")], pathStyle: false).string == "https://abc.s3.eu-west-1.amazonaws.com/?list-type=2")
        #expect(S3URL(scheme: "https", host: "h", port: 443, path: "/").hostHeader == "h")
    }

    @Test func keySegmentsAreEncodedOnceWithSlashesKept() throws {
        let endpoint = S3Endpoint.aws(region: "us-east-1")
        let key = "dir/a b+c=d&e%f~g.h-_/\u{00FC}\u{1234}/?#[]@!$'()*,;:.txt"
        let url = try S3URL.object(endpoint: endpoint, bucket: "bkt", key: key, pathStyle: true)
        #expect(url.path == "/bkt/dir/a%20b%2Bc%3Dd%26e%25f~g.h-_/%C3%BC%E1%88%B4/%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%3A.txt")
        #expect(try S3URL.object(endpoint: endpoint, bucket: "bkt", key: "/lead//double/", pathStyle: true).path == "/bkt//lead//double/")
    }

    @Test func queryItemsAreEncodedInOrder() throws {
        let url = try S3URL.object(
            endpoint: .aws(region: "us-east-1"), bucket: "bkt", key: "k",
            query: [S3QueryItem("uploadId", "a+b/c=d e~"), S3QueryItem("partNumber", "2"), S3QueryItem("\u{00FC}", "")],
            pathStyle: true
        )
        #expect(url.requestTarget == "/bkt/k?uploadId=a%2Bb%2Fc%3Dd%20e~&partNumber=2&%C3%BC=")
        #expect(url.appending(query: [S3QueryItem("x", "1")]).requestTarget == url.requestTarget + "&x=1")
    }

    @Test(arguments: [
        ("", "empty"), ("a/./b", "contains a '.' or '..' segment"), ("../etc", "contains a '.' or '..' segment"), ("a/..", "contains a '.' or '..' segment"),
        (".", "contains a '.' or '..' segment"), ("a\u{0}b", "contains a control character"), ("a\nb", "contains a control character"), ("a\u{7F}", "contains a control character"),
        (String(repeating: "k", count: 1025), "longer than 1024 bytes"), (String(repeating: "\u{00FC}", count: 513), "longer than 1024 bytes"),
    ])
    func unsafeKeysAreRefused(_ key: String, _ reason: String) {
        #expect(throws: S3URLError.invalidKey(reason: reason)) {
            try S3URL.object(endpoint: .aws(region: "us-east-1"), bucket: "bkt", key: key, pathStyle: true)
        }
    }

    @Test func keysThatLookOddButAreSafe() throws {
        for key in ["..a", "a..", ".hidden/x", "a/.../b", String(repeating: "k", count: 1024)] {
            #expect(throws: Never.self) { try S3URL.object(endpoint: .aws(region: "us-east-1"), bucket: "bkt", key: key, pathStyle: true) }
        }
        let error = S3URLError.invalidKey(reason: "empty")
        #expect(error.status.code == 500 && error.code == "STORE_KEY_INVALID" && error.message == "invalid object key: empty")
    }

    @Test func payloadHeaderValues() {
        #expect(SigV4Payload.unsigned.headerValue == "UNSIGNED-PAYLOAD")
        #expect(SigV4Payload.empty.headerValue == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SigV4Payload.sha256(String(repeating: "a", count: 64)).headerValue == String(repeating: "a", count: 64))
    }

    @Test func sessionTokenIsSentAndSigned() throws {
        let signer = SigV4Signer(credentials: S3Credentials(accessKey: "AKID", secretKey: "secret", sessionToken: "tok"), region: "us-east-1")
        let url = try S3URL.object(endpoint: .aws(region: "us-east-1"), bucket: "bkt", key: "k", pathStyle: true)
        let authorization = signer.authorize(method: "HEAD", url: url, payload: .empty, at: SigV4Timestamp(epochSeconds: 0))
        #expect(authorization.headers.map(\.name) == ["Authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"])
        #expect(authorization.headers.last?.value == "tok")
        #expect(authorization.signature.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
        #expect(!authorization.signature.canonicalRequest.contains("secret"))
        #expect(!authorization.signature.stringToSign.contains("secret"))
    }
}
