/// The set of paths an archive has created so far, to reject duplicates, files that would have to
/// be directories, and archives with too many entries.
///
/// Invariants: every stored path's parent directories are stored too (declared or implied), so
/// checking a new path only walks up to its nearest known ancestor; `count` is the number of
/// stored paths and never exceeds `maxEntries`, which bounds memory by
/// `maxEntries × maxPathBytes`.
struct TarPathTable {
    private enum Node {
        case file
        case directory
        /// A directory that so far only appears as the parent of other entries.
        case impliedDirectory
    }

    let maxEntries: Int
    private var nodes: [String: Node] = [:]

    init(maxEntries: Int) {
        self.maxEntries = maxEntries
    }

    var count: Int { nodes.count }

    /// Records `path` (already normalized) or throws the rule it breaks.
    mutating func insert(_ path: String, kind: TarEntry.Kind) throws(TarError) {
        switch (nodes[path], kind) {
        case (nil, _):
            break
        case (.impliedDirectory, .directory):
            nodes[path] = .directory
            return
        case (.impliedDirectory, .file):
            throw .pathConflict(entry: path, file: path)
        case (.file, _), (.directory, _):
            throw .duplicatePath(path)
        }

        var missingAncestors: [String] = []
        var ancestor = Self.parent(of: path)
        while let current = ancestor {
            switch nodes[current] {
            case .file?: throw .pathConflict(entry: path, file: current)
            case .directory?, .impliedDirectory?: ancestor = nil
            case nil:
                missingAncestors.append(current)
                ancestor = Self.parent(of: current)
            }
        }
        guard nodes.count + missingAncestors.count + 1 <= maxEntries else { throw .tooManyEntries(limit: maxEntries) }
        for directory in missingAncestors { nodes[directory] = .impliedDirectory }
        nodes[path] = kind == .file ? .file : .directory
    }

    private static func parent(of path: String) -> String? {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        return String(path[..<slash])
    }
}
