import Glibc

/// Finds, read-only, the file a parsed UI path names inside a complete tree's `ui/` directory.
///
/// Invariant: every component is examined with `lstat`, never followed: `ui/` and the
/// directories on the way must be real directories and the result a regular file, so a
/// symbolic link (which a bundle cannot contain, but a tampered tree might) is never served.
enum UITreeLookup {
    static let indexFile = "index.html"

    private enum Kind {
        case file, directory, other
    }

    /// The names below `ui/` of the file to serve: `segments` itself for a file, plus
    /// `index.html` for a directory; nil when there is nothing to serve.
    static func servableFile(treePath: String, segments: [String], isDirectory: Bool) -> [String]? {
        var path = treePath + "/ui"
        guard kind(path) == .directory else { return nil }
        for (index, name) in segments.enumerated() {
            path += "/" + name
            let found = kind(path)
            let isLast = index == segments.count - 1
            if isLast && found == .file { return isDirectory ? nil : segments }
            guard found == .directory else { return nil }
        }
        return kind(path + "/" + indexFile) == .file ? segments + [indexFile] : nil
    }

    private static func kind(_ path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }
}
