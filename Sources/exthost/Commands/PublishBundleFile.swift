import Glibc
import HTTPClient

/// The bundle file being published, read by offset so that each request streams its own
/// range (the whole file, one multipart part, or a part sent again) and memory stays at
/// one transfer buffer whatever the bundle's size.
///
/// Invariants: owns its descriptor and closes it in deinit; `size` is the size of the regular
/// file when it was opened, and a body never reads past its range.
final class PublishBundleFile {
    struct ReadFailure: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    let size: Int64
    private let fd: Int32

    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CLIError("\(path) is not a regular file")
        }
        self.path = path
        size = Int64(info.st_size)
    }

    deinit { close(fd) }

    /// A request body streaming `range` of the file, reporting each chunk to `progress`.
    func body(_ range: Range<Int64>, progress: ProgressReporter) -> HTTPRequestBody {
        var offset = range.lowerBound
        return .stream(length: Int64(range.count)) { [self] buffer in
            let wanted = Int(min(Int64(buffer.count), range.upperBound - offset))
            guard wanted > 0 else { return 0 }
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]), at: offset)
            offset += Int64(count)
            progress.advance(count)
            return count
        }
    }

    /// The whole file as one body.
    func body(progress: ProgressReporter) -> HTTPRequestBody { body(0..<size, progress: progress) }

    private func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        while true {
            let count = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { throw ReadFailure(description: "\(path): \(String(cString: strerror(errno)))") }
        }
    }
}
