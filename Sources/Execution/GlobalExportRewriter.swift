/// Rewrites a module binary so that every hidden mutable global is also exported under a
/// reserved name, which lets a reused instance reset those globals after each request.
///
/// The rewrite only appends entries to the export section; code, indices and every other
/// section stay byte for byte. The input must have passed `ModuleShape` parsing.
enum GlobalExportRewriter {
    static let namePrefix = "__exthost_global_"

    static func exportName(ofGlobal index: UInt32) -> String { namePrefix + String(index) }

    /// The rewritten binary, or nil when it has no export section to extend (an ABI module always has one).
    static func exporting(globals: [UInt32], in wasm: [UInt8]) -> [UInt8]? {
        if globals.isEmpty { return wasm }
        var reader = ByteReader(bytes: wasm, position: 8)
        while reader.position < wasm.count {
            let sectionStart = reader.position
            guard let id = reader.byte(), let size = reader.leb128(), reader.position + Int(size) <= wasm.count else { return nil }
            let payloadStart = reader.position
            let payloadEnd = payloadStart + Int(size)
            guard id == exportSectionID else {
                reader.position = payloadEnd
                continue
            }
            var payload = ByteReader(bytes: wasm, position: payloadStart)
            guard let count = payload.leb128() else { return nil }
            var newPayload = leb128(count + UInt32(globals.count))
            newPayload += wasm[payload.position..<payloadEnd]
            for index in globals {
                let name = Array(exportName(ofGlobal: index).utf8)
                newPayload += leb128(UInt32(name.count)) + name + [globalExportKind] + leb128(index)
            }
            var result = Array(wasm[..<sectionStart])
            result += [exportSectionID] + leb128(UInt32(newPayload.count)) + newPayload
            result += wasm[payloadEnd...]
            return result
        }
        return nil
    }

    private static let exportSectionID: UInt8 = 7
    private static let globalExportKind: UInt8 = 3

    private static func leb128(_ value: UInt32) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7f)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }
}

/// Reads bytes and unsigned LEB128 numbers from a module binary, failing soft at the end.
private struct ByteReader {
    let bytes: [UInt8]
    var position: Int

    mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func leb128() -> UInt32? {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while shift < 35, let byte = byte() {
            result |= UInt32(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }
}
