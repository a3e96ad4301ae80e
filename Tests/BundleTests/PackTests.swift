import Bundle
import Cryptography
import ExthostCore
import Foundation
import Testing
import Zstd

private let tree = [
    "manifest.json": #"{"name":"demo","version":"1.0.0"}"#,
    "dist/main.wasm": String(repeating: "\u{0}asm\u{1}", count: 40_000),
    "ui/index.html": "<!doctype html><p>hi</p>",
    "ui/a-b.js": "1",
    "ui/a/b.js": "2",
    "ui/assets/logo.svg": "<svg/>",
    "bin/run": "#!/bin/sh\n",
    "empty/": "",
]

private func packToMemory(_ directory: String) throws -> (BundleDigest, [UInt8]) {
    var bytes: [UInt8] = []
    let digest = try BundlePacker.pack(directory: directory) { bytes += $0 }
    return (digest, bytes)
}

@Test func packingIsReproducible() throws {
    let scratch = try TemporaryDirectory()
    let source = try scratch.makeTree("src", tree, executable: ["bin/run"])
    let (first, firstBytes) = try packToMemory(source)
    let (second, secondBytes) = try packToMemory(source)
    #expect(first == second)
    #expect(firstBytes == secondBytes)
    #expect(first.size == firstBytes.count)
    #expect(first.contentHash.description == SHA256.hash(firstBytes).description)

    // A copy with other mtimes, owners and the modes a restrictive umask leaves packs the same.
    let copy = try scratch.makeTree("copy", tree, executable: ["bin/run"])
    let manager = FileManager.default
    for case let relative as String in manager.enumerator(atPath: copy)! {
        let path = copy + "/" + relative
        var isDirectory: ObjCBool = false
        _ = manager.fileExists(atPath: path, isDirectory: &isDirectory)
        let mode = isDirectory.boolValue || relative == "bin/run" ? 0o700 : 0o600
        try manager.setAttributes(
            [.posixPermissions: mode, .modificationDate: Date(timeIntervalSince1970: 123_456_789), .ownerAccountID: 4321, .groupOwnerAccountID: 99],
            ofItemAtPath: path
        )
    }
    let (copied, _) = try packToMemory(copy)
    #expect(copied == first)

    // Content matters: one changed byte changes the hash, so does the execute bit.
    try Data("<!doctype html><p>ho</p>".utf8).write(to: URL(fileURLWithPath: copy + "/ui/index.html"))
    #expect(try packToMemory(copy).0 != first)
}

@Test func executeBitIsPartOfTheBundle() throws {
    let scratch = try TemporaryDirectory()
    let plain = try scratch.makeTree("plain", ["tool": "x"])
    let executable = try scratch.makeTree("exec", ["tool": "x"], executable: ["tool"])
    #expect(try packToMemory(plain).0 != packToMemory(executable).0)
}

@Test func entriesAreSortedBytewiseWithDirectoriesFirst() throws {
    let scratch = try TemporaryDirectory()
    let source = try scratch.makeTree("src", tree, executable: ["bin/run"])
    let (_, bytes) = try packToMemory(source)
    let scanner = BundleScanner()
    try bytes.withUnsafeBytes { try scanner.feed($0) }
    let paths = try scanner.finish().entries.map(\.path)
    #expect(paths == [
        "bin", "bin/run", "dist", "dist/main.wasm", "empty", "manifest.json",
        "ui", "ui/a", "ui/a-b.js", "ui/a/b.js", "ui/assets", "ui/assets/logo.svg", "ui/index.html",
    ])
}

@Test func gnuTarExtractsAPackedBundle() throws {
    let scratch = try TemporaryDirectory()
    let long = (1...12).map { "segment-\($0)-" + String(repeating: "x", count: 15) }.joined(separator: "/") + "/" + String(repeating: "L", count: 110)
    #expect(long.utf8.count > 255)
    var files = tree
    files[long] = "deep"
    files[String(repeating: "w", count: 101)] = "just over ustar's name field"
    let source = try scratch.makeTree("src", files, executable: ["bin/run"])
    let bundle = scratch.path + "/packed.tar.zst"
    let digest = try BundlePacker.pack(directory: source, toFile: bundle)
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["packed.tar.zst", "src"])

    let extracted = scratch.path + "/gnu"
    try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: false)
    try run(["tar", "--zstd", "-xf", bundle, "-C", extracted])
    #expect(try snapshot(extracted) == snapshot(source))
    #expect(try permissions(extracted + "/bin/run") & 0o111 != 0)

    let scan = try BundleReader.scan(fromFile: bundle)
    #expect(scan.digest == digest)
    #expect(scan.entries.map(\.path).contains(long))
    #expect(digest.contentHash.description == "sha256:" + (try run(["sha256sum", bundle]).prefix(64)))
}

