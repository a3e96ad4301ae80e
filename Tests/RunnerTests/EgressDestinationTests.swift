import Runner
import Testing

@Suite struct EgressDestinationTests {
    private func host(_ url: String) throws -> String {
        try EgressDestination(url).host.description
    }

    private func failure(_ url: String) -> String? {
        do {
            _ = try EgressDestination(url)
            return nil
        } catch {
            return error.hostCallCode
        }
    }

    @Test(arguments: [
        ("http://0x7f000001/", "127.0.0.1"), ("http://2130706433/", "127.0.0.1"), ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://127.1/", "127.0.0.1"), ("http://127.0.0.1./", "127.0.0.1"), ("http://0/", "0.0.0.0"),
        ("http://[::1]/", "[::1]"), ("http://[0:0:0:0:0:0:0:1]/", "[::1]"), ("http://[::ffff:127.0.0.1]/", "[::ffff:127.0.0.1]"),
        ("https://Example.COM./a", "example.com"), ("https://ex%61mple.com/", "example.com"),
    ])
    func hostsAreNormalizedTheWayCurlConnects(_ url: String, _ expected: String) throws {
        #expect(try host(url) == expected)
    }

    @Test func anIPLiteralIsAnAddressAndANameIsAName() throws {
        guard case .address = try EgressDestination("http://2130706433/").host else { Issue.record("not an address"); return }
        guard case .name("localhost") = try EgressDestination("http://LOCALHOST:8080/").host else { Issue.record("not a name"); return }
    }

    @Test func portsDefaultByScheme() throws {
        #expect(try EgressDestination("http://example.com/").port == 80)
        #expect(try EgressDestination("HTTPS://example.com/").port == 443)
        #expect(try EgressDestination("https://example.com:8443/").port == 8443)
        #expect(try EgressDestination("HTTPS://example.com/").scheme == "https")
    }

    @Test func theFragmentIsNeverRequested() throws {
        #expect(try EgressDestination("https://example.com/a?b=c#frag").requestURL == "https://example.com/a?b=c")
        #expect(try EgressDestination("http://0x7f000001:81/x").requestURL == "http://127.0.0.1:81/x")
    }

    @Test(arguments: [
        "http://a@example.com/", "http://a:b@example.com/", "http://@example.com/", "http://:p@example.com/", "http://x\\@example.com/",
        "ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "example.com/path", "//example.com/", "#frag", "",
        "http://[fe80::1%25eth0]/", "http://exa mple.com/", "http://example.com:0/", "http://example.com:65536/",
        "http://bücher.example/", "http://[::1/", "http://example.com/\n",
    ])
    func unusableURLsAreInvalid(_ url: String) {
        #expect(failure(url) == "invalid_url", "\(url)")
    }
}
