import WasmKit

/// Bounds-checked access to a guest's linear memory from the host.
///
/// WasmKit's buffer accessors trap the whole process on an out-of-bounds range, so every
/// method here checks `offset + count` against the current size first (in 64-bit arithmetic,
/// so guest-chosen values cannot overflow) and answers nil/false instead. This is the only file
/// that touches guest memory through raw buffers.
extension Memory {
    func contains(offset: UInt32, count: UInt32) -> Bool {
        UInt64(offset) + UInt64(count) <= UInt64(byteCount)
    }

    func bytes(at offset: UInt32, count: UInt32) -> [UInt8]? {
        guard contains(offset: offset, count: count) else { return nil }
        if count == 0 { return [] }
        return withUnsafeBufferPointer(offset: UInt(offset), count: Int(count)) { Array($0) }
    }

    /// Calls `body` with the guest bytes in place (no copy), or answers nil when out of bounds.
    func withBytes<T>(at offset: UInt32, count: UInt32, _ body: (UnsafeRawBufferPointer) -> T) -> T? {
        guard contains(offset: offset, count: count) else { return nil }
        if count == 0 { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return withUnsafeBufferPointer(offset: UInt(offset), count: Int(count), body)
    }

    @discardableResult
    func write(_ bytes: some Collection<UInt8>, at offset: UInt32) -> Bool {
        guard bytes.count <= UInt32.max, contains(offset: offset, count: UInt32(bytes.count)) else { return false }
        if bytes.isEmpty { return true }
        withUnsafeMutableBufferPointer(offset: UInt(offset), count: bytes.count) { buffer in
            buffer.copyBytes(from: bytes)
        }
        return true
    }

    func loadUInt32(at offset: UInt32) -> UInt32? {
        guard let raw = bytes(at: offset, count: 4) else { return nil }
        return raw.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    @discardableResult
    func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: UInt32) -> Bool {
        write((0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }, at: offset)
    }

    /// A copy of the whole memory, for the post-instantiation snapshot.
    func snapshot() -> [UInt8] {
        bytes(at: 0, count: UInt32(clamping: byteCount)) ?? []
    }

    /// Writes `snapshot` back over the start of memory; false when memory is now a different size.
    func restore(_ snapshot: [UInt8]) -> Bool {
        guard snapshot.count == byteCount else { return false }
        return write(snapshot, at: 0)
    }
}
