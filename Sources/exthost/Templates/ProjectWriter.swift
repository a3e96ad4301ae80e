import Glibc

/// Writes a generated project into a directory that did not exist before.
///
/// Invariant: an existing directory (or file) at the destination is never touched; each file is
/// created exclusively, so nothing of the author's is ever overwritten.
enum ProjectWriter {
    static func write(_ files: [ProjectFile], into directory: String) throws {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        if let slash = trimmed.lastIndex(of: "/"), slash != trimmed.startIndex {
            try LocalFiles.makeDirectory(String(trimmed[..<slash]))
        }
        guard mkdir(trimmed, 0o755) == 0 else {
            let reason = errno == EEXIST ? "it already exists; choose another --dir or remove it" : String(cString: strerror(errno))
            throw CLIError("cannot create \(trimmed): \(reason)")
        }
        for file in files {
            let path = trimmed + "/" + file.path
            if let slash = path.lastIndex(of: "/") { try LocalFiles.makeDirectory(String(path[..<slash])) }
            try cliAttempt("cannot write the project") {
                try LocalFiles.write(Array(file.contents.utf8), to: path, mode: file.executable ? 0o755 : 0o644)
            }
        }
    }
}
