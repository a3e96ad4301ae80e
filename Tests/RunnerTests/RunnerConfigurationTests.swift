import ExthostCore
import Runner
import Testing

@Suite struct RunnerConfigurationTests {
    @Test func defaultsWhenNothingIsSet() throws {
        let settings = try RunnerConfiguration(environment: ["EXTHOST_CACHE_DIR": ""])
        #expect(settings.cacheRoot == "/var/cache/exthost")
        #expect(settings.cacheFillSocket == "/run/exthost/cachefill.sock")
        #expect(settings.gatewayTimeout == .seconds(10))
        #expect(settings.databasePoolSize == 16)
    }

    @Test func readsEverySetting() throws {
        let settings = try RunnerConfiguration(environment: [
            "EXTHOST_CACHE_DIR": "/srv/cache", "EXTHOST_CACHEFILL_SOCKET": "/tmp/fill.sock",
            "EXT_GATEWAY_TIMEOUT_MS": "2500", "EXTHOST_DB_POOL_SIZE": "4",
        ])
        #expect(settings.cacheRoot == "/srv/cache" && settings.cacheFillSocket == "/tmp/fill.sock")
        #expect(settings.gatewayTimeout == .milliseconds(2500) && settings.databasePoolSize == 4)
    }

    @Test(arguments: [
        ("EXTHOST_CACHE_DIR", "relative/cache"), ("EXTHOST_CACHEFILL_SOCKET", "fill.sock"),
        ("EXT_GATEWAY_TIMEOUT_MS", "0"), ("EXT_GATEWAY_TIMEOUT_MS", "10s"), ("EXT_GATEWAY_TIMEOUT_MS", "600001"),
        ("EXTHOST_DB_POOL_SIZE", "0"), ("EXTHOST_DB_POOL_SIZE", "513"),
    ])
    func refusesUnusableValues(_ name: String, _ value: String) {
        #expect(throws: RunnerConfigurationError.self) { try RunnerConfiguration(environment: [name: value]) }
        let error = RunnerConfigurationError.invalid(name: name, value: value, expected: "x")
        #expect(error.message.hasPrefix(name) && error.code == "CONFIGURATION_INVALID")
    }
}
