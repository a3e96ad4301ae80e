import CacheFill
import Testing

@Suite struct ConfigurationTests {
    @Test(arguments: [
        ("1", 1), ("4096", 4096), ("1K", 1024), ("1k", 1024), ("512M", 512 << 20), ("20G", 20 << 30), ("2T", 2 << 40),
    ])
    func parsesByteCounts(text: String, bytes: Int) {
        #expect(CacheFillConfiguration.parseByteCount(text) == bytes)
    }

    @Test(arguments: ["", "0", "-5", "1.5G", "G", "12X", "1KB", "99999999999999999999", "9000000000000T", " 1"])
    func refusesOtherByteCounts(text: String) {
        #expect(CacheFillConfiguration.parseByteCount(text) == nil)
    }

    @Test func theHardLimitIsAQuarterAboveTheBudgetAndNeverOverflows() {
        #expect(CacheFillConfiguration(maxBytes: 1000).hardLimitBytes == 1250)
        #expect(CacheFillConfiguration(maxBytes: Int.max).hardLimitBytes == Int.max)
        #expect(CacheFillConfiguration().hardLimitBytes == nil)
    }

    @Test func theStatusFileDefaultsToTheSocketsDirectory() {
        #expect(CacheFillConfiguration(socketPath: "/run/exthost/cachefill.sock").statusFile == "/run/exthost/cachefill-status.json")
        #expect(CacheFillConfiguration(socketPath: "/s.sock").statusFile == "/cachefill-status.json")
        #expect(CacheFillConfiguration(statusFile: "/tmp/x.json").statusFile == "/tmp/x.json")
    }

    @Test func problemsNameEveryInvalidSetting() {
        #expect(CacheFillConfiguration().problems().isEmpty)
        let bad = CacheFillConfiguration(
            socketPath: "relative.sock", cacheDirectory: "cache", statusFile: "/ok.json",
            reconcileInterval: .zero, fillTimeout: .seconds(-1), maxBytes: 0, maxConnections: 0)
        #expect(bad.problems().count == 6)
        let long = CacheFillConfiguration(socketPath: "/" + String(repeating: "s", count: 120))
        #expect(long.problems().count == 1)
    }
}

@Suite struct ReconcileScopeTests {
    let id = "0b6e3d2c-4f1a-4a8e-9c61-5f0f2d1b7e10"

    @Test func anInstallNotificationNamesItsExtension() {
        let payload = #"{"op":"updated","installId":"i","tenantId":"t","extensionId":"\#(id)","contentHash":"sha256:ab","enabled":false}"#
        #expect(ReconcileScope(notificationPayload: payload) == .extensions([id]))
    }

    @Test func aBundleNotificationNamesItsExtension() {
        let payload = #"{"contentHash":"sha256:ab","extensionId":"\#(id)","version":"1.0.0","size":12}"#
        #expect(ReconcileScope(notificationPayload: payload) == .extensions([id]))
    }

    @Test(arguments: ["", "not json", "{}", #"{"extensionId":5}"#, "[]"])
    func anUnreadablePayloadMeansEverything(payload: String) {
        #expect(ReconcileScope(notificationPayload: payload) == .everything)
    }

    @Test func scopesMerge() {
        let a = ReconcileScope.extensions(["a"])
        #expect(a.merged(with: .extensions(["b"])) == .extensions(["a", "b"]))
        #expect(a.merged(with: .everything) == .everything)
        #expect(ReconcileScope.everything.merged(with: a) == .everything)
        #expect(a.contains(extensionID: "a") && !a.contains(extensionID: "b"))
        #expect(ReconcileScope.everything.contains(extensionID: "anything"))
    }
}
