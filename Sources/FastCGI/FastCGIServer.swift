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

    /// One accept thread's state and pthread, under a lock that only that thread and a drain
    /// take: a lock shared by every thread, taken twice per request, cost more than the request.
    final class ThreadSlot: Sendable {
        struct Value {
            var state = ThreadState.waiting(keptFD: -1)
            /// Recorded by the thread itself as it starts.
            var pthread: pthread_t?
        }

        let value = Mutex(Value())
    }

    let configuration: Configuration
    let logger: Logger
    let responder: Responder
    let observer: Observer?
    let slots: [ThreadSlot]
    /// Set once, when the drain starts; a thread reads it under its own slot's lock, which the
    /// drain takes after setting it, so no thread starts waiting unseen by the drain.
    let draining = Atomic(false)

    /// Told about every request once its answer is written (metrics); runs on the request's
    /// thread, so it must be quick.
    public typealias Observer = @Sendable (CompletedRequest) -> Void

    public init(configuration: Configuration, logger: Logger, observer: Observer? = nil, responder: @escaping Responder) {
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.responder = responder
        slots = (0..<configuration.threads).map { _ in ThreadSlot() }
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
        draining.store(true, ordering: .sequentiallyConsistent)
        for slot in slots {
            slot.value.withLock { value in
                if case .waiting(let fd) = value.state, fd >= 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
            }
        }
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(configuration.drainSeconds * 1000)))
        while true {
            if socket.isShared { wakeWaitingThreads() }
            let busy = slots.filter { slot in slot.value.withLock { if case .exited = $0.state { false } else { true } } }.count
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
        for slot in slots {
            slot.value.withLock { value in
                if case .waiting = value.state, let pthread = value.pthread { AcceptWakeup.wake(pthread) }
            }
        }
    }

    // MARK: Accept-thread callbacks

    func recordThread(_ index: Int) {
        let me = pthread_self()
        slots[index].value.withLock { $0.pthread = me }
    }

    /// Records that thread `index` waits for its next request; false when it should stop.
    func markWaiting(_ index: Int, keptFD: Int32) -> Bool {
        slots[index].value.withLock { value in
            if draining.load(ordering: .sequentiallyConsistent) { return false }
            value.state = .waiting(keptFD: keptFD)
            return true
        }
    }

    func markServing(_ index: Int) { slots[index].value.withLock { $0.state = .serving } }
    func markExited(_ index: Int) { slots[index].value.withLock { $0.state = .exited } }
}
