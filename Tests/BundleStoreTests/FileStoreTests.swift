import BundleStore
import Cryptography
import ExthostCore
import Foundation
import Testing

/// Guarantees only the file store has to show: races between writers, crashes, paths and its
/// own presigned URLs.
@Suite struct FileStoreTests {
    static func read(_ store: FileBundleStore, _ key: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try store.open(key, range: nil, sink: { bytes.append(contentsOf: $0) })
        return bytes
    }

    @Test func concurrentPutOnceFromTwoThreadsHasOneWinner() throws {
        let fixture = try TemporaryFileStore()
        for round in 0..<20 {
            let key = "sha256/race\(round)/bundle.tar.zst"
            let bodies = [ByteStream.bytes(200_000, seed: 1), ByteStream.bytes(200_000, seed: 2)]
            let outcomes = Outcomes()
            let store = fixture.store
            DispatchQueue.concurrentPerform(iterations: 2) { writer in
                outcomes.record(writer, storeError { try store.putOnce(key, body: .bytes(bodies[writer])) })
            }
            let results = outcomes.sorted()
            #expect(results.filter { $0.error == nil }.count == 1)
            #expect(results.compactMap { $0.error?.code } == ["OBJECT_EXISTS"])
            let winner = try #require(results.first { $0.error == nil }).writer
            #expect(try Self.read(fixture.store, key) == bodies[winner])
        }
        #expect(try fixture.names(in: "tmp").isEmpty)
    }

    /// Another process links its own temporary file to the same name: exactly one of the two
    /// publishes, whichever goes first, and the loser's bytes never show.
    @Test func concurrentPutOnceAgainstAnotherProcessHasOneWinner() throws {
        let fixture = try TemporaryFileStore()
        let script = """
            import os, sys
            root, key = sys.argv[1], sys.argv[2]
            temporary = os.path.join(root, "tmp", "other-%d" % os.getpid())
            with open(temporary, "xb") as f:
                f.write(b"other process"); f.flush(); os.fsync(f.fileno())
            os.makedirs(os.path.dirname(os.path.join(root, key)), exist_ok=True)
            try:
                os.link(temporary, os.path.join(root, key)); print("won")
            except FileExistsError:
                print("exists")
            os.unlink(temporary)
            """
        for round in 0..<6 {
            let key = "sha256/process\(round)/bundle.tar.zst"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, fixture.root, key]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            // Odd rounds let the other process finish first, even ones race it.
            if round % 2 == 1 { process.waitUntilExit() }
            let ours = storeError { try fixture.store.putOnce(key, body: .bytes(Array("this process".utf8))) }
            process.waitUntilExit()
            let theirs = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0)
            let otherWon = theirs == "won\n"
            #expect(otherWon || theirs == "exists\n")
            #expect((ours == nil) != otherWon, "round \(round): ours \(String(describing: ours)), theirs \(theirs)")
            if let ours { #expect(ours.code == "OBJECT_EXISTS") }
            #expect(try Self.read(fixture.store, key) == Array((otherWon ? "other process" : "this process").utf8))
            if round % 2 == 1 { #expect(otherWon) }
        }
    }

