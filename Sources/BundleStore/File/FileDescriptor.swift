import Glibc

/// A failed system call: its name and `errno`, turned into a `BundleStoreError` by the store.
struct SystemCallError: Error {
    let call: String
    let code: Int32

    var reason: String { call + ": " + String(cString: strerror(code)) }

    /// The store's view of the failure; ENOENT and EEXIST are handled by callers that expect them.
    func storeError(operation: String, key: String) -> BundleStoreError {
        switch code {
        case ENOENT: .notFound(key: key)
        case EEXIST: .alreadyExists(key: key)
        case ENAMETOOLONG: .invalidKey(reason: "a segment of \(key) is too long for the file system")
        case ELOOP, ENOTDIR: .misconfigured(operation: operation, reason: "\(call): a symlink or a file stands where a directory of \(key) belongs")
        case EACCES, EPERM, EROFS: .misconfigured(operation: operation, reason: reason)
        default: .unavailable(operation: operation, reason: reason)
        }
    }
}

/// One entry of a directory listing.
struct DirectoryEntry {
    let name: String
    let isDirectory: Bool
    let isRegularFile: Bool
}

/// An open file or directory descriptor, closed when the object goes away; every path it is
/// given is one name relative to it, opened without following symlinks.
///
/// Invariant: `raw` is a valid descriptor owned by this object alone. The calls used here
/// (`*at`, `pread`, `fsync`) keep no shared state in the descriptor, so it may be used from
/// several threads at once; listings open their own descriptor.
final class FileDescriptor: Sendable {
    let raw: Int32

    private init(raw: Int32) { self.raw = raw }

    deinit { Glibc.close(raw) }

    private static func check(_ result: Int32, _ call: String) throws(SystemCallError) -> Int32 {
        guard result >= 0 else { throw SystemCallError(call: call, code: errno) }
        return result
    }

    private static let directoryFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC

    /// The directory at `path` (the store's root, which an operator may well reach through a symlink).
    static func openDirectory(path: String) throws(SystemCallError) -> FileDescriptor {
        FileDescriptor(raw: try check(Glibc.open(path, directoryFlags), "open"))
    }

    /// Creates the directory `path` and its missing parents (`mkdir -p`); the root's own parents are the operator's.
    static func makeDirectories(path: String) throws(SystemCallError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for segment in path.split(separator: "/") {
            prefix += segment + "/"
            if Glibc.mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw SystemCallError(call: "mkdir", code: errno) }
        }
    }

    func openDirectory(_ name: String) throws(SystemCallError) -> FileDescriptor {
        FileDescriptor(raw: try Self.check(Glibc.openat(raw, name, Self.directoryFlags | O_NOFOLLOW), "openat"))
    }

    /// Creates the subdirectory `name`; false when something already has that name.
    @discardableResult
    func makeDirectory(_ name: String) throws(SystemCallError) -> Bool {
        if Glibc.mkdirat(raw, name, 0o755) == 0 { return true }
        guard errno == EEXIST else { throw SystemCallError(call: "mkdirat", code: errno) }
        return false
    }

    func openFile(_ name: String) throws(SystemCallError) -> FileDescriptor {
        FileDescriptor(raw: try Self.check(Glibc.openat(raw, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), "openat"))
    }

    /// A new file that did not exist before (never an existing one, never through a symlink).
    func createExclusive(_ name: String) throws(SystemCallError) -> FileDescriptor {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        return FileDescriptor(raw: try Self.check(Glibc.openat(raw, name, flags, 0o644), "openat"))
    }

    func status() throws(SystemCallError) -> stat {
        var info = stat()
        _ = try Self.check(Glibc.fstat(raw, &info), "fstat")
        return info
    }

    /// The status of `name` itself (a symlink is not followed); nil when there is no such name.
    func status(of name: String) throws(SystemCallError) -> stat? {
        var info = stat()
        if Glibc.fstatat(raw, name, &info, AT_SYMLINK_NOFOLLOW) == 0 { return info }
        guard errno == ENOENT else { throw SystemCallError(call: "fstatat", code: errno) }
        return nil
    }

    /// A second name for the file `name`; EEXIST when `newName` is taken (never replaces).
    func link(_ name: String, to directory: FileDescriptor, as newName: String) throws(SystemCallError) {
        _ = try Self.check(Glibc.linkat(raw, name, directory.raw, newName, 0), "linkat")
    }

    /// Moves `name` to `newName`, replacing what is there.
    func rename(_ name: String, to directory: FileDescriptor, as newName: String) throws(SystemCallError) {
        _ = try Self.check(Glibc.renameat(raw, name, directory.raw, newName), "renameat")
    }

    /// Removes the file `name`; false when it did not exist.
    @discardableResult
    func unlink(_ name: String) throws(SystemCallError) -> Bool {
        if Glibc.unlinkat(raw, name, 0) == 0 { return true }
        guard errno == ENOENT else { throw SystemCallError(call: "unlinkat", code: errno) }
        return false
    }

    /// Removes the directory `name` if it is empty; false when it is not (or is gone).
    @discardableResult
    func removeDirectoryIfEmpty(_ name: String) -> Bool {
        Glibc.unlinkat(raw, name, AT_REMOVEDIR) == 0
    }

    func sync() throws(SystemCallError) {
        _ = try Self.check(Glibc.fsync(raw), "fsync")
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws(SystemCallError) {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(raw, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(call: "write", code: errno)
            }
            offset += written
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; 0 at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemCallError) -> Int {
        while true {
            let count = Glibc.pread(raw, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            guard errno == EINTR else { throw SystemCallError(call: "pread", code: errno) }
        }
    }

    /// The entries of this directory except `.` and `..`, read through a descriptor of their own.
    func entries() throws(SystemCallError) -> [DirectoryEntry] {
        let own = try Self.check(Glibc.openat(raw, ".", Self.directoryFlags), "openat")
        guard let stream = Glibc.fdopendir(own) else {
            let code = errno
            Glibc.close(own)
            throw SystemCallError(call: "fdopendir", code: code)
        }
        defer { Glibc.closedir(stream) }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = Glibc.readdir(stream) else {
                guard errno == 0 else { throw SystemCallError(call: "readdir", code: errno) }
                return entries
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var type = Int32(entry.pointee.d_type)
            if type == Int32(DT_UNKNOWN), let info = try status(of: name) {
                type = (info.st_mode & S_IFMT) == S_IFDIR ? Int32(DT_DIR) : (info.st_mode & S_IFMT) == S_IFREG ? Int32(DT_REG) : Int32(DT_LNK)
            }
            entries.append(DirectoryEntry(name: name, isDirectory: type == Int32(DT_DIR), isRegularFile: type == Int32(DT_REG)))
        }
    }
}
