import BundleStore
import Cryptography
import Foundation
import Testing

/// Requests signed by SigV4Signer and sent with curl to the stack's moto servers: the one that
/// checks header signatures (`STORAGE_S3_AUTH_*`) and the plain one (`STORAGE_S3_ENDPOINT`).
@Suite(.serialized) struct SigV4MotoTests {
    struct Stack {
        let authEndpoint: S3Endpoint
        let authCredentials: S3Credentials
        let plain: S3Configuration
    }

    /// The stack's settings; records a failure (never a skip) when they are absent.
    static func stack() throws -> Stack {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["STORAGE_S3_AUTH_ENDPOINT"], let key = environment["STORAGE_S3_AUTH_ACCESS_KEY"],
            let secret = environment["STORAGE_S3_AUTH_SECRET_KEY"], environment["STORAGE_S3_BUCKET"] != nil
        else {
            Issue.record("STORAGE_S3_AUTH_ENDPOINT, STORAGE_S3_AUTH_ACCESS_KEY, STORAGE_S3_AUTH_SECRET_KEY and STORAGE_S3_BUCKET are not set: run the tests under scripts/test, or after eval \"$(scripts/stack env)\"")
            throw SigV4Tools.ToolFailure(message: "no stack environment")
        }
        return Stack(
            authEndpoint: try S3Endpoint(parsing: endpoint),
            authCredentials: S3Credentials(accessKey: key, secretKey: secret),
            plain: try S3Configuration(environment: environment)
        )
    }

    struct Response {
        let status: Int
        let body: Data
        /// curl's `-v` trace: the request header lines start with `> `.
        let trace: String

        func sentHeader(_ name: String) -> String? {
            let prefix = "> \(name.lowercased()): "
            // "\r\n" is one Character, so split on any newline rather than on "\n".
            return trace.split(whereSeparator: \.isNewline).lazy
                .map(String.init)
                .first { $0.lowercased().hasPrefix(prefix) }
                .map { String($0.dropFirst(prefix.count)) }
        }
    }

    static func curl(_ arguments: [String]) throws -> Response {
        let bodyFile = FileManager.default.temporaryDirectory.appendingPathComponent("sigv4-\(UUID().uuidString).body")
        defer { try? FileManager.default.removeItem(at: bodyFile) }
        let output = try SigV4Tools.run(["curl", "-sS", "-v", "-o", bodyFile.path, "-w", "%{http_code}"] + arguments)
        guard output.status == 0, let status = Int(output.text) else {
            throw SigV4Tools.ToolFailure(message: "curl exited \(output.status): \(output.stderr)")
        }
        return Response(status: status, body: (try? Data(contentsOf: bodyFile)) ?? Data(), trace: output.stderr)
    }

    static func headerArguments(_ headers: [(name: String, value: String)]) -> [String] {
        headers.flatMap { ["-H", "\($0.name): \($0.value)"] }
    }

    static func temporaryFile(_ bytes: [UInt8]) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sigv4-\(UUID().uuidString).data")
        try Data(bytes).write(to: file)
        return file
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A fresh key with a character that needs encoding (a space), so the wire form is
    /// exercised. Only the space: moto's verifier re-quotes the path its own way and rejects
    /// any other encoded character, even from botocore (docs/s3.md).
    static func freshKey(_ leaf: String) -> String {
        "sigv4-tests/\(UUID().uuidString)/a b~c/\(leaf)"
    }

    @Test func headerAuthorizedPutAndGetAreAccepted() throws {
        let stack = try Self.stack()
        let signer = SigV4Signer(credentials: stack.authCredentials, region: stack.plain.region)
        let content = Self.randomBytes(70_000)
        let file = try Self.temporaryFile(content)
        defer { try? FileManager.default.removeItem(at: file) }

        for payload in [SigV4Payload.sha256(SHA256.hash(content).hex), .unsigned] {
            let url = try S3URL.object(endpoint: stack.authEndpoint, bucket: stack.plain.bucket, key: Self.freshKey("object.bin"), pathStyle: true)
            let contentType = (name: "Content-Type", value: "application/octet-stream")
            let put = signer.signHeaders(method: "PUT", url: url, headers: [contentType], payload: payload, at: SigV4Timestamp.now().epochSeconds)
            let putResponse = try Self.curl(["-X", "PUT", "--data-binary", "@\(file.path)"] + Self.headerArguments([contentType] + put) + [url.string])
            #expect(putResponse.status == 200, "PUT (\(payload)): \(String(decoding: putResponse.body, as: UTF8.self))")

            let get = signer.signHeaders(method: "GET", url: url, payload: .empty, at: SigV4Timestamp.now().epochSeconds)
            let getResponse = try Self.curl(Self.headerArguments(get) + [url.string])
            #expect(getResponse.status == 200, "GET: \(String(decoding: getResponse.body, as: UTF8.self))")
            #expect(getResponse.body == Data(content))

            let range = (name: "Range", value: "bytes=10-19")
            let ranged = signer.signHeaders(method: "GET", url: url, headers: [range], payload: .empty, at: SigV4Timestamp.now().epochSeconds)
            let rangedResponse = try Self.curl(Self.headerArguments([range] + ranged) + [url.string])
            #expect(rangedResponse.status == 206)
            #expect(rangedResponse.body == Data(content[10..<20]))
        }
    }

