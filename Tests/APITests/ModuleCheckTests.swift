import API
import Bundle
import ExthostCore
import Foundation
import JSON
import Testing

/// The publish-time module check (issue 8 item 4) on real bundles: packed with `BundlePacker`,
/// modules assembled from WAT text by Debian's `wat2wasm`, read back by `ModuleCheck`.
@Suite struct ModuleCheckTests {
    /// Everything exthost-wasm@1 asks of a module, with a handler named `hello`.
    static let validModule = """
        (module
          (import "exthost" "log" (func (param i32 i32 i32)))
          (memory (export "memory") 1)
          (func (export "exthost_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "hello") (param i32 i32) (result i64) (i64.const 0)))
        """

    @Test func aValidModulePasses() throws {
        let bundle = try TestBundle(wat: Self.validModule)
        try ModuleCheck.check(bundleFile: bundle.path, manifest: bundle.manifest)
    }

    @Test func everyProblemIsListedAsModuleInvalid() throws {
        let bundle = try TestBundle(wat: """
            (module
              (import "env" "abort" (func))
              (memory (export "memory") 1)
              (func (export "hello") (param i32) (result i32) (i32.const 0)))
            """)
        let problems = try moduleProblems { try ModuleCheck.check(bundleFile: bundle.path, manifest: bundle.manifest) }
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("import env.abort:") })
        #expect(problems.contains { $0.hasPrefix("export exthost_alloc: missing") })
        #expect(problems.contains { $0.hasPrefix("export hello: has type (i32)->(i32)") })
    }

    @Test func aFunctionBodyThatDoesNotValidateIsRefused() throws {
        // Valid binary structure, but the body returns an i32 where i64 is declared.
        let wat = Self.validModule.replacingOccurrences(of: "(i64.const 0)", with: "(i32.const 0)")
        let wasm = try Wat.compile(wat, validate: false)
        let problems = try moduleProblems { try ModuleCheck.check(wasm, manifest: TestBundle.manifest()) }
        #expect(problems.count == 1 && problems[0].contains("does not validate"), "\(problems)")
    }

    @Test func garbageBytesAreRefused() throws {
        let bundle = try TestBundle(wasm: Array("not a module at all".utf8))
        let problems = try moduleProblems { try ModuleCheck.check(bundleFile: bundle.path, manifest: bundle.manifest) }
        #expect(problems.count == 1 && problems[0].contains("does not parse"), "\(problems)")
    }

    @Test func anEntryOverTheLimitIsRefusedFromItsHeader() throws {
        let bundle = try TestBundle(wasm: [UInt8](repeating: 0, count: (1 << 20) + 1))
        let reader = EntryModuleReader(entry: bundle.manifest.entry, maxBytes: 1 << 20)
        let problems = try moduleProblems { try bundle.feed(reader) }
        #expect(problems == ["entry dist/main.wasm: 1048577 bytes, over the 1 MiB limit for a module"])
    }

    @Test func aUIOnlyExtensionHasNoModuleToCheck() throws {
        let manifest = try TestBundle.manifest(endpoints: false)
        #expect(!ModuleCheck.applies(to: manifest))
        #expect(ModuleCheck.applies(to: try TestBundle.manifest()))
        // Not even a bundle file is read.
        try ModuleCheck.check(bundleFile: "/nonexistent/bundle.tar.zst", manifest: manifest)
    }

    @Test func theReaderStopsAfterTheEntryUnlessAskedToReadToTheEnd() throws {
        let bundle = try TestBundle(wat: Self.validModule)
        let early = EntryModuleReader(entry: "dist/main.wasm")
        try bundle.feed(early)
        let stopped = try early.finish()
        #expect(stopped.module == bundle.wasm)
        #expect(stopped.digest == nil)

        let whole = EntryModuleReader(entry: "dist/main.wasm", readsToEnd: true)
        try bundle.feed(whole)
        let complete = try whole.finish()
        #expect(complete.module == bundle.wasm)
        #expect(complete.digest?.contentHash == bundle.digest.contentHash)

        let absent = EntryModuleReader(entry: "dist/other.wasm")
        try bundle.feed(absent)
        #expect(try absent.finish().module == nil)
        let problems = try moduleProblems { try ModuleCheck.check(nil, manifest: bundle.manifest) }
        #expect(problems == ["entry dist/main.wasm: the bundle has no such file"])
    }

    @Test func theErrorIsA422WithAnIssuesList() throws {
        let bundle = try TestBundle(wasm: Array("garbage".utf8))
        do {
            try ModuleCheck.check(bundleFile: bundle.path, manifest: bundle.manifest)
            Issue.record("garbage passed the module check")
        } catch let error as any HTTPError {
            #expect(error.status == .unprocessableEntity)
            #expect(error.code == "MODULE_INVALID")
            let issues = try #require(error.extraMembers.first { $0.name == "issues" })
            let parsed = try JSONValue.parse(Array(issues.json.utf8))
            #expect(parsed[0]?.stringValue?.contains("does not parse") == true)
        }
    }

    /// The problems of the MODULE_INVALID `body` throws, read through the public error surface.
    private func moduleProblems(_ body: () throws -> Void) throws -> [String] {
        do {
            try body()
        } catch let error as any HTTPError where error.code == "MODULE_INVALID" {
            let issues = try #require(error.extraMembers.first { $0.name == "issues" })
            let parsed = try JSONValue.parse(Array(issues.json.utf8))
            return try #require(parsed.arrayValue).compactMap(\.stringValue)
        }
        Issue.record("no MODULE_INVALID was thrown")
        return []
    }
}

