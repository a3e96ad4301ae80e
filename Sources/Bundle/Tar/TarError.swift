import ExthostCore

/// Why an archive was rejected: one case per safety rule of the bundle format, each naming the
/// offending entry (or the byte offset when there is no entry yet).
///
/// Entry names in the payloads are display forms (control bytes escaped, long names shortened),
/// safe to put in a message.
public enum TarError: HTTPError, Equatable {
    case invalidHeader(offset: Int, reason: String)
    case truncated
    case trailingData(offset: Int)
    case absolutePath(String)
    case pathTraversal(String)
    case invalidName(String, reason: String)
    case symlink(String)
    case hardLink(String)
    case device(String)
    case fifo(String)
    case unsupportedEntry(String, type: String)
    /// A global pax header (`g`) sets `path`, which would rename every following entry.
    case globalPathOverride(offset: Int)
    case duplicatePath(String)
    /// `entry` needs `file` to be a directory, but the archive declares `file` as a regular file
    /// (`entry == file` when the file is declared after entries inside it).
    case pathConflict(entry: String, file: String)
    case tooManyEntries(limit: Int)
    case tooLarge(limit: Int)

    public var status: HTTPStatus { .unprocessableEntity }

    public var code: String {
        switch self {
        case .invalidHeader: "ARCHIVE_INVALID_HEADER"
        case .truncated: "ARCHIVE_TRUNCATED"
        case .trailingData: "ARCHIVE_TRAILING_DATA"
        case .absolutePath: "ARCHIVE_ABSOLUTE_PATH"
        case .pathTraversal: "ARCHIVE_PATH_TRAVERSAL"
        case .invalidName: "ARCHIVE_INVALID_NAME"
        case .symlink: "ARCHIVE_SYMLINK"
        case .hardLink: "ARCHIVE_HARDLINK"
        case .device: "ARCHIVE_DEVICE"
        case .fifo: "ARCHIVE_FIFO"
        case .unsupportedEntry: "ARCHIVE_UNSUPPORTED_ENTRY"
        case .globalPathOverride: "ARCHIVE_GLOBAL_PATH"
        case .duplicatePath: "ARCHIVE_DUPLICATE_PATH"
        case .pathConflict: "ARCHIVE_PATH_CONFLICT"
        case .tooManyEntries: "ARCHIVE_TOO_MANY_ENTRIES"
        case .tooLarge: "ARCHIVE_TOO_LARGE"
        }
    }

    public var message: String {
        switch self {
        case .invalidHeader(let offset, let reason):
            "invalid tar header at byte \(offset): \(reason)"
        case .truncated:
            "the tar archive ends before its end-of-archive marker"
        case .trailingData(let offset):
            "non-zero data at byte \(offset), after the tar end-of-archive marker"
        case .absolutePath(let name):
            "entry '\(name)' has an absolute path"
        case .pathTraversal(let name):
            "entry '\(name)' has a '..' component"
        case .invalidName(let name, let reason):
            "entry '\(name)' has an invalid name: \(reason)"
        case .symlink(let name):
            "entry '\(name)' is a symbolic link; only regular files and directories are accepted"
        case .hardLink(let name):
            "entry '\(name)' is a hard link; only regular files and directories are accepted"
        case .device(let name):
            "entry '\(name)' is a device node; only regular files and directories are accepted"
        case .fifo(let name):
            "entry '\(name)' is a FIFO; only regular files and directories are accepted"
        case .unsupportedEntry(let name, let type):
            "entry '\(name)' has unsupported type \(type); only regular files and directories are accepted"
        case .globalPathOverride(let offset):
            "the global pax header at byte \(offset) sets 'path', which would rename every entry"
        case .duplicatePath(let name):
            "entry '\(name)' appears more than once"
        case .pathConflict(let entry, let file) where entry == file:
            "entry '\(entry)' is a file, but other entries are inside it"
        case .pathConflict(let entry, let file):
            "entry '\(entry)' is inside '\(file)', which is a file"
        case .tooManyEntries(let limit):
            "the archive has more than \(limit) entries (directories implied by paths included)"
        case .tooLarge(let limit):
            "the archive's files hold more than \(limit) bytes"
        }
    }
}
