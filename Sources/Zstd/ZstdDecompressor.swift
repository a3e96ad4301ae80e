import CZstd

/// A push-based decoder of exactly one zstd frame whose decompressed size is capped.
///
/// Invariants: owns one `ZSTD_DStream` and one output buffer of `ZSTD_DStreamOutSize()` bytes,
/// both freed in `deinit`, so memory does not depend on the input or on the output size; no byte
/// beyond `maxOutputBytes` ever reaches a sink; once a call has thrown, every later call throws
/// the same error.
public final class ZstdDecompressor {
    /// libzstd's own default window limit (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`, 128 MiB): frames made
    /// by `zstd --ultra -22` still decode, and a frame cannot make us allocate more than this.
    public static let defaultMaxWindowLog: Int32 = 27

    public let maxOutputBytes: Int
    /// Decompressed bytes handed to sinks so far.
    public private(set) var outputBytes = 0

    private let stream: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var frameEnded = false
    private var failure: (any Error)?

    public init(maxOutputBytes: Int, maxWindowLog: Int32 = ZstdDecompressor.defaultMaxWindowLog) {
        precondition(maxOutputBytes >= 0, "maxOutputBytes must not be negative")
        guard let stream = ZSTD_createDStream() else { fatalError("ZSTD_createDStream: out of memory") }
        let status = ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, maxWindowLog)
        precondition(ZSTD_isError(status) == 0, "invalid zstd window log \(maxWindowLog)")
        self.stream = stream
        self.maxOutputBytes = maxOutputBytes
        self.output = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDStream(stream)
        output.deallocate()
    }

    /// Decodes `input` and pushes every decompressed chunk to `sink` before returning.
    public func feed(_ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let failure { throw failure }
        guard input.count > 0 else { return }
        do {
            try decode(input, to: sink)
        } catch {
            failure = error
            throw error
        }
    }

    /// Declares the end of the input: throws `truncated` unless one whole frame was decoded.
    public func finish() throws {
        if let failure { throw failure }
        guard frameEnded else {
            failure = ZstdError.truncated
            throw ZstdError.truncated
        }
    }

    private func decode(_ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if frameEnded { throw ZstdError.trailingData }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let hint = ZSTD_decompressStream(stream, &target, &source)
            if ZSTD_isError(hint) != 0 {
                throw ZstdError.corrupt(reason: String(cString: ZSTD_getErrorName(hint)))
            }
            if target.pos > 0 { try deliver(byteCount: target.pos, to: sink) }
            if hint == 0 {
                // The frame is complete and flushed: anything left over is a second frame or garbage.
                frameEnded = true
                if source.pos < source.size { throw ZstdError.trailingData }
                return
            }
            // A full output buffer may hide more pending output even when all input is consumed.
            if source.pos == source.size && target.pos < target.size { return }
        }
    }

    private func deliver(byteCount: Int, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard byteCount <= maxOutputBytes - outputBytes else {
            throw ZstdError.tooLargeExpanded(limit: maxOutputBytes)
        }
        outputBytes += byteCount
        try sink(UnsafeRawBufferPointer(rebasing: output[..<byteCount]))
    }
}
