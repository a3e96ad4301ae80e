import ExthostCore
import ExthostTesting
import Postgres
import Registry
import Testing

@Suite struct SchemaConstraintTests {
    static let hash = "sha256:" + String(repeating: "ab", count: 32)
    static let tenant = "11111111-2222-4333-8444-555555555555"

    @Test func duplicatePublisherAndNameIsAUniqueViolation() throws {
        try FreshDatabase.migrated { pool in
            _ = try insertExtension(pool, name: "hello")
            let error = #expect(throws: PostgresError.self) { try insertExtension(pool, name: "hello") }
            #expect(error == .uniqueViolation(constraint: "extensions_publisher_name_key"))
        }
    }

    @Test func malformedContentHashIsACheckViolation() throws {
        try FreshDatabase.migrated { pool in
            for bad in ["sha256:" + String(repeating: "AB", count: 32), "sha256:abc", "md5:" + String(repeating: "ab", count: 32)] {
                let error = #expect(throws: PostgresError.self) {
                    try pool.withConnection { try $0.execute("INSERT INTO bundles (content_hash, size) VALUES ($1, 1)", [.text(bad)]) }
                }
                #expect(error == .checkViolation(constraint: "bundles_content_hash_check"))
            }
        }
    }

    @Test func secondInstallOfAnExtensionPerTenantIsAUniqueViolation() throws {
        try FreshDatabase.migrated { pool in
            let extensionID = try insertExtension(pool, name: "hello")
            let versionID = try pool.withConnection { connection in
                try connection.execute("INSERT INTO bundles (content_hash, size) VALUES ($1, 10)", [.text(Self.hash)])
                return try connection.query("""
                    INSERT INTO extension_versions (extension_id, version, runtime, entry, content_hash, manifest)
                    VALUES ($1, '1.0.0', 'wasm', 'dist/main.wasm', $2, '{}') RETURNING id
                    """, [.text(extensionID), .text(Self.hash)]).rows[0].string("id")
            }
            let install = { (tenant: String) throws in
                try pool.withConnection {
                    try $0.execute(
                        "INSERT INTO installs (tenant_id, extension_id, version_id) VALUES ($1, $2, $3)",
                        [.text(tenant), .text(extensionID), .text(versionID)])
                }
            }
            #expect(try install(Self.tenant) == 1)
            let error = #expect(throws: PostgresError.self) { try install(Self.tenant) }
            #expect(error == .uniqueViolation(constraint: "installs_tenant_id_extension_id_key"))
            #expect(try install("99999999-2222-4333-8444-555555555555") == 1)
        }
    }

    @Test func sqlMetacharactersAreStoredVerbatim() throws {
        let hostile = "Robert'); DROP TABLE extensions; -- \"quoted\" \\backslash $1 %s ;\n\t💥 E'\\x00'"
        try FreshDatabase.migrated { pool in
            let id = try insertExtension(pool, name: hostile, description: hostile)
            let row = try pool.withConnection {
                try $0.query("SELECT name, description FROM extensions WHERE id = $1", [.text(id)]).rows[0]
            }
            #expect(try row.string("name") == hostile)
            #expect(try row.string("description") == hostile)
        }
    }

    @discardableResult
    private func insertExtension(_ pool: PostgresPool, name: String, description: String = "") throws -> String {
        try pool.withConnection {
            try $0.query(
                "INSERT INTO extensions (publisher, name, description) VALUES ('acme', $1, $2) RETURNING id",
                [.text(name), .text(description)]
            ).rows[0].string("id")
        }
    }
}
