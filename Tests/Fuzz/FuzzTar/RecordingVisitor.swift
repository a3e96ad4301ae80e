import Bundle

/// A `TarVisitor` that checks the reader's callback contract and each entry's documented
/// invariants with `require` (a failed one is a bug for the fuzzer to report), and records
/// what it was given so that two runs over the same input can be compared.
///
/// Invariants: `records` holds completed entries only, in archive order; `open` is the entry
/// between its `beginEntry` and `endEntry`, and `received` counts its data bytes so far.
final class RecordingVisitor: TarVisitor {
    /// An accepted entry and a checksum of its data, which differ if any byte went astray.
    struct Record: Equatable {
        let entry: TarEntry
        let dataChecksum: UInt64
    }

    let limits: TarLimits
    private(set) var records: [Record] = []
    private var open: TarEntry?
    private var received = 0
    private var checksum = FNV1a()

    init(limits: TarLimits) {
        self.limits = limits
    }

    func beginEntry(_ entry: TarEntry) throws {
        require(open == nil, "beginEntry(\(entry.path)) before the previous entry ended")
        entry.checkInvariants(limits: limits)
        open = entry
        received = 0
        checksum = FNV1a()
    }

    func entryData(_ bytes: UnsafeRawBufferPointer) throws {
        guard let open else { fatalError("entryData outside an entry") }
        received += bytes.count
        require(received <= open.size, "'\(open.path)' got more data than its size \(open.size)")
        checksum.update(bytes)
    }

    func endEntry(_ entry: TarEntry) throws {
        require(entry == open, "endEntry(\(entry.path)) does not close the open entry")
        require(received == entry.size, "'\(entry.path)' got \(received) bytes, declared \(entry.size)")
        records.append(Record(entry: entry, dataChecksum: checksum.value))
        open = nil
    }

    /// Checks what a complete archive promises as a whole: no entry left open, distinct paths, no
    /// entry inside a file, and the limits on entries and file bytes.
    func checkCompleteArchive(entryCount: Int, fileBytes: Int) {
        require(open == nil, "the archive finished inside entry '\(open?.path ?? "")'")
        require(entryCount == records.count, "entryCount \(entryCount) but \(records.count) entries reported")
        let sizes = records.lazy.filter { $0.entry.kind == .file }.map(\.entry.size)
        require(fileBytes == sizes.reduce(0, +), "fileBytes \(fileBytes) is not the sum of the file sizes")
        require(fileBytes <= limits.maxFileBytes, "fileBytes \(fileBytes) over the limit")

        let paths = records.map(\.entry.path)
        require(Set(paths).count == paths.count, "a path was accepted twice")
        let files = Set(records.filter { $0.entry.kind == .file }.map(\.entry.path))
        let ancestors = Set(paths.flatMap(TarEntry.ancestors))
        require(ancestors.isDisjoint(with: files), "an entry was accepted inside a file")
        require(ancestors.union(paths).count <= limits.maxEntries, "more paths than maxEntries")
    }
}

extension TarEntry {
    /// The invariants `TarEntry` documents, plus the limits the reader was given.
    func checkInvariants(limits: TarLimits) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        require(!path.isEmpty && !path.hasPrefix("/") && !path.hasSuffix("/"), "unsafe path '\(path)'")
        require(components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }, "unsafe path '\(path)'")
        require(!path.utf8.contains(0), "NUL in path '\(path)'")
        require(path.utf8.count <= limits.maxPathBytes && components.count <= limits.maxPathDepth, "path '\(path)' over the limits")
        require(kind == .file || size == 0, "directory '\(path)' has size \(size)")
        require(size >= 0 && size <= limits.maxFileBytes, "'\(path)' has size \(size)")
        require(mode & ~0o7777 == 0, "'\(path)' has mode bits outside 0o7777")
    }

    /// `a/b/c` → `a`, `a/b`.
    static func ancestors(of path: String) -> [String] {
        let components = path.split(separator: "/")
        return (1..<components.count).map { components[..<$0].joined(separator: "/") }
    }
}

/// 64-bit FNV-1a: enough to tell whether two runs saw the same data bytes.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
    }
}
