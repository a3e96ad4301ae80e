/// The fields of one 512-byte ustar/GNU header block that the reader acts on.
///
/// Invariants: the block carried the `ustar` magic and a valid checksum; `name` is the raw name
/// (POSIX `prefix/name` joined; trailing NULs removed, embedded NULs kept so that the path check
/// can reject them).
struct TarHeader {
    static let blockSize = 512

    enum TypeFlag {
        static let regular = UInt8(ascii: "0")
        static let regularOld: UInt8 = 0
        static let hardLink = UInt8(ascii: "1")
        static let symlink = UInt8(ascii: "2")
        static let characterDevice = UInt8(ascii: "3")
        static let blockDevice = UInt8(ascii: "4")
        static let directory = UInt8(ascii: "5")
        static let fifo = UInt8(ascii: "6")
        static let contiguous = UInt8(ascii: "7")
        static let paxExtended = UInt8(ascii: "x")
        static let paxGlobal = UInt8(ascii: "g")
        static let gnuLongName = UInt8(ascii: "L")
        static let gnuLongLink = UInt8(ascii: "K")
    }

    /// Byte ranges of the ustar fields.
    enum Field {
        static let name = 0..<100
        static let mode = 100..<108
        static let uid = 108..<116
        static let gid = 116..<124
        static let size = 124..<136
        static let mtime = 136..<148
        static let checksum = 148..<156
        static let typeFlag = 156
        static let linkName = 157..<257
        static let magic = 257..<263
        static let version = 263..<265
        static let uname = 265..<297
        static let gname = 297..<329
        static let devMajor = 329..<337
        static let devMinor = 337..<345
        static let prefix = 345..<500
    }

    static let posixMagic: [UInt8] = Array("ustar\0".utf8)
    static let gnuMagic: [UInt8] = Array("ustar ".utf8)

    let name: [UInt8]
    let mode: UInt32
    let size: Int
    let typeFlag: UInt8

    static func isZero(_ block: UnsafeRawBufferPointer) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Parses `block`; `offset` (its position in the archive) only serves error messages.
    init(parsing block: UnsafeRawBufferPointer, offset: Int) throws(TarError) {
        func invalid(_ reason: String) -> TarError { .invalidHeader(offset: offset, reason: reason) }

        let magic = Array(block[Field.magic])
        let isPOSIX = magic == Self.posixMagic
        guard isPOSIX || magic == Self.gnuMagic else { throw invalid("not a ustar header (bad magic)") }

        guard let stored = Self.number(block[Field.checksum]) else { throw invalid("unreadable checksum") }
        guard Self.checksums(of: block).contains(stored) else { throw invalid("checksum mismatch") }

        guard let mode = Self.number(block[Field.mode]), mode <= 0o7777777 else { throw invalid("unreadable mode") }
        guard let size = Self.number(block[Field.size]) else { throw invalid("unreadable size") }

        // GNU headers keep access/change times where POSIX keeps the prefix.
        let name = Self.string(block[Field.name])
        let prefix = isPOSIX ? Self.string(block[Field.prefix]) : []
        self.name = prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
        self.mode = UInt32(mode & 0o7777)
        self.size = size
        self.typeFlag = block[Field.typeFlag]
    }

    /// A NUL-padded string field without its padding; bytes after an embedded NUL are kept.
    static func string(_ field: Slice<UnsafeRawBufferPointer>) -> [UInt8] {
        guard let last = field.lastIndex(where: { $0 != 0 }) else { return [] }
        return Array(field[...last])
    }

    /// An octal field (optionally space-padded, NUL- or space-terminated), or GNU base-256 for
    /// large values; nil when malformed, negative or not representable.
    static func number(_ field: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 { return base256(field) }
        var value = 0
        var index = field.startIndex
        while index < field.endIndex, field[index] == UInt8(ascii: " ") { index += 1 }
        while index < field.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(field[index]) {
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 8)
            guard !overflow else { return nil }
            value = shifted + Int(field[index] - UInt8(ascii: "0"))
            index += 1
        }
        let terminators: [UInt8] = [0, UInt8(ascii: " ")]
        guard field[index...].allSatisfy({ terminators.contains($0) }) else { return nil }
        return value
    }

    private static func base256(_ field: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard field.first == 0x80 else { return nil }  // 0xFF marks a negative number
        var value = 0
        for byte in field.dropFirst() {
            guard value <= Int.max >> 8 else { return nil }
            value = value << 8 | Int(byte)
        }
        return value
    }

    /// The unsigned and the historic signed sums, with the checksum field counted as spaces.
    static func checksums(of block: UnsafeRawBufferPointer) -> [Int] {
        var unsigned = 0
        var signed = 0
        for (index, byte) in block.enumerated() {
            let counted = Field.checksum.contains(index) ? UInt8(ascii: " ") : byte
            unsigned += Int(counted)
            signed += Int(Int8(bitPattern: counted))
        }
        return [unsigned, signed]
    }
}
