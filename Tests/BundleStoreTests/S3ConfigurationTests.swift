import BundleStore
import ExthostCore
import Foundation
import Testing

@Suite struct S3ConfigurationTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let token = "IQoJb3JpZ2luX2VjEC8a+SESSION/TOKEN=="
    static let minimal = [
        "STORAGE_S3_BUCKET": "exthost-bundles",
        "STORAGE_S3_ACCESS_KEY": "AKIAIOSFODNN7EXAMPLE",
        "STORAGE_S3_SECRET_KEY": secret,
    ]

    static func configuration(_ overrides: [String: String]) throws(S3ConfigurationError) -> S3Configuration {
        try S3Configuration(environment: minimal.merging(overrides) { $1 })
    }

    static func error(_ overrides: [String: String], removing removed: [String] = []) -> S3ConfigurationError? {
        var environment = minimal.merging(overrides) { $1 }
        for name in removed { environment[name] = nil }
        do {
            _ = try S3Configuration(environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaults() throws {
        let configuration = try Self.configuration([:])
        #expect(configuration.endpoint.description == "https://s3.us-east-1.amazonaws.com")
        #expect(configuration.region == "us-east-1")
        #expect(configuration.forcePathStyle == false)
        #expect(configuration.bundleStoreBase == "sha256/")
        #expect(configuration.caFile == nil)
        #expect(configuration.credentials.sessionToken == nil)
        #expect(try configuration.objectURL(key: "sha256/ab/bundle.tar.zst").string == "https://exthost-bundles.s3.us-east-1.amazonaws.com/sha256/ab/bundle.tar.zst")
        #expect(configuration.signer.region == "us-east-1")
        #expect(configuration.signer.service == "s3")
        #expect(configuration.signer.pathRules == .s3)
    }

    @Test func everyVariableSet() throws {
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("sigv4-ca-\(UUID().uuidString).pem")
        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: caFile)
        defer { try? FileManager.default.removeItem(at: caFile) }
        let configuration = try Self.configuration([
            "STORAGE_S3_ENDPOINT": "HTTP://Minio.Internal:9000/",
            "STORAGE_S3_SESSION_TOKEN": Self.token,
            "STORAGE_S3_REGION": "eu-west-3",
            "STORAGE_S3_FORCE_PATH_STYLE": "true",
            "BUNDLE_STORE_BASE": "bundles/v1.sha-256_/",
            "STORAGE_S3_CA_FILE": caFile.path,
        ])
        #expect(configuration.endpoint == (try S3Endpoint(parsing: "http://minio.internal:9000")))
        #expect(configuration.endpoint.port == 9000)
        #expect(configuration.region == "eu-west-3")
        #expect(configuration.forcePathStyle)
        #expect(configuration.bundleStoreBase == "bundles/v1.sha-256_/")
        #expect(configuration.caFile == caFile.path)
        #expect(configuration.credentials == S3Credentials(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: Self.secret, sessionToken: Self.token))
        #expect(try configuration.objectURL(key: "k").string == "http://minio.internal:9000/exthost-bundles/k")
        #expect(configuration.bucketURL(query: [S3QueryItem("list-type", "2")]).string == "http://minio.internal:9000/exthost-bundles?list-type=2")
    }

    @Test func theDefaultEndpointFollowsTheRegion() throws {
        #expect(try Self.configuration(["STORAGE_S3_REGION": "ap-southeast-2"]).endpoint.description == "https://s3.ap-southeast-2.amazonaws.com")
    }

    @Test func emptyValuesCountAsUnset() throws {
        let configuration = try Self.configuration(["STORAGE_S3_ENDPOINT": "", "STORAGE_S3_REGION": "", "STORAGE_S3_SESSION_TOKEN": "", "BUNDLE_STORE_BASE": "", "STORAGE_S3_CA_FILE": "", "STORAGE_S3_FORCE_PATH_STYLE": ""])
        #expect(configuration == (try Self.configuration([:])))
        #expect(Self.error(["STORAGE_S3_BUCKET": ""]) == .missing(variable: "STORAGE_S3_BUCKET"))
    }

    @Test(arguments: ["STORAGE_S3_BUCKET", "STORAGE_S3_ACCESS_KEY", "STORAGE_S3_SECRET_KEY"])
    func requiredVariables(_ name: String) {
        let error = Self.error([:], removing: [name])
        #expect(error == .missing(variable: name))
        #expect(error?.message == "\(name) is not set")
        #expect(error?.status.code == 500)
        #expect(error?.code == "CONFIG_INVALID")
    }

    @Test(arguments: [
        ("ftp://s3.example.com", "must start with http:// or https://"),
        ("s3.example.com", "must start with http:// or https://"),
        ("https://s3.example.com/prefix", "must not have a path"),
        ("https://s3.example.com/?x=1", "must not have a path"),
        ("https://s3.example.com#frag", "must not have a path"),
        ("https://user:hunter2@s3.example.com", "must not contain user information"),
        ("https://", "invalid host"),
        ("https://s3_example.com", "invalid host"),
        ("https://-s3.example.com", "invalid host"),
        ("https://999.1.1.1", "invalid host"),
        ("https://s3.example.com:0", "invalid port"),
        ("https://s3.example.com:65536", "invalid port"),
        ("https://s3.example.com:", "invalid port"),
        ("https://s3.example.com:9x", "invalid port"),
        ("https://[::1", "unterminated IPv6"),
        ("https://[::1]x", "text after the IPv6 address"),
    ])
    func invalidEndpoints(_ endpoint: String, _ reason: String) {
        let error = Self.error(["STORAGE_S3_ENDPOINT": endpoint, "STORAGE_S3_FORCE_PATH_STYLE": "true"])
        #expect(error?.variable == "STORAGE_S3_ENDPOINT")
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "accepted")")
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func endpointForms() throws {
        let ipv6 = try S3Endpoint(parsing: "http://[::1]:9000")
        #expect(ipv6.host == "[::1]" && ipv6.port == 9000 && ipv6.isIPAddress)
        let ipv4 = try S3Endpoint(parsing: "http://127.0.0.1:60227")
        #expect(ipv4.isIPAddress && ipv4.description == "http://127.0.0.1:60227")
        let defaultPort = try S3Endpoint(parsing: "https://s3.example.com:443")
        #expect(defaultPort.port == nil && defaultPort.description == "https://s3.example.com")
        #expect(try S3Endpoint(parsing: "http://s3.example.com:80").port == nil)
        #expect(try S3Endpoint(parsing: "http://s3.example.com:443").port == 443)
        #expect(try S3Endpoint(parsing: "https://localhost").isIPAddress == false)
    }

    @Test func forcePathStyleIsTrueOrFalse() throws {
        #expect(try Self.configuration(["STORAGE_S3_FORCE_PATH_STYLE": "false"]).forcePathStyle == false)
        #expect(try Self.configuration(["STORAGE_S3_FORCE_PATH_STYLE": "true"]).forcePathStyle)
        for value in ["TRUE", "1", "yes", "True", " true"] {
            let error = Self.error(["STORAGE_S3_FORCE_PATH_STYLE": value])
            #expect(error == .invalid(variable: "STORAGE_S3_FORCE_PATH_STYLE", reason: "must be true or false, not '\(value)'"))
        }
    }

    @Test func virtualHostedStyleNeedsADNSEndpoint() {
        let error = Self.error(["STORAGE_S3_ENDPOINT": "http://127.0.0.1:9000"])
        #expect(error?.variable == "STORAGE_S3_FORCE_PATH_STYLE")
        #expect(Self.error(["STORAGE_S3_ENDPOINT": "http://[::1]:9000"])?.variable == "STORAGE_S3_FORCE_PATH_STYLE")
        #expect(Self.error(["STORAGE_S3_ENDPOINT": "http://127.0.0.1:9000", "STORAGE_S3_FORCE_PATH_STYLE": "true"]) == nil)
    }

    @Test func dottedBucketsNeedPathStyleOverHTTPS() {
        let error = Self.error(["STORAGE_S3_BUCKET": "bundles.example.com"])
        #expect(error?.variable == "STORAGE_S3_BUCKET")
        #expect(error?.message.contains("STORAGE_S3_FORCE_PATH_STYLE=true") == true)
        #expect(Self.error(["STORAGE_S3_BUCKET": "bundles.example.com", "STORAGE_S3_FORCE_PATH_STYLE": "true"]) == nil)
        #expect(Self.error(["STORAGE_S3_BUCKET": "bundles.example.com", "STORAGE_S3_ENDPOINT": "http://minio:9000"]) == nil)
    }

    @Test(arguments: [
        ("abc", true), ("exthost-bundles", true), ("a.b-c.1", true), (String(repeating: "a", count: 63), true), ("123", true),
        ("ab", false), (String(repeating: "a", count: 64), false), ("Exthost", false), ("ext_host", false), ("-abc", false),
        ("abc-", false), (".abc", false), ("abc.", false), ("a..b", false), ("192.168.5.4", false), ("xn--abc", false),
        ("sthree-abc", false), ("amzn-s3-demo-x", false), ("abc-s3alias", false), ("abc--ol-s3", false), ("abc.mrap", false),
        ("abc--x-s3", false), ("abc--table-s3", false), ("ab c", false), ("b\u{00FC}cket", false),
    ])
    func bucketNamingRules(_ name: String, _ valid: Bool) {
        #expect(S3Configuration.isValidBucketName(name) == valid)
        let error = Self.error(["STORAGE_S3_BUCKET": name, "STORAGE_S3_FORCE_PATH_STYLE": "true"])
        #expect((error == nil) == valid)
        if !valid { #expect(error?.variable == "STORAGE_S3_BUCKET") }
    }

    @Test(arguments: ["US-EAST-1", "us east", "-us", "us-", "us/east", String(repeating: "a", count: 64)])
    func invalidRegions(_ region: String) {
        #expect(Self.error(["STORAGE_S3_REGION": region])?.variable == "STORAGE_S3_REGION")
    }

    @Test(arguments: ["sha256", "/sha256/", "sha256//", "a//b/", "./", "a/../", "a/./", "sha 256/", "sha256/\u{00FC}/", "/", "a\\b/", String(repeating: "a", count: 256) + "/"])
    func invalidBases(_ base: String) {
        #expect(Self.error(["BUNDLE_STORE_BASE": base])?.variable == "BUNDLE_STORE_BASE")
    }

    @Test func caFileMustBeAReadableRegularFile() {
        #expect(Self.error(["STORAGE_S3_CA_FILE": "/nonexistent/ca.pem"])?.variable == "STORAGE_S3_CA_FILE")
        #expect(Self.error(["STORAGE_S3_CA_FILE": FileManager.default.temporaryDirectory.path])?.variable == "STORAGE_S3_CA_FILE")
    }

    @Test(arguments: [
        ("STORAGE_S3_SECRET_KEY", secret + " "), ("STORAGE_S3_SECRET_KEY", secret + "\r"), ("STORAGE_S3_SECRET_KEY", "s\u{00E9}cr\u{00E8}t" + secret),
        ("STORAGE_S3_ACCESS_KEY", "AKIA/" + secret), ("STORAGE_S3_ACCESS_KEY", " AKIA" + secret), ("STORAGE_S3_SESSION_TOKEN", token + "\n" + secret),
        ("STORAGE_S3_SESSION_TOKEN", token + " "), ("STORAGE_S3_SECRET_KEY", String(repeating: secret, count: 200)),
    ])
    func malformedCredentialsAreNamedButNeverEchoed(_ name: String, _ value: String) {
        let error = Self.error([name: value])
        #expect(error?.variable == name)
        for text in [error?.message ?? "", String(describing: error), String(reflecting: error)] {
            #expect(!text.contains(Self.secret))
            #expect(!text.contains(Self.token))
        }
    }

    @Test func descriptionsRedactTheSecretAndToken() throws {
        let configuration = try Self.configuration(["STORAGE_S3_SESSION_TOKEN": Self.token])
        var dumped = ""
        dump(configuration, to: &dumped)
        var dumpedCredentials = ""
        dump(configuration.credentials, to: &dumpedCredentials)
        var dumpedSigner = ""
        dump(configuration.signer, to: &dumpedSigner)
        let texts = [
            configuration.description, String(describing: configuration), String(reflecting: configuration), "\(configuration)",
            String(describing: configuration.credentials), String(reflecting: configuration.credentials),
            String(describing: configuration.signer), String(reflecting: configuration.signer),
            dumped, dumpedCredentials, dumpedSigner,
        ]
        for text in texts {
            #expect(!text.contains(Self.secret), "\(text)")
            #expect(!text.contains(Self.token), "\(text)")
        }
        #expect(configuration.description.contains("AKIAIOSFODNN7EXAMPLE"))
        #expect(configuration.description.contains("exthost-bundles"))
        #expect(configuration.description.contains("<redacted>"))
        #expect(dumpedCredentials.contains("<redacted>"))
    }
}
