import ExthostCore
import Glibc

/// A system call on the file system failed: which one, on what, and `errno`.
public struct FileSystemError: HTTPError, Equatable {
    public let operation: String
    public let path: String
    public let errorNumber: Int32

    public init(_ operation: String, path: String, errorNumber: Int32) {
        self.operation = operation
        self.path = path
        self.errorNumber = errorNumber
    }

    /// The target existed (`EEXIST`, or `ENOTEMPTY` from renaming onto a directory).
    public var isAlreadyExists: Bool { errorNumber == EEXIST || errorNumber == ENOTEMPTY }

    public var status: HTTPStatus { .internalServerError }
    public var code: String { "IO_ERROR" }
    public var message: String { "\(operation) '\(path)' failed: \(String(cString: strerror(errorNumber)))" }
}
