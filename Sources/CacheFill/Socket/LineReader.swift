/// Splits what a socket delivers into `\n`-terminated lines of bounded length.
///
/// Invariant: `pending` never holds more than `maxLineBytes` bytes without a newline, so a peer
/// that never ends its line cannot make the reader grow.
struct LineReader {
    enum Next: Equatable {
        case line(String)
        /// The peer closed the connection (any unterminated bytes are dropped).
        case closed
        /// More than `maxLineBytes` arrived without a newline.
        case tooLong
    }

    private let socket: UnixSocket
    private let maxLineBytes: Int
    private var pending: [UInt8] = []

    init(socket: UnixSocket, maxLineBytes: Int) {
        self.socket = socket
        self.maxLineBytes = maxLineBytes
    }

    /// The next line without its `\n` (and without a `\r` before it, for people typing into nc).
    mutating func next(deadline: ContinuousClock.Instant) throws(UnixSocketError) -> Next {
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var line = pending[..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                let text = String(decoding: line, as: UTF8.self)
                pending.removeSubrange(...newline)
                return .line(text)
            }
            if pending.count > maxLineBytes { return .tooLong }
            let count = try chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(UnixSocketError) in try socket.read(into: buffer, deadline: deadline) }
            }.get()
            if count == 0 { return .closed }
            pending.append(contentsOf: chunk[..<count])
        }
    }
}
