import Bundle
import Foundation
import Testing

/// Writes entries with a `TarWriter` and returns the archive bytes.
private func writeTar(_ build: (TarWriter) throws -> Void) throws -> [UInt8] {
    var bytes: [UInt8] = []
    let writer = TarWriter { bytes += $0 }
    try build(writer)
    try writer.finish()
    #expect(writer.bytesWritten == bytes.count)
    return bytes
}

private func addFile(_ writer: TarWriter, _ path: String, _ text: String, executable: Bool = false) throws {
    try writer.beginFile(path, size: text.utf8.count, executable: executable)
    try Array(text.utf8).withUnsafeBytes { try writer.writeFileData($0) }
    try writer.endFile()
}

private func field(_ bytes: [UInt8], _ range: Range<Int>) -> String {
    String(decoding: bytes[range], as: UTF8.self)
}

@Test func writesDeterministicOwnerFreeUstarHeaders() throws {
    let bytes = try writeTar { writer in
        try writer.addDirectory("dist")
        try addFile(writer, "dist/main.wasm", "wasm", executable: true)
        try addFile(writer, "manifest.json", "{}")
    }
    #expect(bytes.count == 10_240)
    let directory = Array(bytes[0..<512])
    #expect(field(directory, 0..<6) == "dist/\u{0}")
    #expect(field(directory, 100..<108) == "0000755\u{0}")
    #expect(field(directory, 108..<124) == "0000000\u{0}0000000\u{0}")
    #expect(field(directory, 136..<148) == "00000000000\u{0}")
    #expect(directory[156] == UInt8(ascii: "5"))
    #expect(field(directory, 257..<265) == "ustar\u{0}00")
    #expect(directory[265..<329].allSatisfy { $0 == 0 })  // no owner names
    let executable = Array(bytes[512..<1024])
    #expect(field(executable, 100..<108) == "0000755\u{0}")
    #expect(field(executable, 124..<136) == "00000000004\u{0}")
    let plain = Array(bytes[1536..<2048])
    #expect(field(plain, 100..<108) == "0000644\u{0}")

    let visitor = try readTar(bytes, chunkSize: 1)
    #expect(visitor.entries == [
        TarEntry(path: "dist", kind: .directory, size: 0, mode: 0o755),
        TarEntry(path: "dist/main.wasm", kind: .file, size: 4, mode: 0o755),
        TarEntry(path: "manifest.json", kind: .file, size: 2, mode: 0o644),
    ])
}

@Test func padsToWholeRecords() throws {
    let big = String(repeating: "b", count: 20_000)
    let bytes = try writeTar { try addFile($0, "big", big) }
    #expect(bytes.count % 10_240 == 0)
    #expect(try readTar(bytes).text("big") == big)
}

@Test func usesPaxOnlyForPathsUstarCannotHold() throws {
    let fitsWithPrefix = String(repeating: "p", count: 140) + "/" + String(repeating: "n", count: 90)
    let tooLong = String(repeating: "q", count: 160) + "/" + String(repeating: "r", count: 99)
    let longName = "d/" + String(repeating: "s", count: 120)
    let fits = try writeTar { try addFile($0, fitsWithPrefix, "1") }
    #expect(fits[156] == UInt8(ascii: "0"))
    #expect(try readTar(fits).paths == [fitsWithPrefix])

    for path in [tooLong, longName] {
        let bytes = try writeTar { try addFile($0, path, "1") }
        #expect(bytes[156] == UInt8(ascii: "x"))
        #expect(try readTar(bytes, chunkSize: 5).paths == [path])
    }
}

@Test func directoryNamesFillingTheNameFieldStillGetTheirSlash() throws {
    let exactly100 = String(repeating: "d", count: 100)
    let bytes = try writeTar { try $0.addDirectory(exactly100) }
    let visitor = try readTar(bytes)
    #expect(visitor.entries == [TarEntry(path: exactly100, kind: .directory, size: 0, mode: 0o755)])
}

@Test func gnuTarListsWhatTheWriterWrote() throws {
    let scratch = try TemporaryDirectory()
    let longPath = (1...20).map { "level\($0)" }.joined(separator: "/") + "/" + String(repeating: "f", count: 150)
    let bytes = try writeTar { writer in
        try writer.addDirectory("a")
        try addFile(writer, "a/run.sh", "#!/bin/sh\n", executable: true)
        try addFile(writer, longPath, "deep")
    }
    try Data(bytes).write(to: scratch.url("w.tar"))
    let listing = try run(["tar", "--numeric-owner", "-tvf", scratch.path + "/w.tar"])
    let lines = listing.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix("drwxr-xr-x 0/0") && lines[0].hasSuffix(" 1970-01-01 00:00 a/"))
    #expect(lines[1].hasPrefix("-rwxr-xr-x 0/0") && lines[1].hasSuffix(" a/run.sh"))
    #expect(lines[2].hasPrefix("-rw-r--r-- 0/0") && lines[2].hasSuffix(" " + longPath))
}
