import Cryptography
import FastCGI
import Postgres
import Registry

/// Everything the management API's handlers use, built once per process and shared by every
/// worker thread.
public struct APIServices: Sendable {
    public let authenticator: Authenticator
    public let catalog: Catalog
    public let installs: InstallStore
    public let secrets: InstallSecrets
    public let keyExpiryNotice: KeyExpiryNotice

    public init(pool: PostgresPool, secretsKeyring: SecretsKeyring?, keyExpiryNotice: KeyExpiryNotice = KeyExpiryNotice()) {
        authenticator = Authenticator(keys: APIKeyStore(pool: pool))
        catalog = Catalog(pool: pool)
        installs = InstallStore(pool: pool)
        secrets = InstallSecrets(pool: pool, keyring: secretsKeyring)
        self.keyExpiryNotice = keyExpiryNotice
    }

    /// A handler that runs only for a verified key holding at least `role`; the role is checked
    /// before the handler reads anything, so a member key learns nothing from a write endpoint.
    func secured(_ role: APIRole, _ handler: @escaping @Sendable (Request, APIPrincipal) throws -> Response) -> Router.Handler {
        let authenticator = self.authenticator
        let notice = keyExpiryNotice
        return { request in
            let principal = try authenticator.authenticate(request)
            try principal.require(role)
            var response = try handler(request, principal)
            notice.annotate(&response, expiry: principal.expiry)
            return response
        }
    }
}

extension Router {
    /// Every `/api/` route of exthost-api except health.
    public mutating func addManagementRoutes(_ services: APIServices, publishing: PublishingServices) {
        addCatalogRoutes(services)
        addInstallRoutes(services)
        addUploadSessionRoutes(services, publishing)
        addUploadProxyRoutes(services, publishing)
        addFinalizeRoutes(services, publishing)
        addSignedUploadRoutes(publishing)
    }
}

extension Request {
    /// The `:id` path parameter as a canonical uuid, else 400 naming `id`.
    func uuidParameter(_ name: String = "id") throws(InputError) -> String {
        guard let id = parameters[name].flatMap(UUIDText.normalized) else {
            throw .invalidParameter(name, reason: "must be a uuid like 123e4567-e89b-12d3-a456-426614174000")
        }
        return id
    }
}
