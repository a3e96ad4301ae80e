import Cryptography
import ExthostCore
import Glibc

/// Multipart uploads as files: `<root>/multipart/<id>/key` names the object, `<n>` holds part n.
/// Parts may be uploaded again (each replaces the last by `rename`); completion concatenates
/// the listed parts, checking each ETag (its SHA-256) and S3's 5 MiB minimum for all but the
/// last, and publishes the result like `putOnce`.
extension FileBundleStore {
    static let multipartKeyFile = "key"
    static let minimumPartSize: Int64 = 5 << 20

    public func beginMultipart(_ key: String) throws(BundleStoreError) -> String {
        _ = try FileObjectKey(key)
        let multipartId = Self.temporaryName()
        let chain = try walk(names: [FileObjectKey.multipartDirectory, multipartId], create: true, operation: "beginMultipart", key: key)
        let temporary = try writeTemporary(.bytes(Array(key.utf8)), operation: "beginMultipart", key: key)
        defer { _ = try? temporary.directory.unlink(temporary.name) }
        try call({ () throws(SystemCallError) in
            try temporary.directory.link(temporary.name, to: chain[2], as: Self.multipartKeyFile)
            try chain[2].sync()
        }, "beginMultipart", key)
        return multipartId
    }

    public func uploadPart(_ key: String, multipartId: String, partNumber: Int, body: ObjectBody) throws(BundleStoreError) -> String {
        try S3Client.checkPartNumber(partNumber, key: key)
        let directory = try multipartDirectory(key, multipartId, operation: "uploadPart")
        let hash = SHA256()
        let temporary = try writeTemporary(body, operation: "uploadPart", key: key, observe: { hash.update($0) })
        defer { _ = try? temporary.directory.unlink(temporary.name) }
        try call({ () throws(SystemCallError) in
            try temporary.directory.rename(temporary.name, to: directory, as: String(partNumber))
            try directory.sync()
        }, "uploadPart", key)
        return "\"" + hash.finalize().hex + "\""
    }

    @discardableResult
    public func completeMultipart(_ key: String, multipartId: String, parts: [S3Part], ifNoneMatch: Bool) throws(BundleStoreError) -> String {
        let object = try FileObjectKey(key)
        let directory = try multipartDirectory(key, multipartId, operation: "completeMultipart")
        let ordered = parts.sorted { $0.number < $1.number }
        guard !ordered.isEmpty else { throw .invalidMultipart(key: key, s3Code: "MalformedXML") }
        for (index, part) in ordered.enumerated() {
            try S3Client.checkPartNumber(part.number, key: key)
            if index > 0 && ordered[index - 1].number == part.number { throw .invalidMultipart(key: key, s3Code: "InvalidPartOrder") }
        }
        if ifNoneMatch, try info(key) != nil { throw .alreadyExists(key: key) }

        var files: [MultipartConcatenation.Part] = []
        for (index, part) in ordered.enumerated() {
            let opened: (file: FileDescriptor, status: stat)
            do throws(SystemCallError) {
                let file = try directory.openFile(String(part.number))
                opened = (file, try file.status())
            } catch where error.code == ENOENT {
                throw .invalidMultipart(key: key, s3Code: "InvalidPart")
            } catch {
                throw error.storeError(operation: "completeMultipart", key: key)
            }
            let size = Int64(opened.status.st_size)
            if index < ordered.count - 1 && size < Self.minimumPartSize { throw .invalidMultipart(key: key, s3Code: "EntityTooSmall") }
            files.append(MultipartConcatenation.Part(file: opened.file, size: size, etag: part.etag))
        }
        let concatenation = MultipartConcatenation(key: key, parts: files)
        let temporary: TemporaryFile
        do {
            temporary = try writeTemporary(.stream(length: files.reduce(0) { $0 + $1.size }) { buffer in try concatenation.read(into: buffer) },
                operation: "completeMultipart", key: key)
        } catch .sourceFailed(let underlying as BundleStoreError) {
            throw underlying
        }
        let etag = try publish(temporary, as: object, replacing: !ifNoneMatch, operation: "completeMultipart")
        removeMultipart(directory, multipartId)
        return etag
    }

