import Postgres
import Registry

/// Catalog rows for tests, written with plain SQL: publishing (issue 6) is not what they test.
enum CatalogFixture {
    static let tenantA = "aaaaaaaa-0000-4000-8000-000000000001"
    static let tenantB = "bbbbbbbb-0000-4000-8000-000000000002"

    static func hash(_ byte: String) -> String { "sha256:" + String(repeating: byte, count: 32) }

    /// Inserts an extension (or reuses it) and one version with a fresh bundle; returns the extension id.
    @discardableResult
    static func publish(
        _ pool: PostgresPool, publisher: String = "acme.tools", name: String = "hello", version: String,
        capabilities: [String] = [], ui: String? = nil, hashByte: String
    ) throws -> String {
        try pool.withConnection { connection in
            let extensionID = try connection.query(
                """
                INSERT INTO extensions (publisher, name, display_name) VALUES ($1, $2, $3)
                ON CONFLICT (publisher, name) DO UPDATE SET display_name = EXCLUDED.display_name RETURNING id
                """, [.text(publisher), .text(name), .text("Hello " + name)]).rows[0].string("id")
            try connection.execute(
                "INSERT INTO bundles (content_hash, size, signature, signer) VALUES ($1, 1234, '{}', $2)",
                [.text(hash(hashByte)), .text("CN=" + publisher)])
            try connection.execute(
                """
                INSERT INTO extension_versions (extension_id, version, runtime, entry, endpoints, ui, capabilities, content_hash, manifest)
                VALUES ($1, $2, 'exthost-wasm@1', 'dist/main.wasm', '[{"method":"GET","path":"/hello"}]', $3::jsonb,
                        ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), $5, '{}')
                """,
                [.text(extensionID), .text(version), ui.map(PostgresValue.json) ?? .null,
                 .json("[" + capabilities.map { "\"\($0)\"" }.joined(separator: ",") + "]"), .text(hash(hashByte))])
            return extensionID
        }
    }
}
