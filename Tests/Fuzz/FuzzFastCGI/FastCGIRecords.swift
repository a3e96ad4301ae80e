/// Writes FastCGI records (FastCGI 1.0 spec §3, §5.1): a `FCGI_BEGIN_REQUEST` for a responder,
/// the name-value pairs cut into `FCGI_PARAMS` records at the given sizes (a cut may fall inside
/// a length or a name), the empty `FCGI_PARAMS` that ends them, and an empty `FCGI_STDIN`.
///
/// Invariant: the pair stream is well-formed: each length in the one-byte form only when below
/// 128 and when not asked for the four-byte form, which is valid for any length.
struct FastCGIRecords {
    private(set) var bytes: [UInt8] = []
    private var stream: [UInt8] = []

    mutating func addPair(name: [UInt8], value: [UInt8], longName: Bool, longValue: Bool) {
        appendLength(name.count, long: longName)
        appendLength(value.count, long: longValue)
        stream += name + value
    }

    private mutating func appendLength(_ length: Int, long: Bool) {
        if length < 128 && !long {
            stream.append(UInt8(length))
        } else {
            stream += [UInt8(length >> 24) | 0x80, UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        }
    }

    /// The records; `nextCut` gives each `FCGI_PARAMS` record's size (at least 1) and padding.
    mutating func finish(keepConnection: Bool, nextCut: () -> (size: Int, padding: Int)) -> [UInt8] {
        appendRecord(type: 1, content: [0, 1, keepConnection ? 1 : 0, 0, 0, 0, 0, 0], padding: 0)
        var offset = 0
        while offset < stream.count {
            let cut = nextCut()
            let end = min(stream.count, offset + max(1, min(cut.size, 0xFFFF)))
            appendRecord(type: 4, content: Array(stream[offset..<end]), padding: cut.padding)
            offset = end
        }
        appendRecord(type: 4, content: [], padding: 0)
        appendRecord(type: 5, content: [], padding: 0)
        return bytes
    }

    private mutating func appendRecord(type: UInt8, content: [UInt8], padding: Int) {
        let padding = min(padding, 255)
        bytes += [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(padding), 0]
        bytes += content + [UInt8](repeating: 0, count: padding)
    }
}