/// A bundle packed into a temporary directory: manifest.json with one `hello` endpoint, the
/// module at dist/main.wasm and a UI page.
private struct TestBundle {
    let path: String
    let wasm: [UInt8]
    let manifest: Manifest
    let digest: BundleDigest

    init(wat: String) throws {
        try self.init(wasm: Wat.compile(wat))
    }

    init(wasm: [UInt8]) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("modulecheck-\(UUID().uuidString)")
        let source = root.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("dist"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: source.appendingPathComponent("ui"), withIntermediateDirectories: true)
        try Data(Self.manifestText(endpoints: true).utf8).write(to: source.appendingPathComponent("manifest.json"))
        try Data(wasm).write(to: source.appendingPathComponent("dist/main.wasm"))
        try Data("<p>hi</p>".utf8).write(to: source.appendingPathComponent("ui/index.html"))
        path = root.appendingPathComponent("bundle.tar.zst").path
        var bytes = Data()
        digest = try BundlePacker.pack(directory: source.path) { bytes.append(contentsOf: $0) }
        try bytes.write(to: URL(fileURLWithPath: path))
        self.wasm = wasm
        manifest = try Self.manifest()
    }

    /// Feeds the bundle file to `reader` in small chunks, as a store would stream it.
    func feed(_ reader: EntryModuleReader) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var offset = 0
        while offset < bytes.count {
            let chunk = bytes[offset..<min(offset + 100, bytes.count)]
            guard try chunk.withUnsafeBytes({ try reader.feed($0) }) else { return }
            offset += chunk.count
        }
    }

    static func manifest(endpoints: Bool = true) throws -> Manifest {
        try ManifestValidator.validate(Array(manifestText(endpoints: endpoints).utf8))
    }

    static func manifestText(endpoints: Bool) -> String {
        let api = endpoints ? #", "api": {"endpoints": [{"method": "GET", "path": "/hello/:name", "handler": "hello"}]}"# : ""
        return #"{"name": "hello", "publisher": "acme", "version": "1.0.0", "runtime": "exthost-wasm@1", "ui": {"type": "iframe", "entry": "ui/index.html"}"# + api + "}"
    }
}

/// Debian's `wat2wasm`, so test modules are written as text.
enum Wat {
    static func compile(_ text: String, validate: Bool = true) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("module.wat")
        let output = directory.appendingPathComponent("module.wasm")
        try Data(text.utf8).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wat2wasm")
        process.arguments = [input.path, "-o", output.path] + (validate ? [] : ["--no-check"])
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw WatFailure(text: text) }
        return Array(try Data(contentsOf: output))
    }

    struct WatFailure: Error {
        let text: String
    }
}
