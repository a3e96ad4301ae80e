import Foundation
import JSON
import Runner
import Testing

@Suite(.serialized) struct EgressFetcherTests {
    private let future = ContinuousClock.now.advanced(by: .seconds(30))

    private func fetcher(_ allowlist: String, maxResponseBytes: Int = EgressFetcher.defaultMaxResponseBytes) throws -> EgressFetcher {
        EgressFetcher(allowlist: try EgressAllowlist(parsing: allowlist), maxResponseBytes: maxResponseBytes)
    }

    /// The host-call code `body` failed with; nil when it succeeded or failed otherwise.
    private func code(_ body: () throws -> JSONValue) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as EgressFetchError {
            return error.hostCallCode
        } catch {
            Issue.record("not an EgressFetchError: \(error)")
            return nil
        }
    }

    private func decoded(_ answer: JSONValue) throws -> [String: Any] {
        let body = try #require(answer["body"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        return try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
    }

    @Test func aGetRoundTripsStatusHeadersAndBody() throws {
        let server = try EgressUpstream.shared.get()
        let answer = try fetcher("http://127.0.0.1:\(server.port)").fetch([
            "op": "http.fetch", "method": "GET", "url": .string("http://127.0.0.1:\(server.port)/echo?x=1#ignored"),
            "headers": ["X-Test": "one", "X-List": ["a", "b"], "Host": "evil.example", "Connection": "close", "Proxy-Authorization": "x"],
        ], deadline: future)
        #expect(answer["status"] == 200)
        #expect(answer["headers"]?["content-type"] == "application/json")
        #expect(answer["headers"]?["x-multi"] == "a, b")
        let echo = try decoded(answer)
        #expect(echo["method"] as? String == "GET" && echo["path"] as? String == "/echo?x=1")
        let headers = echo["headers"] as? [String: String] ?? [:]
        #expect(headers["x-test"] == "one" && headers["x-list"] == "a, b")
        #expect(headers["host"] == "127.0.0.1:\(server.port)")
        #expect(headers["proxy-authorization"] == nil && headers["connection"] != "close")
    }

    @Test func aPostSendsItsBody() throws {
        let server = try EgressUpstream.shared.get()
        let payload = Data((0..<3000).map { UInt8($0 % 251) })
        let answer = try fetcher("http://127.0.0.1:\(server.port)").fetch([
            "op": "http.fetch", "method": "POST", "url": .string("http://127.0.0.1:\(server.port)/echo"),
            "headers": ["Content-Type": "application/octet-stream"], "body": .string(payload.base64EncodedString()),
        ], deadline: future)
        let echo = try decoded(answer)
        #expect(echo["method"] as? String == "POST" && echo["body"] as? String == payload.base64EncodedString())
    }

    @Test func aRedirectIsTheAnswerNotFollowed() throws {
        let server = try EgressUpstream.shared.get()
        let answer = try fetcher("http://127.0.0.1:\(server.port)").fetch(
            ["op": "http.fetch", "method": "GET", "url": .string("http://127.0.0.1:\(server.port)/redirect")], deadline: future)
        #expect(answer["status"] == 302 && answer["headers"]?["location"] == "/echo")
    }

    @Test func aBodyOverTheCapIsTooLarge() throws {
        let server = try EgressUpstream.shared.get()
        let small = try fetcher("http://127.0.0.1:\(server.port)", maxResponseBytes: 1000)
        for path in ["/big?n=5000", "/big?n=5000&chunked=1"] {
            #expect(code {
                try small.fetch(["op": "http.fetch", "url": .string("http://127.0.0.1:\(server.port)\(path)")], deadline: future)
            } == "too_large", "\(path)")
        }
        let fits = try small.fetch(["op": "http.fetch", "url": .string("http://127.0.0.1:\(server.port)/big?n=1000")], deadline: future)
        #expect(fits["body"]?.stringValue.flatMap { Data(base64Encoded: $0) }?.count == 1000)
    }

    @Test func aSlowUpstreamTimesOutAtTheDeadline() throws {
        let server = try EgressUpstream.shared.get()
        let start = ContinuousClock.now
        #expect(code {
            try fetcher("http://127.0.0.1:\(server.port)").fetch(
                ["op": "http.fetch", "url": .string("http://127.0.0.1:\(server.port)/slow")], deadline: start.advanced(by: .milliseconds(300)))
        } == "timeout")
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func refusalsNeverReachTheUpstream() throws {
        let server = try EgressUpstream.shared.get()
        let port = server.port
        let witness = try fetcher("http://127.0.0.1:\(port)")
        _ = try witness.fetch(["op": "http.fetch", "url": .string("http://127.0.0.1:\(port)/seen")], deadline: future)
        let refusals: [(allowlist: String, url: String)] = [
            ("", "http://127.0.0.1:\(port)/refused"),
            ("http://localhost:\(port)", "http://localhost:\(port)/refused"),
            ("http://127.0.0.1:\(port + 1)", "http://127.0.0.1:\(port)/refused"),
            ("127.0.0.1:\(port)", "http://127.0.0.1:\(port)/refused"),
            ("http://*.example.test:\(port)", "http://127.0.0.1:\(port)/refused"),
            ("http://127.0.0.2:\(port)", "http://127.0.0.1:\(port)/refused"),
            ("http://[::1]:\(port)", "http://[::ffff:127.0.0.1]:\(port)/refused"),
        ]
        for (allowlist, url) in refusals {
            #expect(code { try fetcher(allowlist).fetch(["op": "http.fetch", "method": "GET", "url": .string(url)], deadline: future) } == "not_allowed",
                "\(allowlist) \(url)")
        }
        let seen = try witness.fetch(["op": "http.fetch", "url": .string("http://127.0.0.1:\(port)/seen")], deadline: future)
        #expect(seen["body"]?.stringValue.flatMap { Data(base64Encoded: $0) } == Data("[]".utf8))
    }

    @Test func malformedCallsAreInvalid() throws {
        let fetcher = try fetcher("http://127.0.0.1:1")
        let calls: [(JSONValue, String)] = [
            (["op": "http.fetch"], "invalid_url"),
            (["op": "http.fetch", "url": 7], "invalid_url"),
            (["op": "http.fetch", "url": "http://a@127.0.0.1:1/"], "invalid_url"),
            (["op": "http.fetch", "method": "GE T", "url": "http://127.0.0.1:1/"], "invalid_request"),
            (["op": "http.fetch", "method": "CONNECT", "url": "http://127.0.0.1:1/"], "invalid_request"),
            (["op": "http.fetch", "url": "http://127.0.0.1:1/", "headers": ["X-A": "a\r\nX-B: b"]], "invalid_request"),
            (["op": "http.fetch", "url": "http://127.0.0.1:1/", "headers": ["Bad Name": "a"]], "invalid_request"),
            (["op": "http.fetch", "url": "http://127.0.0.1:1/", "headers": ["X-A": 1]], "invalid_request"),
            (["op": "http.fetch", "url": "http://127.0.0.1:1/", "headers": "x"], "invalid_request"),
            (["op": "http.fetch", "url": "http://127.0.0.1:1/", "body": "not base64!"], "invalid_request"),
            (["op": "http.fetch", "method": "HEAD", "url": "http://127.0.0.1:1/", "body": "aGk="], "invalid_request"),
        ]
        for (call, expected) in calls {
            #expect(code { try fetcher.fetch(call, deadline: future) } == expected, "\(call)")
        }
    }

    @Test func theHostAnswersFetchWhenGrantedWithTheOpsShape() throws {
        let server = try EgressUpstream.shared.get()
        let services = HostServices(secrets: NoSecrets(), fetcher: try fetcher("http://127.0.0.1:\(server.port)"), logger: silentLogger)
        let host = ExtensionHost(target: helloTarget(granted: ["cap:http.fetch"]), requestID: "r", services: services)
        let answer = host.call(["op": "http.fetch", "method": "GET", "url": .string("http://127.0.0.1:\(server.port)/redirect")], deadline: future)
        #expect(answer["ok"]?["status"] == 302)
        let refused = host.call(["op": "http.fetch", "method": "GET", "url": "http://169.254.169.254/latest/meta-data/"], deadline: future)
        #expect(refused["error"]?["code"] == "not_allowed" && refused["error"]?["message"]?.stringValue?.isEmpty == false)
        let ungranted = ExtensionHost(target: helloTarget(granted: []), requestID: "r", services: services)
        #expect(ungranted.call(["op": "http.fetch", "url": .string("http://127.0.0.1:\(server.port)/echo")], deadline: future)["error"]?["code"] == "capability_denied")
    }
}

