import Foundation
import HTTPClient
import Synchronization
import Testing

@Suite struct BehaviourTests {
    @Test func redirectsAreReturnedNotFollowed() throws {
        let server = try LocalHTTPServer.plain.get()
        let response = try HTTPClient().send(HTTPRequest(url: server.url("/redirect")))
        #expect(response.status == 302)
        #expect(response.head.firstValue(for: "location") == "/bytes?n=10")
        #expect(response.body.isEmpty)
    }

    @Test func errorStatusesAreResponsesNotErrors() throws {
        let server = try LocalHTTPServer.plain.get()
        let response = try HTTPClient().send(HTTPRequest(url: server.url("/status?code=503")))
        #expect(response.status == 503)
        #expect(String(bytes: response.body) == "status 503")
    }

    @Test func responseFieldsKeepOrderRepeatsAndNamesAndMatchAnyCase() throws {
        let server = try LocalHTTPServer.plain.get()
        let head = try HTTPClient().send(HTTPRequest(url: server.url("/headers"))).head
        #expect(head.values(for: "x-multi") == ["a", "b"])
        #expect(head.firstValue(for: "X-MULTI") == "a")
        #expect(head.headers.contains { $0.name == "x-MiXeD-case" && $0.value == "padded value" })
        #expect(head.firstValue(for: "X-Absent") == nil)
    }

    @Test func requestFieldsAreSentInOrderIncludingEmptyValues() throws {
        let server = try LocalHTTPServer.plain.get()
        let response = try HTTPClient(configuration: .init(userAgent: "exthost-test/1")).send(HTTPRequest(
            url: server.url("/echo"),
            headers: [("X-First", "1"), ("X-Empty", ""), ("x-amz-date", "20240101T000000Z"), ("X-First", "2")]
        ))
        let echo = try Echo(response)
        let custom = echo.headers.filter { $0.name.lowercased().hasPrefix("x-") }
        #expect(custom.map(\.name) == ["X-First", "X-Empty", "x-amz-date", "X-First"])
        #expect(custom.map(\.value) == ["1", "", "20240101T000000Z", "2"])
        #expect(echo.values(for: "User-Agent") == ["exthost-test/1"])
    }

    @Test func resolvePinsTheAddressForAName() throws {
        let server = try LocalHTTPServer.plain.get()
        let response = try HTTPClient().send(HTTPRequest(
            url: server.url("/bytes?n=10", host: "pinned.example"),
            resolve: ["pinned.example:\(server.port):127.0.0.1"]
        ))
        #expect(response.status == 200)
        #expect(response.body.count == 10)
    }

    @Test func sequentialRequestsReuseOneConnection() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(maxPooledHandles: 4))
        var clientPorts: Set<String> = []
        for _ in 0..<50 {
            let response = try client.send(HTTPRequest(url: server.url("/peer")))
            #expect(response.status == 200)
            clientPorts.insert(String(bytes: response.body))
        }
        #expect(clientPorts.count == 1)
    }

    @Test func withoutPoolingEachRequestConnectsAnew() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(maxPooledHandles: 0))
        var clientPorts: Set<String> = []
        for _ in 0..<5 {
            clientPorts.insert(String(bytes: try client.send(HTTPRequest(url: server.url("/peer"))).body))
        }
        #expect(clientPorts.count == 5)
    }

    @Test func aBodyInMemoryIsResentWhenAReusedConnectionTurnsOutDead() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(maxPooledHandles: 1))
        let first = try client.send(HTTPRequest(method: "PUT", url: server.url("/flaky-echo"), body: .bytes([1, 2, 3])))
        #expect(try Echo(first).length == 3)
        // The server drops the reused connection without a response; curl retries on a new one.
        let retried = try client.send(HTTPRequest(method: "PUT", url: server.url("/flaky-echo"), body: .bytes([4, 5, 6, 7])))
        #expect(retried.status == 200)
        #expect(try Echo(retried).length == 4)
    }

    @Test func aStreamedBodyIsNotSilentlyResentFromTheWrongPlace() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(maxPooledHandles: 1))
        _ = try client.send(HTTPRequest(method: "PUT", url: server.url("/flaky-echo"), body: .bytes([1])))
        var pattern = PatternStream()
        let error = failure {
            _ = try client.send(HTTPRequest(
                method: "PUT",
                url: server.url("/flaky-echo"),
                body: .stream(length: 1000) { buffer in
                    pattern.fill(buffer)
                    return buffer.count
                }
            ))
        }
        guard case .sendFailed = error else {
            Issue.record("expected sendFailed, got \(String(describing: error))")
            return
        }
    }

    @Test func eightThreadsShareOneClient() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(maxPooledHandles: 4))
        let outcomes = Mutex<[String]>([])
        let threadCount = 8
        let requestsPerThread = 10
        let done = DispatchSemaphore(value: 0)
        for thread in 0..<threadCount {
            Thread {
                for request in 0..<requestsPerThread {
                    let size = 100_000 + thread * 1000 + request
                    var pattern = PatternStream()
                    var outcome = "ok"
                    do {
                        let head = try client.execute(HTTPRequest(url: server.url("/bytes?n=\(size)"))) { chunk in
                            if !pattern.matches(chunk) { outcome = "corrupt" }
                        }
                        if head.status != 200 || pattern.offset != size { outcome = "status \(head.status), \(pattern.offset) bytes" }
                    } catch {
                        outcome = "\(error)"
                    }
                    outcomes.withLock { $0.append(outcome) }
                }
                done.signal()
            }.start()
        }
        for _ in 0..<threadCount { done.wait() }
        let all = outcomes.withLock { $0 }
        #expect(all.count == threadCount * requestsPerThread)
        #expect(all.allSatisfy { $0 == "ok" }, "\(all.filter { $0 != "ok" })")
    }

    @Test func tlsVerifiesThePeerAndTrustsAConfiguredCAFile() throws {
        let (server, caFile) = try LocalHTTPServer.tls.get()
        let untrusted = failure { _ = try HTTPClient().send(HTTPRequest(url: server.url("/bytes?n=10"))) }
        guard case .tlsFailed = untrusted, let untrusted else {
            Issue.record("expected tlsFailed, got \(String(describing: untrusted))")
            return
        }
        #expect(untrusted.code == "UPSTREAM_TLS_FAILED")
        let trusting = HTTPClient(configuration: .init(caFile: caFile))
        let response = try trusting.send(HTTPRequest(url: server.url("/bytes?n=10")))
        #expect(response.status == 200)
        #expect(response.body.count == 10)
        // The certificate names 127.0.0.1 and localhost only: another name must not verify.
        let wrongName = failure {
            _ = try trusting.send(HTTPRequest(
                url: server.url("/bytes?n=10", host: "other.example"),
                resolve: ["other.example:\(server.port):127.0.0.1"]
            ))
        }
        guard case .tlsFailed = wrongName else {
            Issue.record("expected tlsFailed for a name not in the certificate, got \(String(describing: wrongName))")
            return
        }
    }
}
