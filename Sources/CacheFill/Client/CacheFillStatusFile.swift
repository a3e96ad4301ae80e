import Glibc
import JSON

/// The daemon's status line as another process on the node reads it (the runner exports it as
/// metrics): counters since the daemon started and the tree's figures when it was written.
///
/// Invariant: only a file that parses as the daemon's one-line JSON object yields a value;
/// anything else (missing, partial, unreadable) is nil, never a guess.
public struct CacheFillStatusFile: Sendable, Equatable {
    /// Unix time the line was written; the daemon rewrites it whenever something changes.
    public var updated: Int
    public var pid: Int
    public var ready: Bool
    public var fills: Int
    public var failures: Int
    public var requests: Int
    public var evictions: Int
    public var bytes: Int
    public var maxBytes: Int?
    public var trees: Int
    public var lastReconcile: Int?

    static let maxBytesRead = 64 << 10

    /// The status at `path`, or nil when it cannot be read or does not parse.
    public static func read(_ path: String) -> CacheFillStatusFile? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: maxBytesRead)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        guard filled < bytes.count, let document = try? JSONValue.parse(Array(bytes[..<filled])) else { return nil }
        return CacheFillStatusFile(document)
    }

    init?(_ document: JSONValue) {
        func number(_ name: String) -> Int? { document[name]?.numberValue?.intValue }
        guard let updated = number("updated"), let pid = number("pid"), let ready = document["ready"]?.boolValue,
              let fills = number("fills"), let failures = number("failures"), let requests = number("requests"),
              let evictions = number("evictions"), let bytes = number("bytes"), let trees = number("trees")
        else { return nil }
        self.updated = updated
        self.pid = pid
        self.ready = ready
        self.fills = fills
        self.failures = failures
        self.requests = requests
        self.evictions = evictions
        self.bytes = bytes
        self.maxBytes = number("maxBytes")
        self.trees = trees
        self.lastReconcile = number("lastReconcile")
    }
}
