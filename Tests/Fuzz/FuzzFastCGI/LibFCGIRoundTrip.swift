import CFastCGI
import ExthostCore
import FuzzSupport
import Glibc

/// Sends records to libfcgi over a real socket and reads the parameters back the way the
/// server does (`FCGX_Accept_r`, then `EnvironmentBlock`).
///
/// Invariant: the listening socket is non-blocking, so when libfcgi refuses a connection and
/// goes back to `accept` it gets `EAGAIN` and returns instead of waiting forever.
enum LibFCGIRoundTrip {
    private static let address: sockaddr_un = {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // Abstract namespace (leading NUL): no file to clean up, one name per process.
        let name = Array("\0exthost-fuzz-fastcgi-\(getpid())".utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (offset, byte) in name.enumerated() { path[offset] = byte }
        }
        return address
    }()
    private static let addressLength = socklen_t(MemoryLayout<sa_family_t>.size + "\0exthost-fuzz-fastcgi-\(getpid())".utf8.count)

    private static let listener: Int32 = {
        signal(SIGPIPE, SIG_IGN)
        fuzzCheck(FCGX_Init() == 0, "FCGX_Init failed")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.address
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, addressLength) } }
        fuzzCheck(fd >= 0 && bound == 0 && listen(fd, 16) == 0, "cannot listen on the fuzz socket: errno \(errno)")
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }()

    /// The parameters libfcgi read from `records`, or nil when it refused them.
    static func parameters(from records: [UInt8]) -> [String: String]? {
        let listener = listener
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = Self.address
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, addressLength) } }
        fuzzCheck(client >= 0 && connected == 0, "cannot connect to the fuzz socket: errno \(errno)")
        // Inputs stay far below the socket buffer, so one thread can write all before accepting.
        let written = records.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
        fuzzCheck(written == records.count, "short write to the fuzz socket")
        shutdown(client, Int32(SHUT_WR))

        var request = FCGX_Request()
        fuzzCheck(FCGX_InitRequest(&request, listener, 0) == 0, "FCGX_InitRequest failed")
        defer { FCGX_Free(&request, 1) }
        guard FCGX_Accept_r(&request) == 0 else { return nil }
        let parameters = EnvironmentBlock.dictionary(from: request.envp)
        FCGX_Finish_r(&request)
        return parameters
    }
}
