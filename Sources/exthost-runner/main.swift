import ArgumentParser
import CacheFill
import ContentCache
import FastCGI
import Logging
import Postgres
import Registry
import Runner
import ServiceSupport

import Glibc

/// exthost-runner: the FastCGI workers behind /api/ext/ (handler execution) and UI cache misses.
struct ExthostRunner: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exthost-runner",
        abstract: "FastCGI workers that execute extension handlers and answer UI cache misses (behind nginx).",
        discussion: """
            Database: EXTHOST_DATABASE_URL, else libpq's PG* variables; the schema must be current \
            (run `exthost admin migrate`). EXTHOST_DB_POOL_SIZE caps connections (default 16). \
            UI misses: EXTHOST_CACHE_DIR (default /var/cache/exthost, the tree nginx serves), \
            EXTHOST_CACHEFILL_SOCKET (default /run/exthost/cachefill.sock), and \
            EXT_GATEWAY_TIMEOUT_MS (default 10000), how long a miss waits for a fill. \
            Execution (/api/ext/): EXT_GATEWAY_TIMEOUT_MS is also each request's deadline; \
            EXT_FUEL_PER_REQUEST, EXT_MEMORY_LIMIT_MB (default 64); EXTHOST_SECRETS_KEY (and \
            EXTHOST_SECRETS_KEY_PREVIOUS, comma-separated retired keys) for secrets.get; \
            EXTHOST_KEY_EXPIRY_WARNING_DAYS (default 14, 0 = never) for the `Warning` header on \
            answers to keys about to expire; \
            EXT_EGRESS_ALLOWLIST (comma-separated host, *.domain, host:port, http://… entries; unset: \
            http.fetch is refused) and EXT_FETCH_MAX_BYTES (default 5 MiB) for http.fetch (docs/egress.md). \
            GET /metrics: Prometheus text (docs/metrics.md).
            """,
        version: ExthostVersion.string
    )

    @OptionGroup var options: WorkerOptions

    func run() {
        WorkerMain.run(service: "exthost-runner", options: options) { environment, logger, metrics in
            let settings = try RunnerConfiguration(environment: environment)
            let pool = PostgresPool(.init(maxConnections: settings.databasePoolSize))
            try Migrations.awaitCurrent(pool: pool, patience: .seconds(30)) { error in
                logger.warning("waiting for the database: \(error.message)")
            }
            var router = Router()
            router.addHealthRoutes()
            router.addUIMissRoute(UIMissHandler(
                layout: ContentCacheLayout(root: settings.cacheRoot),
                pairs: BundleDelivery(pool: pool),
                filler: CacheFillClient(socketPath: settings.cacheFillSocket),
                fillTimeout: settings.gatewayTimeout,
                logger: logger))
            router.addGatewayRoute(try GatewayHandler.live(settings: settings, pool: pool, environment: environment, metrics: metrics, logger: logger))
            let cachefill = CacheFillMetrics(statusFile: CacheFillConfiguration.defaultStatusFile(socketPath: settings.cacheFillSocket))
            router.addReadinessRoute([
                ReadinessCheck("database") { try pool.withConnection { _ = try $0.execute("SELECT 1") } },
                ReadinessCheck("cacheTree") { guard access(settings.cacheRoot, R_OK | X_OK) == 0 else { throw ReadinessFailure.unreadable } },
                ReadinessCheck("cachefill") { guard cachefill.isReady else { throw ReadinessFailure.notRunning } },
            ], logger: logger)
            return router
        }
    }
}

ExthostRunner.main()
