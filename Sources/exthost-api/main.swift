import API
import ArgumentParser
import BundleStore
import Cryptography
import FastCGI
import Logging
import Metrics
import Postgres
import Registry
import ServiceSupport

/// exthost-api: the FastCGI workers behind /api/ (publishing, registry, installs, keys).
struct ExthostAPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exthost-api",
        abstract: "FastCGI workers for the exthost management API (behind nginx).",
        discussion: """
            Database: EXTHOST_DATABASE_URL, else libpq's PG* variables; the schema must be \
            current (run `exthost admin migrate`). EXTHOST_DB_POOL_SIZE caps connections \
            (default 16). EXTHOST_SECRETS_KEY (32 bytes as 64 hex digits or base64) enables \
            install secrets; without it the secrets endpoints answer 503. \
            EXTHOST_SECRETS_KEY_PREVIOUS (comma-separated keys) still opens secrets sealed \
            under retired keys until `exthost admin rotate-secrets` has re-sealed them. \
            EXTHOST_KEY_EXPIRY_WARNING_DAYS (default 14, 0 = never) adds a `Warning` header to \
            answers for keys that expire within that many days.
            """,
        version: ExthostVersion.string
    )

    @OptionGroup var options: WorkerOptions

    func run() {
        WorkerMain.run(service: "exthost-api", options: options) { environment, logger, metrics in
            let poolSize = try environment["EXTHOST_DB_POOL_SIZE"].map { text in
                guard let size = Int(text), (1...512).contains(size) else {
                    throw ValidationError("EXTHOST_DB_POOL_SIZE must be a number from 1 to 512")
                }
                return size
            } ?? 16
            let pool = PostgresPool(.init(maxConnections: poolSize))
            try Migrations.awaitCurrent(pool: pool, patience: .seconds(30)) { error in
                logger.warning("waiting for the database: \(error.message)")
            }
            let secretsKeyring = try SecretsKeyring.fromEnvironment(environment)
            if secretsKeyring == nil {
                logger.warning("EXTHOST_SECRETS_KEY is not set: install secrets are disabled (503 SECRETS_UNAVAILABLE)")
            }
            var router = Router()
            router.addHealthRoutes()
            let publishing = try PublishingServices(environment: environment, pool: pool, logger: logger)
            let notice = try KeyExpiryNotice(environment: environment, metrics: metrics)
            router.addManagementRoutes(APIServices(pool: pool, secretsKeyring: secretsKeyring, keyExpiryNotice: notice), publishing: publishing)
            let store = publishing.store
            router.addReadinessRoute([
                ReadinessCheck("database") { try pool.withConnection { _ = try $0.execute("SELECT 1") } },
                // A HEAD of a key that never exists: proves the store answers and accepts our credentials.
                ReadinessCheck("bundleStore") { _ = try store.exists(store.keys.base + "readyz-probe") },
            ], logger: logger)
            return router
        }
    }
}

ExthostAPI.main()