    /// A writer killed after writing its temporary file and before the link leaves nothing
    /// under the final name; the sweep removes its file once it is old enough.
    @Test func writerKilledBeforeTheLinkLeavesNothingVisible() throws {
        let fixture = try TemporaryFileStore()
        let key = "sha256/crash/bundle.tar.zst"
        let script = """
            import os, signal, sys
            with open(os.path.join(sys.argv[1], "tmp", "killed-writer"), "xb") as f:
                f.write(b"x" * 100000); f.flush(); os.fsync(f.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
            """
        let killed = try runProgram(["python3", "-c", script, fixture.root])
        #expect(killed.status == Int32(SIGKILL))
        #expect(try fixture.names(in: "tmp") == ["killed-writer"])
        #expect(try fixture.store.info(key) == nil)

        // A body whose source fails halfway leaves nothing either.
        var sent = 0
        let failed = storeError {
            try fixture.store.putOnce(key, body: .stream(length: 1 << 20) { buffer in
                guard sent < 300_000 else { throw CancellationError() }
                sent += buffer.count
                return buffer.count
            })
        }
        #expect(failed.map { if case .sourceFailed(let underlying) = $0 { underlying is CancellationError } else { false } } == true)
        #expect(try fixture.store.info(key) == nil)
        var listed: [String] = []
        try fixture.store.list(prefix: "") { listed.append($0.key) }
        #expect(listed.isEmpty)

        // Young temporary files are a live writer's: kept. Old ones go.
        #expect(try fixture.store.sweepTemporaryFiles(olderThan: 3600) == 0)
        let old = Date(timeIntervalSinceNow: -7200)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: fixture.path("tmp/killed-writer"))
        try Data("young".utf8).write(to: URL(fileURLWithPath: fixture.path("tmp/young-writer")))
        #expect(try fixture.store.sweepTemporaryFiles(olderThan: 3600) == 1)
        #expect(try fixture.names(in: "tmp") == ["young-writer"])
        #expect(try fixture.store.info(key) == nil)
    }

    @Test func keysCannotEscapeTheRootOrReachTheStoresOwnDirectories() throws {
        let fixture = try TemporaryFileStore()
        let keys = ["../escaped", "sha256/../../escaped", "/etc/passwd", "sha256//x", "sha256/x/", "", "tmp/x", "multipart/x", "a/\u{1}b"]
        for key in keys {
            #expect(storeError { try fixture.store.putOnce(key, body: .bytes([1])) }?.code == "STORE_KEY_INVALID", "\(key)")
            #expect(storeError { _ = try fixture.store.info(key) }?.code == "STORE_KEY_INVALID", "\(key)")
            #expect(storeError { try fixture.store.delete(key) }?.code == "STORE_KEY_INVALID", "\(key)")
            #expect(storeError { _ = try fixture.store.beginMultipart(key) }?.code == "STORE_KEY_INVALID", "\(key)")
        }
        let parent = fixture.directory.deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["root"])
        #expect(storeError { _ = try fixture.store.stagingKey(uploadId: "../../x") }?.code == "UPLOAD_ID_INVALID")
    }

    @Test func plantedSymlinksAreNotFollowed() throws {
        let fixture = try TemporaryFileStore()
        let outside = fixture.directory.deletingLastPathComponent().appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: outside.appendingPathComponent("file"))
        try FileManager.default.createSymbolicLink(atPath: fixture.path("sha256"), withDestinationPath: outside.path)
        try FileManager.default.createDirectory(atPath: fixture.path("staging/abcdefgh"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.path("staging/abcdefgh/bundle.tar.zst"), withDestinationPath: outside.appendingPathComponent("file").path)

        #expect(storeError { try fixture.store.putOnce("sha256/abc/bundle.tar.zst", body: .bytes([1])) }?.code == "STORAGE_MISCONFIGURED")
        #expect(storeError { _ = try fixture.store.info("sha256/file") }?.code == "STORAGE_MISCONFIGURED")
        #expect(try fixture.store.info("staging/abcdefgh/bundle.tar.zst") == nil)
        #expect(storeError { _ = try Self.read(fixture.store, "staging/abcdefgh/bundle.tar.zst") }?.code == "STORAGE_MISCONFIGURED")
        var listed: [String] = []
        try fixture.store.list(prefix: "") { listed.append($0.key) }
        #expect(listed.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path) == ["file"])
    }

    @Test func listingFollowsS3KeyOrderAndDeletesPruneEmptyDirectories() throws {
        let fixture = try TemporaryFileStore()
        let keys = ["a0", "a/y/z", "a-b/x", "a/x", "b"]
        for key in keys { try fixture.store.putOnce(key, body: .bytes(Array(key.utf8))) }
        _ = try fixture.store.beginMultipart("a/in-progress")
        var listed: [StoredObject] = []
        try fixture.store.list(prefix: "") { listed.append($0) }
        #expect(listed.map(\.key) == ["a-b/x", "a/x", "a/y/z", "a0", "b"])
        #expect(listed.allSatisfy { $0.lastModified.hasSuffix(".000Z") && $0.size == Int64($0.key.utf8.count) })
        var prefixed: [String] = []
        try fixture.store.list(prefix: "a/") { prefixed.append($0.key) }
        #expect(prefixed == ["a/x", "a/y/z"])
        var partial: [String] = []
        try fixture.store.list(prefix: "a/y") { partial.append($0.key) }
        #expect(partial == ["a/y/z"])

        try fixture.store.delete("a/y/z")
        #expect(!FileManager.default.fileExists(atPath: fixture.path("a/y")))
        #expect(FileManager.default.fileExists(atPath: fixture.path("a/x")))
        try fixture.store.delete("a/y/z")
    }

    @Test func etagsComeFromTheFileAndCopiesShareThem() throws {
        let fixture = try TemporaryFileStore()
        let etag = try fixture.store.putOnce("sha256/one/bundle.tar.zst", body: .bytes([1, 2, 3]))
        #expect(etag.hasPrefix("\"3-") && etag.hasSuffix("\""))
        #expect(try fixture.store.info("sha256/one/bundle.tar.zst")?.etag == etag)
        #expect(try fixture.store.copyOnce(from: "sha256/one/bundle.tar.zst", to: "sha256/two/bundle.tar.zst") == etag)
        let head = try #require(try fixture.store.info("sha256/two/bundle.tar.zst"))
        #expect(head.lastModified.hasSuffix(" GMT"))
        let ranged = try fixture.store.open("sha256/two/bundle.tar.zst", range: 1...1, sink: { #expect(Array($0) == [2]) })
        #expect(ranged.size == 1)
        #expect(storeError { try fixture.store.open("sha256/two/bundle.tar.zst", range: 3...4, sink: { _ in }) }?.code == "STORAGE_PROTOCOL_ERROR")
    }

    @Test func multipartChecksItsPartsAndCleansUp() throws {
        let fixture = try TemporaryFileStore()
        let key = "staging/multipart-test/bundle.tar.zst"
        let id = try fixture.store.beginMultipart(key)
        let small = try fixture.store.uploadPart(key, multipartId: id, partNumber: 1, body: .bytes([1, 2]))
        let last = try fixture.store.uploadPart(key, multipartId: id, partNumber: 2, body: .bytes([3]))
        #expect(small == "\"" + SHA256.hash([UInt8]([1, 2])).hex + "\"")
        let parts = [S3Part(number: 1, etag: small), S3Part(number: 2, etag: last)]
        #expect(storeError { try fixture.store.completeMultipart(key, multipartId: id, parts: parts, ifNoneMatch: true) }.map(\.message)?.contains("EntityTooSmall") == true)
        #expect(storeError { try fixture.store.completeMultipart(key, multipartId: id, parts: [S3Part(number: 3, etag: last)], ifNoneMatch: true) }.map(\.message)?.contains("InvalidPart") == true)
        #expect(storeError { try fixture.store.completeMultipart(key, multipartId: id, parts: [], ifNoneMatch: true) }?.code == "MULTIPART_INVALID")
        #expect(try fixture.store.info(key) == nil)
        // Ids are bound to their key and must look like ours.
        #expect(storeError { _ = try fixture.store.uploadPart("staging/other-key/bundle.tar.zst", multipartId: id, partNumber: 1, body: .bytes([1])) }?.code == "OBJECT_NOT_FOUND")
        #expect(storeError { _ = try fixture.store.uploadPart(key, multipartId: "../../tmp", partNumber: 1, body: .bytes([1])) }?.code == "OBJECT_NOT_FOUND")
        // Without ifNoneMatch completion replaces, as S3 does; the parts go away after it.
        try fixture.store.putOnce(key, body: .bytes([0]))
        try fixture.store.completeMultipart(key, multipartId: id, parts: [S3Part(number: 2, etag: last.replacingOccurrences(of: "\"", with: ""))], ifNoneMatch: false)
        #expect(try Self.read(fixture.store, key) == [3])
        #expect(try fixture.names(in: "multipart").isEmpty)
        #expect(try fixture.names(in: "tmp").isEmpty)
        #expect(storeError { _ = try fixture.store.uploadPart(key, multipartId: id, partNumber: 1, body: .bytes([1])) }?.code == "OBJECT_NOT_FOUND")
    }

    @Test func presignedURLsVerifyOnlyUnalteredAndUnexpired() throws {
        let fixture = try TemporaryFileStore()
        let store = fixture.store
        let upload = try store.presignUpload("staging/abcdefgh-1234/bundle.tar.zst", expiresIn: 600, contentLength: 10)
        let parsed = try #require(URLComponents(string: upload.url))
        #expect(upload.url.hasPrefix("https://exthost.test/api/ext-bundles/upload/abcdefgh-1234?expires="))
        let path = parsed.path
        let expires = try #require(parsed.queryItems?.first { $0.name == "expires" }?.value.flatMap { Int64($0) })
        let signature = try #require(parsed.queryItems?.first { $0.name == "signature" }?.value)
        let now = Int64(Date().timeIntervalSince1970)
        #expect((now + 599...now + 601).contains(expires))
        #expect(signature.count == 64)
        let expected = Hex.encode(HMACSHA256.authenticationCode(key: TemporaryFileStore.signingKey, message: Array("PUT\n\(path)\n\(expires)".utf8)))
        #expect(signature == expected)

        #expect(store.verifyPresigned(method: "PUT", path: path, expires: expires, signature: signature, now: now))
        #expect(store.verifyPresigned(method: "PUT", path: path, expires: expires, signature: signature, now: expires))
        #expect(!store.verifyPresigned(method: "PUT", path: path, expires: expires, signature: signature, now: expires + 1))
        #expect(!store.verifyPresigned(method: "PUT", path: path + "x", expires: expires, signature: signature, now: now))
        #expect(!store.verifyPresigned(method: "PUT", path: "/api/ext-bundles/upload/abcdefgh-9999", expires: expires, signature: signature, now: now))
        #expect(!store.verifyPresigned(method: "PUT", path: path, expires: expires + 3600, signature: signature, now: now))
        #expect(!store.verifyPresigned(method: "GET", path: path, expires: expires, signature: signature, now: now))
        let flipped = String(signature.dropLast()) + (signature.hasSuffix("0") ? "1" : "0")
        #expect(!store.verifyPresigned(method: "PUT", path: path, expires: expires, signature: flipped, now: now))
        #expect(!store.verifyPresigned(method: "PUT", path: path, expires: expires, signature: "zz" + signature.dropFirst(2), now: now))
        #expect(!store.verifyPresigned(method: "PUT", path: path, expires: expires, signature: "", now: now))
        let otherKey = try TemporaryFileStore(signingKey: Array("another key".utf8))
        #expect(!otherKey.store.verifyPresigned(method: "PUT", path: path, expires: expires, signature: signature, now: now))

        let part = try store.presignPart("staging/abcdefgh-1234/bundle.tar.zst", multipartId: "ignored", partNumber: 3, expiresIn: 60)
        let partURL = try #require(URLComponents(string: part.url))
        #expect(partURL.path == "/api/ext-bundles/upload/abcdefgh-1234/parts/3")
        let download = try store.presignDownload("sha256/abc/bundle.tar.zst", expiresIn: 60)
        let downloadURL = try #require(URLComponents(string: download.url))
        #expect(downloadURL.path == "/api/ext-bundles/download/sha256/abc/bundle.tar.zst")
        let downloadSignature = try #require(downloadURL.queryItems?.first { $0.name == "signature" }?.value)
        let downloadExpires = try #require(downloadURL.queryItems?.first { $0.name == "expires" }?.value.flatMap { Int64($0) })
        #expect(store.verifyPresigned(method: "GET", path: downloadURL.path, expires: downloadExpires, signature: downloadSignature, now: now))
        #expect(!store.verifyPresigned(method: "PUT", path: downloadURL.path, expires: downloadExpires, signature: downloadSignature, now: now))

        #expect(storeError { _ = try store.presignUpload("sha256/abc/bundle.tar.zst", expiresIn: 60, contentLength: nil) }?.code == "STORE_KEY_INVALID")
        #expect(storeError { _ = try store.presignUpload("staging/abcdefgh-1234/bundle.tar.zst", expiresIn: 7 * 24 * 3600 + 1, contentLength: nil) } != nil)
    }

    @Test func initRefusesAnEmptySigningKeyAndABaseOnItsOwnDirectories() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let empty = storeError { _ = try FileBundleStore(root: directory.path, publicBase: "https://x", signingKey: [], keyPolicy: BundleKeyPolicy(base: "sha256/")) }
        #expect(empty?.code == "STORAGE_MISCONFIGURED")
        let reserved = storeError { _ = try FileBundleStore(root: directory.path, publicBase: "https://x", signingKey: [1], keyPolicy: BundleKeyPolicy(base: "tmp/")) }
        #expect(reserved?.code == "STORAGE_MISCONFIGURED")
    }
}

/// What each racing writer got, collected across threads.
final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [(writer: Int, error: BundleStoreError?)] = []

    func record(_ writer: Int, _ error: BundleStoreError?) {
        lock.withLock { results.append((writer, error)) }
    }

    func sorted() -> [(writer: Int, error: BundleStoreError?)] {
        lock.withLock { results.sorted { $0.writer < $1.writer } }
    }
}
