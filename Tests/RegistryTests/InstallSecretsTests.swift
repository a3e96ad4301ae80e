import Cryptography
import ExthostTesting
import Postgres
import Registry
import Testing

enum SecretsKeyFixture {
    static func key(_ byte: UInt8) throws -> SecretsKey { try SecretsKey(bytes: [UInt8](repeating: byte, count: 32)) }
}

@Suite struct InstallSecretsTests {
    let tenant = CatalogFixture.tenantA

    func withInstall(_ body: (PostgresPool, String) throws -> Void) throws {
        try FreshDatabase.migrated { pool in
            let extensionID = try CatalogFixture.publish(pool, version: "1.0.0", hashByte: "a1")
            let install = try InstallStore(pool: pool).create(tenantID: tenant, InstallDraft(extension: .id(extensionID), version: "1.0.0"))
            try body(pool, install.id)
        }
    }

    @Test func valuesAreEncryptedAtRestAndOnlyNamesComeBack() throws {
        try withInstall { pool, installID in
            let secrets = InstallSecrets(pool: pool, key: try SecretsKeyFixture.key(0x42))
            let plaintext = "sk_live_PLAINTEXT_MARKER_0123456789"
            let names = try secrets.update(tenantID: tenant, installID: installID, [("API_TOKEN", plaintext), ("b.other", "two")])
            #expect(names == ["API_TOKEN", "b.other"])
            let raw = try pool.withConnection { connection in
                try connection.query("SELECT nonce, ciphertext, tag, convert_to(row_to_json(s)::text, 'UTF8') AS everything FROM install_secrets s WHERE name = 'API_TOKEN'").rows[0]
            }
            let everything = String(decoding: try raw.bytes("everything"), as: UTF8.self)
            #expect(!everything.contains("PLAINTEXT_MARKER"))
            #expect(!(try raw.bytes("ciphertext")).elementsEqual(Array(plaintext.utf8)))
            #expect(try raw.bytes("nonce").count == 12 && raw.bytes("tag").count == 16)
            #expect(try secrets.reveal(tenantID: tenant, installID: installID) == ["API_TOKEN": plaintext, "b.other": "two"])
        }
    }

    @Test func eachWriteUsesAFreshNonceAndNullRemoves() throws {
        try withInstall { pool, installID in
            let secrets = InstallSecrets(pool: pool, key: try SecretsKeyFixture.key(0x42))
            let nonce = { try pool.withConnection { try $0.query("SELECT nonce FROM install_secrets WHERE name = 'A'").rows[0].bytes("nonce") } }
            _ = try secrets.update(tenantID: tenant, installID: installID, [("A", "same")])
            let first = try nonce()
            _ = try secrets.update(tenantID: tenant, installID: installID, [("A", "same")])
            #expect(try nonce() != first)
            #expect(try secrets.update(tenantID: tenant, installID: installID, [("A", nil), ("B", "b")]) == ["B"])
            #expect(try secrets.names(tenantID: tenant, installID: installID) == ["B"])
        }
    }

    @Test func anotherKeyOrAMovedCiphertextCannotDecrypt() throws {
        try withInstall { pool, installID in
            _ = try InstallSecrets(pool: pool, key: try SecretsKeyFixture.key(0x42)).update(tenantID: tenant, installID: installID, [("A", "alpha"), ("B", "beta")])
            #expect(throws: RegistryError.self) {
                try InstallSecrets(pool: pool, key: try SecretsKeyFixture.key(0x43)).reveal(tenantID: tenant, installID: installID)
            }
            // Swap A's sealed value onto B: the associated data names the row, so it fails to open.
            try pool.withConnection { connection in
                try connection.execute("""
                    UPDATE install_secrets t SET nonce = s.nonce, ciphertext = s.ciphertext, tag = s.tag
                    FROM install_secrets s WHERE s.name = 'A' AND t.name = 'B'
                    """)
            }
            #expect(throws: RegistryError.secretUnreadable(name: "B")) {
                try InstallSecrets(pool: pool, key: try SecretsKeyFixture.key(0x42)).reveal(tenantID: tenant, installID: installID)
            }
        }
    }

    @Test func withoutAKeySecretsFailClosed() throws {
        try withInstall { pool, installID in
            let secrets = InstallSecrets(pool: pool, key: nil)
            #expect(throws: RegistryError.secretsUnavailable) { try secrets.update(tenantID: tenant, installID: installID, [("A", "x")]) }
            #expect(throws: RegistryError.secretsUnavailable) { try secrets.reveal(tenantID: tenant, installID: installID) }
            let names = try secrets.names(tenantID: tenant, installID: installID)
            #expect(names.isEmpty)
        }
    }
}
