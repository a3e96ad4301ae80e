import Bundle
import CacheFill
import ContentCache
import ExthostCore
import Foundation
import Testing

@Suite struct CacheFillClientTests {
    let hash = try! ContentCacheLayout.contentHash(String(repeating: "ab", count: 32))

    @Test func sendsOneFillLineAndReturnsThePath() throws {
        let server = try ScriptedSocketServer { _ in Array("OK /var/cache/exthost/sha256/abab\n".utf8) }
        let path = try CacheFillClient(socketPath: server.path).fill(hash, timeout: .seconds(5))
        #expect(path == "/var/cache/exthost/sha256/abab")
        #expect(server.requests == ["FILL sha256:" + String(repeating: "ab", count: 32)])
    }

    @Test func refusalsCarryTheDaemonsCodeAndMessage() throws {
        let server = try ScriptedSocketServer { _ in Array("ERR NOT_REGISTERED no registered bundle has it\n".utf8) }
        #expect(throws: CacheFillError.refused(code: "NOT_REGISTERED", message: "no registered bundle has it")) {
            try CacheFillClient(socketPath: server.path).fill(hash, timeout: .seconds(5))
        }
    }

    @Test func aMalformedAnswerIsAProtocolError() throws {
        let server = try ScriptedSocketServer { _ in Array("YES relative/path\n".utf8) }
        let error = try #require(throws: CacheFillError.self) {
            try CacheFillClient(socketPath: server.path).fill(hash, timeout: .seconds(5))
        }
        #expect(error.code == "CACHEFILL_PROTOCOL_ERROR")
        #expect(error.status == .badGateway)
    }

    @Test func anEndlessAnswerLineIsAProtocolErrorNotUnboundedMemory() throws {
        let server = try ScriptedSocketServer { _ in [UInt8](repeating: UInt8(ascii: "x"), count: FillResponse.maxLineBytes + 100) }
        let error = try #require(throws: CacheFillError.self) {
            try CacheFillClient(socketPath: server.path).fill(hash, timeout: .seconds(5))
        }
        #expect(error.code == "CACHEFILL_PROTOCOL_ERROR")
    }

    @Test func aSilentDaemonTimesOutWithinTheBound() throws {
        let server = try ScriptedSocketServer { _ in nil }
        let started = ContinuousClock.now
        #expect(throws: CacheFillError.timeout) {
            try CacheFillClient(socketPath: server.path).fill(hash, timeout: .milliseconds(300))
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(300) && elapsed < .milliseconds(1500))
    }

    @Test func aDaemonThatHangsUpIsUnavailable() throws {
        let server = try ScriptedSocketServer { _ in [] }
        let error = try #require(throws: CacheFillError.self) {
            try CacheFillClient(socketPath: server.path).fill(hash, timeout: .seconds(5))
        }
        #expect(error.code == "CACHEFILL_UNAVAILABLE")
        #expect(error.status == .serviceUnavailable)
    }

    @Test func noSocketIsUnavailableAtOnce() {
        let started = ContinuousClock.now
        let error = #expect(throws: CacheFillError.self) {
            try CacheFillClient(socketPath: "/nonexistent/cachefill.sock").fill(hash, timeout: .seconds(5))
        }
        guard case .unavailable(let reason) = error else {
            Issue.record("expected unavailable, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("No such file"))
        #expect(ContinuousClock.now - started < .seconds(1))
    }
}

@Suite struct CacheFillErrorTests {
    @Test(arguments: [
        (CacheFillError.unavailable(reason: "x"), 503, "CACHEFILL_UNAVAILABLE"),
        (CacheFillError.timeout, 504, "CACHEFILL_TIMEOUT"),
        (CacheFillError.refused(code: "NOT_REGISTERED", message: "m"), 404, "NOT_REGISTERED"),
        (CacheFillError.refused(code: "NOT_ENABLED", message: "m"), 404, "NOT_ENABLED"),
        (CacheFillError.refused(code: "CACHE_HASH_MISMATCH", message: "m"), 502, "CACHE_HASH_MISMATCH"),
        (CacheFillError.protocolError("x"), 502, "CACHEFILL_PROTOCOL_ERROR"),
    ])
    func statusAndCode(error: CacheFillError, status: Int, code: String) {
        #expect(error.status.code == status)
        #expect(error.code == code)
    }

    @Test func unavailableKeepsSocketDetailsOutOfTheMessage() {
        let error = CacheFillError.unavailable(reason: "connect /run/exthost/cachefill.sock: Connection refused")
        #expect(!error.message.contains("/run/exthost"))
        #expect(error.description.contains("Connection refused"))
        #expect(error.extraHeaders.contains { $0.name == "Retry-After" })
    }
}
