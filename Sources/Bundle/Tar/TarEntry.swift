/// One accepted archive member: a regular file or a directory with a safe, normalized path.
///
/// Invariants: `path` is relative, non-empty, valid UTF-8, has no `.`/`..`/empty components and
/// no trailing `/`; `size` is 0 for directories.
public struct TarEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case file
        case directory
    }

    public let path: String
    public let kind: Kind
    public let size: Int
    /// Permission bits as stored in the archive (`0o7777` mask); writers normalize them.
    public let mode: UInt32

    public init(path: String, kind: Kind, size: Int, mode: UInt32) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
    }

    /// Whether any execute bit is set: such files are written 0755, others 0644.
    public var isExecutable: Bool { mode & 0o111 != 0 }
}
