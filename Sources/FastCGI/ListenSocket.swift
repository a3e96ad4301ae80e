import ExthostCore
import Glibc

/// Where a worker listens when it is not handed a socket by systemd.
public enum ListenAddress: Equatable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses `unix:/path`, `HOST:PORT` or `:PORT`.
    public init(parsing text: String) throws(ServerError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty, path.utf8.count < 108 else { throw .invalidListenAddress(text) }
            self = .unix(path: path)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port)
        else { throw .invalidListenAddress(text) }
        self = .tcp(host: String(text[..<colon]), port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): "\(host):\(port)"
        }
    }
}

/// The listening socket a server accepts on, chosen in this order: systemd socket activation
/// (`LISTEN_PID`/`LISTEN_FDS`, fd 3), an explicit address, a listening socket inherited on fd 0.
struct ListenSocket {
    let fd: Int32
    let description: String
    /// A unix socket this process created and so removes when it stops.
    let ownedPath: String?
    /// Handed over by systemd or the parent (fd 3, fd 0), which keeps its own copy for the next
    /// worker: stopping must leave it listening, so `shutdown(2)` is not an option.
    var isShared = false

    static func open(explicit: ListenAddress?, backlog: Int32, socketMode: UInt32?) throws(ServerError) -> ListenSocket {
        if let fd = systemdSocket() {
            return ListenSocket(fd: fd, description: "systemd socket (fd \(fd))", ownedPath: nil, isShared: true)
        }
        if let explicit {
            return try bind(explicit, backlog: backlog, socketMode: socketMode)
        }
        if isListeningSocket(0) {
            return ListenSocket(fd: 0, description: "inherited socket (fd 0)", ownedPath: nil, isShared: true)
        }
        throw .noListenAddress
    }

    /// sd_listen_fds(3) semantics: the variables are for this pid only and are removed so
    /// children do not inherit them.
    private static func systemdSocket() -> Int32? {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pidText = getenv("LISTEN_PID").map({ String(cString: $0) }), let pid = Int32(pidText),
              pid == getpid(),
              let countText = getenv("LISTEN_FDS").map({ String(cString: $0) }), let count = Int(countText), count >= 1
        else { return nil }
        let fd: Int32 = 3
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    private static func bind(_ address: ListenAddress, backlog: Int32, socketMode: UInt32?) throws(ServerError) -> ListenSocket {
        switch address {
        case .unix(let path):
            var status = stat()
            if lstat(path, &status) == 0 {
                // Only a stale socket is replaced; any other file at that path is an operator error.
                guard status.st_mode & S_IFMT == S_IFSOCK else {
                    throw .listenFailed(address: address.description, reason: "a non-socket file exists at that path")
                }
                unlink(path)
            }
            let fd = LibFCGI.openSocket(path, backlog: backlog)
            guard fd >= 0 else { throw .listenFailed(address: address.description, reason: lastErrorText()) }
            if let socketMode, chmod(path, mode_t(socketMode)) != 0 {
                let reason = lastErrorText()
                close(fd)
                throw .listenFailed(address: address.description, reason: "chmod: \(reason)")
            }
            return ListenSocket(fd: fd, description: address.description, ownedPath: path)
        case .tcp(let host, let port):
            let fd = LibFCGI.openSocket("\(host):\(port)", backlog: backlog)
            guard fd >= 0 else { throw .listenFailed(address: address.description, reason: lastErrorText()) }
            return ListenSocket(fd: fd, description: address.description, ownedPath: nil)
        }
    }

    private static func isListeningSocket(_ fd: Int32) -> Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0
    }

    /// Stops accepting on a socket of our own: `shutdown(2)` wakes every thread blocked in
    /// accept(2) and refuses new connections. A shared socket is left as it is; its threads are
    /// woken with `AcceptWakeup` instead.
    func shutDown() {
        guard !isShared else { return }
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
        if let ownedPath { unlink(ownedPath) }
    }
}

func lastErrorText() -> String { String(cString: strerror(errno)) }
