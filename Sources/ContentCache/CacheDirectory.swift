import Glibc

// The only file of ContentCache that makes file-system calls. Below the root everything goes
// through directory descriptors (`openat`, `fstatat`, `unlinkat`, `symlinkat`, `renameat`) with
// O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so a link planted in the tree is never followed.

/// An open directory of the cache, the anchor for every operation on the names inside it.
///
/// Invariants: owns one directory descriptor, closed in `deinit` (which also drops an `flock`
/// taken on it); `path` only serves messages; immutable, so it may be shared between threads
/// (each listing opens its own description, so no read offset is shared).
final class CacheDirectory: Sendable {
    /// What a name refers to, without following links.
    struct Entry {
        enum Kind { case directory, regular, symlink, other }
        let kind: Kind
        let size: Int
        /// Modification time in nanoseconds since the epoch.
        let modified: Int64
        /// The permission bits (`st_mode & 0o7777`).
        var permissions: UInt32 = 0
    }

    let path: String
    private let descriptor: Int32

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Opens the caller-chosen directory `path`, creating it and its missing parents (mode 0755).
    static func openCreatingParents(_ path: String) throws(ContentCacheError) -> CacheDirectory {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            guard mkdir(prefix, 0o755) == 0 || errno == EEXIST else { throw .io(operation: "mkdir", path: prefix, errorNumber: errno) }
        }
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(operation: "open", path: path, errorNumber: errno) }
        return CacheDirectory(descriptor: descriptor, path: path)
    }

    /// Opens the directory `path` without creating anything; nil when it does not exist.
    static func openExisting(_ path: String) throws(ContentCacheError) -> CacheDirectory? {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 { return CacheDirectory(descriptor: descriptor, path: path) }
        if errno == ENOENT { return nil }
        throw .io(operation: "open", path: path, errorNumber: errno)
    }

    /// Takes an exclusive `flock` on this directory without waiting; false when another open
    /// description holds it. The kernel drops it when the process dies, so it never goes stale.
    func lockExclusively() throws(ContentCacheError) -> Bool {
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
        guard errno == EWOULDBLOCK else { throw .io(operation: "flock", path: path, errorNumber: errno) }
        return false
    }

    /// Opens the subdirectory `name`; nil when it does not exist. A link or a file is an error.
    func openDirectory(_ name: String) throws(ContentCacheError) -> CacheDirectory? {
        let descriptor = openat(self.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor >= 0 { return CacheDirectory(descriptor: descriptor, path: child(name)) }
        if errno == ENOENT { return nil }
        throw .io(operation: "open", path: child(name), errorNumber: errno)
    }

    func openOrCreateDirectory(_ name: String) throws(ContentCacheError) -> CacheDirectory {
        if let directory = try openDirectory(name) { return directory }
        guard mkdirat(descriptor, name, 0o755) == 0 || errno == EEXIST else {
            throw .io(operation: "mkdir", path: child(name), errorNumber: errno)
        }
        guard let directory = try openDirectory(name) else { throw .io(operation: "open", path: child(name), errorNumber: ENOENT) }
        return directory
    }

    /// The UTF-8 names in this directory, without `.` and `..`; other names are never ours.
    func names() throws(ContentCacheError) -> [String] {
        try rawNames().compactMap(Self.text(of:))
    }

    /// What `name` (which may contain slashes below directories we created) is; nil when absent.
    func entry(_ name: String) throws(ContentCacheError) -> Entry? {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .io(operation: "stat", path: child(name), errorNumber: errno)
        }
        let kind: Entry.Kind = switch info.st_mode & S_IFMT {
        case S_IFDIR: .directory
        case S_IFREG: .regular
        case S_IFLNK: .symlink
        default: .other
        }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return Entry(kind: kind, size: Int(info.st_size), modified: modified, permissions: UInt32(info.st_mode) & 0o7777)
    }

    /// Opens the regular file `name` (no slashes) for reading, never following a link: nil when
    /// `name` is not a regular file, which `entry(_:)` tells apart.
    func openRegularFile(_ name: String) throws(ContentCacheError) -> CacheFile? {
        // Only names that already look regular are opened: opening a FIFO or a device may block
        // or have side effects.
        guard try entry(name)?.kind == .regular else { return nil }
        return try CacheFile(regular: name, in: descriptor, path: child(name))
    }

    /// The names in this directory, `.` and `..` excepted, each with whether it is valid UTF-8;
    /// a name that is not is given with replacement characters, for messages only.
    func namesForAudit() throws(ContentCacheError) -> [(name: String, isUTF8: Bool)] {
        try rawNames().map { raw in
            if let text = Self.text(of: raw) { return (text, true) }
            return (String(decoding: raw.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), false)
        }
    }

    /// The sizes of the regular files below the subdirectory `name`, added up; links are not followed.
    func treeBytes(_ name: String) throws(ContentCacheError) -> Int {
        guard let directory = try openDirectory(name) else { return 0 }
        var total = 0
        for child in try directory.names() {
            guard let entry = try directory.entry(child) else { continue }
            switch entry.kind {
            case .directory: total += try directory.treeBytes(child)
            case .regular: total += entry.size
            case .symlink, .other: break
            }
        }
        return total
    }

    /// Removes `name` and everything below it, never following a link. Best effort: whatever
    /// remains is in `tmp/`, which the next open empties.
    func removeTree(_ name: [CChar]) {
        let directoryDescriptor = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directoryDescriptor >= 0 else {
            _ = unlinkat(descriptor, name, 0)
            return
        }
        let directory = CacheDirectory(descriptor: directoryDescriptor, path: child(name))
        for child in (try? directory.rawNames()) ?? [] where unlinkat(directory.descriptor, child, 0) != 0 {
            // Linux answers EISDIR for a directory; only then is there anything below to remove.
            if errno == EISDIR { directory.removeTree(child) }
        }
        _ = unlinkat(descriptor, name, AT_REMOVEDIR)
    }

    func removeTree(_ name: String) { removeTree(Array(name.utf8CString)) }

    /// Removes every entry of this directory (used on `tmp/` at open).
    func removeAllEntries() throws(ContentCacheError) {
        for name in try rawNames() { removeTree(name) }
    }

    /// Removes the file or link `name`; false when it did not exist.
    @discardableResult
    func removeEntry(_ name: String) throws(ContentCacheError) -> Bool {
        if unlinkat(descriptor, name, 0) == 0 { return true }
        if errno == ENOENT { return false }
        throw .io(operation: "unlink", path: child(name), errorNumber: errno)
    }

    /// Removes the subdirectory `name` when it is empty; a non-empty or missing one is left alone.
    func removeDirectoryIfEmpty(_ name: String) throws(ContentCacheError) {
        guard unlinkat(descriptor, name, AT_REMOVEDIR) != 0 else { return }
        guard errno == ENOTEMPTY || errno == EEXIST || errno == ENOENT else {
            throw .io(operation: "rmdir", path: child(name), errorNumber: errno)
        }
    }

    func createSymbolicLink(_ name: String, target: String) throws(ContentCacheError) {
        guard symlinkat(target, descriptor, name) == 0 else { throw .io(operation: "symlink", path: child(name), errorNumber: errno) }
    }

    /// Renames `name` to `newName` in `target` in one step, replacing a file or link of that name.
    func rename(_ name: String, to target: CacheDirectory, _ newName: String) throws(ContentCacheError) {
        guard renameat(descriptor, name, target.descriptor, newName) == 0 else {
            throw .io(operation: "rename", path: target.child(newName), errorNumber: errno)
        }
    }

    /// Sets the access and modification times of `name` (not following a link).
    func setModificationTime(_ name: String, nanoseconds: Int64) throws(ContentCacheError) {
        let time = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        let times = [time, time]
        guard utimensat(descriptor, name, times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .io(operation: "utimensat", path: child(name), errorNumber: errno)
        }
    }

    func sync() throws(ContentCacheError) {
        guard fsync(descriptor) == 0 else { throw .io(operation: "fsync", path: path, errorNumber: errno) }
    }

    /// Raw, NUL-terminated names, so that even a name that is not UTF-8 can be removed.
    private func rawNames() throws(ContentCacheError) -> [[CChar]] {
        // A fresh open description: a dup would share its read offset with other threads.
        let copy = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0 else { throw .io(operation: "open", path: path, errorNumber: errno) }
        guard let stream = fdopendir(copy) else {
            let error = errno
            close(copy)
            throw .io(operation: "opendir", path: path, errorNumber: error)
        }
        defer { closedir(stream) }
        var names: [[CChar]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw .io(operation: "readdir", path: path, errorNumber: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                Array(bytes.bindMemory(to: CChar.self).prefix(while: { $0 != 0 })) + [0]
            }
            if name != [0x2E, 0] && name != [0x2E, 0x2E, 0] { names.append(name) }
        }
    }

    private func child(_ name: String) -> String { path + "/" + name }
    private func child(_ name: [CChar]) -> String { child(Self.text(of: name) ?? "(not UTF-8)") }

    private static func text(of name: [CChar]) -> String? {
        String(validating: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A regular file of the cache opened for reading (see `CacheDirectory.openRegularFile`).
///
/// Invariants: owns one descriptor, closed in `deinit`; reads go forward from the start.
final class CacheFile {
    private let descriptor: Int32
    let path: String

    /// Opens `name` in the directory `directory`; nil when it is not a regular file. The type is
    /// checked on the open descriptor, so a name swapped for a link or a FIFO after the caller's
    /// `stat` is not read through (O_NOFOLLOW, O_NONBLOCK).
    fileprivate init?(regular name: String, in directory: Int32, path: String) throws(ContentCacheError) {
        let opened = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard opened >= 0 else {
            if errno == ENOENT || errno == ELOOP { return nil }
            throw .io(operation: "open", path: path, errorNumber: errno)
        }
        var info = stat()
        let statError = fstat(opened, &info) == 0 ? 0 : errno
        guard statError == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(opened)
            if statError == 0 { return nil }
            throw .io(operation: "stat", path: path, errorNumber: statError)
        }
        descriptor = opened
        self.path = path
    }

    deinit { close(descriptor) }

    /// Fills as much of `buffer` as the file has left; fewer bytes only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ContentCacheError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errorNumber: errno)
            }
            filled += count
        }
        return filled
    }
}

/// The current wall-clock time in nanoseconds since the epoch.
func wallClockNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
