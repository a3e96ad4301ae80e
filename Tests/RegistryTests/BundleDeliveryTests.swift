import ExthostTesting
import Registry
import Testing

@Suite struct BundleDeliveryTests {
    @Test func enabledPairsFollowInstallsAcrossTenants() throws {
        try FreshDatabase.migrated { pool in
            let id = try CatalogFixture.publish(pool, version: "1.0.0", ui: #"{"type":"iframe"}"#, hashByte: "a1")
            try CatalogFixture.publish(pool, version: "2.0.0", hashByte: "a2")
            let installs = InstallStore(pool: pool)
            let delivery = BundleDelivery(pool: pool)
            #expect(try delivery.enabledPairs().isEmpty)
            let a = try installs.create(tenantID: CatalogFixture.tenantA, InstallDraft(extension: .id(id), version: "1.0.0"))
            let b = try installs.create(tenantID: CatalogFixture.tenantB, InstallDraft(extension: .id(id), version: "1.0.0"))
            #expect(try delivery.enabledPairs() == [EnabledPair(extensionID: id, contentHash: CatalogFixture.hash("a1"), hasUI: true)])
            #expect(try delivery.isEnabled(extensionID: id, contentHash: CatalogFixture.hash("a1")))
            _ = try installs.update(tenantID: CatalogFixture.tenantA, id: a.id, InstallChanges(enabled: false))
            #expect(try delivery.isEnabled(extensionID: id, contentHash: CatalogFixture.hash("a1")), "tenant B still has it enabled")
            _ = try installs.update(tenantID: CatalogFixture.tenantB, id: b.id, InstallChanges(version: "2.0.0"))
            #expect(try !delivery.isEnabled(extensionID: id, contentHash: CatalogFixture.hash("a1")))
            #expect(try delivery.enabledPairs() == [EnabledPair(extensionID: id, contentHash: CatalogFixture.hash("a2"), hasUI: false)])
            #expect(try !delivery.isEnabled(extensionID: "00000000-0000-4000-8000-000000000000", contentHash: CatalogFixture.hash("a2")))
        }
    }

    @Test func bundleCarriesPublisherAndSignature() throws {
        try FreshDatabase.migrated { pool in
            try CatalogFixture.publish(pool, publisher: "acme.tools", version: "1.0.0", hashByte: "a1")
            let bundle = try #require(try BundleDelivery(pool: pool).bundle(contentHash: CatalogFixture.hash("a1")))
            #expect(bundle.publisher == "acme.tools" && bundle.size == 1234 && bundle.signature != nil)
            #expect(try BundleDelivery(pool: pool).bundle(contentHash: CatalogFixture.hash("ff")) == nil)
        }
    }
}
