import ExthostCore
/// Where a request body's bytes come from: the FastCGI stdin stream in production, memory in
/// unit tests.
public protocol ByteSource {
    /// Fills the front of `buffer`; returns the number of bytes written, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(RequestError) -> Int
}

/// The body of one request, read as a stream in caller-sized chunks and never loaded whole
/// unless the caller asks for it with a limit.
///
/// Invariant: when `CONTENT_LENGTH` was given, a body that ends early is reported as
/// `RequestError.bodyIncomplete` (the client went away), never as a short but valid body.
public final class RequestBody {
    public let expectedLength: Int?
    public private(set) var bytesRead = 0
    private var source: any ByteSource
    private var finished = false

    public init(source: any ByteSource, expectedLength: Int?) {
        self.source = source
        self.expectedLength = expectedLength
    }

    /// Reads the next chunk into the front of `buffer` (whose count is the chunk size); returns
    /// how many bytes arrived, 0 once the body is complete.
    public func read(into buffer: inout [UInt8]) throws(RequestError) -> Int {
        let result = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(RequestError) -> Int in try read(into: raw) }
        }
        return try result.get()
    }

    /// Like `read(into:)` for an array, into memory the caller owns (e.g. a store's upload buffer).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(RequestError) -> Int {
        if finished || buffer.isEmpty { return 0 }
        var wanted = buffer.count
        if let expected = expectedLength { wanted = min(wanted, expected - bytesRead) }
        if wanted == 0 {
            finished = true
            return 0
        }
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
        bytesRead += count
        if count == 0 {
            finished = true
            if let expected = expectedLength, bytesRead < expected {
                throw .bodyIncomplete(expected: expected, received: bytesRead)
            }
        }
        return count
    }

    /// Calls `body` with each chunk of at most `chunkSize` bytes, reusing one buffer.
    public func forEachChunk(
        chunkSize: Int = 64 * 1024,
        _ body: (ArraySlice<UInt8>) throws -> Void
    ) throws {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = try read(into: &buffer)
            if count == 0 { return }
            try body(buffer[0..<count])
        }
    }

    /// The whole body, for small documents such as JSON; fails beyond `limit` bytes without
    /// reading further.
    public func collect(limit: Int) throws(RequestError) -> [UInt8] {
        if let expected = expectedLength, expected > limit { throw .bodyTooLarge(limit: limit) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: min(64 * 1024, limit + 1))
        while true {
            let count = try read(into: &buffer)
            if count == 0 { return result }
            if result.count + count > limit { throw .bodyTooLarge(limit: limit) }
            result.append(contentsOf: buffer[0..<count])
        }
    }
}

/// A body held in memory: for tests and for requests built by hand.
public struct MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private let chunkLimit: Int

    public init(_ bytes: [UInt8], chunkLimit: Int = .max) {
        self.bytes = bytes
        self.chunkLimit = chunkLimit
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(RequestError) -> Int {
        let count = min(buffer.count, bytes.count - offset, chunkLimit)
        if count > 0 {
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
        }
        offset += count
        return count
    }
}
