/// A push-based tar reader: feed it the archive in chunks of any size and it reports every
/// accepted entry to its visitor, enforcing the bundle format's safety rules as headers arrive.
///
/// Formats: POSIX ustar (prefix + name), pax `x` headers (`path`, `size`), pax `g` headers
/// (ignored unless they set `path`), GNU `L` long names and `K` long links. Only regular files
/// and directories are accepted; anything else is a typed `TarError` naming the entry.
///
/// Invariants: memory is one header block, one extended header (at most
/// `limits.maxExtendedHeaderBytes`) and the path table (at most `limits.maxEntries` paths); file
/// data is passed through without copying; once a call has thrown, every later call throws the
/// same error; the archive is complete only when `finish()` returns.
public final class TarReader {
    public let limits: TarLimits
    /// Entries reported to the visitor so far (the skipped root `./` excluded).
    public private(set) var entryCount = 0
    /// Bytes of regular-file data declared by the entries so far.
    public private(set) var fileBytes = 0

    private enum State {
        case header
        case data(TarEntry, remaining: Int)
        case metadata(MetadataKind, remaining: Int, headerOffset: Int)
        case padding(remaining: Int)
        /// One zero block seen: the next block must be zero too.
        case afterZeroBlock
        /// End-of-archive marker seen: only zero padding may follow.
        case ended
    }

    private enum MetadataKind {
        case pax
        case globalPax
        case gnuLongName
        case gnuLongLink
    }

    private let visitor: any TarVisitor
    private var state = State.header
    private var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
    private var blockFill = 0
    /// Archive bytes consumed before the chunk being processed, for error offsets.
    private var consumed = 0
    private var pending = TarPendingMetadata()
    private var metadata: [UInt8] = []
    private var paths: TarPathTable
    private var failure: (any Error)?

    public init(limits: TarLimits = .bundle, visitor: any TarVisitor) {
        self.limits = limits
        self.visitor = visitor
        self.paths = TarPathTable(maxEntries: limits.maxEntries)
    }

