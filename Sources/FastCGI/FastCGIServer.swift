import ExthostCore
import Glibc
import Logging
import Synchronization

/// A FastCGI application server: N threads accept on one listening socket, each serving one
/// request at a time through a `Responder`.
///
/// Lifecycle: `run()` opens the socket, starts the threads and blocks until SIGTERM or SIGINT.
/// Then it stops accepting (new connections are refused, kept-alive idle connections closed),
/// lets requests in flight finish for at most `drainSeconds`, and returns. Signals are blocked
/// in every thread and taken synchronously by `sigwait`, so no handler ever runs on a worker.
public final class FastCGIServer: Sendable {
    public typealias Responder = @Sendable (Request) throws -> Response

    public struct Configuration: Sendable {
        public var listen: ListenAddress?
        public var threads: Int
        public var drainSeconds: Double
        /// File mode for a unix socket this server creates (nginx runs as another user).
        public var socketMode: UInt32?
        public var backlog: Int32

        public init(listen: ListenAddress? = nil, threads: Int = 16, drainSeconds: Double = 30,
                    socketMode: UInt32? = 0o660, backlog: Int32 = 1024) {
            self.listen = listen
            self.threads = max(1, threads)
            self.drainSeconds = drainSeconds
            self.socketMode = socketMode
            self.backlog = backlog
        }
    }

    enum ThreadState {
        case waiting(keptFD: Int32)
        case serving
        case exited
    }

    struct State {
        var draining = false
        var threads: [ThreadState] = []
        /// Each accept thread's pthread, recorded by the thread itself as it starts.
        var pthreads: [pthread_t?] = []
    }

    let configuration: Configuration
    let logger: Logger
    let responder: Responder
    let observer: Observer?
    let state = Mutex(State())

    /// Told about every request once its answer is written (metrics); runs on the request's
    /// thread, so it must be quick.
    public typealias Observer = @Sendable (CompletedRequest) -> Void

    public init(configuration: Configuration, logger: Logger, observer: Observer? = nil, responder: @escaping Responder) {
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.responder = responder
    }

    /// Serves until SIGTERM/SIGINT, then drains; throws only when the server cannot start.
    public func run() throws(ServerError) {
        try LibFCGI.initialize()
        signal(SIGPIPE, SIG_IGN)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let socket = try ListenSocket.open(
            explicit: configuration.listen, backlog: configuration.backlog, socketMode: configuration.socketMode)
        state.withLock {
            $0.threads = Array(repeating: .waiting(keptFD: -1), count: configuration.threads)
            $0.pthreads = Array(repeating: nil, count: configuration.threads)
        }
        for index in 0..<configuration.threads {
            let worker = AcceptThread(server: self, index: index, listenFD: socket.fd)
            try worker.start()
        }
        logger.info("listening", metadata: [
            "listen": "\(socket.description)", "threads": "\(configuration.threads)",
        ])

        var received: Int32 = 0
        repeat { } while sigwait(&stopSignals, &received) != 0
        logger.info("stopping", metadata: ["signal": "\(received == SIGTERM ? "SIGTERM" : "SIGINT")"])
        drain(socket)
    }

    private func drain(_ socket: ListenSocket) {
        LibFCGI.shutdownPending()
        socket.shutDown()
        if socket.isShared { AcceptWakeup.install() }
        state.withLock { state in
            state.draining = true
            for case .waiting(let fd) in state.threads where fd >= 0 {
                Glibc.shutdown(fd, Int32(SHUT_RDWR))
            }
        }
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(configuration.drainSeconds * 1000)))
        while true {
            if socket.isShared { wakeWaitingThreads() }
            let busy = state.withLock { $0.threads.filter { if case .exited = $0 { false } else { true } }.count }
            if busy == 0 {
                logger.info("stopped", metadata: ["inFlight": "0"])
                return
            }
            if ContinuousClock.now >= deadline {
                logger.warning("drain timed out", metadata: ["inFlight": "\(busy)"])
                return
            }
            usleep(10_000)
        }
    }

    /// Interrupts the threads still blocked in accept(2) on a shared socket; repeated by the
    /// drain loop, since a thread may be just about to call accept when the first signal lands.
    private func wakeWaitingThreads() {
        state.withLock { state in
            for (index, thread) in state.threads.enumerated() {
                guard case .waiting = thread, let pthread = state.pthreads[index] else { continue }
                AcceptWakeup.wake(pthread)
            }
        }
    }

    // MARK: Accept-thread callbacks

    func recordThread(_ index: Int) {
        let me = pthread_self()
        state.withLock { $0.pthreads[index] = me }
    }

    /// Records that thread `index` waits for its next request; false when it should stop.
    func markWaiting(_ index: Int, keptFD: Int32) -> Bool {
        state.withLock { state in
            if state.draining { return false }
            state.threads[index] = .waiting(keptFD: keptFD)
            return true
        }
    }

    func markServing(_ index: Int) { state.withLock { $0.threads[index] = .serving } }
    func markExited(_ index: Int) { state.withLock { $0.threads[index] = .exited } }
}
