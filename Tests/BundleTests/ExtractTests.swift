import Bundle
import Foundation
import Testing

/// A bundle whose archive holds the given files, then `tail` (raw tar bytes), then the end marker.
private func bundle(_ files: [(String, String)], tail: (inout RawTar) -> Void = { _ in }) throws -> [UInt8] {
    var tar = RawTar()
    for (path, text) in files { tar.file(path, text) }
    tail(&tar)
    tar.end()
    return try tar.compressed
}

private let sample: [(String, String)] = [
    ("manifest.json", "{}"),
    ("dist/main.wasm", String(repeating: "w", count: 300_000)),
    ("ui/index.html", "<p>"),
]

private func contents(_ path: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
}

@Test func extractsIntoTheDestinationWithNormalizedModes() throws {
    let scratch = try TemporaryDirectory()
    var tar = RawTar()
    tar.directory("./")
    tar.entry("run", data: Array("#!".utf8), mode: "0004750")
    tar.entry("secret", data: Array("s".utf8), mode: "0000600")
    tar.entry("d", type: UInt8(ascii: "5"), mode: "0000700")
    tar.file("implied/deeper/f", "x")
    tar.end()
    let bytes = try tar.compressed
    let staging = scratch.path + "/staging"
    try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
    let destination = scratch.path + "/tree"

    let extractor = try SafeExtractor(destination: destination, stagingRoot: staging)
    try feedInChunks(bytes, chunkSize: 7) { try extractor.feed($0) }
    #expect(!FileManager.default.fileExists(atPath: destination))  // nothing visible before finish
    let digest = try extractor.finish()

    #expect(digest.size == bytes.count)
    #expect(try contents(staging).isEmpty)
    #expect(try contents(destination) == ["d", "implied", "run", "secret"])
    #expect(try permissions(destination) == 0o755)
    #expect(try permissions(destination + "/run") == 0o755)
    #expect(try permissions(destination + "/secret") == 0o644)
    #expect(try permissions(destination + "/d") == 0o755)
    #expect(try permissions(destination + "/implied/deeper") == 0o755)
    #expect(try String(contentsOfFile: destination + "/implied/deeper/f", encoding: .utf8) == "x")
}

@Test func failureHalfwayLeavesNoDestinationAndNoStaging() throws {
    let scratch = try TemporaryDirectory()
    let staging = scratch.path + "/staging"
    try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
    let destination = scratch.path + "/tree"
    let malicious = try bundle(sample) { $0.entry("ui/link", type: UInt8(ascii: "2"), linkName: "/etc") }

    let extractor = try SafeExtractor(destination: destination, stagingRoot: staging)
    var fed = 0
    #expect(throws: TarError.symlink("ui/link")) {
        try feedInChunks(malicious, chunkSize: 1000) { chunk in
            // By the time the link arrives, files were already written to staging.
            if fed == 0 { #expect(try contents(staging).count == 1) }
            fed += chunk.count
            try extractor.feed(chunk)
        }
    }
    #expect(try contents(staging).isEmpty)
    #expect(!FileManager.default.fileExists(atPath: destination))
    #expect(throws: TarError.symlink("ui/link")) { try extractor.finish() }
    #expect(!FileManager.default.fileExists(atPath: destination))
}

@Test func truncatedBundleIsNotRenamedIntoPlace() throws {
    let scratch = try TemporaryDirectory()
    let whole = try bundle(sample)
    let file = scratch.url("cut.tar.zst")
    try Data(whole.prefix(whole.count - 10)).write(to: file)
    let destination = scratch.path + "/tree"
    #expect(throws: (any Error).self) {
        try SafeExtractor.extract(fromFile: file.path, to: destination, stagingRoot: scratch.path)
    }
    #expect(try contents(scratch.path) == ["cut.tar.zst"])
}

@Test func hashMismatchRenamesNothing() throws {
    let scratch = try TemporaryDirectory()
    let bytes = try bundle(sample)
    let file = scratch.url("b.tar.zst")
    try Data(bytes).write(to: file)
    let wrong = ContentHash(parsing: "sha256:" + String(repeating: "0", count: 64))!
    let destination = scratch.path + "/tree"
    #expect {
        try SafeExtractor.extract(fromFile: file.path, to: destination, stagingRoot: scratch.path, expectedContentHash: wrong)
    } throws: { error in
        guard case ArchiveError.contentHashMismatch(let expected, let actual)? = error as? ArchiveError else { return false }
        return expected == wrong && actual != wrong
    }
    #expect(try contents(scratch.path) == ["b.tar.zst"])

    let right = try BundleReader.scan(fromFile: file.path).contentHash
    try SafeExtractor.extract(fromFile: file.path, to: destination, stagingRoot: scratch.path, expectedContentHash: right)
    #expect(try contents(destination) == ["dist", "manifest.json", "ui"])
}

@Test func neverReplacesAnExistingDestination() throws {
    let scratch = try TemporaryDirectory()
    let bytes = try bundle(sample)
    let destination = scratch.path + "/tree"
    try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
    #expect(throws: ArchiveError.destinationExists(destination)) {
        _ = try SafeExtractor(destination: destination, stagingRoot: scratch.path)
    }
    try FileManager.default.removeItem(atPath: destination)

    // The destination appears while extracting (another filler won the race): it stays as it is.
    let extractor = try SafeExtractor(destination: destination, stagingRoot: scratch.path)
    try bytes.withUnsafeBytes { try extractor.feed($0) }
    try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
    #expect(throws: ArchiveError.destinationExists(destination)) { try extractor.finish() }
    #expect(try contents(destination).isEmpty)
    #expect(try contents(scratch.path) == ["tree"])
}

@Test func abandonedExtractionCleansUp() throws {
    let scratch = try TemporaryDirectory()
    let bytes = try bundle(sample)
    do {
        let extractor = try SafeExtractor(destination: scratch.path + "/tree", stagingRoot: scratch.path)
        try bytes.prefix(bytes.count / 2).withUnsafeBytes { try extractor.feed($0) }
        #expect(try contents(scratch.path).count == 1)
    }
    #expect(try contents(scratch.path).isEmpty)

    let aborted = try SafeExtractor(destination: scratch.path + "/tree", stagingRoot: scratch.path)
    try bytes.withUnsafeBytes { try aborted.feed($0) }
    aborted.abort()
    #expect(try contents(scratch.path).isEmpty)
    #expect(throws: CancellationError.self) { try aborted.finish() }
}

@Test func extractsAPackedTreeIdentically() throws {
    let scratch = try TemporaryDirectory()
    let source = try scratch.makeTree("src", ["manifest.json": "{}", "a/b/c.txt": "c", "a/x": "x", "e/": ""], executable: ["a/x"])
    let bundlePath = scratch.path + "/p.tar.zst"
    let packed = try BundlePacker.pack(directory: source, toFile: bundlePath)
    let destination = scratch.path + "/out"
    let extracted = try SafeExtractor.extract(fromFile: bundlePath, to: destination, stagingRoot: scratch.path, expectedContentHash: packed.contentHash)
    #expect(extracted == packed)
    #expect(try snapshot(destination) == snapshot(source))
    #expect(try permissions(destination + "/a/x") == 0o755)
}
