import Zstd

/// Packs a directory into a reproducible bundle: the same tree always gives the same bytes,
/// whatever its mtimes, owners or umask.
///
/// Entries are sorted bytewise by path (directories included, parents first) and written by
/// `TarWriter` (mtime 0, uid/gid 0, modes 0644/0755), compressed as one zstd frame at
/// `compressionLevel` on one thread with a checksum. File contents stream through one fixed
/// buffer. A tree the reader would reject (links, devices, FIFOs, sockets, bad names, limits) is
/// refused with the error naming the path.
public enum BundlePacker {
    /// Fixed, because the level is part of reproducibility: changing it changes every bundle's
    /// hash. 12 packs at ~25 MB/s on one core (measured on a mixed 100 MiB tree); 19 compresses
    /// text ~14% smaller but is ten times slower.
    public static let compressionLevel: Int32 = 12
    public static let readChunkSize = 256 << 10

    /// Packs `directory`, pushing the bundle bytes to `sink`; returns their hash and size.
    public static func pack(
        directory: String,
        limits: TarLimits = .bundle,
        to sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> BundleDigest {
        let root = try Directory.open(directory)
        let tree = try SourceTree(root: root, limits: limits)
        let compressor = try ZstdCompressor(level: compressionLevel)
        let digest = ContentDigest()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readChunkSize, alignment: 16)
        defer { buffer.deallocate() }

        try withoutActuallyEscaping(sink) { sink in
            let output: (UnsafeRawBufferPointer) throws -> Void = { bytes in
                digest.update(bytes)
                try sink(bytes)
            }
            let writer = TarWriter { try compressor.feed($0, to: output) }
            var parents = ParentCache(root: root)
            for entry in tree.entries {
                switch entry.kind {
                case .directory:
                    try writer.addDirectory(entry.path)
                case .file:
                    let (parent, name) = try parents.directory(containing: entry.path)
                    try copy(parent.openFile(name), entry: entry, into: writer, buffer: buffer)
                }
            }
            try writer.finish()
            try compressor.finish(to: output)
        }
        return digest.finalize()
    }

    /// Packs `directory` into the file `output`, which appears complete or not at all (written
    /// to a temporary name next to it, fsynced, then renamed over it).
    public static func pack(directory: String, toFile output: String, limits: TarLimits = .bundle) throws -> BundleDigest {
        let (parent, name) = try Directory.openParent(of: output)
        let temporaryName = ".\(name).tmp-" + String(UInt64.random(in: .min ... .max), radix: 16)
        let file = try parent.createFile(temporaryName, mode: 0o644)
        do {
            let digest = try pack(directory: directory, limits: limits) { try file.write($0) }
            try file.sync()
            try file.close()
            try parent.rename(temporaryName, to: parent, name)
            try parent.sync()
            return digest
        } catch {
            try? parent.removeFile(temporaryName)
            throw error
        }
    }

    /// Streams one file into the archive. Its type and size must not have changed since the
    /// listing, which checked the limits against them.
    private static func copy(
        _ file: File,
        entry: SourceTree.Entry,
        into writer: TarWriter,
        buffer: UnsafeMutableRawBufferPointer
    ) throws {
        let path = entry.path
        let status = try file.status()
        guard status.kind == .regular, status.size == entry.size else { throw ArchiveError.sourceChanged(path) }
        try writer.beginFile(path, size: status.size, executable: status.mode & 0o111 != 0)
        var remaining = status.size
        while remaining > 0 {
            let count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(remaining, buffer.count)]))
            guard count > 0 else { throw ArchiveError.sourceChanged(path) }
            try writer.writeFileData(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            remaining -= count
        }
        guard try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<1])) == 0 else {
            throw ArchiveError.sourceChanged(path)
        }
        try writer.endFile()
    }
}

/// Opens the parent directory of each packed file by walking from the root with O_NOFOLLOW,
/// keeping the last one open because sorted entries come directory by directory.
private struct ParentCache {
    let root: Directory
    private var cached: (path: Substring, directory: Directory)?

    init(root: Directory) {
        self.root = root
    }

    mutating func directory(containing path: String) throws -> (Directory, String) {
        guard let slash = path.lastIndex(of: "/") else { return (root, path) }
        let parentPath = path[..<slash]
        let name = String(path[path.index(after: slash)...])
        if let cached, cached.path == parentPath { return (cached.directory, name) }
        var directory = root
        for component in parentPath.split(separator: "/") { directory = try directory.openDirectory(String(component)) }
        cached = (parentPath, directory)
        return (directory, name)
    }
}
