import Bundle

/// Asks the daemon over its unix socket to make a tree present. Blocking, bounded by `timeout`.
///
/// Each call opens its own connection, so one client value may be shared by any number of threads.
public struct CacheFillClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    /// `FILL sha256:<hex>\n` → `OK <path>\n` (returns path) | `ERR <CODE> <message>\n` (throws CacheFillError.refused(code:message:))
    public func fill(_ hash: ContentHash, timeout: Duration) throws(CacheFillError) -> String {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let socket: UnixSocket
        do {
            socket = try UnixSocket.connect(path: socketPath)
        } catch {
            throw .unavailable(reason: error.description)
        }
        let answer = try exchange(FillRequest(hash: hash).line, on: socket, deadline: deadline)
        guard let response = FillResponse(parsing: answer) else {
            throw .protocolError("unexpected answer of \(answer.utf8.count) bytes")
        }
        switch response {
        case .filled(let path): return path
        case .refused(let code, let message): throw .refused(code: code, message: message)
        }
    }

    private func exchange(_ request: String, on socket: UnixSocket, deadline: ContinuousClock.Instant) throws(CacheFillError) -> String {
        do {
            try socket.writeAll(Array(request.utf8), deadline: deadline)
            var reader = LineReader(socket: socket, maxLineBytes: FillResponse.maxLineBytes)
            switch try reader.next(deadline: deadline) {
            case .line(let line): return line
            case .closed: throw CacheFillError.unavailable(reason: "the daemon closed the connection without answering")
            case .tooLong: throw CacheFillError.protocolError("answer longer than \(FillResponse.maxLineBytes) bytes")
            }
        } catch let error as CacheFillError {
            throw error
        } catch UnixSocketError.timedOut {
            throw .timeout
        } catch {
            throw .unavailable(reason: "\(error)")
        }
    }
}
