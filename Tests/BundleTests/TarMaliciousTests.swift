import Bundle
import ExthostCore
import Testing

private func type(_ character: Character) -> UInt8 { character.asciiValue! }

/// An archive holding `build` followed by a valid end marker.
private func archive(_ build: (inout RawTar) -> Void) -> [UInt8] {
    var tar = RawTar()
    build(&tar)
    tar.end()
    return tar.bytes
}

private func expectRejected(_ bytes: [UInt8], as expected: TarError, limits: TarLimits = .bundle, sourceLocation: SourceLocation = #_sourceLocation) {
    // Chunking must not change the verdict.
    for chunkSize in [1 << 20, 7] {
        #expect(throws: expected, sourceLocation: sourceLocation) { try readTar(bytes, chunkSize: chunkSize, limits: limits) }
    }
}

@Test func rejectsAbsolutePaths() {
    expectRejected(archive { $0.file("/etc/passwd", "x") }, as: .absolutePath("/etc/passwd"))
    expectRejected(archive { $0.directory("/") }, as: .absolutePath("/"))
}

@Test func rejectsDotDotComponents() {
    expectRejected(archive { $0.file("../evil", "x") }, as: .pathTraversal("../evil"))
    expectRejected(archive { $0.file("a/../../evil", "x") }, as: .pathTraversal("a/../../evil"))
    expectRejected(archive { $0.file("./..", "x") }, as: .pathTraversal("./.."))
    expectRejected(archive { $0.directory("a/..") }, as: .pathTraversal("a/.."))
}

@Test func rejectsEmptyAndNULNames() {
    expectRejected(archive { $0.file("", "x") }, as: .invalidName("", reason: "the name is empty"))
    expectRejected(
        archive { $0.entry(rawName: Array("a\u{0}b".utf8), data: [1]) },
        as: .invalidName("a\\0b", reason: "the name contains a NUL byte")
    )
    expectRejected(archive { $0.file("a/./b", "x") }, as: .invalidName("a/./b", reason: "a '.' component inside the path"))
    expectRejected(archive { $0.file(".", "x") }, as: .invalidName(".", reason: "a file cannot be the archive root"))
    expectRejected(
        archive { $0.entry(rawName: [0x66, 0xFF], data: [1]) },
        as: .invalidName("f\u{FFFD}", reason: "the name is not valid UTF-8")
    )
}

@Test func rejectsLinksDevicesAndFIFOs() {
    expectRejected(archive { $0.entry("link", type: type("2"), linkName: "/etc/passwd") }, as: .symlink("link"))
    expectRejected(archive { $0.entry("hard", type: type("1"), linkName: "other") }, as: .hardLink("hard"))
    expectRejected(archive { $0.entry("tty", type: type("3")) }, as: .device("tty"))
    expectRejected(archive { $0.entry("disk", type: type("4")) }, as: .device("disk"))
    expectRejected(archive { $0.entry("pipe", type: type("6")) }, as: .fifo("pipe"))
}

@Test func rejectsEveryOtherEntryType() {
    expectRejected(archive { $0.entry("sparse", type: type("S")) }, as: .unsupportedEntry("sparse", type: "'S'"))
    expectRejected(archive { $0.entry("volume", type: type("V")) }, as: .unsupportedEntry("volume", type: "'V'"))
    expectRejected(archive { $0.entry("dump", type: type("D")) }, as: .unsupportedEntry("dump", type: "'D'"))
    expectRejected(archive { $0.entry("odd", type: 0x01) }, as: .unsupportedEntry("odd", type: "byte 1"))
    expectRejected(
        archive {
            $0.pax([("GNU.sparse.major", "1"), ("GNU.sparse.name", "f")])
            $0.file("f", "x")
        },
        as: .unsupportedEntry("f", type: "GNU sparse file")
    )
}

