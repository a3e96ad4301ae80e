import Glibc

/// The bundle store on a local file system, for single-node installs: the S3 key layout under
/// `root`, with the same write-once guarantees (DESIGN §6).
///
/// Invariants: an object appears under its final name only complete and fsynced, through
/// `link(2)` from a temporary file in `<root>/tmp/` (which fails instead of replacing), so a
/// crash leaves at most a stray temporary file (see `sweepTemporaryFiles`); every path is
/// walked from the root descriptor one name at a time with `O_NOFOLLOW`, so neither a key nor a
/// planted symlink reaches outside `root`; reads and writes go through one fixed-size buffer.
public struct FileBundleStore: BundleStore {
    public let keys: BundleKeyPolicy
    /// Where the api answers presigned uploads and downloads, e.g. `https://exthost.example`.
    public let publicBase: String
    let root: FileDescriptor
    let signer: FileURLSigner

    static let bufferSize = 64 << 10

    /// Opens (creating it if needed) the store at `root`; the signing key authenticates the
    /// URLs `presignUpload`, `presignPart` and `presignDownload` hand out.
    public init(root: String, publicBase: String, signingKey: [UInt8], keyPolicy: BundleKeyPolicy) throws(BundleStoreError) {
        guard !signingKey.isEmpty else { throw .misconfigured(operation: "init", reason: "the upload signing key is empty") }
        guard !FileObjectKey.reservedNames.contains(String(keyPolicy.base.prefix(while: { $0 != "/" }))) else {
            throw .misconfigured(operation: "init", reason: "the bundle base '\(keyPolicy.base)' collides with the file store's own directories")
        }
        do throws(SystemCallError) {
            try FileDescriptor.makeDirectories(path: root)
            let directory = try FileDescriptor.openDirectory(path: root)
            for name in FileObjectKey.reservedNames { try directory.makeDirectory(name) }
            self.root = directory
        } catch {
            throw error.storeError(operation: "init", key: root)
        }
        self.keys = keyPolicy
        self.publicBase = publicBase.hasSuffix("/") ? String(publicBase.dropLast()) : publicBase
        self.signer = FileURLSigner(key: signingKey)
    }

    @discardableResult
    public func putOnce(_ key: String, body: ObjectBody) throws(BundleStoreError) -> String {
        let target = try FileObjectKey(key)
        let temporary = try writeTemporary(body, operation: "putOnce", key: key)
        return try publish(temporary, as: target, replacing: false, operation: "putOnce")
    }

    @discardableResult
    public func copyOnce(from source: String, to destination: String) throws(BundleStoreError) -> String {
        let from = try FileObjectKey(source)
        let to = try FileObjectKey(destination)
        guard let sourceDirectory = try walk(to: from, create: false, operation: "copyOnce").last,
            let sourceInfo = try call({ () throws(SystemCallError) in try sourceDirectory.status(of: from.fileName) }, "copyOnce", source),
            (sourceInfo.st_mode & S_IFMT) == S_IFREG
        else { throw .notFound(key: source) }
        guard try info(destination) == nil else { throw .alreadyExists(key: destination) }
        // Objects are never modified in place, so a second name for the same inode is a copy;
        // the root is one file system, so the link cannot cross devices.
        return try linkCreatingParents(to, operation: "copyOnce") { directory, name throws(SystemCallError) in
            try sourceDirectory.link(from.fileName, to: directory, as: name)
        }
    }

    public func info(_ key: String) throws(BundleStoreError) -> StoredObject? {
        let object = try FileObjectKey(key)
        guard let directory = try walk(to: object, create: false, operation: "info").last,
            let status = try call({ () throws(SystemCallError) in try directory.status(of: object.fileName) }, "info", key),
            (status.st_mode & S_IFMT) == S_IFREG
        else { return nil }
        return FileObjectMetadata.storedObject(key: key, status)
    }

    /// Streams the object or the inclusive `range` (clamped to its end, like S3); the result's
    /// `size` is the number of bytes streamed, as S3's `Content-Length` is.
    @discardableResult
    public func open(_ key: String, range: ClosedRange<Int64>?, sink: (UnsafeRawBufferPointer) throws -> Void) throws(BundleStoreError) -> StoredObject {
        let object = try FileObjectKey(key)
        guard let directory = try walk(to: object, create: false, operation: "open").last else { throw .notFound(key: key) }
        let file: FileDescriptor
        do throws(SystemCallError) {
            file = try directory.openFile(object.fileName)
        } catch {
            throw error.storeError(operation: "open", key: key)
        }
        let status = try call({ () throws(SystemCallError) in try file.status() }, "open", key)
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .notFound(key: key) }
        let size = Int64(status.st_size)
        let start = range?.lowerBound ?? 0
        let end = min(range.map { $0.upperBound + 1 } ?? size, size)
        guard start >= 0, start < end || (range == nil && size == 0) else {
            throw .protocolError(operation: "open", reason: "InvalidRange: \(start)... of \(size) bytes")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset = start
        while offset < end {
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), end - offset))])
            let count = try call({ () throws(SystemCallError) in try file.read(into: slice, at: offset) }, "open", key)
            guard count > 0 else { throw .unavailable(operation: "open", reason: "\(key) ended early") }
            do {
                try sink(UnsafeRawBufferPointer(rebasing: slice[0..<count]))
            } catch {
                throw .sinkFailed(error)
            }
            offset += Int64(count)
        }
        var streamed = status
        streamed.st_size = off_t(end - start)
        return FileObjectMetadata.storedObject(key: key, streamed)
    }

    /// Removes the file and then whichever of its directories became empty.
    public func delete(_ key: String) throws(BundleStoreError) {
        let object = try FileObjectKey(key)
        let directories = try walk(to: object, create: false, operation: "delete")
        guard let directory = directories.last else { return }
        _ = try call({ () throws(SystemCallError) in try directory.unlink(object.fileName) }, "delete", key)
        removeEmptyDirectories(directories, names: object.directories)
    }

    // MARK: - Paths

    /// The descriptors of the root and of each directory of `object`, or an empty array when one
    /// is missing and `create` is false.
    func walk(to object: FileObjectKey, create: Bool, operation: String) throws(BundleStoreError) -> [FileDescriptor] {
        try walk(names: object.directories, create: create, operation: operation, key: object.key)
    }

    func walk(names: ArraySlice<String>, create: Bool, operation: String, key: String) throws(BundleStoreError) -> [FileDescriptor] {
        var chain = [root]
        for name in names {
            let parent = chain[chain.count - 1]
            do throws(SystemCallError) {
                if create, try parent.makeDirectory(name) { try parent.sync() }
                chain.append(try parent.openDirectory(name))
            } catch where error.code == ENOENT && !create {
                return []
            } catch {
                throw error.storeError(operation: operation, key: key)
            }
        }
        return chain
    }

    /// Removes the deepest directories of `chain` while they are empty (never the root).
    func removeEmptyDirectories(_ chain: [FileDescriptor], names: ArraySlice<String>) {
        let names = Array(names)
        for level in stride(from: names.count - 1, through: 0, by: -1) {
            guard chain[level].removeDirectoryIfEmpty(names[level]) else { return }
        }
    }

    /// Runs one file system step, turning its failure into the store's error for `key`.
    func call<T>(_ step: () throws(SystemCallError) -> T, _ operation: String, _ key: String) throws(BundleStoreError) -> T {
        do {
            return try step()
        } catch {
            throw error.storeError(operation: operation, key: key)
        }
    }
}
