import CZstd

/// A push-based encoder producing one zstd frame with a content checksum.
///
/// Invariants: owns one `ZSTD_CStream` and one output buffer of `ZSTD_CStreamOutSize()` bytes,
/// both freed in `deinit`; compression is single-threaded (`ZSTD_c_nbWorkers` 0), so the same
/// input at the same level always yields the same bytes; `finish` ends the frame and may be
/// called once; once a call has thrown, every later call throws the same error.
public final class ZstdCompressor {
    public let level: Int32

    private let stream: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false
    private var failure: (any Error)?

    public init(level: Int32) throws {
        guard let stream = ZSTD_createCStream() else { fatalError("ZSTD_createCStream: out of memory") }
        self.stream = stream
        self.level = level
        self.output = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
        try check(ZSTD_CCtx_setParameter(stream, ZSTD_c_compressionLevel, level))
        try check(ZSTD_CCtx_setParameter(stream, ZSTD_c_checksumFlag, 1))
        try check(ZSTD_CCtx_setParameter(stream, ZSTD_c_nbWorkers, 0))
    }

    deinit {
        ZSTD_freeCStream(stream)
        output.deallocate()
    }

    /// Compresses `input`, pushing any compressed bytes that are ready to `sink`.
    public func feed(_ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "ZstdCompressor.feed after finish")
        guard input.count > 0 else { return }
        try run(input, directive: ZSTD_e_continue, to: sink)
    }

    /// Ends the frame (epilogue and checksum included) and pushes the remaining bytes to `sink`.
    public func finish(to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "ZstdCompressor.finish called twice")
        try run(UnsafeRawBufferPointer(start: nil, count: 0), directive: ZSTD_e_end, to: sink)
        finished = true
    }

    private func run(
        _ input: UnsafeRawBufferPointer,
        directive: ZSTD_EndDirective,
        to sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if let failure { throw failure }
        do {
            var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            var remaining = 1
            // `continue` is done once the input is consumed; `end` once nothing is left to flush.
            while directive == ZSTD_e_end ? remaining != 0 : source.pos < source.size {
                var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
                remaining = ZSTD_compressStream2(stream, &target, &source, directive)
                try check(remaining)
                if target.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[..<target.pos])) }
            }
        } catch {
            failure = error
            throw error
        }
    }

    private func check(_ result: Int) throws {
        if ZSTD_isError(result) != 0 {
            throw ZstdError.compressionFailed(reason: String(cString: ZSTD_getErrorName(result)))
        }
    }
}
