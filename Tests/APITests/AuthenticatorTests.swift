import API
import ExthostCore
import ExthostTesting
import FastCGI
import Foundation
import Postgres
import Registry
import Testing

/// Reading `Authorization: Bearer`, and the 401/403 answers, without a database.
@Suite struct BearerCredentialsTests {
    static let token = "exh_" + String(repeating: "A", count: 43)

    @Test func readsTheTokenWhateverTheSchemeCaseAndSpacing() throws {
        for header in ["Bearer \(Self.token)", "bearer \(Self.token)", "BEARER \(Self.token)", "Bearer   \(Self.token)",
                       "  Bearer\t\(Self.token)  ", "bEaReR \(Self.token)\t"] {
            #expect(try BearerCredentials.token(fromAuthorization: header) == Self.token, "\(header.debugDescription)")
        }
    }

    @Test func noHeaderOrAnotherSchemeIsMissingCredentials() {
        for header in [nil, "", "   ", "Basic dXNlcjpwYXNz", "Token \(Self.token)", Self.token, "Bearer\(Self.token)"] as [String?] {
            #expect(throws: AuthError.missingCredentials, "\(String(describing: header))") {
                try BearerCredentials.token(fromAuthorization: header)
            }
        }
    }

    @Test func bearerWithoutATokenIsInvalid() {
        for header in ["Bearer", "Bearer ", "bearer \t "] {
            #expect(throws: AuthError.invalidCredentials) { try BearerCredentials.token(fromAuthorization: header) }
        }
    }

    @Test func errorsCarryStatusCodeAndChallenge() {
        func challenge(_ error: AuthError) -> String? {
            error.extraHeaders.first { $0.name == "WWW-Authenticate" }?.value
        }
        #expect(AuthError.missingCredentials.status == .unauthorized)
        #expect(AuthError.missingCredentials.code == "UNAUTHENTICATED")
        #expect(challenge(.missingCredentials) == #"Bearer realm="exthost""#)
        #expect(AuthError.invalidCredentials.status == .unauthorized)
        #expect(AuthError.invalidCredentials.code == "INVALID_API_KEY")
        #expect(challenge(.invalidCredentials) == #"Bearer realm="exthost", error="invalid_token""#)
        #expect(AuthError.forbidden(required: .admin).status == .forbidden)
        #expect(AuthError.forbidden(required: .admin).code == "FORBIDDEN")
        #expect(AuthError.forbidden(required: .admin).message.contains("admin"))
    }

    @Test func roleRequirements() throws {
        let admin = APIPrincipal(keyID: "k1", tenantID: "t", role: .admin)
        let member = APIPrincipal(keyID: "k2", tenantID: "t", role: .member)
        try admin.require(.admin)
        try admin.require(.member)
        try member.require(.member)
        #expect(throws: AuthError.forbidden(required: .admin)) { try member.require(.admin) }
    }
}

/// `Authenticator` on real requests: the key decides the principal, headers cannot.
@Suite struct AuthenticatorTests {
    static let tenant = "6f1d3c1e-2a9b-4c5d-8e7f-0a1b2c3d4e5f"

    func request(_ headers: [String: String]) throws -> Request {
        var params = ["REQUEST_METHOD": "GET", "REQUEST_URI": "/api/installs"]
        for (name, value) in headers { params["HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] = value }
        return try Request(fastCGIParameters: params, body: MemoryByteSource([]))
    }

    @Test func malformedOrMissingKeysNeverReachTheDatabaseAndAnOutageIs503() throws {
        // Nothing listens here: a query would fail with 503, so a 401 proves no query was made.
        let unreachable = PostgresPool(.init(conninfo: "host=/nonexistent-exthost-socket-dir connect_timeout=1", maxConnections: 1))
        let authenticator = Authenticator(keys: APIKeyStore(pool: unreachable))
        #expect(throws: AuthError.missingCredentials) { try authenticator.authenticate(request([:])) }
        #expect(throws: AuthError.missingCredentials) { try authenticator.authenticate(request(["Authorization": "Basic YTpi"])) }
        #expect(throws: AuthError.invalidCredentials) { try authenticator.authenticate(request(["Authorization": "Bearer nope"])) }
        let outage = #expect(throws: RegistryError.self) {
            try authenticator.authenticate(request(["Authorization": "Bearer " + APIKeyToken.generate()]))
        }
        #expect(outage?.status == .serviceUnavailable)
    }

    @Test func aValidKeyYieldsItsOwnTenantWhateverTheHeadersClaim() throws {
        try FreshDatabase.migrated { pool in
            let keys = APIKeyStore(pool: pool)
            let created = try keys.create(tenantID: Self.tenant, role: .member, name: "reader", expiresIn: nil)
            let principal = try Authenticator(keys: keys).authenticate(request([
                "Authorization": "bearer " + created.token,
                "X-Tenant-Id": "00000000-0000-4000-8000-000000000000", "X-Role": "admin", "X-Api-Key-Id": "forged",
            ]))
            #expect(principal == APIPrincipal(keyID: created.record.id, tenantID: Self.tenant, role: .member))
            #expect(throws: AuthError.forbidden(required: .admin)) { try principal.require(.admin) }
        }
    }

    @Test func unknownExpiredAndRevokedKeysAreInvalidCredentials() throws {
        try FreshDatabase.migrated { pool in
            let keys = APIKeyStore(pool: pool)
            let authenticator = Authenticator(keys: keys)
            let revoked = try keys.create(tenantID: Self.tenant, role: .admin, name: "", expiresIn: nil)
            let expired = try keys.create(tenantID: Self.tenant, role: .admin, name: "", expiresIn: .seconds(60))
            #expect(try authenticator.authenticate(request(["Authorization": "Bearer " + revoked.token])).keyID == revoked.record.id)
            #expect(try keys.revoke(revoked.record.id))
            try pool.withConnection {
                try $0.execute(
                    "UPDATE api_keys SET created_at = now() - interval '1 day', expires_at = now() - interval '1 hour' WHERE id = $1::uuid",
                    [.text(expired.record.id)])
            }
            for token in [revoked.token, expired.token, APIKeyToken.generate()] {
                let error = #expect(throws: AuthError.self) { try authenticator.authenticate(request(["Authorization": "Bearer " + token])) }
                #expect(error == .invalidCredentials)
            }
        }
    }
}
