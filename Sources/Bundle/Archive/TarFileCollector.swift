/// A tar visitor that keeps the bytes of one named file (`manifest.json`, a module), bounded, and
/// can stop the stream right after it: reading one file out of a bundle without holding the rest.
///
/// Invariants: holds at most `maxBytes` (a larger file throws `tooLarge(size)` from its header,
/// before any byte is kept); when `stopsAtFile`, it throws `Found` right after the file's last
/// byte, which the caller catches to stop reading.
public final class TarFileCollector: TarVisitor {
    /// Thrown to stop the pipeline once the file is read.
    public struct Found: Error {}

    public let path: String
    public let maxBytes: Int
    public let stopsAtFile: Bool
    private let tooLarge: (Int) -> any Error
    public private(set) var file: [UInt8]?
    private var collecting: [UInt8]?

    public init(path: String, maxBytes: Int, stopsAtFile: Bool, tooLarge: @escaping (_ size: Int) -> any Error) {
        self.path = path
        self.maxBytes = maxBytes
        self.stopsAtFile = stopsAtFile
        self.tooLarge = tooLarge
    }

    public func beginEntry(_ entry: TarEntry) throws {
        guard entry.kind == .file, entry.path == path else { return }
        guard entry.size <= maxBytes else { throw tooLarge(entry.size) }
        collecting = []
        collecting?.reserveCapacity(entry.size)
    }

    public func entryData(_ bytes: UnsafeRawBufferPointer) throws {
        collecting?.append(contentsOf: bytes)
    }

    public func endEntry(_ entry: TarEntry) throws {
        guard let collected = collecting else { return }
        collecting = nil
        file = collected
        if stopsAtFile { throw Found() }
    }
}
