/// Extracts a bundle pushed in chunks into a directory that appears complete or not at all.
///
/// Entries are written into a fresh staging directory `<stagingRoot>/tmp-<random>` (same file
/// system as the destination) through `StagingTreeWriter`; `finish()` checks the stream and the
/// expected content hash, fsyncs the tree, renames the staging directory to the destination
/// without replacing anything, and fsyncs the destination's parent.
///
/// Invariants: on any error, or when abandoned, the staging directory is removed; the
/// destination name only ever refers to a fully written, verified tree.
public final class SafeExtractor {
    private enum State {
        case extracting
        case committed(BundleDigest)
        case failed(any Error)
    }

    public let destination: String
    private let expectedContentHash: ContentHash?
    private let synchronizes: Bool
    private let stagingRoot: Directory
    private let stagingName: String
    private let destinationParent: Directory
    private let destinationName: String
    private let writer: StagingTreeWriter
    private let stream: BundleStream
    private var state = State.extracting

    /// - Parameters:
    ///   - destination: the directory to create; its parent must exist, it must not.
    ///   - stagingRoot: an existing directory on the destination's file system.
    ///   - expectedContentHash: `sha256:<hex>` the bundle must hash to, if known.
    ///   - synchronizes: fsync files and directories (turn off only where durability does not matter).
    public init(
        destination: String,
        stagingRoot: String,
        expectedContentHash: ContentHash? = nil,
        limits: TarLimits = .bundle,
        synchronizes: Bool = true
    ) throws {
        let (parent, name) = try Directory.openParent(of: destination)
        self.destination = destination
        self.expectedContentHash = expectedContentHash
        self.synchronizes = synchronizes
        destinationParent = parent
        destinationName = name
        guard try !destinationParent.exists(name) else { throw ArchiveError.destinationExists(destination) }

        let stagingParent = try Directory.open(stagingRoot)
        self.stagingRoot = stagingParent
        stagingName = "tmp-" + String(UInt64.random(in: .min ... .max), radix: 16)
        let staging = try stagingParent.createDirectory(stagingName, mode: 0o755)
        writer = StagingTreeWriter(root: staging, synchronizesFiles: synchronizes)
        stream = BundleStream(visitor: writer, limits: limits)
    }

    deinit {
        if case .extracting = state { stagingRoot.removeTree(stagingName) }
    }

    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        try whileExtracting { try stream.feed(bytes) }
    }

    /// Completes the extraction and returns the bundle's content hash and size.
    @discardableResult
    public func finish() throws -> BundleDigest {
        if case .committed(let digest) = state { return digest }
        let digest = try whileExtracting {
            let digest = try stream.finish()
            if let expectedContentHash, expectedContentHash != digest.contentHash {
                throw ArchiveError.contentHashMismatch(expected: expectedContentHash, actual: digest.contentHash)
            }
            if synchronizes { try writer.synchronize() }
            do {
                try stagingRoot.renameWithoutReplacing(stagingName, to: destinationParent, destinationName)
            } catch let error as FileSystemError where error.isAlreadyExists {
                throw ArchiveError.destinationExists(destination)
            }
            return digest
        }
        state = .committed(digest)
        // The tree is in place and complete; this only makes its name durable.
        if synchronizes { try destinationParent.sync() }
        return digest
    }

    /// Gives up: removes the staging directory. Later calls throw `CancellationError`.
    public func abort() {
        guard case .extracting = state else { return }
        state = .failed(CancellationError())
        stagingRoot.removeTree(stagingName)
    }

    /// Runs `body`; if it throws, removes the staging directory and remembers the error.
    private func whileExtracting<T>(_ body: () throws -> T) throws -> T {
        switch state {
        case .failed(let error): throw error
        case .committed: preconditionFailure("SafeExtractor used after finish")
        case .extracting: break
        }
        do {
            return try body()
        } catch {
            state = .failed(error)
            stagingRoot.removeTree(stagingName)
            throw error
        }
    }

    /// Extracts the bundle file at `path` into `destination`.
    @discardableResult
    public static func extract(
        fromFile path: String,
        to destination: String,
        stagingRoot: String,
        expectedContentHash: ContentHash? = nil,
        limits: TarLimits = .bundle
    ) throws -> BundleDigest {
        let extractor = try SafeExtractor(
            destination: destination, stagingRoot: stagingRoot, expectedContentHash: expectedContentHash, limits: limits
        )
        do {
            try File.open(path).forEachChunk(size: BundleReader.readChunkSize) {
                try extractor.feed($0)
                return true
            }
        } catch {
            extractor.abort()
            throw error
        }
        return try extractor.finish()
    }
}
