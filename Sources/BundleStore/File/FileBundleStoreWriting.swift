import Cryptography
import ExthostCore
import Glibc

/// Writing objects: a complete, synced temporary file first, then one `link` or `rename` to
/// the final name.
extension FileBundleStore {
    /// A complete, fsynced file in `<root>/tmp/` that no key names yet.
    struct TemporaryFile {
        let directory: FileDescriptor
        let name: String
    }

    static func temporaryName() -> String { Hex.encode(SecureRandom.bytes(16)) }

    /// Writes `body` to a new temporary file, passing each chunk written to `observe`.
    func writeTemporary(
        _ body: ObjectBody,
        operation: String,
        key: String,
        observe: (UnsafeRawBufferPointer) -> Void = { _ in }
    ) throws(BundleStoreError) -> TemporaryFile {
        let directory = try call({ () throws(SystemCallError) in try root.openDirectory(FileObjectKey.temporaryDirectory) }, operation, key)
        let name = Self.temporaryName()
        let file = try call({ () throws(SystemCallError) in try directory.createExclusive(name) }, operation, key)
        do throws(BodyWriteError) {
            try Self.write(body, to: file, observe: observe)
            do { try file.sync() } catch { throw .system(error) }
        } catch {
            _ = try? directory.unlink(name)
            throw error.storeError(operation: operation, key: key)
        }
        return TemporaryFile(directory: directory, name: name)
    }

    /// Streams `body` into `file` through one fixed buffer.
    static func write(_ body: ObjectBody, to file: FileDescriptor, observe: (UnsafeRawBufferPointer) -> Void) throws(BodyWriteError) {
        switch body {
        case .bytes(let bytes):
            let failure = bytes.withUnsafeBytes { chunk -> SystemCallError? in
                observe(chunk)
                do throws(SystemCallError) { try file.write(chunk) } catch { return error }
                return nil
            }
            if let failure { throw .system(failure) }
        case .stream(let length, let source):
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
            defer { buffer.deallocate() }
            var remaining = length
            while remaining > 0 {
                let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), remaining))])
                let count: Int
                do { count = try source(slice) } catch { throw .source(error) }
                guard count > 0, count <= slice.count else { throw .source(BodySourceEnded(expected: length, received: length - remaining)) }
                let chunk = UnsafeRawBufferPointer(rebasing: slice[0..<count])
                observe(chunk)
                do throws(SystemCallError) { try file.write(chunk) } catch { throw .system(error) }
                remaining -= Int64(count)
            }
        }
    }

    /// Gives `temporary` its final name (failing if taken unless `replacing`), then removes the
    /// temporary name and syncs the directory; returns the object's ETag.
    func publish(_ temporary: TemporaryFile, as target: FileObjectKey, replacing: Bool, operation: String) throws(BundleStoreError) -> String {
        defer { _ = try? temporary.directory.unlink(temporary.name) }
        return try linkCreatingParents(target, operation: operation) { directory, name throws(SystemCallError) in
            if replacing {
                try temporary.directory.rename(temporary.name, to: directory, as: name)
            } else {
                try temporary.directory.link(temporary.name, to: directory, as: name)
            }
        }
    }

    /// Creates the directories of `target`, runs `place` to put a file under its name, syncs the
    /// directory and returns the new object's ETag. A concurrent `delete` may remove an emptied
    /// directory in between, so a missing directory is created again (a few times).
    func linkCreatingParents(
        _ target: FileObjectKey,
        operation: String,
        place: (FileDescriptor, String) throws(SystemCallError) -> Void
    ) throws(BundleStoreError) -> String {
        var attempts = 0
        while true {
            attempts += 1
            let directory = try walk(to: target, create: true, operation: operation)[target.segments.count - 1]
            do throws(SystemCallError) {
                try place(directory, target.fileName)
                try directory.sync()
                guard let status = try directory.status(of: target.fileName) else { throw SystemCallError(call: "fstatat", code: ENOENT) }
                return FileObjectMetadata.etag(status)
            } catch where error.code == ENOENT && attempts < 4 {
                continue
            } catch {
                throw error.storeError(operation: operation, key: target.key)
            }
        }
    }
}

/// Why writing a body to a file failed: the caller's source or the file system.
enum BodyWriteError: Error {
    case source(any Error)
    case system(SystemCallError)

    func storeError(operation: String, key: String) -> BundleStoreError {
        switch self {
        case .source(let error): .sourceFailed(error)
        case .system(let error): error.storeError(operation: operation, key: key)
        }
    }
}

/// A streamed body whose source stopped before its announced length.
public struct BodySourceEnded: Error, CustomStringConvertible {
    public let expected: Int64
    public let received: Int64

    public var description: String { "the body source ended after \(received) of \(expected) bytes" }
}