/// A Python `http.server` on a free 127.0.0.1 port for the fetch tests; it exits with the test
/// process (it watches its stdin for end of file).
final class EgressUpstream: Sendable {
    static let shared = Result { try EgressUpstream() }

    let port: Int
    private let process: Process
    private let stdin: Pipe

    private init() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script]
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = stdout.fileHandleForReading.availableData
            guard !more.isEmpty else { throw CocoaError(.fileReadUnknown) }
            line.append(more)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
    }

    deinit { process.terminate() }

    /// /echo (method, path, lowercase headers joined with ", ", base64 body as JSON, plus a
    /// repeated X-Multi field), /redirect (302), /big?n=[&chunked=1], /slow (answers after 5 s),
    /// /seen (the paths requested since the last /seen, as a JSON array).
    static let script = #"""
import base64, json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

seen = []

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def route(self):
        url = urlsplit(self.path)
        if url.path != "/seen":
            seen.append(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        extra = []
        if url.path == "/echo":
            headers = {}
            for k, v in self.headers.items():
                headers[k.lower()] = headers[k.lower()] + ", " + v if k.lower() in headers else v
            out = json.dumps({"method": self.command, "path": self.path, "headers": headers,
                              "body": base64.b64encode(body).decode()}).encode()
            status, extra = 200, [("Content-Type", "application/json"), ("X-Multi", "a"), ("X-Multi", "b")]
        elif url.path == "/redirect":
            status, out, extra = 302, b"", [("Location", "/echo")]
        elif url.path == "/big":
            status, out = 200, b"x" * int(query.get("n", "0"))
            if query.get("chunked"):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(out), out))
                return
        elif url.path == "/slow":
            time.sleep(5)
            status, out = 200, b"late"
        elif url.path == "/seen":
            status, out = 200, json.dumps(seen).encode()
            seen.clear()
        else:
            status, out = 404, b"no"
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = route

def watch_stdin():
    sys.stdin.buffer.read()
    os._exit(0)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=watch_stdin, daemon=True).start()
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}
