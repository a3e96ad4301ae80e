import CacheFill
import Foundation
import Testing

@Suite struct CacheFillStatusFileTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func readsTheDaemonsStatusLine() throws {
        let path = try write(#"{"updated":1700000000,"pid":42,"ready":true,"listenerConnected":true,"lastReconcile":1699999990,"lastReconcileSucceeded":true,"fills":3,"failures":1,"requests":9,"evictions":2,"bytes":4096,"maxBytes":null,"trees":2,"links":1}"# + "\n")
        defer { unlink(path) }
        let status = try #require(CacheFillStatusFile.read(path))
        #expect(status.pid == 42 && status.ready && status.fills == 3 && status.failures == 1 && status.requests == 9)
        #expect(status.evictions == 2 && status.bytes == 4096 && status.maxBytes == nil && status.trees == 2 && status.lastReconcile == 1699999990)
    }

    @Test func aMissingPartialOrForeignFileIsNil() throws {
        #expect(CacheFillStatusFile.read("/nonexistent/cachefill-status.json") == nil)
        let partial = try write(#"{"updated":1700000000,"pid":42,"ready":tr"#)
        defer { unlink(partial) }
        #expect(CacheFillStatusFile.read(partial) == nil)
        let foreign = try write(#"{"status":"ok"}"#)
        defer { unlink(foreign) }
        #expect(CacheFillStatusFile.read(foreign) == nil)
    }
}
