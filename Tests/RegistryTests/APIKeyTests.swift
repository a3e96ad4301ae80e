import Cryptography
import ExthostCore
import ExthostTesting
import Postgres
import Registry
import Testing

/// The key format and lifetime syntax: pure functions, no database.
@Suite struct APIKeyTokenTests {
    @Test func generatedTokensHaveTheDocumentedShapeAndDiffer() {
        let tokens = (0..<200).map { _ in APIKeyToken.generate() }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(token.hasPrefix("exh_"))
            #expect(token.utf8.count == 47)
            #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
            #expect(APIKeyToken.isWellFormed(token), "\(token)")
        }
    }

    @Test func malformedTokensAreRecognised() {
        let good = APIKeyToken.generate()
        let body = String(good.dropFirst(4))
        let allButLast = "exh_" + String(body.dropLast())
        // "B" sets one of the 2 unused low bits (valid keys end in a multiple of 4): a second
        // spelling of nearly the same bytes, so refused.
        var malformed: [String] = ["", "exh_", "exh", body, "EXH_" + body, "exk_" + body, good + "A", String(good.dropLast())]
        malformed += [allButLast + "=", allButLast + "+", allButLast + "/", allButLast + "é", allButLast + "B"]
        malformed += [" " + good, good + "\n"]
        for bad in malformed {
            #expect(!APIKeyToken.isWellFormed(bad), "\(bad.debugDescription)")
        }
        #expect(APIKeyToken.isWellFormed("exh_" + String(repeating: "A", count: 43)))
        #expect(!APIKeyToken.isWellFormed("exh_" + String(repeating: "A", count: 42) + "B"))
        #expect(APIKeyToken.isWellFormed("exh_" + String(repeating: "_", count: 42) + "8"))
    }

    @Test func digestIsSHA256OfTheTokenText() {
        #expect(Hex.encode(APIKeyToken.digest("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let token = APIKeyToken.generate()
        #expect(APIKeyToken.digest(token) == SHA256.hash(Array(token.utf8)).bytes)
    }

    @Test func lifetimeSyntax() {
        #expect(APIKeyLifetime.parse("90d") == .seconds(90 * 86_400))
        #expect(APIKeyLifetime.parse("12h") == .seconds(12 * 3_600))
        #expect(APIKeyLifetime.parse("30m") == .seconds(1_800))
        #expect(APIKeyLifetime.parse("3600s") == .seconds(3_600))
        for bad in ["", "d", "0d", "-1d", "1.5h", "1w", "1y", "10", "1 d", " 1d", "1D", "٣d", "1234567890s", "+5m"] {
            #expect(APIKeyLifetime.parse(bad) == nil, "\(bad.debugDescription)")
        }
    }
}

/// The key store against a fresh migrated database on the stack's Postgres.
@Suite struct APIKeyStoreTests {
    static let tenant = "0f8fad5b-d9cb-469f-a165-70867728950e"
    static let otherTenant = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

    @Test func createAuthenticateRevokeByToken() throws {
        try FreshDatabase.migrated { pool in
            let store = APIKeyStore(pool: pool)
            let created = try store.create(tenantID: Self.tenant.uppercased(), role: .admin, name: "ci", expiresIn: nil)
            #expect(APIKeyToken.isWellFormed(created.token))
            #expect(created.record.tenantID == Self.tenant)
            #expect(created.record.role == .admin)
            #expect(created.record.name == "ci")
            #expect(created.record.expiresAt == nil && created.record.revokedAt == nil && created.record.lastUsedAt == nil)
            #expect(try store.authenticate(token: created.token) == APIPrincipal(keyID: created.record.id, tenantID: Self.tenant, role: .admin))

            #expect(try store.revoke(created.token))
            #expect(try store.authenticate(token: created.token) == nil)
            #expect(try store.revoke(created.token) == false, "a revoked key is not revoked twice")
            let listed = try #require(try store.list().first)
            #expect(listed.id == created.record.id)
            #expect(listed.revokedAt != nil)
        }
    }

