import Bundle
import Logging
import Synchronization

/// The daemon's unix socket: accepts clients and answers their `FILL` lines, one thread per
/// connection.
///
/// Invariants: at most `maxConnections` clients are served at once (the next one is answered
/// `ERR BUSY` and closed); a request line longer than `FillRequest.maxLineBytes` or a client
/// idle for `idleTimeout` is dropped; an answer is always one protocol line, never a trace.
final class FillServer: Sendable {
    struct Limits: Sendable {
        var maxConnections = 64
        var idleTimeout: Duration = .seconds(10)
        var fillTimeout: Duration = .seconds(60)
    }

    let listener: UnixSocket
    let requests: FillRequests
    let limits: Limits
    let status: DaemonStatus
    let stop: StopFlag
    let logger: Logger
    private let connections = ThreadGroup()

    init(listener: UnixSocket, requests: FillRequests, limits: Limits, status: DaemonStatus, stop: StopFlag, logger: Logger) {
        self.listener = listener
        self.requests = requests
        self.limits = limits
        self.status = status
        self.stop = stop
        self.logger = logger
    }

    /// Accepts until the stop flag is raised.
    func acceptLoop() {
        while !stop.isRaised {
            let client: UnixSocket?
            do {
                client = try listener.accept(timeout: .milliseconds(250))
            } catch {
                logger.error("accept failed", metadata: ["error": "\(error)"])
                _ = stop.sleep(.milliseconds(100))
                continue
            }
            guard let client else { continue }
            let admitted = connections.spawn(limit: limits.maxConnections) { [self] in serve(client) }
            if !admitted { answer(Self.refusal(.busy), on: client) }
        }
    }

    /// Waits until every connection has ended or `deadline` passes; true when none is left.
    func drain(until deadline: ContinuousClock.Instant) -> Bool {
        connections.wait(until: deadline)
    }

    private func serve(_ client: UnixSocket) {
        var reader = LineReader(socket: client, maxLineBytes: FillRequest.maxLineBytes)
        var idleUntil = ContinuousClock.now.advanced(by: limits.idleTimeout)
        while !stop.isRaised {
            let next: LineReader.Next
            do {
                // Short slices, so an idle client does not hold up a stop for the whole idle timeout.
                next = try reader.next(deadline: min(idleUntil, .now.advanced(by: .milliseconds(250))))
            } catch .timedOut where ContinuousClock.now < idleUntil {
                continue
            } catch {
                return
            }
            idleUntil = .now.advanced(by: limits.idleTimeout)
            switch next {
            case .closed:
                return
            case .tooLong:
                answer(.refused(code: "BAD_REQUEST", message: "request line longer than \(FillRequest.maxLineBytes) bytes"), on: client)
                return
            case .line(let line):
                guard answer(respond(to: line), on: client) else { return }
            }
        }
    }

    /// The answer to one request line.
    func respond(to line: String) -> FillResponse {
        let started = ContinuousClock.now
        defer { status.change { $0.requests += 1 } }
        let request: FillRequest
        do {
            request = try FillRequest(parsing: line)
        } catch {
            return error
        }
        if stop.isRaised { return Self.refusal(.stopping) }
        switch requests.fill(request.hash, timeout: limits.fillTimeout) {
        case .success(let path):
            logger.debug("fill answered", metadata: ["hash": "\(request.hash)", "ms": "\(started.millisecondsAgo)"])
            return .filled(path: path)
        case .failure(let failure):
            logger.info("fill refused", metadata: [
                "hash": "\(request.hash)", "code": "\(failure.code)", "ms": "\(started.millisecondsAgo)",
            ])
            return Self.refusal(failure)
        }
    }

    @discardableResult
    private func answer(_ response: FillResponse, on client: UnixSocket) -> Bool {
        do {
            try client.writeAll(Array(response.line.utf8), deadline: .now.advanced(by: limits.idleTimeout))
            return true
        } catch {
            // The client gave up (its own timeout) or went away: nothing to tell anyone.
            return false
        }
    }

    private static func refusal(_ failure: FillFailure) -> FillResponse {
        .refused(code: failure.code, message: failure.message)
    }
}
