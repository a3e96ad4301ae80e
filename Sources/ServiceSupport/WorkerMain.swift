import ExthostCore
import FastCGI
import Glibc
import Logging
import Metrics

/// The whole life of a worker process, shared by every FastCGI executable: logging, the
/// server, and an exit status that tells systemd what happened.
public enum WorkerMain {
    /// Runs `router` until SIGTERM/SIGINT; exits the process with 0 after a drain, 1 when it
    /// could not start.
    public static func run(service: String, options: WorkerOptions, router: Router) -> Never {
        run(service: service, options: options) { _, _, _ in router }
    }

    /// Like `run(service:options:router:)`, but builds the router after logging is up, so its
    /// start-up checks (schema version, configuration) are logged; a throw there exits 1.
    /// `metrics` is the process's registry: what the router's handlers register there is
    /// served with the request metrics at `GET /metrics`.
    public static func run(
        service: String, options: WorkerOptions,
        makeRouter: (_ environment: [String: String], _ logger: Logger, _ metrics: MetricsRegistry) throws -> Router
    ) -> Never {
        let environment = ProcessEnvironment.current
        JSONLogHandler.bootstrap(service: service, environment: environment)
        let logger = Logger(label: service)
        let metrics = MetricsRegistry()
        do {
            let requests = RequestMetrics(registry: metrics)
            var router = try makeRouter(environment, logger, metrics)
            router.addMetricsRoute(metrics)
            let configuration = try options.configuration(environment: environment)
            let server = FastCGIServer(configuration: configuration, logger: logger, observer: requests.record) { [router] request in
                try router.respond(to: request)
            }
            try server.run()
            exit(0)
        } catch let error as any HTTPError {
            logger.critical("cannot start: \(error.message)", metadata: ["code": "\(error.code)"])
            exit(1)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            exit(1)
        }
    }
}

/// The process environment as a dictionary.
public enum ProcessEnvironment {
    public static var current: [String: String] { EnvironmentBlock.dictionary(from: environ) }
}
