/// Whole-buffer conveniences for small inputs (tests, fixtures); streams should use `feed`.
extension ZstdDecompressor {
    public static func decompress(_ bytes: [UInt8], maxOutputBytes: Int) throws -> [UInt8] {
        let decompressor = ZstdDecompressor(maxOutputBytes: maxOutputBytes)
        var result: [UInt8] = []
        try bytes.withUnsafeBytes { input in
            try decompressor.feed(input) { result.append(contentsOf: $0) }
        }
        try decompressor.finish()
        return result
    }
}

extension ZstdCompressor {
    public static func compress(_ bytes: [UInt8], level: Int32) throws -> [UInt8] {
        let compressor = try ZstdCompressor(level: level)
        var result: [UInt8] = []
        try bytes.withUnsafeBytes { input in
            try compressor.feed(input) { result.append(contentsOf: $0) }
        }
        try compressor.finish { result.append(contentsOf: $0) }
        return result
    }
}