@Test func refusesLinksAndSpecialFilesNamingThem() throws {
    let scratch = try TemporaryDirectory()
    let withLink = try scratch.makeTree("link", ["manifest.json": "{}", "ui/": ""])
    try FileManager.default.createSymbolicLink(atPath: withLink + "/ui/current", withDestinationPath: "/etc")
    #expect(throws: ArchiveError.unsupportedSourceFile(path: "ui/current", kind: "symbolic link")) {
        try BundlePacker.pack(directory: withLink) { _ in }
    }

    let withFIFO = try scratch.makeTree("fifo", ["manifest.json": "{}"])
    try run(["mkfifo", withFIFO + "/pipe"])
    #expect(throws: ArchiveError.unsupportedSourceFile(path: "pipe", kind: "FIFO")) {
        try BundlePacker.pack(directory: withFIFO) { _ in }
    }

    // A failed pack to a file leaves neither the output nor a temporary file.
    #expect(throws: ArchiveError.self) { try BundlePacker.pack(directory: withFIFO, toFile: scratch.path + "/out.tar.zst") }
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["fifo", "link"])
}

@Test func refusesTreesTheReaderWouldReject() throws {
    let scratch = try TemporaryDirectory()
    let source = try scratch.makeTree("src", ["a": "12345", "b/c": "678"])
    #expect(throws: TarError.tooLarge(limit: 7)) { try BundlePacker.pack(directory: source, limits: TarLimits(maxFileBytes: 7)) { _ in } }
    #expect(throws: TarError.tooManyEntries(limit: 2)) { try BundlePacker.pack(directory: source, limits: TarLimits(maxEntries: 2)) { _ in } }
}

@Test(arguments: [1, 7, 65_536])
func contentHashDoesNotDependOnChunking(chunkSize: Int) throws {
    let scratch = try TemporaryDirectory()
    let source = try scratch.makeTree("src", tree)
    let bundle = scratch.path + "/b.tar.zst"
    let digest = try BundlePacker.pack(directory: source, toFile: bundle)
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: bundle)))
    let sha256sum = "sha256:" + (try run(["sha256sum", bundle]).prefix(64))
    #expect(digest.contentHash.description == sha256sum)

    let scanner = BundleScanner()
    try feedInChunks(bytes, chunkSize: chunkSize) { try scanner.feed($0) }
    let scan = try scanner.finish()
    #expect(scan.contentHash.description == sha256sum)
    #expect(scan.compressedSize == bytes.count)
    #expect(scan.fileBytes == tree.values.reduce(0) { $0 + $1.utf8.count })
    #expect(String(decoding: scan.manifest, as: UTF8.self) == tree["manifest.json"])
}

@Test func manifestIsReadWithoutReadingTheRest() throws {
    // manifest.json first, then an entry the scan rejects: the manifest reader never gets there.
    var tar = RawTar()
    tar.file("manifest.json", #"{"name":"early"}"#)
    tar.entry("link", type: UInt8(ascii: "2"), linkName: "/etc/passwd")
    tar.end()
    let bundle = try tar.compressed
    let reader = BundleManifestReader()
    var found = false
    try feedInChunks(bundle, chunkSize: 100) { if !found { found = try reader.feed($0) } }
    #expect(found)
    #expect(try reader.finish() == Array(#"{"name":"early"}"#.utf8))

    let scanner = BundleScanner()
    #expect(throws: TarError.symlink("link")) { try bundle.withUnsafeBytes { try scanner.feed($0) } }
}

@Test func missingOrOversizedManifestIsReported() throws {
    var withoutManifest = RawTar()
    withoutManifest.directory("manifest.json")
    withoutManifest.file("ui/manifest.json", "{}")
    withoutManifest.end()
    let bundle = try withoutManifest.compressed
    #expect(throws: ArchiveError.manifestMissing) {
        let scanner = BundleScanner()
        try bundle.withUnsafeBytes { try scanner.feed($0) }
        _ = try scanner.finish()
    }
    #expect(throws: ArchiveError.manifestMissing) {
        let reader = BundleManifestReader()
        try bundle.withUnsafeBytes { _ = try reader.feed($0) }
        _ = try reader.finish()
    }

    var oversized = RawTar()
    oversized.entry("manifest.json", data: [UInt8](repeating: 32, count: (1 << 20) + 1))
    oversized.end()
    let big = try oversized.compressed
    #expect(throws: ArchiveError.manifestTooLarge(limit: 1 << 20)) {
        let reader = BundleManifestReader()
        try big.withUnsafeBytes { _ = try reader.feed($0) }
    }

    // A truncated bundle without a manifest reports the truncation, not a missing manifest.
    #expect(throws: TarError.truncated) {
        let reader = BundleManifestReader()
        let partial = try ZstdCompressor.compress(Array(withoutManifest.bytes.prefix(512)), level: 3)
        try partial.withUnsafeBytes { _ = try reader.feed($0) }
        _ = try reader.finish()
    }
}

@Test func archiveErrorsHaveDistinctCodes() {
    let errors: [ArchiveError] = [
        .manifestMissing, .manifestTooLarge(limit: 1), .contentHashMismatch(expected: ContentHash(parsing: "sha256:" + String(repeating: "a", count: 64))!, actual: ContentHash(parsing: "sha256:" + String(repeating: "b", count: 64))!),
        .destinationExists("d"), .unsupportedSourceFile(path: "p", kind: "FIFO"), .sourceChanged("p"),
    ]
    #expect(Set(errors.map(\.code)) == [
        "MANIFEST_MISSING", "MANIFEST_TOO_LARGE", "CONTENT_HASH_MISMATCH", "EXTRACT_DESTINATION_EXISTS",
        "PACK_UNSUPPORTED_FILE", "PACK_SOURCE_CHANGED",
    ])
}