@Test func rejectsDuplicatesAfterNormalization() {
    expectRejected(archive { $0.file("a", "1"); $0.file("a", "2") }, as: .duplicatePath("a"))
    expectRejected(archive { $0.file("./a", "1"); $0.file("a", "2") }, as: .duplicatePath("a"))
    expectRejected(archive { $0.directory("d/"); $0.directory("./d") }, as: .duplicatePath("d"))
    expectRejected(archive { $0.directory("d"); $0.file("d", "x") }, as: .duplicatePath("d"))
    expectRejected(archive { $0.file("x//y", "1"); $0.file("x/y", "2") }, as: .duplicatePath("x/y"))
}

@Test func rejectsAFileUsedAsADirectory() {
    expectRejected(archive { $0.file("a", "1"); $0.file("a/b", "2") }, as: .pathConflict(entry: "a/b", file: "a"))
    expectRejected(archive { $0.file("a", "1"); $0.directory("a/b/c") }, as: .pathConflict(entry: "a/b/c", file: "a"))
    expectRejected(archive { $0.file("a/b", "1"); $0.file("a", "2") }, as: .pathConflict(entry: "a", file: "a"))
}

@Test func rejectsPaxAndGNUNamesThatEscape() {
    expectRejected(archive { $0.pax([("path", "../../etc/cron.d/x")]); $0.file("benign", "x") }, as: .pathTraversal("../../etc/cron.d/x"))
    expectRejected(archive { $0.pax([("path", "/etc/passwd")]); $0.file("benign", "x") }, as: .absolutePath("/etc/passwd"))
    expectRejected(archive { $0.pax([("path", "a\u{0}b")]); $0.file("benign", "x") }, as: .invalidName("a\\0b", reason: "the name contains a NUL byte"))
    expectRejected(archive { $0.gnuLong("../" + String(repeating: "e", count: 120)); $0.file("benign", "x") }, as: .pathTraversal("../" + String(repeating: "e", count: 120)))
    // An override in one header must not leak past the entry it names.
    expectRejected(archive { $0.pax([("path", "x")]); $0.file("benign", "1"); $0.file("x", "2") }, as: .duplicatePath("x"))
}

@Test func rejectsAGlobalPathOverride() {
    expectRejected(archive { $0.pax([("path", "evil")], type: type("g")); $0.file("a", "x") }, as: .globalPathOverride(offset: 0))
}

@Test func rejectsAGNULongLinkAndItsLink() {
    expectRejected(
        archive { $0.gnuLong(String(repeating: "t", count: 150), type: type("K")); $0.entry("l", type: type("2")) },
        as: .symlink("l")
    )
}

@Test func rejectsTooManyEntries() throws {
    let atLimit = archive { tar in for index in 0..<10_000 { tar.entry("f\(index)") } }
    #expect(try readTar(atLimit).entries.count == 10_000)
    let overLimit = archive { tar in for index in 0...10_000 { tar.entry("f\(index)") } }
    #expect(throws: TarError.tooManyEntries(limit: 10_000)) { try readTar(overLimit) }
    // Directories implied by a path count: three of them and a file are four entries.
    expectRejected(archive { $0.file("a/b/c/d", "x") }, as: .tooManyEntries(limit: 3), limits: TarLimits(maxEntries: 3))
}

@Test func rejectsMoreFileDataThanTheLimitBeforeReadingIt() {
    // The header alone declares 256 MiB + 1 byte: no data follows, the reader must not wait for it.
    var tar = RawTar()
    tar.append(RawTar.header(name: Array("huge".utf8), size: (256 << 20) + 1))
    #expect(throws: TarError.tooLarge(limit: 256 << 20)) {
        let reader = TarReader(visitor: RecordingVisitor())
        try tar.bytes.withUnsafeBytes { try reader.feed($0) }
    }
    expectRejected(archive { $0.file("a", "12345"); $0.file("b", "678") }, as: .tooLarge(limit: 7), limits: TarLimits(maxFileBytes: 7))
}

@Test func rejectsPathsBeyondTheLengthAndDepthLimits() {
    let deep = Array(repeating: "d", count: 129).joined(separator: "/")
    expectRejected(archive { $0.pax([("path", deep)]); $0.file("x", "1") }, as: .invalidName(deep.prefix(200) + "…", reason: "nested deeper than 128 levels"))
    let longComponent = String(repeating: "c", count: 256)
    expectRejected(
        archive { $0.pax([("path", longComponent)]); $0.file("x", "1") },
        as: .invalidName(String(repeating: "c", count: 200) + "…", reason: "a component is longer than 255 bytes")
    )
}

