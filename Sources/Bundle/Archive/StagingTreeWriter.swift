import Glibc

/// A tar visitor that creates the entries below one open directory, only through directory
/// descriptors and never following a link (`openat`/`mkdirat` with O_NOFOLLOW and O_EXCL).
///
/// Invariants: files get mode 0755 if the archive marks them executable, else 0644;
/// directories 0755 (umask ignored); `synchronize()` makes every file and name durable, with one
/// `syncfs` where the C library has it (a journal commit per file made extraction 8× slower
/// than `tar -x; sync -f`), else by fsyncing each file as it ends and every directory created
/// or used, which are remembered for that; besides the root, only one file and the cached
/// parent directory stay open between calls.
final class StagingTreeWriter: TarVisitor {
    private let root: Directory
    private let synchronizesFiles: Bool
    /// The parent directory of the latest entry, reused while entries stay in one directory.
    private var cachedParent: (path: String, directory: Directory)?
    private var openFile: File?
    private var directories: Set<String> = []

    init(root: Directory, synchronizesFiles: Bool) {
        self.root = root
        self.synchronizesFiles = synchronizesFiles
    }

    func beginEntry(_ entry: TarEntry) throws {
        let (parentPath, name) = Self.split(entry.path)
        let parent = try directory(at: parentPath)
        switch entry.kind {
        case .directory:
            _ = try parent.openOrCreateDirectory(name, mode: 0o755)
            directories.insert(entry.path)
        case .file:
            openFile = try parent.createFile(name, mode: entry.isExecutable ? 0o755 : 0o644)
        }
    }

    func entryData(_ bytes: UnsafeRawBufferPointer) throws {
        try openFile?.write(bytes)
    }

    func endEntry(_ entry: TarEntry) throws {
        guard let file = openFile else { return }
        openFile = nil
        if synchronizesFiles, !Directory.canSyncFileSystem { try file.sync() }
        try file.close()
    }

    /// Makes the files and names durable: one syncfs, or else an fsync of every directory of
    /// the tree, deepest first, then the root (the files were fsynced as they ended).
    func synchronize() throws {
        cachedParent = nil
        if Directory.canSyncFileSystem { return try root.syncFileSystem() }
        for path in directories.sorted(by: { $0.utf8.count > $1.utf8.count }) {
            try open(path, creating: false).sync()
        }
        try root.sync()
    }

    private func directory(at path: String) throws -> Directory {
        if path.isEmpty { return root }
        if let cachedParent, cachedParent.path == path { return cachedParent.directory }
        let directory = try open(path, creating: true)
        cachedParent = (path, directory)
        return directory
    }

    /// Walks from the root one component at a time, each opened with O_NOFOLLOW.
    private func open(_ path: String, creating: Bool) throws -> Directory {
        var current = root
        var walked = ""
        for component in path.split(separator: "/") {
            let name = String(component)
            walked = walked.isEmpty ? name : walked + "/" + name
            if creating {
                current = try current.openOrCreateDirectory(name, mode: 0o755)
                directories.insert(walked)
            } else {
                current = try current.openDirectory(name)
            }
        }
        return current
    }

    private static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }
}
