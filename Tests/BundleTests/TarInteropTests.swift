import Bundle
import Foundation
import Testing

private let sourceFiles = [
    "manifest.json": #"{"name":"demo"}"#,
    "dist/main.wasm": String(repeating: "\u{1}wasm", count: 5000),
    "ui/index.html": "<html></html>",
    "ui/assets/app.js": "console.log(1)\n",
    "empty/": "",
    "bin/tool": "#!/bin/sh\necho hi\n",
]

@Test(arguments: ["gnu", "posix", "ustar"])
func readsAndExtractsWhatGNUTarWrites(format: String) throws {
    let scratch = try TemporaryDirectory()
    let source = try scratch.makeTree("src", sourceFiles, executable: ["bin/tool"])
    let bundle = scratch.path + "/gnu.tar.zst"
    try run(["tar", "--zstd", "--format=\(format)", "-cf", bundle, "-C", source, "."])

    let scan = try BundleReader.scan(fromFile: bundle)
    #expect(String(decoding: scan.manifest, as: UTF8.self) == sourceFiles["manifest.json"])
    #expect(Set(scan.entries.map(\.path)) == ["manifest.json", "dist", "dist/main.wasm", "ui", "ui/index.html", "ui/assets", "ui/assets/app.js", "empty", "bin", "bin/tool"])
    let expectedHash = try run(["sha256sum", bundle]).prefix(64)
    #expect(scan.contentHash.description == "sha256:" + expectedHash)
    #expect(scan.compressedSize == (try FileManager.default.attributesOfItem(atPath: bundle)[.size] as! Int))
    #expect(String(decoding: try BundleReader.readManifest(fromFile: bundle), as: UTF8.self) == sourceFiles["manifest.json"])

    let destination = scratch.path + "/extracted"
    try SafeExtractor.extract(fromFile: bundle, to: destination, stagingRoot: scratch.path, expectedContentHash: scan.contentHash)
    #expect(try snapshot(destination) == snapshot(source))
    #expect(try permissions(destination + "/bin/tool") == 0o755)
    #expect(try permissions(destination + "/ui/index.html") == 0o644)
}

@Test(arguments: ["gnu", "posix"])
func readsGNUTarLongNames(format: String) throws {
    let scratch = try TemporaryDirectory()
    let long = String(repeating: "n", count: 120) + "/" + String(repeating: "m", count: 200) + "/" + String(repeating: "o", count: 150) + ".txt"
    let source = try scratch.makeTree("src", ["manifest.json": "{}", long: "long"])
    let bundle = scratch.path + "/long.tar.zst"
    try run(["tar", "--zstd", "--format=\(format)", "-cf", bundle, "-C", source, "."])
    let scan = try BundleReader.scan(fromFile: bundle)
    #expect(scan.entries.map(\.path).contains(long))
}

@Test func rejectsASymlinkThatGNUTarArchived() throws {
    let scratch = try TemporaryDirectory()
    let source = try scratch.makeTree("src", ["manifest.json": "{}"])
    try FileManager.default.createSymbolicLink(atPath: source + "/escape", withDestinationPath: "/etc/passwd")
    let bundle = scratch.path + "/link.tar.zst"
    try run(["tar", "--zstd", "-cf", bundle, "-C", source, "."])
    #expect(throws: TarError.symlink("./escape")) { try BundleReader.scan(fromFile: bundle) }
}
