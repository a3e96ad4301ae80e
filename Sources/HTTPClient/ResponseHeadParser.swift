/// Assembles the head of the final response from the header lines curl hands over one by one.
///
/// Invariants: an interim (1xx) block is discarded when its blank line arrives, so only the
/// final response's fields are returned; the fields kept never exceed `maxFieldCount` entries
/// or `maxHeadBytes` bytes, so a hostile server cannot make the head grow without bound.
struct ResponseHeadParser {
    enum Outcome {
        case needMore
        case complete(HTTPResponseHead)
        case invalid(reason: String)
    }

    static let maxFieldCount = 256
    static let maxHeadBytes = 256 << 10

    private var status: Int?
    private var headers: [(name: String, value: String)] = []
    private var headBytes = 0

    mutating func consume(_ rawLine: UnsafeRawBufferPointer) -> Outcome {
        let line = Self.trimmingLineEnd(rawLine)
        headBytes += line.count
        guard headBytes <= Self.maxHeadBytes else { return .invalid(reason: "the response head is too large") }
        if line.isEmpty { return endOfBlock() }
        if line.starts(with: "HTTP/".utf8) { return statusLine(line) }
        guard status != nil else { return .invalid(reason: "a header field arrived before the status line") }
        if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") { return continuation(line) }
        return field(line)
    }

    /// The head received so far, if a status line arrived.
    func partialHead() -> HTTPResponseHead? {
        status.map { HTTPResponseHead(status: $0, headers: headers) }
    }

    private mutating func endOfBlock() -> Outcome {
        guard let status else { return .invalid(reason: "a blank line arrived before the status line") }
        // 101 is never asked for (no Upgrade is sent), so it is handed over as final.
        if status >= 100 && status < 200 && status != 101 {
            self.status = nil
            headers.removeAll()
            return .needMore
        }
        return .complete(HTTPResponseHead(status: status, headers: headers))
    }

    private mutating func statusLine(_ line: UnsafeRawBufferPointer.SubSequence) -> Outcome {
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[1].count == 3, parts[1].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let code = Int(String(decoding: parts[1], as: UTF8.self)), code >= 100
        else {
            return .invalid(reason: "malformed status line")
        }
        status = code
        headers.removeAll()
        return .needMore
    }

    private mutating func field(_ line: UnsafeRawBufferPointer.SubSequence) -> Outcome {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon != line.startIndex else {
            return .invalid(reason: "malformed header field")
        }
        guard headers.count < Self.maxFieldCount else { return .invalid(reason: "too many header fields") }
        let name = String(decoding: line[..<colon], as: UTF8.self)
        let value = String(decoding: Self.trimmingWhitespace(line[(colon + 1)...]), as: UTF8.self)
        headers.append((name: name, value: value))
        return .needMore
    }

    /// An obsolete folded line continues the previous field's value.
    private mutating func continuation(_ line: UnsafeRawBufferPointer.SubSequence) -> Outcome {
        guard !headers.isEmpty else { return .invalid(reason: "a folded header line has no field to continue") }
        let more = String(decoding: Self.trimmingWhitespace(line), as: UTF8.self)
        headers[headers.count - 1].value += headers[headers.count - 1].value.isEmpty ? more : " " + more
        return .needMore
    }

    private static func trimmingLineEnd(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence {
        var end = line.endIndex
        while end > line.startIndex, line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return line[..<end]
    }

    private static func trimmingWhitespace(_ bytes: UnsafeRawBufferPointer.SubSequence) -> UnsafeRawBufferPointer.SubSequence {
        let isWhitespace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isWhitespace($0) }) else { return bytes[bytes.endIndex...] }
        let last = bytes.lastIndex(where: { !isWhitespace($0) })!
        return bytes[first...last]
    }
}
