import Cryptography
import ExthostTesting
import Postgres
import Registry
import Testing

/// `SecretsRotation`: re-sealing install secrets under the current key, resumable and honest
/// about what no key opens.
@Suite struct SecretsRotationTests {
    let tenant = CatalogFixture.tenantA

    static func ring(_ current: UInt8, previous: [UInt8] = []) throws -> SecretsKeyring {
        try SecretsKeyring(current: SecretsKeyFixture.key(current), previous: previous.map(SecretsKeyFixture.key))
    }

    /// An install with `count` secrets S000…, sealed under key 0xA1.
    func withSecrets(_ count: Int, _ body: (PostgresPool, String) throws -> Void) throws {
        try FreshDatabase.migrated { pool in
            let extensionID = try CatalogFixture.publish(pool, version: "1.0.0", hashByte: "a1")
            let install = try InstallStore(pool: pool).create(tenantID: tenant, InstallDraft(extension: .id(extensionID), version: "1.0.0"))
            let values = (0..<count).map { (name: "S" + String(1000 + $0).dropFirst(), value: String?("value \($0)")) }
            _ = try InstallSecrets(pool: pool, keyring: Self.ring(0xA1)).update(tenantID: tenant, installID: install.id, values)
            try body(pool, install.id)
        }
    }

    @Test func rotationReSealsInBatchesAndTheOldKeyIsThenUseless() throws {
        try withSecrets(7) { pool, installID in
            let rotated = try Self.ring(0xB2, previous: [0xA1])
            let dryRun = try SecretsRotation(pool: pool, keyring: rotated, batchSize: 3).run(dryRun: true)
            #expect(dryRun.scanned == 7 && dryRun.resealed == 7 && dryRun.alreadyCurrent == 0)
            // A dry run changes nothing: the old key alone still opens everything.
            #expect(try InstallSecrets(pool: pool, keyring: Self.ring(0xA1)).reveal(tenantID: tenant, installID: installID).count == 7)

            var batches: [Int] = []
            let done = try SecretsRotation(pool: pool, keyring: rotated, batchSize: 3).run(dryRun: false) { batches.append($0.scanned) }
            #expect(batches == [3, 6, 7])
            #expect(done.resealed == 7 && done.unreadable.isEmpty && done.changedMeanwhile == 0)
            let onlyNew = InstallSecrets(pool: pool, keyring: try Self.ring(0xB2))
            #expect(try onlyNew.reveal(tenantID: tenant, installID: installID)["S003"] == "value 3")
            #expect(throws: RegistryError.self) { try InstallSecrets(pool: pool, keyring: Self.ring(0xA1)).reveal(tenantID: tenant, installID: installID) }

            // Idempotent: a second run finds everything current and rewrites nothing.
            let again = try SecretsRotation(pool: pool, keyring: rotated).run(dryRun: false)
            #expect(again.alreadyCurrent == 7 && again.resealed == 0)
        }
    }

    @Test func anInterruptedRotationResumes() throws {
        try withSecrets(4) { pool, installID in
            // As if a previous run stopped after two rows: re-seal those two by hand under the new key.
            _ = try InstallSecrets(pool: pool, keyring: Self.ring(0xB2)).update(tenantID: tenant, installID: installID, [("S000", "value 0"), ("S001", "value 1")])
            let progress = try SecretsRotation(pool: pool, keyring: Self.ring(0xB2, previous: [0xA1])).run(dryRun: false)
            #expect(progress.alreadyCurrent == 2 && progress.resealed == 2)
            #expect(try InstallSecrets(pool: pool, keyring: Self.ring(0xB2)).reveal(tenantID: tenant, installID: installID).count == 4)
        }
    }

    @Test func secretsNoKeyOpensAreReportedAndLeftAlone() throws {
        try withSecrets(2) { pool, installID in
            let before = try pool.withConnection { try $0.query("SELECT ciphertext FROM install_secrets ORDER BY name").rows.map { try $0.bytes("ciphertext") } }
            let progress = try SecretsRotation(pool: pool, keyring: Self.ring(0xB2, previous: [0xC3])).run(dryRun: false)
            #expect(progress.resealed == 0)
            #expect(progress.unreadable.map(\.name) == ["S000", "S001"])
            #expect(progress.unreadable.first?.installID == installID)
            #expect(!"\(progress.unreadable[0])".contains("value"))
            let after = try pool.withConnection { try $0.query("SELECT ciphertext FROM install_secrets ORDER BY name").rows.map { try $0.bytes("ciphertext") } }
            #expect(after == before)
        }
    }
}