    /// Processes the next bytes of the archive, calling the visitor for what they complete.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        if let failure { throw failure }
        do {
            var position = 0
            while position < bytes.count {
                let used = try consume(UnsafeRawBufferPointer(rebasing: bytes[position...]))
                position += used
                consumed += used
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Declares the end of the input: throws `truncated` unless the end-of-archive marker was read.
    public func finish() throws {
        if let failure { throw failure }
        guard case .ended = state else {
            failure = TarError.truncated
            throw TarError.truncated
        }
    }

    /// Consumes a prefix of `input` (never empty) according to the state; returns its length.
    private func consume(_ input: UnsafeRawBufferPointer) throws -> Int {
        switch state {
        case .header, .afterZeroBlock:
            return try consumeBlock(input)
        case .ended:
            if let nonZero = input.firstIndex(where: { $0 != 0 }) {
                throw TarError.trailingData(offset: consumed + nonZero)
            }
            return input.count
        case .data(let entry, let remaining):
            let count = min(remaining, input.count)
            try visitor.entryData(UnsafeRawBufferPointer(rebasing: input[..<count]))
            if count == remaining {
                try visitor.endEntry(entry)
                state = Self.padding(after: entry.size)
            } else {
                state = .data(entry, remaining: remaining - count)
            }
            return count
        case .metadata(let kind, let remaining, let headerOffset):
            let count = min(remaining, input.count)
            metadata.append(contentsOf: input[..<count])
            if count == remaining {
                try complete(kind, headerOffset: headerOffset)
            } else {
                state = .metadata(kind, remaining: remaining - count, headerOffset: headerOffset)
            }
            return count
        case .padding(let remaining):
            let count = min(remaining, input.count)
            state = count == remaining ? .header : .padding(remaining: remaining - count)
            return count
        }
    }

    private func consumeBlock(_ input: UnsafeRawBufferPointer) throws -> Int {
        let size = TarHeader.blockSize
        if blockFill == 0 && input.count >= size {
            try handle(block: UnsafeRawBufferPointer(rebasing: input[..<size]), offset: consumed)
            return size
        }
        let count = min(size - blockFill, input.count)
        block.withUnsafeMutableBytes { target in
            UnsafeMutableRawBufferPointer(rebasing: target[blockFill..<(blockFill + count)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: input[..<count]))
        }
        blockFill += count
        if blockFill == size {
            blockFill = 0
            let header = block
            try header.withUnsafeBytes { try handle(block: $0, offset: consumed + count - size) }
        }
        return count
    }

    private func handle(block: UnsafeRawBufferPointer, offset: Int) throws {
        let isZero = TarHeader.isZero(block)
        switch state {
        case .afterZeroBlock:
            // Like GNU tar, the archive ends at the first zero block: what follows a lone one is
            // not part of it.
            guard isZero else { throw TarError.trailingData(offset: offset) }
            state = .ended
        case .header where isZero:
            guard !pending.hasAny else {
                throw TarError.invalidHeader(offset: offset, reason: "an extended header is not followed by an entry")
            }
            state = .afterZeroBlock
        case .header:
            try begin(TarHeader(parsing: block, offset: offset), offset: offset)
        case .data, .metadata, .padding, .ended:
            preconditionFailure("TarReader: header block in state \(state)")
        }
    }

    private func begin(_ header: TarHeader, offset: Int) throws {
        switch header.typeFlag {
        case TarHeader.TypeFlag.paxExtended: try startMetadata(.pax, header: header, offset: offset)
        case TarHeader.TypeFlag.paxGlobal: try startMetadata(.globalPax, header: header, offset: offset)
        case TarHeader.TypeFlag.gnuLongName: try startMetadata(.gnuLongName, header: header, offset: offset)
        case TarHeader.TypeFlag.gnuLongLink: try startMetadata(.gnuLongLink, header: header, offset: offset)
        default: try beginEntry(header, offset: offset)
        }
    }

    private func startMetadata(_ kind: MetadataKind, header: TarHeader, offset: Int) throws {
        guard header.size <= limits.maxExtendedHeaderBytes else {
            throw TarError.invalidHeader(
                offset: offset,
                reason: "extended header data larger than \(limits.maxExtendedHeaderBytes) bytes"
            )
        }
        metadata.removeAll(keepingCapacity: true)
        if header.size == 0 {
            try complete(kind, headerOffset: offset)
        } else {
            state = .metadata(kind, remaining: header.size, headerOffset: offset)
        }
    }

    private func complete(_ kind: MetadataKind, headerOffset: Int) throws {
        switch kind {
        case .pax:
            try pending.apply(paxRecords: PaxRecords.parse(metadata, offset: headerOffset), offset: headerOffset)
        case .globalPax:
            try TarPendingMetadata.checkGlobal(paxRecords: PaxRecords.parse(metadata, offset: headerOffset), offset: headerOffset)
        case .gnuLongName:
            pending.apply(gnuLongName: metadata)
        case .gnuLongLink:
            pending.noteGNULongLink()
        }
        state = Self.padding(after: metadata.count)
    }

    private func beginEntry(_ header: TarHeader, offset: Int) throws {
        let overrides = pending
        pending = TarPendingMetadata()
        let rawName = overrides.name(header: header)
        let size = overrides.size(header: header)
        let kind = try Self.kind(of: header.typeFlag, rawName: rawName, isSparse: overrides.isSparse)
        guard kind == .file || size == 0 else {
            throw TarError.invalidHeader(offset: offset, reason: "directory '\(TarPath.display(rawName))' carries data")
        }
        guard let path = try TarPath.normalize(rawName, isDirectory: kind == .directory, limits: limits) else {
            return  // the archive root: nothing to create
        }
        try paths.insert(path, kind: kind)
        if kind == .file {
            guard size <= limits.maxFileBytes - fileBytes else { throw TarError.tooLarge(limit: limits.maxFileBytes) }
            fileBytes += size
        }
        entryCount += 1
        let entry = TarEntry(path: path, kind: kind, size: size, mode: header.mode)
        try visitor.beginEntry(entry)
        if size > 0 {
            state = .data(entry, remaining: size)
        } else {
            try visitor.endEntry(entry)
        }
    }

    private static func kind(of typeFlag: UInt8, rawName: [UInt8], isSparse: Bool) throws(TarError) -> TarEntry.Kind {
        let name = TarPath.display(rawName)
        switch typeFlag {
        case _ where isSparse:
            throw .unsupportedEntry(name, type: "GNU sparse file")
        case TarHeader.TypeFlag.regular, TarHeader.TypeFlag.regularOld, TarHeader.TypeFlag.contiguous:
            // Pre-POSIX archives mark directories only by a trailing slash.
            return rawName.last == UInt8(ascii: "/") ? .directory : .file
        case TarHeader.TypeFlag.directory:
            return .directory
        case TarHeader.TypeFlag.hardLink:
            throw .hardLink(name)
        case TarHeader.TypeFlag.symlink:
            throw .symlink(name)
        case TarHeader.TypeFlag.characterDevice, TarHeader.TypeFlag.blockDevice:
            throw .device(name)
        case TarHeader.TypeFlag.fifo:
            throw .fifo(name)
        default:
            let printable = (0x21...0x7E).contains(typeFlag)
            throw .unsupportedEntry(name, type: printable ? "'\(Character(Unicode.Scalar(typeFlag)))'" : "byte \(typeFlag)")
        }
    }

    private static func padding(after size: Int) -> State {
        let remainder = size % TarHeader.blockSize
        return remainder == 0 ? .header : .padding(remaining: TarHeader.blockSize - remainder)
    }
}
