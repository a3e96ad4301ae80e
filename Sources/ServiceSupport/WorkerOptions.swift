import ArgumentParser
import FastCGI

/// Command-line options every FastCGI worker executable shares.
public struct WorkerOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Where to listen when not socket-activated: unix:PATH, HOST:PORT or :PORT.",
        discussion: "Order of precedence: systemd socket activation (LISTEN_FDS), this option, then a listening socket inherited on fd 0 (spawn-fcgi)."
    ))
    public var listen: String?

    @Option(help: "Accept threads, each serving one request at a time (default: EXTHOST_THREADS or 64).")
    public var threads: Int?

    @Option(help: "Seconds in-flight requests get to finish after SIGTERM/SIGINT.")
    public var drainSeconds: Double = 30

    @Option(help: "Octal file mode of a unix socket this process creates, so nginx can connect.")
    public var socketMode: String = "0660"

    public init() {}

    public func validate() throws {
        if let threads, !(1...1024).contains(threads) {
            throw ValidationError("--threads must be between 1 and 1024")
        }
        if drainSeconds < 0 { throw ValidationError("--drain-seconds must not be negative") }
        guard UInt32(socketMode, radix: 8) != nil else { throw ValidationError("--socket-mode must be octal, e.g. 0660") }
        if let listen {
            do { _ = try ListenAddress(parsing: listen) } catch { throw ValidationError("\(error)") }
        }
    }

    /// The server configuration these options and the environment describe.
    public func configuration(environment: [String: String]) throws -> FastCGIServer.Configuration {
        let envThreads = try environment["EXTHOST_THREADS"].map { text -> Int in
            guard let value = Int(text), (1...1024).contains(value) else {
                throw ValidationError("EXTHOST_THREADS must be a number between 1 and 1024, not \(text.debugDescription)")
            }
            return value
        }
        return FastCGIServer.Configuration(
            listen: try listen.map { try ListenAddress(parsing: $0) },
            threads: threads ?? envThreads ?? 64,
            drainSeconds: drainSeconds,
            socketMode: UInt32(socketMode, radix: 8)
        )
    }
}
