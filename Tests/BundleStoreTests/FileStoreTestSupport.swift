import BundleStore
import Foundation
import Testing

/// A file store in a fresh temporary directory, removed when the value goes away.
final class TemporaryFileStore {
    static let signingKey = Array("file-store-test-signing-key-0123".utf8)
    let directory: URL
    let store: FileBundleStore

    var root: String { directory.path }

    init(signingKey: [UInt8] = TemporaryFileStore.signingKey) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-\(UUID().uuidString)/root")
        store = try FileBundleStore(
            root: directory.path, publicBase: "https://exthost.test/", signingKey: signingKey, keyPolicy: BundleKeyPolicy(base: "sha256/"))
    }

    deinit { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }

    func path(_ key: String) -> String { directory.appendingPathComponent(key).path }

    func names(in relative: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path(relative)).sorted()
    }
}

/// The error a throwing store call fails with, or nil when it succeeds.
func storeError<T>(_ body: () throws -> T) -> BundleStoreError? {
    do {
        _ = try body()
        return nil
    } catch let error as BundleStoreError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