    @Test func aWrongSecretOrAnAlteredRequestIsRejected() throws {
        let stack = try Self.stack()
        let key = Self.freshKey("x.txt")
        let url = try S3URL.object(endpoint: stack.authEndpoint, bucket: stack.plain.bucket, key: key, pathStyle: true)
        let file = try Self.temporaryFile(Array("payload".utf8))
        defer { try? FileManager.default.removeItem(at: file) }

        let wrong = S3Credentials(accessKey: stack.authCredentials.accessKey, secretKey: stack.authCredentials.secretKey + "x")
        let headers = SigV4Signer(credentials: wrong, region: stack.plain.region).signHeaders(method: "PUT", url: url, payload: .unsigned, at: SigV4Timestamp.now().epochSeconds)
        let response = try Self.curl(["-X", "PUT", "--data-binary", "@\(file.path)"] + Self.headerArguments(headers) + [url.string])
        #expect(response.status == 403)
        #expect(String(decoding: response.body, as: UTF8.self).contains("SignatureDoesNotMatch"))

        // A correct signature for one key does not open another.
        let signer = SigV4Signer(credentials: stack.authCredentials, region: stack.plain.region)
        let signed = signer.signHeaders(method: "PUT", url: url, payload: .unsigned, at: SigV4Timestamp.now().epochSeconds)
        let other = try S3URL.object(endpoint: stack.authEndpoint, bucket: stack.plain.bucket, key: key + "2", pathStyle: true)
        let moved = try Self.curl(["-X", "PUT", "--data-binary", "@\(file.path)"] + Self.headerArguments(signed) + [other.string])
        #expect(moved.status == 403)
        #expect(String(decoding: moved.body, as: UTF8.self).contains("SignatureDoesNotMatch"))
    }

    /// curl's own signer (`--aws-sigv4`) and ours, for the same request at the same second, both
    /// accepted; with the same signed fields (curl signs `host`, `content-type` and the `x-amz-*`
    /// fields, and uses the `x-amz-content-sha256` value it is given as the payload hash) the
    /// Authorization values are identical.
    @Test func matchesCurlAwsSigV4() throws {
        let stack = try Self.stack()
        let signer = SigV4Signer(credentials: stack.authCredentials, region: stack.plain.region)
        let url = try S3URL.object(endpoint: stack.authEndpoint, bucket: stack.plain.bucket, key: Self.freshKey("curl.txt"), pathStyle: true)
        let content = Array("signed by curl".utf8)
        let file = try Self.temporaryFile(content)
        defer { try? FileManager.default.removeItem(at: file) }
        let curlSigning = [
            "--aws-sigv4", "aws:amz:\(stack.plain.region):s3",
            "--user", "\(stack.authCredentials.accessKey):\(stack.authCredentials.secretKey)",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
        ]

        // An explicit Content-Type, which curl signs (with curl's default form type moto's web
        // framework would swallow the body).
        let contentType = [(name: "Content-Type", value: "application/octet-stream")]
        let requests: [(method: String, headers: [(name: String, value: String)], body: [String])] = [
            ("PUT", contentType, ["-X", "PUT", "--data-binary", "@\(file.path)"]),
            ("GET", [], []),
        ]
        for request in requests {
            let extra = request.body + Self.headerArguments(request.headers)
            let response = try Self.curl(curlSigning + extra + [url.string])
            #expect(response.status == 200, "curl --aws-sigv4 \(request.method): \(String(decoding: response.body, as: UTF8.self))")
            let sentDate = try #require(response.sentHeader("X-Amz-Date"))
            let sentAuthorization = try #require(response.sentHeader("Authorization"))
            let timestamp = try #require(SigV4Timestamp(amzDate: sentDate))
            let ours = signer.authorize(method: request.method, url: url, headers: request.headers, payload: .unsigned, at: timestamp)
            #expect(ours.signature.authorization == sentAuthorization, "\(request.method)")
            if request.method == "GET" { #expect(response.body == Data(content)) }

            // Ours, sent on its own, is accepted as well.
            let signed = signer.signHeaders(method: request.method, url: url, headers: request.headers, payload: .unsigned, at: SigV4Timestamp.now().epochSeconds)
            let own = try Self.curl(extra + Self.headerArguments(signed) + [url.string])
            #expect(own.status == 200, "\(request.method): \(String(decoding: own.body, as: UTF8.self))")
            if request.method == "GET" { #expect(own.body == Data(content)) }
        }
    }

    /// The plain moto does not check signatures, so this proves the wire form of presigned URLs
    /// (the signature itself is proven against the AWS examples and botocore): a plain
    /// `curl -T` uploads, the presigned GET reads it back, and a signed `If-None-Match: *`
    /// reaches the server.
    @Test func presignedURLsWorkWithPlainCurl() throws {
        let stack = try Self.stack()
        let configuration = stack.plain
        let url = try configuration.objectURL(key: Self.freshKey("presigned.bin"))
        let content = Self.randomBytes(50_000)
        let file = try Self.temporaryFile(content)
        defer { try? FileManager.default.removeItem(at: file) }

        let put = try configuration.signer.presign(method: "PUT", url: url, expires: 300, at: SigV4Timestamp.now().epochSeconds)
        let putResponse = try Self.curl(["-T", file.path, put])
        #expect(putResponse.status == 200, "\(String(decoding: putResponse.body, as: UTF8.self))")

        let get = try configuration.signer.presign(method: "GET", url: url, expires: 300, at: SigV4Timestamp.now().epochSeconds)
        let getResponse = try Self.curl([get])
        #expect(getResponse.status == 200)
        #expect(getResponse.body == Data(content))

        let once = try configuration.signer.presignedURL(method: "PUT", url: url, headers: [(name: "If-None-Match", value: "*")], expires: 300, at: .now())
        let again = try Self.curl(["-T", file.path] + Self.headerArguments(once.requiredHeaders) + [once.url])
        #expect(again.status == 412)
    }
}