@Test func rejectsCorruptHeaders() {
    var badChecksum = RawTar()
    badChecksum.append(RawTar.header(name: Array("a".utf8), checksum: 1))
    badChecksum.end()
    expectRejected(badChecksum.bytes, as: .invalidHeader(offset: 0, reason: "checksum mismatch"))

    var badMagic = RawTar()
    badMagic.append(RawTar.header(name: Array("a".utf8), magic: Array("nottar".utf8)))
    badMagic.end()
    expectRejected(badMagic.bytes, as: .invalidHeader(offset: 0, reason: "not a ustar header (bad magic)"))

    expectRejected(
        archive { tar in
            tar.file("ok", "1")
            tar.append(RawTar.header(name: Array("b".utf8), sizeField: Array("12x45678901\u{0}".utf8)))
        },
        as: .invalidHeader(offset: 1024, reason: "unreadable size")
    )
    expectRejected(archive { $0.pax([("size", "12abc")]); $0.file("x", "1") }, as: .invalidHeader(offset: 0, reason: "pax header: invalid size"))
    expectRejected(archive { $0.entry("PaxHeaders/x", type: type("x"), data: Array("99 path=x\n".utf8)) }, as: .invalidHeader(offset: 0, reason: "pax header: record length does not match its content"))
    expectRejected(archive { $0.pax([("path", "x")]) }, as: .invalidHeader(offset: 1024, reason: "an extended header is not followed by an entry"))
    expectRejected(archive { $0.entry("d", type: type("5"), data: [1, 2]) }, as: .invalidHeader(offset: 0, reason: "directory 'd' carries data"))
}

@Test func rejectsTruncatedArchives() {
    var tar = RawTar()
    tar.file("a", String(repeating: "z", count: 1000))
    tar.end()
    let whole = tar.bytes
    for cut in [0, 100, 512, 700, 1536, whole.count - 512, whole.count - 1] {
        expectRejected(Array(whole.prefix(cut)), as: .truncated)
    }
}

@Test func rejectsDataAfterTheEndMarker() {
    var tar = RawTar()
    tar.file("a", "1")
    tar.end()
    let end = tar.bytes.count
    tar.append([0, 0, 0, 7])
    expectRejected(tar.bytes, as: .trailingData(offset: end + 3))

    // An entry after a lone zero block is outside the archive (GNU tar stops reading there).
    var lone = RawTar()
    lone.file("a", "1")
    lone.append([UInt8](repeating: 0, count: 512))
    lone.file("hidden", "2")
    lone.end()
    expectRejected(lone.bytes, as: .trailingData(offset: 1536))
}

@Test func everyRuleHasItsOwnCodeAndA422() {
    let errors: [TarError] = [
        .invalidHeader(offset: 0, reason: ""), .truncated, .trailingData(offset: 0), .absolutePath("a"), .pathTraversal("a"),
        .invalidName("a", reason: ""), .symlink("a"), .hardLink("a"), .device("a"), .fifo("a"),
        .unsupportedEntry("a", type: ""), .globalPathOverride(offset: 0), .duplicatePath("a"),
        .pathConflict(entry: "a/b", file: "a"), .tooManyEntries(limit: 1), .tooLarge(limit: 1),
    ]
    #expect(Set(errors.map(\.code)).count == errors.count)
    #expect(errors.allSatisfy { $0.status.code == 422 && $0.code.hasPrefix("ARCHIVE_") })
    #expect(TarError.symlink("dist/x").message.contains("'dist/x'"))
}

@Test func readerStaysFailedAfterAnError() throws {
    var tar = RawTar()
    tar.entry("link", type: type("2"))
    tar.end()
    let reader = TarReader(visitor: RecordingVisitor())
    #expect(throws: TarError.symlink("link")) { try tar.bytes.withUnsafeBytes { try reader.feed($0) } }
    #expect(throws: TarError.symlink("link")) { try reader.finish() }
}
