/// A push-based writer of reproducible tar archives: the same entries in the same order always
/// give the same bytes.
///
/// Output: ustar headers (a pax `x` header only for a path that does not fit ustar's
/// prefix/name, or a size above 8 GiB), mtime 0, uid/gid 0, no owner names, mode 0755 for
/// directories and executable files and 0644 for other files; two zero blocks, then zero
/// padding to a 10240-byte record as GNU tar writes.
///
/// Invariants: a file's data must add up to its declared size before the next entry; nothing may
/// be added after `finish()`.
public final class TarWriter {
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    public static let recordSize = 10_240

    /// Bytes emitted so far.
    public private(set) var bytesWritten = 0

    private let sink: Sink
    private var openFile: (path: String, remaining: Int, size: Int)?
    private var finished = false

    public init(sink: @escaping Sink) {
        self.sink = sink
    }

    public func addDirectory(_ path: String) throws {
        precondition(openFile == nil && !finished, "TarWriter.addDirectory while a file is open or after finish")
        try writeHeader(name: Array(path.utf8) + [UInt8(ascii: "/")], mode: 0o755, size: 0, typeFlag: TarHeader.TypeFlag.directory)
    }

    /// Starts a file of exactly `size` bytes, to be written with `writeFileData` and closed with `endFile`.
    public func beginFile(_ path: String, size: Int, executable: Bool) throws {
        precondition(openFile == nil && !finished, "TarWriter.beginFile while a file is open or after finish")
        precondition(size >= 0)
        try writeHeader(name: Array(path.utf8), mode: executable ? 0o755 : 0o644, size: size, typeFlag: TarHeader.TypeFlag.regular)
        openFile = (path, size, size)
    }

    public func writeFileData(_ bytes: UnsafeRawBufferPointer) throws {
        guard let file = openFile else { preconditionFailure("TarWriter.writeFileData without beginFile") }
        precondition(bytes.count <= file.remaining, "TarWriter: more data than the declared size of \(file.path)")
        openFile = (file.path, file.remaining - bytes.count, file.size)
        try emit(bytes)
    }

    public func endFile() throws {
        guard let file = openFile else { preconditionFailure("TarWriter.endFile without beginFile") }
        precondition(file.remaining == 0, "TarWriter: \(file.path) ended \(file.remaining) bytes short")
        openFile = nil
        try emitZeros(TarHeaderEncoder.padding(after: file.size))
    }

    /// Writes the end-of-archive marker and pads the archive to a whole record.
    public func finish() throws {
        precondition(openFile == nil && !finished, "TarWriter.finish while a file is open or twice")
        finished = true
        try emitZeros(2 * TarHeader.blockSize)
        try emitZeros((Self.recordSize - bytesWritten % Self.recordSize) % Self.recordSize)
    }

    private func writeHeader(name: [UInt8], mode: UInt32, size: Int, typeFlag: UInt8) throws {
        precondition(!name.isEmpty && !name.contains(0), "TarWriter: invalid entry name")
        let split = TarHeaderEncoder.splitForUstar(name)
        var records: [UInt8] = []
        if split == nil { records += TarHeaderEncoder.paxRecord(key: "path", value: name) }
        if size > TarHeaderEncoder.maxOctalSize { records += TarHeaderEncoder.paxRecord(key: "size", value: Array(String(size).utf8)) }
        if !records.isEmpty {
            try emit(TarHeaderEncoder.header(
                name: TarHeaderEncoder.paxHeaderName, mode: 0o644, size: records.count, typeFlag: TarHeader.TypeFlag.paxExtended
            ))
            try emit(records)
            try emitZeros(TarHeaderEncoder.padding(after: records.count))
        }
        // Without a fit, the ustar name is only a hint for readers that ignore pax.
        let (prefix, shortName) = split ?? ([], Array(name.prefix(TarHeader.Field.name.count)))
        try emit(TarHeaderEncoder.header(name: shortName, prefix: prefix, mode: mode, size: size, typeFlag: typeFlag))
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emit($0) }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        try sink(bytes)
        bytesWritten += bytes.count
    }

    private static let zeros = [UInt8](repeating: 0, count: TarHeader.blockSize * 2)

    private func emitZeros(_ count: Int) throws {
        var remaining = count
        while remaining > 0 {
            let chunk = min(remaining, Self.zeros.count)
            try Self.zeros.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[..<chunk])) }
            remaining -= chunk
        }
    }
}
