import Bundle
import Testing

private let regular = UInt8(ascii: "0")
private let directoryType = UInt8(ascii: "5")

@Test(arguments: [1, 7, 512, 1 << 20])
func readsFilesAndDirectoriesInAnyChunking(chunkSize: Int) throws {
    var tar = RawTar()
    tar.directory("./")
    tar.directory("./dist/")
    tar.file("./dist/main.wasm", String(repeating: "w", count: 1500), mode: "0000755")
    tar.file("./manifest.json", "{}")
    tar.file("./empty", "")
    tar.end()

    let visitor = try readTar(tar.bytes, chunkSize: chunkSize)
    #expect(visitor.paths == ["dist", "dist/main.wasm", "manifest.json", "empty"])
    #expect(visitor.ended == visitor.paths)
    #expect(visitor.entries[0].kind == .directory)
    #expect(visitor.entries[1] == TarEntry(path: "dist/main.wasm", kind: .file, size: 1500, mode: 0o755))
    #expect(visitor.entries[1].isExecutable)
    #expect(!visitor.entries[2].isExecutable)
    #expect(visitor.text("dist/main.wasm") == String(repeating: "w", count: 1500))
    #expect(visitor.text("manifest.json") == "{}")
    #expect(visitor.text("empty") == "")
}

@Test func normalizesPaths() throws {
    var tar = RawTar()
    tar.file("a//b", "1")
    tar.directory("c/")
    tar.entry("d/", type: regular)  // pre-POSIX directory: a regular type with a trailing slash
    tar.end()
    let visitor = try readTar(tar.bytes)
    #expect(visitor.paths == ["a/b", "c", "d"])
    #expect(visitor.entries.map(\.kind) == [.file, .directory, .directory])
}

@Test func joinsTheUstarPrefix() throws {
    var tar = RawTar()
    let prefix = String(repeating: "p", count: 150)
    let name = String(repeating: "n", count: 99)
    tar.append(RawTar.header(name: Array(name.utf8), size: 1, prefix: Array(prefix.utf8)))
    tar.append(RawTar.padded([UInt8(ascii: "x")]))
    tar.end()
    #expect(try readTar(tar.bytes).paths == [prefix + "/" + name])
}

@Test func appliesPaxPathAndSizeToTheNextEntryOnly() throws {
    let long = (1...30).map { "directory\($0)" }.joined(separator: "/") + "/file.txt"
    #expect(long.utf8.count > 255)
    var tar = RawTar()
    tar.pax([("path", long), ("mtime", "1700000000.5"), ("uid", "1000"), ("uname", "someone"), ("comment", "hi")])
    tar.file("short-name-ignored", "content")
    tar.file("next", "n")
    tar.end()
    let visitor = try readTar(tar.bytes, chunkSize: 3)
    #expect(visitor.paths == [long, "next"])
    #expect(visitor.text(long) == "content")
}

@Test func paxSizeOverridesTheHeaderSize() throws {
    var tar = RawTar()
    tar.pax([("size", "5")])
    tar.append(RawTar.header(name: Array("f".utf8), size: 0))
    tar.append(RawTar.padded(Array("hello".utf8)))
    tar.end()
    #expect(try readTar(tar.bytes).text("f") == "hello")
}

@Test func readsGNULongNames() throws {
    let long = String(repeating: "x", count: 200) + "/" + String(repeating: "y", count: 120)
    var tar = RawTar()
    tar.gnuLong(long)
    tar.append(RawTar.header(name: Array(long.utf8.prefix(100)), size: 2, magic: Array("ustar  \u{0}".utf8)))
    tar.append(RawTar.padded(Array("ok".utf8)))
    tar.end()
    let visitor = try readTar(tar.bytes)
    #expect(visitor.paths == [long])
    #expect(visitor.text(long) == "ok")
}

@Test func ignoresGlobalHeadersWithoutPath() throws {
    var tar = RawTar()
    tar.pax([("mtime", "0"), ("comment", "global")], type: UInt8(ascii: "g"))
    tar.file("a", "1")
    tar.end()
    #expect(try readTar(tar.bytes).paths == ["a"])
}

@Test func toleratesZeroPaddingAfterTheEndMarker() throws {
    var tar = RawTar()
    tar.file("a", "1")
    tar.end()
    tar.append([UInt8](repeating: 0, count: 10240 - tar.bytes.count % 10240 + 77))
    #expect(try readTar(tar.bytes, chunkSize: 100).paths == ["a"])
}

@Test func directoryImpliedByAFileMayBeDeclaredLater() throws {
    var tar = RawTar()
    tar.file("a/b/c", "1")
    tar.directory("a/b")
    tar.directory("a")
    tar.end()
    #expect(try readTar(tar.bytes).paths == ["a/b/c", "a/b", "a"])
}

@Test func acceptsTheHistoricSignedChecksum() throws {
    var name = Array("caf".utf8)
    name.append(0xC3)
    name.append(0xA9)
    let header = RawTar.header(name: name)
    let signedSum = header.enumerated().reduce(0) { sum, item in
        sum + ((148..<156).contains(item.offset) ? 32 : Int(Int8(bitPattern: item.element)))
    }
    var tar = RawTar()
    tar.append(RawTar.header(name: name, checksum: signedSum))
    tar.end()
    #expect(try readTar(tar.bytes).paths == ["café"])
}

@Test func countsEntriesAndFileBytes() throws {
    var tar = RawTar()
    tar.file("a", "123")
    tar.file("b/c", "45")
    tar.end()
    let reader = TarReader(visitor: RecordingVisitor())
    try tar.bytes.withUnsafeBytes { try reader.feed($0) }
    try reader.finish()
    #expect(reader.entryCount == 2)
    #expect(reader.fileBytes == 5)
}

@Test func directoryTypeHasNoData() throws {
    var tar = RawTar()
    tar.entry("d", type: directoryType)
    tar.end()
    #expect(try readTar(tar.bytes).entries == [TarEntry(path: "d", kind: .directory, size: 0, mode: 0o644)])
}
