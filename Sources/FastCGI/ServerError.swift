import ExthostCore
/// Why the FastCGI server could not start or had to stop serving a request.
public enum ServerError: Error, Equatable, CustomStringConvertible {
    case libraryInitFailed
    case noListenAddress
    case invalidListenAddress(String)
    case listenFailed(address: String, reason: String)
    case threadStartFailed(reason: String)
    case clientGone

    public var description: String {
        switch self {
        case .libraryInitFailed:
            "libfcgi failed to initialise"
        case .noListenAddress:
            "nothing to listen on: pass --listen unix:PATH or --listen HOST:PORT, start under systemd socket activation, or inherit a listening socket on fd 0 (spawn-fcgi)"
        case .invalidListenAddress(let text):
            "invalid listen address \(text.debugDescription): use unix:/path/to.sock, HOST:PORT or :PORT"
        case .listenFailed(let address, let reason):
            "cannot listen on \(address): \(reason)"
        case .threadStartFailed(let reason):
            "cannot start an accept thread: \(reason)"
        case .clientGone:
            "the client went away while the response was written"
        }
    }
}
