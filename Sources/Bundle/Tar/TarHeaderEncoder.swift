/// Builds the header blocks `TarWriter` emits: ustar with fixed, owner-free fields, plus pax
/// records for what ustar cannot hold.
enum TarHeaderEncoder {
    typealias Field = TarHeader.Field

    /// The largest size an 11-digit octal field holds (8 GiB - 1); larger sizes go in pax.
    static let maxOctalSize = 0o77777777777
    /// A fixed name for pax headers (the one Python's tarfile uses), so output is reproducible.
    static let paxHeaderName: [UInt8] = Array("././@PaxHeader".utf8)

    /// A ustar header block: mtime 0, uid/gid 0, no owner names.
    static func header(name: [UInt8], prefix: [UInt8] = [], mode: UInt32, size: Int, typeFlag: UInt8) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
        put(name.prefix(Field.name.count), at: Field.name, in: &block)
        put(octal(Int(mode), width: Field.mode.count), at: Field.mode, in: &block)
        put(octal(0, width: Field.uid.count), at: Field.uid, in: &block)
        put(octal(0, width: Field.gid.count), at: Field.gid, in: &block)
        put(octal(min(size, maxOctalSize), width: Field.size.count), at: Field.size, in: &block)
        put(octal(0, width: Field.mtime.count), at: Field.mtime, in: &block)
        block[Field.typeFlag] = typeFlag
        put(TarHeader.posixMagic[...], at: Field.magic, in: &block)
        put(Array("00".utf8)[...], at: Field.version, in: &block)
        put(octal(0, width: Field.devMajor.count), at: Field.devMajor, in: &block)
        put(octal(0, width: Field.devMinor.count), at: Field.devMinor, in: &block)
        put(prefix.prefix(Field.prefix.count), at: Field.prefix, in: &block)

        let checksum = block.withUnsafeBytes { TarHeader.checksums(of: $0)[0] }
        // Six digits, NUL, space: the layout GNU tar writes.
        put(octal(checksum, width: 7) + [UInt8(ascii: " ")], at: Field.checksum, in: &block)
        return block
    }

    /// Splits `path` into ustar (prefix, name), or nil when it does not fit and needs pax.
    static func splitForUstar(_ path: [UInt8]) -> (prefix: [UInt8], name: [UInt8])? {
        if path.count <= Field.name.count { return ([], path) }
        // The name part is at most 100 bytes and the prefix at most 155, split at a slash.
        let earliestSlash = path.count - Field.name.count - 1
        for index in path.indices where index >= earliestSlash && path[index] == UInt8(ascii: "/") {
            guard index <= Field.prefix.count else { return nil }
            let name = Array(path[(index + 1)...])
            return name.isEmpty ? nil : (Array(path[..<index]), name)
        }
        return nil
    }

    /// One pax record, `"<length> <key>=<value>\n"`, where the length counts itself.
    static func paxRecord(key: String, value: [UInt8]) -> [UInt8] {
        let body = Array(" \(key)=".utf8) + value + [UInt8(ascii: "\n")]
        var length = body.count + 1
        while String(length).utf8.count + body.count != length { length = String(length).utf8.count + body.count }
        return Array(String(length).utf8) + body
    }

    static func padding(after size: Int) -> Int {
        (TarHeader.blockSize - size % TarHeader.blockSize) % TarHeader.blockSize
    }

    /// `value` in octal, zero-padded to `width - 1` digits and NUL-terminated.
    private static func octal(_ value: Int, width: Int) -> [UInt8] {
        let digits = Array(String(value, radix: 8).utf8)
        precondition(digits.count < width, "value \(value) does not fit a \(width)-byte octal field")
        return [UInt8](repeating: UInt8(ascii: "0"), count: width - 1 - digits.count) + digits + [0]
    }

    private static func put(_ bytes: some Collection<UInt8>, at field: Range<Int>, in block: inout [UInt8]) {
        precondition(bytes.count <= field.count)
        block.replaceSubrange(field.lowerBound..<(field.lowerBound + bytes.count), with: bytes)
    }
}
