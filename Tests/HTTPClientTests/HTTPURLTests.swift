import HTTPClient
import Testing

@Suite struct HTTPURLTests {
    @Test(arguments: [
        ("http://0x7f000001/", "127.0.0.1"), ("http://2130706433/", "127.0.0.1"), ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://127.1/", "127.0.0.1"), ("http://[::1]/", "[::1]"), ("http://[0:0::1]/", "[::1]"),
        ("http://ex%61mple.com/", "example.com"), ("https://Example.com./", "Example.com."),
    ])
    func hostsAreWhatCurlConnectsTo(_ text: String, _ host: String) throws {
        #expect(try HTTPURL(text).host == host)
    }

    @Test func partsAndTheRequestedText() throws {
        let url = try HTTPURL("HTTPS://a:b@0x7f000001:8443/p?q=1#frag")
        #expect(url.scheme == "https" && url.host == "127.0.0.1" && url.port == 8443 && url.hasUserInfo)
        #expect(url.url == "https://a:b@127.0.0.1:8443/p?q=1")
        #expect(try HTTPURL("http://example.com/").port == 80)
        #expect(try !HTTPURL("http://example.com/").hasUserInfo && HTTPURL("http://@example.com/").hasUserInfo)
        #expect(try HTTPURL("http://[fe80::1%25eth0]/").hasZoneID)
    }

    @Test(arguments: ["ftp://example.com/", "example.com", "//example.com/", "http://", "http://example.com:0/", "http://a b/", "http://x/\u{1}", ""])
    func unusableTextIsInvalid(_ text: String) {
        #expect(throws: HTTPClientError.self) { try HTTPURL(text) }
    }

    @Test func ipAddressesParseStrictlyAndPrintCanonically() {
        #expect(IPAddress("127.0.0.1")?.bytes == [127, 0, 0, 1])
        #expect(IPAddress("0:0:0:0:0:ffff:7f00:1")?.description == "::ffff:127.0.0.1")
        #expect(IPAddress("127.1") == nil && IPAddress("0x7f000001") == nil && IPAddress("localhost") == nil && IPAddress("[::1]") == nil)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil && IPAddress(bytes: [1, 2, 3, 4])?.family == .ipv4)
    }
}
