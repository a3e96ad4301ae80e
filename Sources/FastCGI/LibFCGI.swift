import ExthostCore
import CFastCGI
import Glibc

/// The only place that touches libfcgi: process-wide set-up and one owning type per
/// `FCGX_Request`.
enum LibFCGI {
    /// `FCGX_Init` is idempotent in libfcgi, but must run before any thread accepts.
    static func initialize() throws(ServerError) {
        if FCGX_Init() != 0 { throw .libraryInitFailed }
    }

    /// Opens a listening socket: a unix path or `host:port`; returns the fd or -1.
    static func openSocket(_ address: String, backlog: Int32) -> Int32 {
        FCGX_OpenSocket(address, backlog)
    }

    /// Makes every `FCGX_Accept_r` that is not serving a request return -1.
    static func shutdownPending() { FCGX_ShutdownPending() }
}

/// One reusable `FCGX_Request` bound to the listen socket, owned by exactly one accept thread.
///
/// Invariant: the pointer is allocated in `init` and freed in `deinit`; no other type holds it.
/// The streams it hands out (`StdinSource`, `StdoutWriter`) are valid only until `finish()`.
final class FCGXConnection {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init(listenFD: Int32) throws(ServerError) {
        request = .allocate(capacity: 1)
        if FCGX_InitRequest(request, listenFD, 0) != 0 {
            request.deallocate()
            throw .libraryInitFailed
        }
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// Waits for the next request (on the kept connection or a new one); false once the server
    /// shuts down or the listen socket fails.
    func accept() -> Bool { FCGX_Accept_r(request) == 0 }

    /// Ends the current request: flushes stdout and sends END_REQUEST.
    func finish() { FCGX_Finish_r(request) }

    /// The fd of a connection nginx keeps open between requests, or -1.
    var keptConnectionFD: Int32 {
        request.pointee.keepConnection != 0 ? request.pointee.ipcFd : -1
    }

    /// Closes the connection after this request instead of keeping it for the next one.
    func closeAfterRequest() { request.pointee.keepConnection = 0 }

    /// The FastCGI parameters of the current request.
    func parameters() -> [String: String] { EnvironmentBlock.dictionary(from: request.pointee.envp) }

    func stdin() -> StdinSource { StdinSource(stream: request.pointee.in) }
    func stdout() -> StdoutWriter { StdoutWriter(stream: request.pointee.out) }
}

/// The request body as libfcgi delivers it.
struct StdinSource: ByteSource {
    let stream: UnsafeMutablePointer<FCGX_Stream>?

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(RequestError) -> Int {
        guard let stream, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let count = FCGX_GetStr(base.assumingMemoryBound(to: CChar.self), Int32(clamping: buffer.count), stream)
        if count < 0 || FCGX_GetError(stream) != 0 { throw .bodyReadFailed }
        return Int(count)
    }
}

/// The response stream toward nginx; counts what it wrote.
struct StdoutWriter: BodyWriter {
    let stream: UnsafeMutablePointer<FCGX_Stream>?
    private(set) var bytesWritten = 0

    init(stream: UnsafeMutablePointer<FCGX_Stream>?) { self.stream = stream }

    mutating func write(_ bytes: ArraySlice<UInt8>) throws {
        guard let stream else { throw ServerError.clientGone }
        let written = bytes.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress, raw.count > 0 else { return 0 }
            return FCGX_PutStr(base.assumingMemoryBound(to: CChar.self), Int32(raw.count), stream)
        }
        if written < 0 || Int(written) != bytes.count { throw ServerError.clientGone }
        bytesWritten += bytes.count
    }
}
