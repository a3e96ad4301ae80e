/// The regular files and directories of a directory to pack, listed completely before packing
/// so that they can be written in one global order.
///
/// Invariants: `entries` is sorted bytewise by path (so parents precede children); every path
/// passed the reader's path rules and the tree stays within the reader's limits, so a packed
/// bundle is always readable; nothing else (links, devices, FIFOs, sockets) was found.
struct SourceTree {
    struct Entry {
        let path: String
        let kind: TarEntry.Kind
        /// Size when listed (0 for directories).
        let size: Int
    }

    let entries: [Entry]

    init(root: Directory, limits: TarLimits) throws {
        var entries: [Entry] = []
        var paths = TarPathTable(maxEntries: limits.maxEntries)
        var fileBytes = 0
        try Self.collect(root, prefix: [], limits: limits, into: &entries, paths: &paths, fileBytes: &fileBytes)
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        self.entries = entries
    }

    private static func collect(
        _ directory: Directory,
        prefix: [UInt8],
        limits: TarLimits,
        into entries: inout [Entry],
        paths: inout TarPathTable,
        fileBytes: inout Int
    ) throws {
        for rawName in try directory.entryNames() {
            let rawPath = prefix.isEmpty ? rawName : prefix + [UInt8(ascii: "/")] + rawName
            // Same rules as the reader: UTF-8, length, depth (a listed name is never the root).
            guard let path = try TarPath.normalize(rawPath, isDirectory: false, limits: limits) else { continue }
            let name = String(decoding: rawName, as: UTF8.self)
            let status = try directory.status(of: name)
            let kind: TarEntry.Kind
            switch status.kind {
            case .regular: kind = .file
            case .directory: kind = .directory
            default: throw ArchiveError.unsupportedSourceFile(path: path, kind: status.kind.rawValue)
            }
            try paths.insert(path, kind: kind)
            entries.append(Entry(path: path, kind: kind, size: kind == .file ? status.size : 0))
            if kind == .file {
                guard status.size <= limits.maxFileBytes - fileBytes else { throw TarError.tooLarge(limit: limits.maxFileBytes) }
                fileBytes += status.size
            } else {
                try collect(directory.openDirectory(name), prefix: rawPath, limits: limits, into: &entries, paths: &paths, fileBytes: &fileBytes)
            }
        }
    }
}
