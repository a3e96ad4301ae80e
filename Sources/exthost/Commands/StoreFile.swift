import Glibc

/// A local file opened for one streamed transfer: the upload source or the download sink.
///
/// Invariant: owns its descriptor and closes it in deinit; a sink created here and not
/// `complete`d is removed, so a failed download leaves no partial file behind.
final class StoreFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    private let fd: Int32
    private var removeOnClose: Bool

    private init(path: String, fd: Int32, removeOnClose: Bool) {
        self.path = path
        self.fd = fd
        self.removeOnClose = removeOnClose
    }

    deinit {
        close(fd)
        if removeOnClose { unlink(path) }
    }

    static func openForReading(_ path: String) throws -> StoreFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot read \(path)") }
        return StoreFile(path: path, fd: fd, removeOnClose: false)
    }

    /// Creates `path`; an existing file is only replaced with `overwrite`.
    static func create(_ path: String, overwrite: Bool) throws -> StoreFile {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            if errno == EEXIST { throw Failure(description: "cannot write \(path): it already exists (use --force to replace it)") }
            throw failure("cannot write \(path)")
        }
        return StoreFile(path: path, fd: fd, removeOnClose: true)
    }

    /// The size of a regular file; anything else cannot be sent with a known length.
    func regularFileSize() throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Self.failure("cannot stat \(path)") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Failure(description: "\(path) is not a regular file") }
        return Int64(info.st_size)
    }

    /// Fills a prefix of `buffer` straight from the file (no copy); 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw Self.failure("cannot read \(path)") }
        }
    }

    /// Writes all of `chunk`, resuming after short writes.
    func write(_ chunk: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < chunk.count {
            let count = Glibc.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.failure("cannot write \(path)")
            }
            offset += count
        }
    }

    /// Keeps a finished download. No fsync: like `curl -o`, the page cache is trusted, so the
    /// timing compares transfers rather than disk flushes.
    func complete() {
        removeOnClose = false
    }

    private static func failure(_ context: String) -> Failure {
        Failure(description: "\(context): \(String(cString: strerror(errno)))")
    }
}
