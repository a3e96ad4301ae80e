import Bundle
import ExthostCore
import FastCGI
import Foundation
import Runner
import Synchronization

/// The registry as a fixed set of enabled `extensionID contentHash` pairs.
struct FixedPairs: EnabledPairLookup {
    var enabled: Set<String>
    var failure: TestFailure?

    func isEnabled(extensionID: String, contentHash: String) throws -> Bool {
        if let failure { throw failure }
        return enabled.contains(extensionID + " " + contentHash)
    }
}

/// cachefill, recording each fill; `makeTree` plays the daemon's part of extracting the bundle.
final class RecordingFiller: TreeFiller {
    let root: String
    let failure: TestFailure?
    let makeTree: @Sendable (String) throws -> Void
    let calls = Mutex<[(ContentHash, Duration)]>([])

    init(root: String, failure: TestFailure? = nil, makeTree: @escaping @Sendable (String) throws -> Void = { _ in }) {
        self.root = root
        self.failure = failure
        self.makeTree = makeTree
    }

    func fill(_ hash: ContentHash, timeout: Duration) throws -> String {
        calls.withLock { $0.append((hash, timeout)) }
        if let failure { throw failure }
        let path = root + "/sha256/" + hash.hex
        try makeTree(path)
        return path
    }

    var callCount: Int { calls.withLock { $0.count } }
    var hashes: [ContentHash] { calls.withLock { $0.map(\.0) } }
    var timeouts: [Duration] { calls.withLock { $0.map(\.1) } }
}

/// An error with any status, standing in for the registry's or cachefill's own errors.
struct TestFailure: HTTPError, Equatable {
    var status: HTTPStatus
    var code: String
    var message: String { "test failure \(code)" }
}

/// A temporary cache root, removed when the value goes away.
final class TemporaryCacheRoot: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("runner-tests-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `files` (relative to `<tree>/ui/`, "name/" for an empty directory) into `tree`.
    static func writeTree(_ tree: String, _ files: [String]) throws {
        let ui = tree + "/ui"
        try FileManager.default.createDirectory(atPath: ui, withIntermediateDirectories: true)
        for file in files {
            let path = ui + "/" + file
            if file.hasSuffix("/") {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } else {
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data("contents of \(file)".utf8).write(to: URL(fileURLWithPath: path))
            }
        }
    }
}

func request(_ path: String, method: String = "GET") throws -> Request {
    try Request(fastCGIParameters: ["REQUEST_METHOD": method, "REQUEST_URI": path], body: MemoryByteSource([]))
}

func headText(_ response: Response) -> String {
    String(decoding: response.cgiHead(requestID: "test"), as: UTF8.self)
}