    /// Removes the parts; an upload already gone (or never begun) counts as aborted.
    public func abortMultipart(_ key: String, multipartId: String) throws(BundleStoreError) {
        let directory: FileDescriptor
        do {
            directory = try multipartDirectory(key, multipartId, operation: "abortMultipart")
        } catch .notFound {
            return
        }
        removeMultipart(directory, multipartId)
    }

    /// The directory of upload `multipartId` of `key`; `notFound` (S3's `NoSuchUpload`) when
    /// there is none, or it belongs to another key.
    func multipartDirectory(_ key: String, _ multipartId: String, operation: String) throws(BundleStoreError) -> FileDescriptor {
        guard multipartId.utf8.count == 32, Hex.decode(multipartId) != nil, multipartId == multipartId.lowercased() else { throw .notFound(key: key) }
        let chain = try walk(names: [FileObjectKey.multipartDirectory, multipartId], create: false, operation: operation, key: key)
        guard chain.count == 3 else { throw .notFound(key: key) }
        var recorded = [UInt8](repeating: 0, count: S3URLError.maximumKeyBytes + 1)
        let count: Int
        do throws(SystemCallError) {
            let file = try chain[2].openFile(Self.multipartKeyFile)
            let read = recorded.withUnsafeMutableBytes { buffer in Result { () throws(SystemCallError) in try file.read(into: buffer, at: 0) } }
            count = try read.get()
        } catch where error.code == ENOENT {
            throw .notFound(key: key)
        } catch {
            throw error.storeError(operation: operation, key: key)
        }
        guard recorded.prefix(count).elementsEqual(key.utf8) else { throw .notFound(key: key) }
        return chain[2]
    }

    /// Best effort: a leftover is harmless and goes with the next abort of the same id.
    func removeMultipart(_ directory: FileDescriptor, _ multipartId: String) {
        for entry in (try? directory.entries()) ?? [] { _ = try? directory.unlink(entry.name) }
        if let parent = try? root.openDirectory(FileObjectKey.multipartDirectory) { parent.removeDirectoryIfEmpty(multipartId) }
    }
}

/// The parts of a multipart upload read one after another, each hashed and checked against the
/// ETag the client listed for it as soon as its last byte is read.
///
/// Invariant: `index` is the part being read and `offset` the position in it.
final class MultipartConcatenation {
    struct Part {
        let file: FileDescriptor
        let size: Int64
        let etag: String
    }

    let key: String
    let parts: [Part]
    private var index = 0
    private var offset: Int64 = 0
    private var hash = SHA256()

    init(key: String, parts: [Part]) {
        self.key = key
        self.parts = parts
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try finishEmptyParts()
        guard index < parts.count else { return 0 }
        let part = parts[index]
        let wanted = Int(min(Int64(buffer.count), part.size - offset))
        let count = try part.file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]), at: offset)
        guard count > 0 else { throw BundleStoreError.unavailable(operation: "completeMultipart", reason: "part \(index + 1) of \(key) ended early") }
        hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        offset += Int64(count)
        try finishEmptyParts()
        return count
    }

    /// Checks and leaves every part read to its end.
    private func finishEmptyParts() throws {
        while index < parts.count && offset == parts[index].size {
            // Clients may send the ETag with or without its quotes.
            let listed = parts[index].etag.utf8.split(separator: UInt8(ascii: "\""), omittingEmptySubsequences: true)
            guard listed.count == 1, listed[0].elementsEqual(hash.finalize().hex.utf8) else {
                throw BundleStoreError.invalidMultipart(key: key, s3Code: "InvalidPart")
            }
            index += 1
            offset = 0
            hash = SHA256()
        }
    }
}
