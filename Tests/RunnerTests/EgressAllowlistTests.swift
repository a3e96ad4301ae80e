import ExthostCore
import Runner
import Testing

@Suite struct EgressAllowlistTests {
    private func admits(_ list: String, _ url: String) throws -> Bool {
        try EgressAllowlist(parsing: list).entry(admitting: EgressDestination(url)) != nil
    }

    @Test func emptyOrBlankDeniesEverything() throws {
        for text in ["", "  ", " , ,"] {
            let list = try EgressAllowlist(parsing: text)
            #expect(list.isEmpty)
            #expect(list.entry(admitting: try EgressDestination("https://example.com/")) == nil)
        }
    }

    @Test func parsesEveryEntryForm() throws {
        let list = try EgressAllowlist(parsing: " API.Example.com , *.example.test,host:8443, http://127.0.0.1:8081,http://[::1]:9000, https://svc.local. ")
        #expect(list.entries.map(\.description) == [
            "api.example.com", "*.example.test", "host:8443", "http://127.0.0.1:8081", "http://[::1]:9000", "svc.local",
        ])
        #expect(list.entries[3].literalAddress != nil && list.entries[4].literalAddress != nil)
        #expect(list.entries[0].literalAddress == nil && list.entries[1].literalAddress == nil)
    }

    @Test func anIPEntryIsReadTheWayCurlReadsItInAURL() throws {
        let list = try EgressAllowlist(parsing: "http://0x7f000001:8081")
        #expect(list.entries.map(\.description) == ["http://127.0.0.1:8081"])
        #expect(try admits("http://0x7f000001:8081", "http://127.1:8081/x"))
    }

    @Test(arguments: [
        "example.com/path", "user@example.com", "ftp://example.com", "*", "*.com", "a.*.example.com", "*example.com",
        "example.com:0", "example.com:65536", "example.com:", "example.com:http", "[::1", "::1", "exa mple.com",
        "*.10.0.0.1", "http://", "ex%61mple.com", "bücher.example",
    ])
    func malformedEntriesAreRefusedByName(_ entry: String) {
        #expect(throws: EgressAllowlistError.self) { try EgressAllowlist(parsing: "good.example.com, \(entry)") }
        do {
            _ = try EgressAllowlist(parsing: "good.example.com, \(entry)")
        } catch {
            #expect(error.message.contains(entry.debugDescription))
            #expect(error.code == "CONFIGURATION_INVALID")
        }
    }

    @Test func theRunnerRefusesToStartOnAMalformedEntryAndReadsAGoodList() throws {
        #expect(throws: RunnerConfigurationError.self) { try RunnerConfiguration(environment: ["EXT_EGRESS_ALLOWLIST": "ok.example.com,bad/entry"]) }
        do {
            _ = try RunnerConfiguration(environment: ["EXT_EGRESS_ALLOWLIST": "bad/entry"])
        } catch {
            #expect(error.message.hasPrefix("EXT_EGRESS_ALLOWLIST") && error.message.contains("bad/entry"))
        }
        let settings = try RunnerConfiguration(environment: ["EXT_EGRESS_ALLOWLIST": "*.example.test", "EXT_FETCH_MAX_BYTES": "1024"])
        #expect(settings.egressAllowlist.entries.map(\.description) == ["*.example.test"])
        #expect(settings.fetchMaxResponseBytes == 1024)
        let defaults = try RunnerConfiguration(environment: [:])
        #expect(defaults.egressAllowlist.isEmpty && defaults.fetchMaxResponseBytes == 5 << 20)
        for value in ["0", "7340033", "big"] {
            #expect(throws: RunnerConfigurationError.self) { try RunnerConfiguration(environment: ["EXT_FETCH_MAX_BYTES": value]) }
        }
    }

    @Test func hostsMatchCaseInsensitivelyAndIgnoreATrailingDot() throws {
        #expect(try admits("api.example.com", "https://API.Example.COM./v1"))
        #expect(try !admits("api.example.com", "https://api.example.com.evil.test/"))
        #expect(try !admits("api.example.com", "https://xapi.example.com/"))
    }

    @Test func anEntryWithoutHTTPPrefixAdmitsHTTPSOnly() throws {
        #expect(try admits("example.com", "https://example.com/"))
        #expect(try !admits("example.com", "http://example.com/"))
        #expect(try !admits("example.com:8080", "http://example.com:8080/"))
        #expect(try admits("http://example.com", "http://example.com/"))
        #expect(try admits("http://example.com", "https://example.com/"))
    }

    @Test func withoutAPortOnlyTheSchemesDefaultPortIsAdmitted() throws {
        #expect(try admits("example.com", "https://example.com:443/"))
        #expect(try !admits("example.com", "https://example.com:8443/"))
        #expect(try !admits("http://example.com", "http://example.com:443/"))
        #expect(try admits("example.com:8443", "https://example.com:8443/"))
        #expect(try !admits("example.com:8443", "https://example.com/"))
    }

    @Test func aWildcardAdmitsSubdomainsOnlyNeverTheDomainOrAnAddress() throws {
        #expect(try admits("*.example.test", "https://a.example.test/"))
        #expect(try admits("*.example.test", "https://b.a.EXAMPLE.test/"))
        #expect(try !admits("*.example.test", "https://example.test/"))
        #expect(try !admits("*.example.test", "https://evilexample.test/"))
        #expect(try !admits("*.example.test", "https://127.0.0.1/"))
    }

    @Test func anAddressEntryAdmitsThatAddressInEveryNotationCurlAccepts() throws {
        for url in ["http://127.0.0.1:8081/", "http://0x7f000001:8081/", "http://2130706433:8081/", "http://0177.0.0.1:8081/", "http://127.1:8081/"] {
            #expect(try admits("http://127.0.0.1:8081", url), "\(url)")
        }
        #expect(try !admits("http://127.0.0.1:8081", "http://127.0.0.2:8081/"))
        #expect(try !admits("http://127.0.0.1:8081", "http://localhost:8081/"))
        #expect(try admits("http://[::1]:9000", "http://[0:0:0:0:0:0:0:1]:9000/"))
        #expect(try !admits("http://[::1]:9000", "http://[::ffff:127.0.0.1]:9000/"))
    }
}
