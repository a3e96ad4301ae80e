import ExthostCore
import Testing
import Zstd

/// Bytes that compress, but not to nothing: a repeating text with a counter.
private func sampleBytes(_ count: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    var line = 0
    while bytes.count < count {
        bytes += Array("line \(line) of the sample, \(line * 7919 % 1000)\n".utf8)
        line += 1
    }
    return Array(bytes.prefix(count))
}

/// Feeds `input` in pieces of `chunkSize` bytes and collects the output.
private func decompress(_ input: [UInt8], chunkSize: Int, maxOutputBytes: Int = 1 << 30) throws -> [UInt8] {
    let decompressor = ZstdDecompressor(maxOutputBytes: maxOutputBytes)
    var output: [UInt8] = []
    var start = 0
    while start < input.count {
        let end = min(start + chunkSize, input.count)
        try input[start..<end].withUnsafeBytes { try decompressor.feed($0) { output += $0 } }
        start = end
    }
    try decompressor.finish()
    return output
}

private func compress(_ input: [UInt8], chunkSize: Int, level: Int32 = 3) throws -> [UInt8] {
    let compressor = try ZstdCompressor(level: level)
    var output: [UInt8] = []
    var start = 0
    while start < input.count {
        let end = min(start + chunkSize, input.count)
        try input[start..<end].withUnsafeBytes { try compressor.feed($0) { output += $0 } }
        start = end
    }
    try compressor.finish { output += $0 }
    return output
}

@Test(arguments: [0, 1, 1000, 300_000])
func roundTripInAnyChunking(size: Int) throws {
    let original = sampleBytes(size)
    let compressed = try ZstdCompressor.compress(original, level: 12)
    #expect(try ZstdDecompressor.decompress(compressed, maxOutputBytes: size) == original)
    for chunkSize in [1, 7, 4096] where size <= 1000 || chunkSize > 1 {
        #expect(try decompress(compressed, chunkSize: chunkSize) == original)
    }
}

@Test func compressedBytesDoNotDependOnInputChunking() throws {
    let original = sampleBytes(400_000)
    let whole = try compress(original, chunkSize: original.count, level: 12)
    #expect(try compress(original, chunkSize: 7, level: 12) == whole)
    #expect(try compress(original, chunkSize: 100_000, level: 12) == whole)
    #expect(try compress(original, chunkSize: 1 << 20, level: 12) == whole)
    #expect(try compress(original, chunkSize: 1 << 20, level: 3) != whole)
}

@Test func frameCarriesAChecksum() throws {
    let compressed = try ZstdCompressor.compress(sampleBytes(1000), level: 3)
    // Frame header descriptor byte after the 4-byte magic: bit 2 is Content_Checksum_flag.
    #expect(compressed[4] & 0x04 != 0)
}

@Test func decompressionBombStopsAtTheCapWithoutMaterialisingTheOutput() throws {
    // 1 GiB of zeros compresses to a few tens of KiB.
    let compressor = try ZstdCompressor(level: 1)
    var bomb: [UInt8] = []
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    for _ in 0..<1024 {
        try zeros.withUnsafeBytes { try compressor.feed($0) { bomb += $0 } }
    }
    try compressor.finish { bomb += $0 }
    #expect(bomb.count < 200_000)

    let cap = 10 << 20
    let decompressor = ZstdDecompressor(maxOutputBytes: cap)
    var delivered = 0
    var largestChunk = 0
    let clock = ContinuousClock()
    let started = clock.now
    #expect(throws: ZstdError.tooLargeExpanded(limit: cap)) {
        try bomb.withUnsafeBytes { input in
            try decompressor.feed(input) { chunk in
                delivered += chunk.count
                largestChunk = max(largestChunk, chunk.count)
            }
        }
    }
    #expect(delivered <= cap)
    #expect(delivered > cap - (1 << 18))
    #expect(largestChunk <= 1 << 18)
    #expect(clock.now - started < .seconds(2))
    // The decoder stays failed.
    #expect(throws: ZstdError.tooLargeExpanded(limit: cap)) { try decompressor.finish() }
}

@Test func capEqualToTheOutputSizeIsAccepted() throws {
    let original = sampleBytes(5000)
    let compressed = try ZstdCompressor.compress(original, level: 3)
    #expect(try ZstdDecompressor.decompress(compressed, maxOutputBytes: 5000) == original)
    #expect(throws: ZstdError.tooLargeExpanded(limit: 4999)) {
        try ZstdDecompressor.decompress(compressed, maxOutputBytes: 4999)
    }
}

@Test func truncatedFrameIsRejected() throws {
    let compressed = try ZstdCompressor.compress(sampleBytes(100_000), level: 3)
    for cut in [1, 4, compressed.count / 2, compressed.count - 1] {
        #expect(throws: ZstdError.truncated) {
            try ZstdDecompressor.decompress(Array(compressed.prefix(cut)), maxOutputBytes: 1 << 20)
        }
    }
    #expect(throws: ZstdError.truncated) { try ZstdDecompressor.decompress([], maxOutputBytes: 1 << 20) }
}

@Test func bytesAfterTheFrameAreRejected() throws {
    let compressed = try ZstdCompressor.compress(sampleBytes(10_000), level: 3)
    #expect(throws: ZstdError.trailingData) {
        try ZstdDecompressor.decompress(compressed + [0], maxOutputBytes: 1 << 20)
    }
    // A second, valid frame is trailing data too, also when it arrives in a later chunk.
    let decompressor = ZstdDecompressor(maxOutputBytes: 1 << 20)
    try compressed.withUnsafeBytes { try decompressor.feed($0) { _ in } }
    #expect(throws: ZstdError.trailingData) {
        try compressed.withUnsafeBytes { try decompressor.feed($0) { _ in } }
    }
}

@Test func corruptedBytesAreRejected() throws {
    let compressed = try ZstdCompressor.compress(sampleBytes(10_000), level: 3)
    var badMagic = compressed
    badMagic[0] ^= 0xFF
    var badChecksum = compressed
    badChecksum[badChecksum.count - 1] ^= 0x01
    for corrupted in [badMagic, badChecksum] {
        #expect {
            try ZstdDecompressor.decompress(corrupted, maxOutputBytes: 1 << 20)
        } throws: { error in
            (error as? ZstdError)?.code == "ZSTD_CORRUPT"
        }
    }
}

@Test func errorsCarryCodesAndStatuses() {
    #expect(ZstdError.truncated.code == "ZSTD_TRUNCATED")
    #expect(ZstdError.trailingData.code == "ZSTD_TRAILING_DATA")
    #expect(ZstdError.corrupt(reason: "x").code == "ZSTD_CORRUPT")
    #expect(ZstdError.tooLargeExpanded(limit: 1).code == "BUNDLE_TOO_LARGE_EXPANDED")
    #expect(ZstdError.truncated.status.code == 422)
    #expect(ZstdError.compressionFailed(reason: "x").status.code == 500)
}