    @Test func revokeByIDInEitherCaseLeavesOtherKeysWorking() throws {
        try FreshDatabase.migrated { pool in
            let store = APIKeyStore(pool: pool)
            let first = try store.create(tenantID: Self.tenant, role: .member, name: "", expiresIn: nil)
            let second = try store.create(tenantID: Self.tenant, role: .member, name: "", expiresIn: nil)
            let revoked = try #require(try store.revokeReturningRecord(first.record.id.uppercased()))
            #expect(revoked.id == first.record.id)
            #expect(revoked.revokedAt != nil)
            #expect(try store.authenticate(token: first.token) == nil)
            #expect(try store.authenticate(token: second.token)?.keyID == second.record.id)
            #expect(try store.revoke(first.record.id) == false)
            #expect(try store.revoke("00000000-0000-4000-8000-000000000000") == false)
            #expect(try store.revoke("not a key or id") == false)
        }
    }

    @Test func expiredKeysDoNotAuthenticate() throws {
        try FreshDatabase.migrated { pool in
            let store = APIKeyStore(pool: pool)
            let live = try store.create(tenantID: Self.tenant, role: .member, name: "live", expiresIn: .seconds(3_600))
            let stale = try store.create(tenantID: Self.tenant, role: .member, name: "stale", expiresIn: .seconds(3_600))
            let expiry = try #require(live.record.expiresAt)
            #expect(expiry > live.record.createdAt)
            #expect(try store.authenticate(token: stale.token) != nil)
            // Move the key's whole life into the past instead of sleeping past it.
            try pool.withConnection {
                try $0.execute(
                    "UPDATE api_keys SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1::uuid",
                    [.text(stale.record.id)])
            }
            #expect(try store.authenticate(token: stale.token) == nil)
            #expect(try store.authenticate(token: live.token)?.keyID == live.record.id)
            #expect(try store.revoke(stale.record.id), "an expired key can still be revoked")
        }
    }

    @Test func malformedTokensAreRejectedWithoutAQuery() throws {
        // Nothing listens here: any query would throw `.database(.unavailable)`.
        let unreachable = PostgresPool(.init(conninfo: "host=/nonexistent-exthost-socket-dir connect_timeout=1", maxConnections: 1))
        let store = APIKeyStore(pool: unreachable)
        for malformed in ["", "Bearer x", "exh_short", APIKeyToken.generate() + "x", String(repeating: "a", count: 47)] {
            #expect(try store.authenticate(token: malformed) == nil)
            #expect(try store.revoke(malformed) == false)
        }
        let error = #expect(throws: RegistryError.self) { try store.authenticate(token: APIKeyToken.generate()) }
        guard case .database(.unavailable) = error else {
            Issue.record("a well-formed token must reach the database, got \(String(describing: error))")
            return
        }
        #expect(error?.status == .serviceUnavailable)
    }

    @Test func unknownKeyIsNil() throws {
        try FreshDatabase.migrated { pool in
            let store = APIKeyStore(pool: pool)
            _ = try store.create(tenantID: Self.tenant, role: .admin, name: "", expiresIn: nil)
            #expect(try store.authenticate(token: APIKeyToken.generate()) == nil)
        }
    }

