import Glibc

/// Whole-file reads and exclusive writes for the CLI's small files (keys, certificates,
/// signatures); bundles themselves are streamed by the Bundle library.
enum LocalFiles {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func readText(_ path: String, limit: Int = 1 << 20) throws -> String {
        String(decoding: try readBytes(path, limit: limit), as: UTF8.self)
    }

    static func readBytes(_ path: String, limit: Int = 1 << 20) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return result }
            result += buffer[0..<count]
            if result.count > limit { throw Failure(description: "\(path) is larger than \(limit) bytes") }
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Writes a new file with `mode`; refuses to replace an existing one unless `overwrite`.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, overwrite: Bool = false) throws {
        if overwrite { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it already exists (use --force to replace it)" : String(cString: strerror(errno))
            throw Failure(description: "cannot write \(path): \(reason)")
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        guard fsync(fd) == 0 else { throw Failure(description: "cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }

    /// `mkdir -p`.
    /// A new private directory under `$TMPDIR` (default /tmp); the caller removes it.
    static func makeTemporaryDirectory(prefix: String) throws -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/" + prefix + ".XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CLIError("cannot create a temporary directory in \(base): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw Failure(description: "cannot create directory \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }
}
