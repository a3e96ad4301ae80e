import Bundle
import Glibc
import Synchronization

extension ContentCache {
    /// Pushes bundle bytes to the sink it is given, in chunks of any size (e.g. a bundle store's
    /// `open(key, range: nil, sink:)`). Errors the sink throws should be let through.
    public typealias ByteSource = (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void

    /// Makes the complete tree of `hash` present and returns its path (`<root>/sha256/<hex>`).
    ///
    /// A tree already present is returned at once, without calling `source`. Otherwise the
    /// signature is checked first (`policy.evaluate`; with a trust store an unsigned or untrusted
    /// bundle is refused before a byte is read), then the bytes from `source` stream into a
    /// `SafeExtractor` in `tmp/` that checks them against `hash` and renames the finished tree
    /// into place. Concurrent calls for one hash coalesce: one runs the fill, the others block
    /// until it ends and share its outcome, error included; the next call after a failure tries
    /// again. Memory does not grow with the bundle's size.
    public func install(
        hash: ContentHash,
        signature: BundleSignature?,
        publisher: String,
        policy: SignaturePolicy,
        now: Int64 = Int64(time(nil)),
        source: ByteSource
    ) throws(ContentCacheError) -> String {
        if let path = path(of: hash) { return path }
        do {
            _ = try policy.evaluate(signature, contentHash: hash, publisher: publisher, now: now)
        } catch {
            throw .signatureRejected(error)
        }
        switch join(hash) {
        case .present:
            return layout.treePath(hash)
        case .wait(let fill):
            return try fill.wait().get()
        case .lead(let fill):
            let outcome = Result { () throws(ContentCacheError) -> Int in try extract(hash, from: source) }
            state.withLock { state in
                state.fills[hash] = nil
                if case .success(let bytes) = outcome {
                    state.insert(CachedTree(hash: hash, bytes: bytes, lastUsed: state.nextUseTime()))
                }
            }
            let published = outcome.map { _ in layout.treePath(hash) }
            fill.publish(published)
            return try published.get()
        }
    }

    private enum Role {
        case present
        case wait(PendingFill)
        case lead(PendingFill)
    }

    /// Decides, under the lock, whether this call fills `hash`, waits for the fill running, or
    /// finds the tree already there.
    private func join(_ hash: ContentHash) -> Role {
        state.withLock { state in
            if confirmedTree(hash, in: &state) != nil { return .present }
            if let fill = state.fills[hash] { return .wait(fill) }
            let fill = PendingFill()
            state.fills[hash] = fill
            return .lead(fill)
        }
    }

    /// Extracts the bytes of `source` into `sha256/<hex>` and returns the tree's size.
    private func extract(_ hash: ContentHash, from source: ByteSource) throws(ContentCacheError) -> Int {
        do {
            let extractor = try SafeExtractor(
                destination: layout.treePath(hash), stagingRoot: layout.stagingPath,
                expectedContentHash: hash, limits: limits, synchronizes: synchronizes)
            try feed(extractor, from: source, hash)
            try extractor.finish()
        } catch ArchiveError.destinationExists {
            // Only a complete, verified tree ever has that name (SafeExtractor's rename).
        } catch {
            throw Self.classify(error, hash)
        }
        return try treeRoot.treeBytes(hash.hex)
    }

    /// Runs `source` into `extractor`; on any error the staging directory goes.
    private func feed(_ extractor: SafeExtractor, from source: ByteSource, _ hash: ContentHash) throws {
        do {
            try Self.pump(source, hash, into: extractor.feed)
        } catch {
            extractor.abort()
            throw error
        }
    }

    /// Runs `source` into `consume`, telling the consumer's errors (the bytes are wrong), which
    /// are rethrown as they are, from the source's own (fetching failed: `sourceFailed`), even
    /// when the source wraps or swallows the former.
    static func pump(_ source: ByteSource, _ hash: ContentHash, into consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        var consumerError: (any Error)?
        do {
            try withoutActuallyEscaping(consume) { consume in
                try source { bytes in
                    do {
                        try consume(bytes)
                    } catch {
                        consumerError = error
                        throw error
                    }
                }
            }
        } catch {
            throw consumerError ?? ContentCacheError.sourceFailed(hash, underlying: error)
        }
        if let consumerError { throw consumerError }
    }

    private static func classify(_ error: any Error, _ hash: ContentHash) -> ContentCacheError {
        switch error {
        case let error as ContentCacheError:
            error
        case ArchiveError.contentHashMismatch(let expected, let actual):
            .hashMismatch(expected: expected, actual: actual)
        case let error as FileSystemError:
            .io(operation: error.operation, path: error.path, errorNumber: error.errorNumber)
        default:
            .bundleInvalid(hash, underlying: error)
        }
    }
}
