import Cryptography
import Postgres

/// Re-seals every install secret that the keyring's current key does not open, so that the
/// previous keys can be retired (`exthost admin rotate-secrets`).
///
/// Invariants: rows are visited once, in primary-key order, `batchSize` at a time, each batch
/// in its own transaction, so an interruption loses at most one batch's work and a re-run
/// skips what is done (rows the current key opens are never rewritten); a row is rewritten only
/// if it still holds the ciphertext that was read (a concurrent write wins); a row no key opens
/// is left untouched and reported, never deleted.
public struct SecretsRotation: Sendable {
    public static let defaultBatchSize = 500

    /// Where a secret lives; never its value.
    public struct SecretLocation: Sendable, Equatable, CustomStringConvertible {
        public let tenantID: String
        public let installID: String
        public let name: String

        public var description: String { "tenant \(tenantID) install \(installID) secret \(name)" }
    }

    /// Counts so far; in a dry run `resealed` counts what would be re-sealed.
    public struct Progress: Sendable, Equatable {
        public var scanned = 0
        public var alreadyCurrent = 0
        public var resealed = 0
        /// Rows rewritten or deleted by someone else between our read and our update.
        public var changedMeanwhile = 0
        public var unreadable: [SecretLocation] = []

        public init() {}

        mutating func add(_ other: Progress) {
            scanned += other.scanned
            alreadyCurrent += other.alreadyCurrent
            resealed += other.resealed
            changedMeanwhile += other.changedMeanwhile
            unreadable += other.unreadable
        }
    }

    public let pool: PostgresPool
    public let keyring: SecretsKeyring
    public let batchSize: Int

    public init(pool: PostgresPool, keyring: SecretsKeyring, batchSize: Int = defaultBatchSize) {
        self.pool = pool
        self.keyring = keyring
        self.batchSize = max(1, batchSize)
    }

    /// Visits every row; `onBatch` sees the running totals after each batch (for progress lines).
    public func run(dryRun: Bool, onBatch: (Progress) -> Void = { _ in }) throws(RegistryError) -> Progress {
        var progress = Progress()
        var after: SecretLocation?
        while true {
            // The transaction may retry its body, so a batch counts only once it committed.
            let batch = try databaseCall {
                try pool.transaction { connection in try rotateBatch(after: after, dryRun: dryRun, on: connection) }
            }
            guard let last = batch.last else { return progress }
            progress.add(batch.progress)
            after = last
            onBatch(progress)
        }
    }

    /// Handles the next batch after `after`: its counts and its last row (nil when there were none).
    private func rotateBatch(
        after: SecretLocation?, dryRun: Bool, on connection: PostgresConnection
    ) throws -> (progress: Progress, last: SecretLocation?) {
        var progress = Progress()
        let columns = "tenant_id::text AS tenant_id, install_id::text AS install_id, name, nonce, ciphertext, tag"
        // A dry run writes nothing, so it keeps no lock on rows the api may be updating.
        let order = "ORDER BY tenant_id, install_id, name LIMIT \(batchSize)" + (dryRun ? "" : " FOR UPDATE")
        let rows = try after.map { after in
            try connection.query(
                "SELECT \(columns) FROM install_secrets WHERE (tenant_id, install_id, name) > ($1::uuid, $2::uuid, $3) \(order)",
                [.text(after.tenantID), .text(after.installID), .text(after.name)]).rows
        } ?? connection.query("SELECT \(columns) FROM install_secrets \(order)").rows
        var last: SecretLocation?
        for row in rows {
            let location = SecretLocation(tenantID: try row.string("tenant_id"), installID: try row.string("install_id"), name: try row.string("name"))
            last = location
            progress.scanned += 1
            let sealed = try InstallSecrets.sealedSecret(row)
            let associatedData = InstallSecrets.associatedData(location.tenantID, location.installID, location.name)
            guard let opened = try? keyring.open(sealed, associatedData: associatedData) else {
                progress.unreadable.append(location)
                continue
            }
            if opened.openedWith == .current {
                progress.alreadyCurrent += 1
                continue
            }
            if dryRun {
                progress.resealed += 1
                continue
            }
            let resealed = try keyring.seal(opened.plaintext, associatedData: associatedData)
            let updated = try connection.execute(
                """
                UPDATE install_secrets SET nonce = $4, ciphertext = $5, tag = $6, updated_at = now()
                WHERE tenant_id = $1::uuid AND install_id = $2::uuid AND name = $3 AND nonce = $7
                """,
                [.text(location.tenantID), .text(location.installID), .text(location.name),
                 .bytea(resealed.nonce), .bytea(resealed.ciphertext), .bytea(resealed.tag), .bytea(sealed.nonce)])
            if updated == 1 { progress.resealed += 1 } else { progress.changedMeanwhile += 1 }
        }
        return (progress, last)
    }
}