    @Test func onlyTheDigestIsStoredAndListingNeverShowsIt() throws {
        try FreshDatabase.migrated { pool in
            let store = APIKeyStore(pool: pool)
            let created = try store.create(tenantID: Self.tenant, role: .admin, name: "ops", expiresIn: .seconds(86_400))
            _ = try store.create(tenantID: Self.otherTenant, role: .member, name: "other", expiresIn: nil)
            let raw = try pool.withConnection {
                try $0.query("SELECT key_sha256, row_to_json(api_keys)::text AS everything FROM api_keys WHERE id = $1::uuid", [.text(created.record.id)])
                    .rows[0]
            }
            let digest = APIKeyToken.digest(created.token)
            #expect(try raw.bytes("key_sha256") == digest)
            #expect(try !raw.string("everything").contains(created.token.dropFirst(4)))

            let all = try store.list()
            #expect(all.map(\.name) == ["ops", "other"])
            #expect(try store.list(tenantID: Self.otherTenant).map(\.name) == ["other"])
            #expect(try store.list(tenantID: "11111111-1111-4111-8111-111111111111").isEmpty)
            for record in all {
                let shown = String(reflecting: record)
                #expect(!shown.contains(Hex.encode(digest)))
                #expect(!shown.contains(created.token.dropFirst(4)))
                #expect(Mirror(reflecting: record).children.compactMap(\.label)
                    == ["id", "tenantID", "role", "name", "createdAt", "expiresAt", "revokedAt", "lastUsedAt", "secondsUntilExpiry"])
            }
        }
    }

    @Test func timestampsAreRFC3339UTC() throws {
        try FreshDatabase.migrated { pool in
            let record = try APIKeyStore(pool: pool).create(tenantID: Self.tenant, role: .admin, name: "", expiresIn: .seconds(90)).record
            for timestamp in [record.createdAt, try #require(record.expiresAt)] {
                let pattern = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/#
                #expect(timestamp.wholeMatch(of: pattern) != nil, "\(timestamp)")
            }
        }
    }

    @Test func lastUsedIsTouchedAtMostOnceAMinute() throws {
        try FreshDatabase.migrated { pool in
            let store = APIKeyStore(pool: pool)
            let created = try store.create(tenantID: Self.tenant, role: .member, name: "", expiresIn: nil)
            let lastUsed = { () throws -> String? in try store.list().first?.lastUsedAt }
            #expect(try lastUsed() == nil)
            _ = try store.authenticate(token: created.token)
            let first = try #require(try lastUsed())
            _ = try store.authenticate(token: created.token)
            #expect(try lastUsed() == first, "a second use within a minute writes nothing")
            try pool.withConnection { try $0.execute("UPDATE api_keys SET last_used_at = now() - interval '2 minutes'") }
            let aged = try #require(try lastUsed())
            _ = try store.authenticate(token: created.token)
            #expect(try lastUsed()! > aged)
        }
    }

    @Test func invalidInputIsRefusedBeforeAnyRowIsWritten() throws {
        try FreshDatabase.migrated { pool in
            let store = APIKeyStore(pool: pool)
            let cases: [(String, String, Duration?, String)] = [
                ("not-a-uuid", "", nil, "tenantId"),
                (Self.tenant + "0", "", nil, "tenantId"),
                (Self.tenant, String(repeating: "n", count: 257), nil, "name"),
                (Self.tenant, "line\nbreak", nil, "name"),
                (Self.tenant, "", .zero, "expiresIn"),
                (Self.tenant, "", .milliseconds(500), "expiresIn"),
                (Self.tenant, "", .seconds(-60), "expiresIn"),
                (Self.tenant, "", .seconds(101 * 365 * 86_400), "expiresIn"),
            ]
            for (tenant, name, lifetime, field) in cases {
                let error = #expect(throws: RegistryError.self) {
                    try store.create(tenantID: tenant, role: .member, name: name, expiresIn: lifetime)
                }
                #expect(error?.field == field)
                #expect(error?.status == .badRequest)
                #expect(error?.code == "INVALID_FIELD")
            }
            #expect(throws: RegistryError.self) { try store.list(tenantID: "tenant-a") }
            let written = try store.list()
            #expect(written.isEmpty)
            // 256 characters, counted as Postgres counts them (code points), is the maximum.
            let longest = String(repeating: "é", count: 256)
            let created = try store.create(tenantID: Self.tenant, role: .member, name: longest, expiresIn: nil)
            #expect(created.record.name == longest)
        }
    }

    @Test func sqlMetacharactersInTheNameAreStoredVerbatim() throws {
        let hostile = "Robert'); DROP TABLE api_keys; -- \"q\" \\x00 $1 %s 💥"
        try FreshDatabase.migrated { pool in
            let store = APIKeyStore(pool: pool)
            let created = try store.create(tenantID: Self.tenant, role: .admin, name: hostile, expiresIn: nil)
            #expect(created.record.name == hostile)
            #expect(try store.list(tenantID: Self.tenant).map(\.name) == [hostile])
        }
    }

    @Test func roleOrdering() {
        #expect(APIRole.admin.satisfies(.admin))
        #expect(APIRole.admin.satisfies(.member))
        #expect(APIRole.member.satisfies(.member))
        #expect(!APIRole.member.satisfies(.admin))
    }
}
