import Bundle
import ContentCache
import Cryptography
import ExthostCore
import Foundation
import Synchronization
import Testing

/// A scratch directory holding a cache root and bundle sources, removed when the value goes away.
final class Scratch {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "exthost-cache-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var cacheRoot: String { path + "/cache" }

    func openCache() throws -> ContentCache { try ContentCache(root: cacheRoot, synchronizes: false) }

    /// Packs a bundle with a valid manifest, `ui/index.html` (unless `withUI` is false) and a
    /// `dist/payload.bin` of `payloadBytes` bytes; `tag` makes bundles distinct.
    func bundle(_ tag: String, payloadBytes: Int = 1000, withUI: Bool = true) throws -> TestBundle {
        let source = path + "/src-" + tag
        let ui = withUI ? #", "ui": {"type": "iframe", "entry": "ui/index.html"}"# : ""
        var files = [
            "manifest.json": #"{"name": "\#(tag)", "publisher": "acme", "version": "1.0.0", "runtime": "exthost-wasm@1"\#(ui)}"#,
            "dist/payload.bin": String(repeating: "x", count: payloadBytes),
        ]
        if withUI { files["ui/index.html"] = "<h1>\(tag)</h1>" }
        for (name, content) in files {
            let url = URL(fileURLWithPath: source + "/" + name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
        var bytes: [UInt8] = []
        let digest = try BundlePacker.pack(directory: source) { bytes.append(contentsOf: $0) }
        let treeBytes = files.values.reduce(0) { $0 + $1.utf8.count }
        return TestBundle(bytes: bytes, hash: digest.contentHash, treeBytes: treeBytes, indexHTML: files["ui/index.html"])
    }

    /// The names in a directory below the cache root, sorted; empty when it does not exist.
    func names(in relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cacheRoot + "/" + relative)) ?? []).sorted()
    }
}

struct TestBundle: Sendable {
    let bytes: [UInt8]
    let hash: ContentHash
    /// What the extracted tree's regular files add up to.
    let treeBytes: Int
    let indexHTML: String?

    /// Pushes the bytes in `chunkSize` pieces, the way a bundle store streams an object.
    func source(chunkSize: Int = 1000) -> ContentCache.ByteSource {
        let bytes = self.bytes
        return { sink in
            for start in stride(from: 0, to: bytes.count, by: chunkSize) {
                try bytes[start..<min(start + chunkSize, bytes.count)].withUnsafeBytes(sink)
            }
        }
    }

    /// The same bytes with one flipped in the middle.
    func tampered() -> TestBundle {
        var bytes = self.bytes
        bytes[bytes.count / 2] ^= 0x01
        return TestBundle(bytes: bytes, hash: hash, treeBytes: treeBytes, indexHTML: indexHTML)
    }
}

let unsignedPolicy = SignaturePolicy(trustStore: nil)

extension ContentCache {
    /// Installs `bundle` unsigned, without a trust store.
    @discardableResult
    func install(_ bundle: TestBundle, source: ContentCache.ByteSource? = nil) throws -> String {
        try install(
            hash: bundle.hash, signature: nil, publisher: "acme", policy: unsignedPolicy,
            source: source ?? bundle.source())
    }
}

/// The `ContentCacheError` code `body` throws, or "none".
func errorCode<T>(_ body: () throws -> T) -> String {
    do {
        _ = try body()
        return "none"
    } catch let error as ContentCacheError {
        #expect(!error.message.isEmpty)
        return error.code
    } catch {
        return "untyped: \(error)"
    }
}

/// Counts calls from any thread.
final class Counter: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    @discardableResult
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
}

/// Runs `body(0..<count)` on `count` threads of their own at once and waits for all of them.
func onSeparateThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    group.wait()
}

/// Waits (sleeping a millisecond at a time, at most 10 s) until `condition` holds; false on timeout.
@discardableResult
func waitUntil(_ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(10)
    while !condition() {
        guard Date() < deadline else { return false }
        usleep(1000)
    }
    return true
}

let extensionA = "0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"
let extensionB = "f0e1d2c3-b4a5-4968-8776-655443322110"
