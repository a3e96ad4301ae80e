import Glibc

// The only file of the Bundle module that makes file-system calls. Everything below a root works
// on directory descriptors (`openat`, `mkdirat`, `fstatat`, `unlinkat`) with O_NOFOLLOW, so no
// symbolic link is ever followed below a directory we opened.

/// An open directory, the anchor for every operation on the names inside it.
///
/// Invariants: owns one directory descriptor, closed in `deinit`; `path` only serves messages.
final class Directory {
    let descriptor: Int32
    let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Opens a directory named by a path chosen by the caller (a trusted root: links in it are followed).
    static func open(_ path: String) throws(FileSystemError) -> Directory {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError("open", path: path, errorNumber: errno) }
        return Directory(descriptor: descriptor, path: path)
    }

    /// Opens the directory that contains `path` (a caller-chosen path) and returns it with the
    /// last component, which must name something that can be created there.
    static func openParent(of path: String) throws(FileSystemError) -> (directory: Directory, name: String) {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        let slash = trimmed.lastIndex(of: "/")
        let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        guard !name.isEmpty, name != ".", name != ".." else { throw FileSystemError("open", path: path, errorNumber: EINVAL) }
        let parent = slash.map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? "."
        return (try open(parent), name)
    }

    func child(_ name: String) -> String { path == "." ? name : path + "/" + name }

    /// Opens the subdirectory `name`; fails with ENOTDIR or ELOOP rather than follow a link.
    func openDirectory(_ name: String) throws(FileSystemError) -> Directory {
        let descriptor = openat(self.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError("open", path: child(name), errorNumber: errno) }
        return Directory(descriptor: descriptor, path: child(name))
    }

    /// Creates the subdirectory `name`, which must not exist, with exactly `mode` (umask
    /// ignored), and opens it.
    func createDirectory(_ name: String, mode: mode_t) throws(FileSystemError) -> Directory {
        guard mkdirat(descriptor, name, 0o700) == 0 else { throw FileSystemError("mkdir", path: child(name), errorNumber: errno) }
        let directory = try openDirectory(name)
        try directory.setMode(mode)
        return directory
    }

    /// Opens the subdirectory `name`, creating it with exactly `mode` when it does not exist.
    func openOrCreateDirectory(_ name: String, mode: mode_t) throws(FileSystemError) -> Directory {
        do {
            return try openDirectory(name)
        } catch where error.errorNumber == ENOENT {
            return try createDirectory(name, mode: mode)
        }
    }

    /// Creates the file `name`, which must not exist, with exactly `mode` (umask ignored).
    func createFile(_ name: String, mode: mode_t) throws(FileSystemError) -> File {
        let descriptor = openat(self.descriptor, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileSystemError("create", path: child(name), errorNumber: errno) }
        let file = File(descriptor: descriptor, path: child(name))
        guard fchmod(descriptor, mode) == 0 else { throw FileSystemError("chmod", path: file.path, errorNumber: errno) }
        return file
    }

    /// Opens the file `name` for reading, without following a link.
    func openFile(_ name: String) throws(FileSystemError) -> File {
        let descriptor = openat(self.descriptor, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError("open", path: child(name), errorNumber: errno) }
        return File(descriptor: descriptor, path: child(name))
    }

    /// The names in this directory (without `.` and `..`), as raw bytes, in no particular order.
    func entryNames() throws(FileSystemError) -> [[UInt8]] {
        let copy = dup(descriptor)
        guard copy >= 0, let stream = fdopendir(copy) else {
            throw FileSystemError("opendir", path: path, errorNumber: errno)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw FileSystemError("readdir", path: path, errorNumber: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { names.append(name) }
        }
    }

    /// What `name` is, without following a link.
    func status(of name: String) throws(FileSystemError) -> FileStatus {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw FileSystemError("stat", path: child(name), errorNumber: errno)
        }
        return FileStatus(info)
    }

    func exists(_ name: String) throws(FileSystemError) -> Bool {
        var info = stat()
        if fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 { return true }
        guard errno == ENOENT else { throw FileSystemError("stat", path: child(name), errorNumber: errno) }
        return false
    }

    func setMode(_ mode: mode_t) throws(FileSystemError) {
        guard fchmod(descriptor, mode) == 0 else { throw FileSystemError("chmod", path: path, errorNumber: errno) }
    }

    func sync() throws(FileSystemError) {
        guard fsync(descriptor) == 0 else { throw FileSystemError("fsync", path: path, errorNumber: errno) }
    }

    /// Whether `syncFileSystem()` can be used here; without it, each file and directory is
    /// fsynced on its own.
    static var canSyncFileSystem: Bool { syncfs != nil }

    /// Writes everything dirty on the file system that holds this directory: data, inodes and
    /// directory entries, in one journal commit instead of one per fsync. Since Linux 5.8 it
    /// reports a writeback error that happened after this directory was opened.
    func syncFileSystem() throws(FileSystemError) {
        guard let syncfs = Self.syncfs else { throw FileSystemError("syncfs", path: path, errorNumber: ENOSYS) }
        guard syncfs(descriptor) == 0 else { throw FileSystemError("syncfs", path: path, errorNumber: errno) }
    }

    func removeFile(_ name: String) throws(FileSystemError) {
        guard unlinkat(descriptor, name, 0) == 0 else { throw FileSystemError("unlink", path: child(name), errorNumber: errno) }
    }

    /// Removes `name` and everything below it, never following a link; best effort, because it
    /// runs while cleaning up after another error.
    func removeTree(_ name: String) {
        if let directory = try? openDirectory(name) {
            for raw in (try? directory.entryNames()) ?? [] {
                // Everything we create has a UTF-8 name.
                guard let entry = String(validating: raw, as: UTF8.self) else { continue }
                if (try? directory.status(of: entry).kind) == .directory {
                    directory.removeTree(entry)
                } else {
                    _ = unlinkat(directory.descriptor, entry, 0)
                }
            }
            _ = unlinkat(descriptor, name, AT_REMOVEDIR)
        } else {
            _ = unlinkat(descriptor, name, 0)
        }
    }

    /// Renames `name` to `newName` in `target`, failing with EEXIST (never replacing) when
    /// `newName` exists. Uses `renameat2(RENAME_NOREPLACE)`; where the kernel or file system
    /// lacks it, checks then renames (plain rename never replaces a non-empty directory).
    func renameWithoutReplacing(_ name: String, to target: Directory, _ newName: String) throws(FileSystemError) {
        if let renameat2 = Self.renameat2 {
            if renameat2(descriptor, name, target.descriptor, newName, Self.renameNoReplace) == 0 { return }
            guard errno == EINVAL || errno == ENOSYS else {
                throw FileSystemError("rename", path: target.child(newName), errorNumber: errno)
            }
        }
        if try target.exists(newName) { throw FileSystemError("rename", path: target.child(newName), errorNumber: EEXIST) }
        guard renameat(descriptor, name, target.descriptor, newName) == 0 else {
            throw FileSystemError("rename", path: target.child(newName), errorNumber: errno)
        }
    }

    /// Renames `name` to `newName` in `target`, atomically replacing a file of that name.
    func rename(_ name: String, to target: Directory, _ newName: String) throws(FileSystemError) {
        guard renameat(descriptor, name, target.descriptor, newName) == 0 else {
            throw FileSystemError("rename", path: target.child(newName), errorNumber: errno)
        }
    }

    private typealias SyncFS = @convention(c) (Int32) -> Int32
    /// Declared only under _GNU_SOURCE too.
    private static let syncfs: SyncFS? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: SyncFS.self)
    }()

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32
    /// `RENAME_NOREPLACE` from <linux/fs.h>, which Swift's Glibc module does not export.
    private static let renameNoReplace: UInt32 = 1
    /// glibc declares `renameat2` only under _GNU_SOURCE, so Swift cannot see it: look it up.
    private static let renameat2: RenameAt2? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()
}

