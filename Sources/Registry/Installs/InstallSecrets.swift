import Cryptography
import Postgres

/// An install's named secrets, sealed with AES-256-GCM under `EXTHOST_SECRETS_KEY` and opened
/// with it or a key of `EXTHOST_SECRETS_KEY_PREVIOUS` (see `SecretsKeyring`).
///
/// Invariants: plaintext never reaches the database or a log; each write uses a fresh random
/// nonce and the current key; the associated data binds a ciphertext to its tenant, install
/// and name, so a sealed value copied onto another row fails to open. Without a key every
/// operation fails closed with `.secretsUnavailable`.
public struct InstallSecrets: Sendable {
    public let pool: PostgresPool
    public let keyring: SecretsKeyring?

    public init(pool: PostgresPool, keyring: SecretsKeyring?) {
        self.pool = pool
        self.keyring = keyring
    }

    /// A keyring of one key: nothing sealed under another key opens.
    public init(pool: PostgresPool, key: SecretsKey?) {
        // One key is always a valid keyring.
        self.init(pool: pool, keyring: key.map { try! SecretsKeyring(current: $0) })
    }

    /// Sets each named secret, or removes it when its value is nil, and returns every secret
    /// name the install then holds, sorted.
    public func update(tenantID: String, installID: String, _ changes: [(name: String, value: String?)]) throws(RegistryError) -> [String] {
        guard let keyring else { throw .secretsUnavailable }
        return try databaseCall {
            try pool.transaction { connection in
                try Self.lockInstall(tenantID: tenantID, installID: installID, on: connection)
                for change in changes {
                    guard let value = change.value else {
                        try connection.execute(
                            "DELETE FROM install_secrets WHERE tenant_id = $1 AND install_id = $2 AND name = $3",
                            [.text(tenantID), .text(installID), .text(change.name)])
                        continue
                    }
                    let sealed = try keyring.seal(Array(value.utf8), associatedData: Self.associatedData(tenantID, installID, change.name))
                    try connection.execute(
                        """
                        INSERT INTO install_secrets (tenant_id, install_id, name, nonce, ciphertext, tag) VALUES ($1, $2, $3, $4, $5, $6)
                        ON CONFLICT (tenant_id, install_id, name)
                        DO UPDATE SET nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext, tag = EXCLUDED.tag, updated_at = now()
                        """,
                        [.text(tenantID), .text(installID), .text(change.name), .bytea(sealed.nonce), .bytea(sealed.ciphertext), .bytea(sealed.tag)])
                }
                return try Self.names(tenantID: tenantID, installID: installID, on: connection)
            }
        }
    }

    /// The names of the install's secrets, sorted; values are never returned to API clients.
    public func names(tenantID: String, installID: String) throws(RegistryError) -> [String] {
        try databaseCall {
            try pool.withConnection { connection in
                try Self.lockInstall(tenantID: tenantID, installID: installID, on: connection, forUpdate: false)
                return try Self.names(tenantID: tenantID, installID: installID, on: connection)
            }
        }
    }

    /// The decrypted secrets, for the runner to hand to the extension it executes.
    public func reveal(tenantID: String, installID: String) throws(RegistryError) -> [String: String] {
        guard let keyring else { throw .secretsUnavailable }
        let rows = try databaseCall {
            try pool.withConnection { connection in
                try connection.query(
                    "SELECT name, nonce, ciphertext, tag FROM install_secrets WHERE tenant_id = $1 AND install_id = $2",
                    [.text(tenantID), .text(installID)]).rows
            }
        }
        var secrets: [String: String] = [:]
        for row in rows {
            let name = try databaseCall { try row.string("name") }
            let sealed = try databaseCall { try Self.sealedSecret(row) }
            do {
                let opened = try keyring.open(sealed, associatedData: Self.associatedData(tenantID, installID, name))
                secrets[name] = String(decoding: opened.plaintext, as: UTF8.self)
            } catch {
                throw .secretUnreadable(name: name)
            }
        }
        return secrets
    }

    /// The sealed value of an `install_secrets` row (columns nonce, ciphertext, tag).
    static func sealedSecret(_ row: PostgresRow) throws(PostgresError) -> SealedSecret {
        SealedSecret(nonce: try row.bytes("nonce"), ciphertext: try row.bytes("ciphertext"), tag: try row.bytes("tag"))
    }

    static func associatedData(_ tenantID: String, _ installID: String, _ name: String) -> [UInt8] {
        Array("exthost.install-secret.v1\u{0}\(tenantID)\u{0}\(installID)\u{0}\(name)".utf8)
    }

    private static func lockInstall(tenantID: String, installID: String, on connection: PostgresConnection, forUpdate: Bool = true) throws {
        let lock = forUpdate ? " FOR UPDATE" : ""
        guard try !connection.query("SELECT 1 FROM installs WHERE tenant_id = $1 AND id = $2" + lock, [.text(tenantID), .text(installID)]).rows.isEmpty else {
            throw RegistryError.installNotFound(installID)
        }
    }

    private static func names(tenantID: String, installID: String, on connection: PostgresConnection) throws -> [String] {
        try connection.query(
            "SELECT name FROM install_secrets WHERE tenant_id = $1 AND install_id = $2 ORDER BY name COLLATE \"C\"",
            [.text(tenantID), .text(installID)]).rows.map { try $0.string("name") }
    }
}
