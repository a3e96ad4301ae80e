import ExthostTesting
import JSON
import Postgres
import Registry
import Testing

@Suite struct InstallStoreTests {
    let a = CatalogFixture.tenantA
    let b = CatalogFixture.tenantB

    /// hello 1.0.0 (storage, http; with UI) and 2.0.0 (storage only, no UI).
    func seeded(_ body: (PostgresPool, InstallStore, String) throws -> Void) throws {
        try FreshDatabase.migrated { pool in
            let id = try CatalogFixture.publish(pool, version: "1.0.0", capabilities: ["storage", "http"], ui: #"{"type":"iframe","entry":"ui/app/main.html"}"#, hashByte: "a1")
            try CatalogFixture.publish(pool, version: "2.0.0", capabilities: ["storage"], hashByte: "a2")
            try body(pool, InstallStore(pool: pool), id)
        }
    }

    @Test func createPinsTheVersionAndAnswersTheWholeInstall() throws {
        try seeded { _, store, extensionID in
            let install = try store.create(tenantID: a, InstallDraft(
                extension: .qualifiedName(publisher: "acme.tools", name: "hello"), version: "1.0.0",
                config: ["theme": "dark"], grantedCapabilities: ["http"]))
            #expect(install.tenantID == a && install.extensionID == extensionID && install.extensionName == "acme.tools.hello")
            #expect(install.version == "1.0.0" && install.contentHash == CatalogFixture.hash("a1") && install.enabled)
            #expect(install.grantedCapabilities == ["http"] && install.config["theme"] == "dark")
            #expect(install.uiPath == "/ext-ui/\(extensionID)/\(String(repeating: "a1", count: 32))/app/main.html")
            #expect(try store.get(tenantID: a, id: install.id) == install)
            #expect(try store.list(tenantID: a) == [install])
        }
    }

    @Test func createRejectsUnknownExtensionUnknownVersionUndeclaredGrantsAndDuplicates() throws {
        try seeded { pool, store, extensionID in
            #expect(throws: RegistryError.extensionNotFound("acme.tools.nope")) {
                try store.create(tenantID: a, InstallDraft(extension: .qualifiedName(publisher: "acme.tools", name: "nope"), version: "1.0.0"))
            }
            #expect(throws: RegistryError.versionNotFound(extension: extensionID, version: "9.9.9")) {
                try store.create(tenantID: a, InstallDraft(extension: .id(extensionID), version: "9.9.9"))
            }
            #expect(throws: RegistryError.capabilitiesNotDeclared(["egress", "root"], version: "2.0.0")) {
                try store.create(tenantID: a, InstallDraft(extension: .id(extensionID), version: "2.0.0", grantedCapabilities: ["storage", "egress", "root"]))
            }
            _ = try store.create(tenantID: a, InstallDraft(extension: .id(extensionID), version: "2.0.0"))
            #expect(throws: RegistryError.alreadyInstalled(extensionID: extensionID)) {
                try store.create(tenantID: a, InstallDraft(extension: .id(extensionID), version: "1.0.0"))
            }
            // The failed attempts left nothing behind.
            let count = try pool.withConnection { try $0.query("SELECT count(*) AS n FROM installs").rows[0].int64("n") }
            #expect(count == 1)
        }
    }

    @Test func updateTogglesUpgradesAndKeepsGrantsWithinTheVersion() throws {
        try seeded { _, store, extensionID in
            let install = try store.create(tenantID: a, InstallDraft(extension: .id(extensionID), version: "1.0.0", grantedCapabilities: ["storage", "http"]))
            let disabled = try store.update(tenantID: a, id: install.id, InstallChanges(enabled: false))
            #expect(!disabled.enabled && disabled.uiPath == nil && disabled.version == "1.0.0")
            // 2.0.0 no longer declares http: the upgrade must say which grants to keep.
            #expect(throws: RegistryError.capabilitiesNotDeclared(["http"], version: "2.0.0")) {
                try store.update(tenantID: a, id: install.id, InstallChanges(version: "2.0.0"))
            }
            let upgraded = try store.update(tenantID: a, id: install.id, InstallChanges(version: "2.0.0", config: ["k": 1], grantedCapabilities: ["storage"]))
            #expect(upgraded.version == "2.0.0" && upgraded.contentHash == CatalogFixture.hash("a2"))
            #expect(upgraded.grantedCapabilities == ["storage"] && upgraded.config == ["k": 1] && !upgraded.enabled)
            #expect(upgraded.updatedAt >= install.updatedAt)
            #expect(throws: RegistryError.versionNotFound(extension: extensionID, version: "3.0.0")) {
                try store.update(tenantID: a, id: install.id, InstallChanges(version: "3.0.0"))
            }
        }
    }

    @Test func anotherTenantsInstallIsNotFoundForEveryOperation() throws {
        try seeded { pool, store, extensionID in
            let install = try store.create(tenantID: a, InstallDraft(extension: .id(extensionID), version: "1.0.0"))
            let missing = RegistryError.installNotFound(install.id)
            #expect(try store.list(tenantID: b).isEmpty)
            #expect(throws: missing) { try store.get(tenantID: b, id: install.id) }
            #expect(throws: missing) { try store.update(tenantID: b, id: install.id, InstallChanges(enabled: false)) }
            #expect(throws: missing) { try store.delete(tenantID: b, id: install.id) }
            let secrets = InstallSecrets(pool: pool, key: try SecretsKeyFixture.key(0x11))
            #expect(throws: missing) { try secrets.update(tenantID: b, installID: install.id, [("TOKEN", "x")]) }
            #expect(throws: missing) { try secrets.names(tenantID: b, installID: install.id) }
            #expect(try store.get(tenantID: a, id: install.id).enabled)
            // Tenant B may install the same extension independently.
            #expect(try store.create(tenantID: b, InstallDraft(extension: .id(extensionID), version: "2.0.0")).tenantID == b)
        }
    }

    @Test func deleteRemovesTheInstallAndItsSecrets() throws {
        try seeded { pool, store, extensionID in
            let install = try store.create(tenantID: a, InstallDraft(extension: .id(extensionID), version: "1.0.0"))
            _ = try InstallSecrets(pool: pool, key: try SecretsKeyFixture.key(0x11)).update(tenantID: a, installID: install.id, [("TOKEN", "x")])
            try store.delete(tenantID: a, id: install.id)
            #expect(throws: RegistryError.installNotFound(install.id)) { try store.get(tenantID: a, id: install.id) }
            #expect(throws: RegistryError.installNotFound(install.id)) { try store.delete(tenantID: a, id: install.id) }
            let secrets = try pool.withConnection { try $0.query("SELECT count(*) AS n FROM install_secrets").rows[0].int64("n") }
            #expect(secrets == 0)
        }
    }

    @Test func everyMutationNotifiesInItsTransaction() throws {
        try seeded { pool, store, extensionID in
            let listener = try PostgresListener(conninfo: pool.configuration.conninfo)
            try listener.listen([InstallNotification.channel])
            let install = try store.create(tenantID: a, InstallDraft(extension: .id(extensionID), version: "1.0.0"))
            _ = try store.update(tenantID: a, id: install.id, InstallChanges(enabled: false))
            // A rejected change sends nothing.
            _ = try? store.update(tenantID: a, id: install.id, InstallChanges(version: "9.9.9"))
            try store.delete(tenantID: a, id: install.id)
            var payloads: [JSONValue] = []
            let deadline = ContinuousClock.now + .seconds(5)
            while payloads.count < 3, ContinuousClock.now < deadline {
                payloads += try listener.wait(timeout: .milliseconds(200)).notifications.map { try JSONValue.parse(Array($0.payload.utf8)) }
            }
            #expect(payloads.map { $0["op"]?.stringValue } == ["created", "updated", "deleted"])
            #expect(payloads.map { $0["enabled"]?.boolValue } == [true, false, false])
            #expect(payloads.allSatisfy { $0["installId"]?.stringValue == install.id && $0["contentHash"]?.stringValue == install.contentHash })
            #expect(try listener.wait(timeout: .milliseconds(200)).notifications.isEmpty)
        }
    }

    @Test func sqlMetacharactersAreStoredVerbatim() throws {
        try seeded { pool, store, _ in
            let nasty = "'; DROP TABLE installs; -- \\ \" $1 %s ? é"
            let id = try CatalogFixture.publish(pool, publisher: "o'neil", name: "x-y", version: "1.0.0'--", hashByte: "c3")
            let install = try store.create(tenantID: a, InstallDraft(
                extension: .qualifiedName(publisher: "o'neil", name: "x-y"), version: "1.0.0'--", config: [nasty: .string(nasty)]))
            #expect(install.extensionID == id && install.version == "1.0.0'--")
            #expect(try store.get(tenantID: a, id: install.id).config[nasty] == .string(nasty))
        }
    }
}
