import ExthostCore
import Foundation
import HTTPClient
import Testing

/// Runs `body`, which must fail; returns its error (or records an issue and returns nil).
func failure(of body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> HTTPClientError? {
    do {
        try body()
        Issue.record("the request succeeded", sourceLocation: sourceLocation)
    } catch let error as HTTPClientError {
        return error
    } catch {
        Issue.record("not an HTTPClientError: \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// An error the caller defines that is also an HTTP error, as a domain layer's would be.
struct RejectedBundle: HTTPError {
    var status: HTTPStatus { .unprocessableEntity }
    var code: String { "BUNDLE_REJECTED" }
    var message: String { "the bundle was rejected" }
}

@Suite struct FailureTests {
    @Test func bufferedSendStopsAtItsLimit() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient()
        for path in ["/bytes?n=100001", "/chunked?n=100001"] {
            let error = failure { _ = try client.send(HTTPRequest(url: server.url(path)), maxResponseBytes: 100_000) }
            guard case .responseTooLarge(let limit) = error else {
                Issue.record("\(path): expected responseTooLarge, got \(String(describing: error))")
                continue
            }
            #expect(limit == 100_000)
            #expect(error?.status == .badGateway)
        }
        let exact = try client.send(HTTPRequest(url: server.url("/chunked?n=100000")), maxResponseBytes: 100_000)
        #expect(exact.body.count == 100_000)
    }

    @Test func declaredOversizeBodyIsRefusedBeforeTheHead() throws {
        let server = try LocalHTTPServer.plain.get()
        var heads = 0
        var received = 0
        let error = failure {
            try HTTPClient().execute(
                HTTPRequest(url: server.url("/bytes?n=\(64 << 20)"), maxResponseBytes: 1000),
                onHead: { _ in heads += 1 },
                sink: { received += $0.count }
            )
        }
        guard case .responseTooLarge(1000) = error else {
            Issue.record("expected responseTooLarge, got \(String(describing: error))")
            return
        }
        #expect(heads == 0)
        #expect(received == 0)
    }

    @Test func headOfALargeObjectIsNotLimitedByItsLength() throws {
        let server = try LocalHTTPServer.plain.get()
        let response = try HTTPClient().send(HTTPRequest(method: "HEAD", url: server.url("/bytes?n=\(200 << 20)")), maxResponseBytes: 1000)
        #expect(response.status == 200)
        #expect(response.head.firstValue(for: "Content-Length") == String(200 << 20))
    }

    @Test func requestLimitAppliesToStreamingToo() throws {
        let server = try LocalHTTPServer.plain.get()
        var received = 0
        let error = failure {
            try HTTPClient().execute(HTTPRequest(url: server.url("/chunked?n=500000"), maxResponseBytes: 200_000)) { received += $0.count }
        }
        guard case .responseTooLarge(200_000) = error else {
            Issue.record("expected responseTooLarge, got \(String(describing: error))")
            return
        }
        #expect(received <= 200_000)
    }

    @Test func perCallTimeoutFiresQuickly() throws {
        let server = try LocalHTTPServer.plain.get()
        var error: HTTPClientError?
        let duration = elapsed {
            error = failure { _ = try HTTPClient().send(HTTPRequest(url: server.url("/slow?delay=5")), timeout: .milliseconds(300)) }
        }
        guard case .timeout = error else {
            Issue.record("expected timeout, got \(String(describing: error))")
            return
        }
        #expect(error?.status == .gatewayTimeout)
        #expect(error?.code == "UPSTREAM_TIMEOUT")
        #expect(duration < .seconds(2))
    }

    @Test func configuredTotalTimeoutIsACapAPerCallTimeoutCannotExtend() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(totalTimeout: .milliseconds(300)))
        var error: HTTPClientError?
        let duration = elapsed {
            error = failure { _ = try client.send(HTTPRequest(url: server.url("/slow?delay=5")), timeout: .seconds(30)) }
        }
        guard case .timeout = error else {
            Issue.record("expected timeout, got \(String(describing: error))")
            return
        }
        #expect(duration < .seconds(2))
    }

    @Test func stalledTransferHitsTheLowSpeedLimit() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(lowSpeedLimit: 100, lowSpeedTime: .seconds(1)))
        var error: HTTPClientError?
        let duration = elapsed {
            error = failure { _ = try client.send(HTTPRequest(url: server.url("/stall"))) }
        }
        guard case .timeout = error else {
            Issue.record("expected timeout, got \(String(describing: error))")
            return
        }
        #expect(duration < .seconds(5))
    }

    @Test func noTimeLeftFailsWithoutSending() throws {
        let error = failure { _ = try HTTPClient().send(HTTPRequest(url: "http://127.0.0.1:1/"), timeout: .zero) }
        guard case .timeout = error else {
            Issue.record("expected timeout, got \(String(describing: error))")
            return
        }
    }

    @Test func refusedConnectionIsConnectFailedAndRedactsTheQuery() throws {
        let port = unusedLocalPort()
        let url = "http://127.0.0.1:\(port)/bucket/key?X-Amz-Signature=topsecret&X-Amz-Credential=AKIDEXAMPLE"
        let error = failure { _ = try HTTPClient().send(HTTPRequest(url: url)) }
        guard case .connectFailed(let host, _) = error, let error else {
            Issue.record("expected connectFailed, got \(String(describing: error))")
            return
        }
        #expect(host == "127.0.0.1:\(port)")
        #expect(error.status == .serviceUnavailable)
        #expect(error.code == "UPSTREAM_CONNECT_FAILED")
        for text in [error.message, String(describing: error)] {
            #expect(!text.contains("topsecret"))
            #expect(!text.contains("AKIDEXAMPLE"))
        }
    }

    @Test func unknownHostIsResolveFailed() throws {
        let error = failure {
            _ = try HTTPClient().send(HTTPRequest(url: "http://does-not-exist.invalid/x?token=secret"), timeout: .seconds(20))
        }
        guard case .resolveFailed(let host) = error, let error else {
            Issue.record("expected resolveFailed, got \(String(describing: error))")
            return
        }
        #expect(host == "does-not-exist.invalid")
        #expect(!error.message.contains("secret"))
    }

    @Test func aClientKeepsWorkingAfterEveryKindOfFailure() throws {
        let server = try LocalHTTPServer.plain.get()
        let (tlsServer, _) = try LocalHTTPServer.tls.get()
        let client = HTTPClient(configuration: .init(maxPooledHandles: 1))
        let failing: [(url: String, timeout: Duration?)] = [
            ("http://does-not-exist.invalid/", .seconds(20)),
            ("http://127.0.0.1:\(unusedLocalPort())/", nil),
            (server.url("/slow?delay=2"), .milliseconds(100)),
            (tlsServer.url("/bytes?n=1"), nil),
            (server.url("/close"), nil),
        ]
        for (url, timeout) in failing {
            _ = failure { _ = try client.send(HTTPRequest(url: url), timeout: timeout) }
            let response = try client.send(HTTPRequest(url: server.url("/bytes?n=10")))
            #expect(response.body.count == 10, "after \(url)")
        }
    }

    @Test func closedWithoutAResponseIsEmptyResponse() throws {
        let server = try LocalHTTPServer.plain.get()
        let error = failure { _ = try HTTPClient().send(HTTPRequest(url: server.url("/close"))) }
        guard case .emptyResponse = error else {
            Issue.record("expected emptyResponse, got \(String(describing: error))")
            return
        }
    }

    @Test(arguments: [
        "ftp://user:pw@example.com/file?sig=topsecret",
        "file:///etc/passwd",
        "http:///no-host?sig=topsecret",
        "http://example.com/a b?sig=topsecret",
        "example.com/path?sig=topsecret",
    ])
    func invalidURLsAreRejectedWithTheirSecretsRedacted(url: String) throws {
        let error = failure { _ = try HTTPClient().send(HTTPRequest(url: url)) }
        guard case .invalidURL = error, let error else {
            Issue.record("expected invalidURL, got \(String(describing: error))")
            return
        }
        #expect(!error.message.contains("topsecret"))
        #expect(!error.message.contains("pw"))
    }

    @Test func headerInjectionIsRejectedWithoutEchoingTheValue() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient()
        let injected = failure {
            _ = try client.send(HTTPRequest(url: server.url("/echo"), headers: [("X-Token", "secret\r\nX-Evil: 1")]))
        }
        guard case .invalidRequest = injected, let injected else {
            Issue.record("expected invalidRequest, got \(String(describing: injected))")
            return
        }
        #expect(!injected.message.contains("secret"))
        let badName = failure { _ = try client.send(HTTPRequest(url: server.url("/echo"), headers: [("Bad Name", "v")])) }
        let badMethod = failure { _ = try client.send(HTTPRequest(method: "GET /x HTTP/1.1\r\n", url: server.url("/echo"))) }
        let lyingLength = failure {
            _ = try client.send(HTTPRequest(method: "PUT", url: server.url("/echo"), headers: [("Content-Length", "5")], body: .bytes([1])))
        }
        for error in [badName, badMethod, lyingLength] {
            guard case .invalidRequest = error else {
                Issue.record("expected invalidRequest, got \(String(describing: error))")
                continue
            }
        }
    }

    @Test func sinkErrorAbortsAndComesBackUntouched() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(maxPooledHandles: 1))
        var chunks = 0
        let error = failure {
            try client.execute(HTTPRequest(url: server.url("/bytes?n=\(16 << 20)"))) { _ in
                chunks += 1
                if chunks == 2 { throw CallerError(tag: "sink") }
            }
        }
        guard case .sinkFailed(let underlying) = error else {
            Issue.record("expected sinkFailed, got \(String(describing: error))")
            return
        }
        #expect(underlying as? CallerError == CallerError(tag: "sink"))
        #expect(chunks == 2)
        #expect(error?.status == .internalServerError)
        // The aborted handle goes back to the pool and serves the next request normally.
        #expect(try client.send(HTTPRequest(url: server.url("/bytes?n=10"))).body.count == 10)
    }

    @Test func headHandlerErrorAbortsBeforeAnyBody() throws {
        let server = try LocalHTTPServer.plain.get()
        var bodyBytes = 0
        let error = failure {
            try HTTPClient().execute(
                HTTPRequest(url: server.url("/status?code=503")),
                onHead: { head in if head.status != 200 { throw CallerError(tag: "status \(head.status)") } },
                sink: { bodyBytes += $0.count }
            )
        }
        guard case .sinkFailed(let underlying) = error else {
            Issue.record("expected sinkFailed, got \(String(describing: error))")
            return
        }
        #expect(underlying as? CallerError == CallerError(tag: "status 503"))
        #expect(bodyBytes == 0)
    }

    @Test func callerHTTPErrorsKeepTheirStatusCodeAndMessage() throws {
        let server = try LocalHTTPServer.plain.get()
        let error = failure {
            try HTTPClient().execute(HTTPRequest(url: server.url("/bytes?n=1000"))) { _ in throw RejectedBundle() }
        }
        #expect(error?.status == .unprocessableEntity)
        #expect(error?.code == "BUNDLE_REJECTED")
        #expect(error?.message == "the bundle was rejected")
    }

    @Test func sourceErrorAbortsTheUploadAndComesBackUntouched() throws {
        let server = try LocalHTTPServer.plain.get()
        var sent = 0
        let error = failure {
            _ = try HTTPClient().send(HTTPRequest(
                method: "PUT",
                url: server.url("/echo"),
                body: .stream(length: 8 << 20) { buffer in
                    guard sent < 1 << 20 else { throw CallerError(tag: "source") }
                    sent += buffer.count
                    return buffer.count
                }
            ))
        }
        guard case .bodySourceFailed(let underlying) = error else {
            Issue.record("expected bodySourceFailed, got \(String(describing: error))")
            return
        }
        #expect(underlying as? CallerError == CallerError(tag: "source"))
    }

    @Test func sourceEndingEarlyIsReported() throws {
        let server = try LocalHTTPServer.plain.get()
        var remaining = 1000
        let error = failure {
            _ = try HTTPClient().send(HTTPRequest(
                method: "PUT",
                url: server.url("/echo"),
                body: .stream(length: 5000) { buffer in
                    let count = min(remaining, buffer.count)
                    remaining -= count
                    return count
                }
            ))
        }
        guard case .bodyEndedEarly(let expected, let sent) = error else {
            Issue.record("expected bodyEndedEarly, got \(String(describing: error))")
            return
        }
        #expect(expected == 5000)
        #expect(sent == 1000)
    }
}
