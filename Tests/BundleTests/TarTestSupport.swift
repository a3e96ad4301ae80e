import Bundle
import Foundation
import Zstd

/// Builds tar archives byte by byte, with any field value, so that tests can make the malformed
/// and malicious archives a well-behaved writer never produces.
struct RawTar {
    private(set) var bytes: [UInt8] = []

    /// One header block. Numeric fields are octal text; `checksum` nil means the correct one.
    static func header(
        name: [UInt8],
        mode: String = "0000644",
        size: Int = 0,
        type: UInt8 = UInt8(ascii: "0"),
        linkName: [UInt8] = [],
        magic: [UInt8] = Array("ustar\u{0}00".utf8),
        prefix: [UInt8] = [],
        checksum: Int? = nil,
        sizeField: [UInt8]? = nil
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ value: [UInt8], at offset: Int) {
            block.replaceSubrange(offset..<(offset + value.count), with: value)
        }
        put(name, at: 0)
        put(Array(mode.utf8) + [0], at: 100)
        put(Array("0000000".utf8) + [0], at: 108)
        put(Array("0000000".utf8) + [0], at: 116)
        put(sizeField ?? Array(String(format: "%011o", size).utf8) + [0], at: 124)
        put(Array("00000000000".utf8) + [0], at: 136)
        block[156] = type
        put(linkName, at: 157)
        put(magic, at: 257)
        put(prefix, at: 345)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)
        let sum = checksum ?? block.reduce(0) { $0 + Int($1) }
        put(Array(String(format: "%06o", sum).utf8) + [0, UInt8(ascii: " ")], at: 148)
        return block
    }

    static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    mutating func append(_ raw: [UInt8]) { bytes += raw }

    mutating func entry(_ name: String, type: UInt8 = UInt8(ascii: "0"), data: [UInt8] = [], mode: String = "0000644", linkName: String = "") {
        entry(rawName: Array(name.utf8), type: type, data: data, mode: mode, linkName: linkName)
    }

    mutating func entry(rawName: [UInt8], type: UInt8 = UInt8(ascii: "0"), data: [UInt8] = [], mode: String = "0000644", linkName: String = "") {
        bytes += Self.header(name: rawName, mode: mode, size: data.count, type: type, linkName: Array(linkName.utf8))
        bytes += Self.padded(data)
    }

    mutating func file(_ name: String, _ text: String, mode: String = "0000644") {
        entry(name, data: Array(text.utf8), mode: mode)
    }

    mutating func directory(_ name: String) {
        entry(name, type: UInt8(ascii: "5"), mode: "0000755")
    }

    /// A pax `x` (or `g`) header with the given records.
    mutating func pax(_ records: [(String, String)], type: UInt8 = UInt8(ascii: "x")) {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).utf8.count + body.utf8.count != length { length = String(length).utf8.count + body.utf8.count }
            data += Array("\(length)\(body)".utf8)
        }
        entry("PaxHeaders/x", type: type, data: data)
    }

    /// A GNU `L` (long name) or `K` (long link) header.
    mutating func gnuLong(_ value: String, type: UInt8 = UInt8(ascii: "L")) {
        bytes += Self.header(name: Array("././@LongLink".utf8), size: value.utf8.count + 1, type: type, magic: Array("ustar  \u{0}".utf8))
        bytes += Self.padded(Array(value.utf8) + [0])
    }

    mutating func end() { bytes += [UInt8](repeating: 0, count: 1024) }

    var compressed: [UInt8] { get throws { try ZstdCompressor.compress(bytes, level: 3) } }
}

/// A visitor that records what the reader reports.
final class RecordingVisitor: TarVisitor {
    private(set) var entries: [TarEntry] = []
    private(set) var contents: [String: [UInt8]] = [:]
    private(set) var ended: [String] = []
    private var current: TarEntry?

    func beginEntry(_ entry: TarEntry) throws {
        precondition(current == nil, "beginEntry before the previous entry ended")
        entries.append(entry)
        current = entry
        if entry.kind == .file { contents[entry.path] = [] }
    }

    func entryData(_ bytes: UnsafeRawBufferPointer) throws {
        contents[current!.path]! += bytes
    }

    func endEntry(_ entry: TarEntry) throws {
        precondition(current == entry)
        ended.append(entry.path)
        current = nil
    }

    var paths: [String] { entries.map(\.path) }

    func text(_ path: String) -> String? { contents[path].map { String(decoding: $0, as: UTF8.self) } }
}

/// Feeds `bytes` to `feed` in pieces of `chunkSize`.
func feedInChunks(_ bytes: [UInt8], chunkSize: Int, _ feed: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    var start = 0
    while start < bytes.count {
        let end = min(start + chunkSize, bytes.count)
        try bytes[start..<end].withUnsafeBytes { try feed($0) }
        start = end
    }
}

@discardableResult
func readTar(_ bytes: [UInt8], chunkSize: Int = 1 << 20, limits: TarLimits = .bundle) throws -> RecordingVisitor {
    let visitor = RecordingVisitor()
    let reader = TarReader(limits: limits, visitor: visitor)
    try feedInChunks(bytes, chunkSize: chunkSize) { try reader.feed($0) }
    try reader.finish()
    return visitor
}

/// A scratch directory removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "exthost-tar-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> URL { URL(fileURLWithPath: path + "/" + relative) }

    /// Writes `files` (path → content; a trailing `/` makes a directory) below `relative`.
    func makeTree(_ relative: String, _ files: [String: String], executable: Set<String> = []) throws -> String {
        let root = path + "/" + relative
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for (name, content) in files {
            let url = URL(fileURLWithPath: root + "/" + name)
            if name.hasSuffix("/") {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                continue
            }
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
            let mode = executable.contains(name) ? 0o755 : 0o644
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        }
        return root
    }
}

/// Runs a command; throws when it exits non-zero.
@discardableResult
func run(_ arguments: [String], in directory: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw CommandFailed(command: arguments.joined(separator: " "), status: process.terminationStatus, output: text)
    }
    return text
}

struct CommandFailed: Error, CustomStringConvertible {
    let command: String
    let status: Int32
    let output: String
    var description: String { "\(command) exited \(status): \(output)" }
}

/// Every regular file below `root`, path → contents, and every directory (with a trailing `/`).
func snapshot(_ root: String) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    let manager = FileManager.default
    for case let relative as String in manager.enumerator(atPath: root)! {
        var isDirectory: ObjCBool = false
        _ = manager.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            result[relative + "/"] = []
        } else {
            result[relative] = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)))
        }
    }
    return result
}

func permissions(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
}
