import Glibc

/// An AF_UNIX stream socket (listening or connected) that owns its descriptor; the only place
/// in the module that calls the socket API.
///
/// Invariants: `fd` is open until `deinit` closes it; every blocking call is bounded by a
/// deadline through poll(2); writes never raise SIGPIPE.
final class UnixSocket: Sendable {
    let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Connects to the socket at `path` (fails at once when nobody listens there).
    static func connect(path: String) throws(UnixSocketError) -> UnixSocket {
        let socket = try makeStreamSocket()
        var address = try socketAddress(path)
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else { throw .failed(operation: "connect \(path)", reason: lastErrorText()) }
        return socket
    }

    /// Binds and listens at `path`, replacing a stale socket there, but neither another kind of
    /// file nor a socket some other process still serves.
    static func listen(path: String, mode: mode_t, backlog: Int32) throws(UnixSocketError) -> UnixSocket {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw .failed(operation: "listen \(path)", reason: "a non-socket file exists at that path")
            }
            if (try? connect(path: path)) != nil {
                throw .failed(operation: "listen \(path)", reason: "another process is serving on that socket")
            }
            unlink(path)
        }
        let socket = try makeStreamSocket()
        var address = try socketAddress(path)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw .failed(operation: "bind \(path)", reason: lastErrorText()) }
        guard chmod(path, mode) == 0 else { throw .failed(operation: "chmod \(path)", reason: lastErrorText()) }
        guard Glibc.listen(socket.fd, backlog) == 0 else {
            throw .failed(operation: "listen \(path)", reason: lastErrorText())
        }
        return socket
    }

    /// Waits up to `timeout` for a connection; nil when none arrived in time, so the caller can
    /// check whether it should stop.
    func accept(timeout: Duration) throws(UnixSocketError) -> UnixSocket? {
        guard try waitFor(Int16(POLLIN), until: .now.advanced(by: timeout)) else { return nil }
        let client = Glibc.accept(fd, nil, nil)
        if client < 0 {
            // The peer may have gone between poll and accept; that is not the listener's failure.
            if errno == EAGAIN || errno == ECONNABORTED || errno == EINTR { return nil }
            throw .failed(operation: "accept", reason: lastErrorText())
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return UnixSocket(fd: client)
    }

    /// Writes every byte or throws; `timedOut` when the peer does not drain in time.
    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(UnixSocketError) {
        var offset = 0
        while offset < bytes.count {
            guard try waitFor(Int16(POLLOUT), until: deadline) else { throw .timedOut }
            let written = bytes.withUnsafeBytes { buffer in
                send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw .failed(operation: "send", reason: lastErrorText())
            }
            offset += written
        }
    }

    /// Reads what is available (at most `into.count` bytes); 0 means the peer closed.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: ContinuousClock.Instant) throws(UnixSocketError) -> Int {
        while true {
            guard try waitFor(Int16(POLLIN), until: deadline) else { throw .timedOut }
            let count = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if count >= 0 { return count }
            if errno == EAGAIN || errno == EINTR { continue }
            throw .failed(operation: "recv", reason: lastErrorText())
        }
    }

    /// Sends one datagram to the unix datagram socket at `path` (a leading '@' names the
    /// abstract namespace), as sd_notify(3) does.
    static func sendDatagram(_ message: String, to path: String) throws(UnixSocketError) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed(operation: "socket", reason: lastErrorText()) }
        defer { close(fd) }
        var address = try socketAddress(path)
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        if path.hasPrefix("@") {
            // Abstract names are not NUL-terminated: the length says where they end.
            withUnsafeMutableBytes(of: &address.sun_path) { $0[0] = 0 }
            length = socklen_t(MemoryLayout<sa_family_t>.size + path.utf8.count)
        }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), target, length) }
            }
        }
        guard sent == bytes.count else { throw .failed(operation: "sendto \(path)", reason: lastErrorText()) }
    }

    /// poll(2) until `events` are ready (true) or the deadline passes (false).
    private func waitFor(_ events: Int16, until deadline: ContinuousClock.Instant) throws(UnixSocketError) -> Bool {
        while true {
            let milliseconds = max(0, ContinuousClock.now.duration(to: deadline).wholeMilliseconds)
            var request = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&request, 1, Int32(clamping: milliseconds))
            if ready > 0 { return true }
            if ready == 0 {
                if ContinuousClock.now >= deadline { return false }
                continue
            }
            if errno == EINTR { continue }
            throw .failed(operation: "poll", reason: lastErrorText())
        }
    }

    private static func makeStreamSocket() throws(UnixSocketError) -> UnixSocket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed(operation: "socket", reason: lastErrorText()) }
        return UnixSocket(fd: fd)
    }

    private static func socketAddress(_ path: String) throws(UnixSocketError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw .failed(operation: "address", reason: "socket path must be 1 to \(capacity - 1) bytes without NUL")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }
}

/// Why a socket call failed; the text comes from strerror, never from the peer.
enum UnixSocketError: Error, CustomStringConvertible {
    case failed(operation: String, reason: String)
    case timedOut

    var description: String {
        switch self {
        case .failed(let operation, let reason): "\(operation): \(reason)"
        case .timedOut: "timed out"
        }
    }
}

private func lastErrorText() -> String { String(cString: strerror(errno)) }
