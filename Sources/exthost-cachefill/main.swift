import ArgumentParser
import CacheFill
import Glibc
import Logging
import ServiceSupport

/// exthost-cachefill: keeps this node's content-hash tree full and answers fills over a unix socket.
struct ExthostCacheFill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exthost-cachefill",
        abstract: "Keeps the node's content-hash tree (EXTHOST_CACHE_DIR) in line with the registry and fills trees on request.",
        discussion: """
            Listens for the exthost_bundles and exthost_installs notifications and reconciles \
            periodically: every enabled install's bundle is fetched from the bundle store, \
            verified and extracted under sha256/<hex>, its UI linked at ext-ui/<extensionId>/<hex>; \
            links of installs no longer enabled are removed. The runner asks for a missing tree \
            over the socket with one line, FILL sha256:<hex>, answered OK <path> or ERR <CODE> <message>.

            Environment: the bundle store (EXTHOST_BUNDLE_STORE, STORAGE_S3_*, BUNDLE_STORE_BASE, \
            or EXTHOST_BUNDLE_DIR), the database (EXTHOST_DATABASE_URL or PG*), \
            SIGNING_TRUST_BUNDLE (when set, only bundles with a trusted signature enter the tree), \
            EXTHOST_CACHE_DIR, EXTHOST_CACHE_MAX_BYTES, EXTHOST_CACHEFILL_SOCKET, EXTHOST_LOG_LEVEL. \
            With a byte budget, the least recently used trees are evicted above it; trees of \
            enabled installs only above the hard limit of 1.25 × the budget.

            Stops on SIGTERM or SIGINT (exit 0). With NOTIFY_SOCKET set (systemd Type=notify) it \
            sends READY=1 after the first reconcile and STOPPING=1 when it stops.

            Examples:
              exthost-cachefill
              exthost-cachefill --socket /run/exthost/cachefill.sock --cache-dir /var/cache/exthost --max-bytes 20G
              exthost-cachefill --reconcile-seconds 300 --status-file /run/exthost/cachefill-status.json
              printf 'FILL sha256:%s\\n' "$HEX" | nc -U /run/exthost/cachefill.sock
            """,
        version: ExthostVersion.string
    )

    @Option(help: "Unix socket to serve FILL requests on (default: EXTHOST_CACHEFILL_SOCKET, else \(CacheFillConfiguration.defaultSocketPath)).")
    var socket: String?

    @Option(help: "Octal mode of the socket file: the runner must be able to connect.")
    var socketMode: String = "0660"

    @Option(help: "Root of the content-hash tree (default: EXTHOST_CACHE_DIR, else \(CacheFillConfiguration.defaultCacheDirectory)).")
    var cacheDir: String?

    @Option(help: "Seconds between full reconciles (they repair what a missed notification left behind).")
    var reconcileSeconds: Int = 60

    @Option(help: "Seconds a FILL client waits before ERR FILL_TIMEOUT; the fill itself goes on.")
    var fillTimeoutSeconds: Int = 60

    @Option(help: "Byte budget of the tree, digits with an optional K/M/G/T suffix (default: EXTHOST_CACHE_MAX_BYTES, else unlimited).")
    var maxBytes: String?

    @Option(help: "File the one-line JSON status is written to (default: cachefill-status.json next to the socket).")
    var statusFile: String?

    @Option(help: "Clients served at once; more are answered ERR BUSY.")
    var maxConnections: Int = 64

    @Option(help: "Seconds a stop waits for running fills before leaving them to the next start.")
    var stopSeconds: Int = 10

    func validate() throws {
        guard UInt32(socketMode, radix: 8) != nil else { throw ValidationError("--socket-mode must be octal, e.g. 0660") }
        guard reconcileSeconds >= 1 else { throw ValidationError("--reconcile-seconds must be at least 1") }
        guard fillTimeoutSeconds >= 1 else { throw ValidationError("--fill-timeout-seconds must be at least 1") }
        guard (1...4096).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and 4096") }
        guard stopSeconds >= 0 else { throw ValidationError("--stop-seconds must not be negative") }
        if let maxBytes, CacheFillConfiguration.parseByteCount(maxBytes) == nil {
            throw ValidationError("--max-bytes must be a positive byte count such as 1073741824 or 20G")
        }
    }

    func run() throws {
        let environment = ProcessEnvironment.current
        JSONLogHandler.bootstrap(service: "exthost-cachefill", environment: environment)
        let logger = Logger(label: "exthost-cachefill")
        func setting(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let budgetText = maxBytes ?? setting("EXTHOST_CACHE_MAX_BYTES")
        let budget = budgetText.flatMap(CacheFillConfiguration.parseByteCount)
        if let budgetText, budget == nil {
            logger.critical("cannot start: EXTHOST_CACHE_MAX_BYTES must be a positive byte count such as 20G, not \(budgetText.debugDescription)")
            throw ExitCode.failure
        }
        let socketPath = socket ?? setting("EXTHOST_CACHEFILL_SOCKET") ?? CacheFillConfiguration.defaultSocketPath
        let configuration = CacheFillConfiguration(
            socketPath: socketPath, socketMode: UInt32(socketMode, radix: 8) ?? 0o660,
            cacheDirectory: cacheDir ?? setting("EXTHOST_CACHE_DIR") ?? CacheFillConfiguration.defaultCacheDirectory,
            statusFile: statusFile, reconcileInterval: .seconds(reconcileSeconds), fillTimeout: .seconds(fillTimeoutSeconds),
            maxBytes: budget, maxConnections: maxConnections, stopGrace: .seconds(stopSeconds))
        let daemon: CacheFillDaemon
        do {
            daemon = try CacheFillDaemon(configuration: configuration, environment: environment, logger: logger)
        } catch {
            logger.critical("cannot start: \(error.description)")
            throw ExitCode.failure
        }
        daemon.run()
    }
}

ExthostCacheFill.main()
