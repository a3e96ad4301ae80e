import Bundle

/// The body of `fuzz-tar`: an input starting with the zstd frame magic is a bundle (zstd + tar,
/// read by `BundleStream`, `BundleScanner` and `BundleManifestReader`), anything else a raw tar
/// archive read by `TarReader`.
///
/// Each input is read twice, once in one piece and once in small chunks, and the two readings
/// must agree (see `Outcome.agrees(with:isBundle:)`): the readers promise that chunking does not
/// change what is accepted.
enum TarFuzzing {
    /// Small limits, so that every limit is reachable from a short input and no run spends its
    /// time on megabytes of declared data.
    static let limits = TarLimits(
        maxEntries: 64,
        maxFileBytes: 1 << 20,
        maxPathBytes: 1024,
        maxPathDepth: 16,
        maxExtendedHeaderBytes: 16 << 10
    )

    static let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    static func run(_ input: UnsafeRawBufferPointer) {
        let isBundle = input.starts(with: zstdMagic)
        let whole = read(input, chunkSize: max(input.count, 1), isBundle: isBundle)
        let chunked = read(input, chunkSize: chunkSize(for: input), isBundle: isBundle)
        require(whole.agrees(with: chunked, isBundle: isBundle), "chunking changed the result: \(whole) vs \(chunked)")
        if isBundle { checkScanners(input, agreeWith: whole) }
    }

    /// An odd size (1...511), so consecutive chunks split headers and data at every offset; it
    /// follows the input's length, which the fuzzer varies freely.
    static func chunkSize(for input: UnsafeRawBufferPointer) -> Int {
        1 + 2 * (input.count % 256)
    }

    /// What one reading produced, to compare two readings of the same input.
    struct Outcome: Equatable, CustomStringConvertible {
        var records: [RecordingVisitor.Record]
        var digest: BundleDigest?
        var failure: String?

        var description: String { "\(records.count) entries, digest \(digest?.contentHash.description ?? "-"), error \(failure ?? "none")" }

        /// Tar bytes are processed the same way however they are split, so two readings are
        /// identical. Not so where the zstd frame fails: a decoder given the whole input may
        /// decode a block and find the frame corrupt (or over its cap) in the same call, and
        /// then hand out none of that block, while chunked input lets the block through first.
        /// So when a frame error is involved, both readings must fail, one with a prefix of the
        /// other's entries, and either may report the archive's error instead of the frame's.
        func agrees(with other: Outcome, isBundle: Bool) -> Bool {
            guard isBundle, isFrameFailure || other.isFrameFailure else { return self == other }
            let isPrefix = records.starts(with: other.records) || other.records.starts(with: records)
            return failure != nil && other.failure != nil && isPrefix
        }

        var isFrameFailure: Bool { failure?.hasPrefix("ZstdError.") == true }
    }

    static func read(_ input: UnsafeRawBufferPointer, chunkSize: Int, isBundle: Bool) -> Outcome {
        let visitor = RecordingVisitor(limits: limits)
        var digest: BundleDigest?
        let failure: String?
        if isBundle {
            let stream = BundleStream(visitor: visitor, limits: limits)
            failure = feed(input, chunkSize: chunkSize, to: stream.feed) { digest = try stream.finish() }
            if failure == nil { visitor.checkCompleteArchive(entryCount: stream.entryCount, fileBytes: stream.fileBytes) }
        } else {
            let reader = TarReader(limits: limits, visitor: visitor)
            failure = feed(input, chunkSize: chunkSize, to: reader.feed, finish: reader.finish)
            if failure == nil { visitor.checkCompleteArchive(entryCount: reader.entryCount, fileBytes: reader.fileBytes) }
        }
        if let digest { require(digest.size == input.count, "the digest covers \(digest.size) of \(input.count) bytes") }
        return Outcome(records: visitor.records, digest: digest, failure: failure)
    }

    /// Feeds `input` in pieces of `chunkSize` bytes, then finishes; returns the error, if any.
    /// Finishing a second time must give the same answer: a reader that failed keeps failing the
    /// same way, and a complete archive stays complete.
    static func feed(
        _ input: UnsafeRawBufferPointer,
        chunkSize: Int,
        to feed: (UnsafeRawBufferPointer) throws -> Void,
        finish: () throws -> Void
    ) -> String? {
        func attempt(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch {
                return "\(type(of: error)).\(error)"
            }
        }
        let first = attempt {
            for start in stride(from: 0, to: input.count, by: chunkSize) {
                try feed(UnsafeRawBufferPointer(rebasing: input[start..<min(start + chunkSize, input.count)]))
            }
            try finish()
        }
        let again = attempt(finish)
        require(first == again, "finish() after \(first ?? "success") gave \(again ?? "success")")
        return first
    }
}
