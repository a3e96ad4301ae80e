import ExthostTesting
import JSON
import Registry
import Testing

@Suite struct CatalogTests {
    @Test func listsExtensionsWithVersionsOldestFirst() throws {
        try FreshDatabase.migrated { pool in
            try CatalogFixture.publish(pool, version: "1.0.0", capabilities: ["storage"], ui: #"{"type":"iframe","entry":"ui/index.html"}"#, hashByte: "a1")
            try CatalogFixture.publish(pool, version: "1.1.0", hashByte: "a2")
            try CatalogFixture.publish(pool, publisher: "zeta", name: "other", version: "0.1.0", hashByte: "b1")
            let catalog = try Catalog(pool: pool).list()
            #expect(catalog.map(\.qualifiedName) == ["acme.tools.hello", "zeta.other"])
            let hello = catalog[0]
            #expect(hello.versions.map(\.version) == ["1.0.0", "1.1.0"])
            #expect(hello.versions[0].capabilities == ["storage"])
            #expect(hello.versions[0].contentHash == CatalogFixture.hash("a1"))
            #expect(hello.versions[0].size == 1234)
            #expect(hello.versions[0].signer == "CN=acme.tools")
            #expect(hello.versions[0].ui?["entry"]?.stringValue == "ui/index.html")
            #expect(hello.versions[1].ui == nil)
            #expect(hello.versions[0].endpoints[0]?["path"]?.stringValue == "/hello")
            #expect(hello.createdAt.hasSuffix("Z") && hello.createdAt.count == 27)
        }
    }

    @Test func findsByIdAndByQualifiedNameWithDottedPublisher() throws {
        try FreshDatabase.migrated { pool in
            let id = try CatalogFixture.publish(pool, version: "1.0.0", hashByte: "a1")
            let catalog = Catalog(pool: pool)
            #expect(try catalog.find(#require(ExtensionReference(id.uppercased())))?.name == "hello")
            #expect(try catalog.find(#require(ExtensionReference("acme.tools.hello")))?.id == id)
            #expect(try catalog.find(#require(ExtensionReference("acme.tools.nope"))) == nil)
            #expect(try catalog.find(.id("00000000-0000-4000-8000-000000000000")) == nil)
        }
    }

    @Test func referencesRejectWhatIsNeitherUUIDNorQualifiedName() {
        for bad in ["", "hello", ".hello", "acme.", "1234"] {
            #expect(ExtensionReference(bad) == nil, "\(bad)")
        }
        #expect(ExtensionReference("a.b.c") == .qualifiedName(publisher: "a.b", name: "c"))
    }
}
