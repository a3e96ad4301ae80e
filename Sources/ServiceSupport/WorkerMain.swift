import ExthostCore
import FastCGI
import Glibc
import Logging

/// The whole life of a worker process, shared by every FastCGI executable: logging, the
/// server, and an exit status that tells systemd what happened.
public enum WorkerMain {
    /// Runs `router` until SIGTERM/SIGINT; exits the process with 0 after a drain, 1 when it
    /// could not start.
    public static func run(service: String, options: WorkerOptions, router: Router) -> Never {
        let environment = ProcessEnvironment.current
        JSONLogHandler.bootstrap(service: service, environment: environment)
        let logger = Logger(label: service)
        do {
            let configuration = try options.configuration(environment: environment)
            let server = FastCGIServer(configuration: configuration, logger: logger) { request in
                try router.respond(to: request)
            }
            try server.run()
            exit(0)
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
