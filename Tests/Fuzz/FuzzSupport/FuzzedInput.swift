/// Turns a fuzz input into a sequence of decisions and values, so that one byte string drives a
/// whole structured test case and every mutation of it is a nearby test case.
///
/// Invariant: reading never fails; once the bytes run out every read answers zero, false or
/// empty, so any input, even the empty one, yields a complete (small) case.
public struct FuzzedInput {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ data: UnsafeRawBufferPointer) {
        bytes = Array(data)
    }

    public var isExhausted: Bool { position >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A value in `0..<count` (`count` at most 65536), from one byte or two.
    public mutating func int(below count: Int) -> Int {
        precondition(count > 0 && count <= 1 << 16, "FuzzedInput.int(below:) needs 1...65536")
        let raw = count <= 256 ? Int(byte()) : Int(byte()) << 8 | Int(byte())
        return raw % count
    }

    /// Up to `maxCount` bytes, their number taken from the input first.
    public mutating func bytes(upTo maxCount: Int) -> [UInt8] {
        let count = min(int(below: min(maxCount, 1 << 16) + 1), bytes.count - min(position, bytes.count))
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// Up to `maxBytes` bytes as text (invalid UTF-8 repaired, as `String(decoding:)` does).
    public mutating func text(upTo maxBytes: Int) -> String {
        String(decoding: bytes(upTo: maxBytes), as: UTF8.self)
    }

    /// Up to `maxCount` characters, each one of `alphabet`.
    public mutating func text(upTo maxCount: Int, from alphabet: [UInt8]) -> String {
        String(decoding: bytes(upTo: maxCount).map { alphabet[Int($0) % alphabet.count] }, as: UTF8.self)
    }

    /// Whatever is left.
    public mutating func rest() -> [UInt8] {
        defer { position = bytes.count }
        return position < bytes.count ? Array(bytes[position...]) : []
    }
}