/// An open file, read or written in caller-provided buffers.
///
/// Invariants: owns one descriptor, closed in `deinit` (or by `close()`, which reports errors).
final class File {
    let path: String
    private var descriptor: Int32

    fileprivate init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Opens a file named by a caller-chosen path for reading.
    static func open(_ path: String) throws(FileSystemError) -> File {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError("open", path: path, errorNumber: errno) }
        return File(descriptor: descriptor, path: path)
    }

    func status() throws(FileSystemError) -> FileStatus {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError("stat", path: path, errorNumber: errno) }
        return FileStatus(info)
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            guard errno == EINTR else { throw FileSystemError("read", path: path, errorNumber: errno) }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                guard errno == EINTR else { throw FileSystemError("write", path: path, errorNumber: errno) }
                continue
            }
            offset += count
        }
    }

    func sync() throws(FileSystemError) {
        guard fsync(descriptor) == 0 else { throw FileSystemError("fsync", path: path, errorNumber: errno) }
    }

    func close() throws(FileSystemError) {
        let descriptor = self.descriptor
        self.descriptor = -1
        guard Glibc.close(descriptor) == 0 else { throw FileSystemError("close", path: path, errorNumber: errno) }
    }
}

/// The type, size and permission bits of a file-system object.
struct FileStatus {
    enum Kind: String {
        case regular = "regular file"
        case directory
        case symlink = "symbolic link"
        case characterDevice = "character device"
        case blockDevice = "block device"
        case fifo = "FIFO"
        case socket
        case unknown = "unknown file type"
    }

    let kind: Kind
    let size: Int
    let mode: UInt32

    fileprivate init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .unknown
        }
        size = Int(info.st_size)
        mode = UInt32(info.st_mode & 0o7777)
    }
}
