import API
import CacheFill
import ContentCache
import Cryptography
import Execution
import Logging
import Metrics
import Postgres
import Registry

extension GatewayHandler {
    /// Parsed modules a worker keeps (LRU by size) before it evicts; a guess sized for a few
    /// hundred small extensions, not yet a setting.
    public static let moduleCacheBytes = 256 << 20

    /// The gateway as exthost-runner runs it: keys and installs from Postgres, modules from
    /// the cache tree (filled by cachefill), WasmKit for execution, limits and the secrets key
    /// from the environment (`EXT_*`, `EXTHOST_SECRETS_KEY` and `EXTHOST_SECRETS_KEY_PREVIOUS`; without a key `secrets.get`
    /// answers `unavailable`), `http.fetch` limited to the settings' egress allowlist. Starts
    /// the worker's `exthost_installs` listener.
    public static func live(
        settings: RunnerConfiguration, pool: PostgresPool, environment: [String: String], metrics: MetricsRegistry, logger: Logger
    ) throws -> GatewayHandler {
        let secretsKeyring = try SecretsKeyring.fromEnvironment(environment)
        if secretsKeyring == nil { logger.warning("\(SecretsKey.environmentVariable) is not set: secrets.get answers unavailable") }
        if settings.egressAllowlist.isEmpty { logger.info("\(EgressAllowlist.environmentVariable) is empty: http.fetch answers not_allowed") }
        let fetcher = EgressFetcher(allowlist: settings.egressAllowlist, maxResponseBytes: settings.fetchMaxResponseBytes)
        let targets = TargetCache(source: ExecutionTargets(pool: pool))
        let keys = VerifiedKeyCache(authenticator: Authenticator(keys: APIKeyStore(pool: pool)))
        RegistryChangeListener.start(targets: targets, keys: keys, logger: logger)
        let engine = WasmEngine(moduleCacheBytes: moduleCacheBytes, logger: logger)
        let gatewayMetrics = GatewayMetrics(registry: metrics)
        gatewayMetrics.exportEngine { engine.statistics }
        CacheFillMetrics(statusFile: CacheFillConfiguration.defaultStatusFile(socketPath: settings.cacheFillSocket)).register(in: metrics)
        return GatewayHandler(
            authenticator: keys,
            targets: targets,
            modules: ModuleLocator(layout: ContentCacheLayout(root: settings.cacheRoot), filler: CacheFillClient(socketPath: settings.cacheFillSocket)),
            executor: engine,
            limits: try ExecutionLimits(environment: environment),
            hostServices: HostServices(
                secrets: InstallSecrets(pool: pool, keyring: secretsKeyring), storage: ExtensionStorage(pool: pool), fetcher: fetcher, logger: logger),
            executionLog: try BatchedExecutionLog(pool: pool),
            metrics: gatewayMetrics,
            keyExpiryNotice: try KeyExpiryNotice(environment: environment, metrics: metrics),
            logger: logger)
    }
}
