import Zstd

/// The read pipeline of a bundle: compressed bytes go to the content hash and, through a capped
/// zstd decoder, to a `TarReader` that reports entries to a visitor.
///
/// Invariants: memory is fixed (zstd buffers, one tar header, the path table); the content hash
/// covers exactly the bytes fed; `finish()` succeeds only for one complete zstd frame holding one
/// complete archive.
public final class BundleStream {
    /// Room for tar headers, pax data and padding on top of the file data limit.
    public static let headerAllowance = 64 << 20

    private let digest = ContentDigest()
    private let decompressor: ZstdDecompressor
    private let reader: TarReader

    public init(visitor: any TarVisitor, limits: TarLimits = .bundle) {
        decompressor = ZstdDecompressor(maxOutputBytes: limits.maxFileBytes + Self.headerAllowance)
        reader = TarReader(limits: limits, visitor: visitor)
    }

    /// Bundle bytes fed so far.
    public private(set) var compressedBytes = 0

    /// Entries accepted so far.
    public var entryCount: Int { reader.entryCount }
    /// Regular-file bytes declared so far.
    public var fileBytes: Int { reader.fileBytes }

    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        digest.update(bytes)
        compressedBytes += bytes.count
        try decompressor.feed(bytes) { try reader.feed($0) }
    }

    /// Checks that the frame and the archive are complete and returns the content hash and size.
    public func finish() throws -> BundleDigest {
        if let result { return result }
        try decompressor.finish()
        try reader.finish()
        let result = digest.finalize()
        self.result = result
        return result
    }

    private var result: BundleDigest?
}
