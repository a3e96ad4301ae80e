/// The bytes to store under a key: held in memory (small; hashed and resendable) or pulled from
/// a source of known length (large; sent once, never buffered).
public enum ObjectBody {
    case bytes([UInt8])
    /// `source` fills a prefix of the buffer and returns how many bytes it wrote; it is asked
    /// for exactly `length` bytes in total and cannot be rewound.
    case stream(length: Int64, source: (UnsafeMutableRawBufferPointer) throws -> Int)

    public var length: Int64 {
        switch self {
        case .bytes(let bytes): Int64(bytes.count)
        case .stream(let length, _): length
        }
    }

    /// Whether a failed attempt can be sent again with the same bytes.
    public var isReplayable: Bool {
        if case .bytes = self { return true }
        return false
    }
}

/// What the store knows about one object without reading it.
public struct StoredObject: Sendable, Equatable {
    public let key: String
    public let size: Int64
    /// As the store returns it, quotes included (`"…"`); multipart objects end in `-<parts>`.
    public let etag: String
    /// As the store returns it (HTTP date for HEAD, ISO 8601 in listings).
    public let lastModified: String

    public init(key: String, size: Int64, etag: String, lastModified: String) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}
