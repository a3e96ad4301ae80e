import Foundation

/// A Python `http.server` on a free 127.0.0.1 port, optionally behind TLS, that the tests talk
/// to; it exits when the test process goes away (it watches its stdin for end of file).
final class LocalHTTPServer: Sendable {
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    let scheme: String
    private let process: Process
    private let stdin: Pipe

    static let plain = Result { try LocalHTTPServer(directory: scratchDirectory(), tls: nil) }
    /// A TLS server whose self-signed certificate (for 127.0.0.1 and localhost) is `caFile`.
    static let tls = Result { () throws -> (server: LocalHTTPServer, caFile: String) in
        let directory = try scratchDirectory()
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
        ])
        return (try LocalHTTPServer(directory: directory, tls: (cert: cert, key: key)), cert)
    }

    /// The server removes `directory` (its script, and any certificate in it) when it exits.
    private init(directory: URL, tls: (cert: String, key: String)?) throws {
        let script = directory.appendingPathComponent("server.py")
        try Data(Self.script.utf8).write(to: script)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path] + (tls.map { [$0.cert, $0.key] } ?? [])
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = stdout.fileHandleForReading.availableData
            guard !more.isEmpty else { throw StartFailure(description: "the test server exited before printing its port") }
            line.append(more)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw StartFailure(description: "the test server printed no port")
        }
        self.port = port
        self.scheme = tls == nil ? "http" : "https"
    }

    deinit { process.terminate() }

    func url(_ pathAndQuery: String, host: String = "127.0.0.1") -> String {
        "\(scheme)://\(host):\(port)\(pathAndQuery)"
    }

    static func scratchDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exthost-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StartFailure(description: "\(executable) exited with \(process.terminationStatus)")
        }
    }

    /// Endpoints: /bytes?n= (pattern body), /chunked?n= (the same, chunked), /echo (any method:
    /// the body's length and SHA-256, the method and the request fields as JSON),
    /// /flaky-echo (like /echo, but drops a reused connection without answering),
/// /pattern-digest?n=, /slow?delay=, /stall, /status?code=, /redirect, /peer (client
    /// port), /headers (repeated and mixed-case fields), /close (no response at all).
    /// The pattern's byte i is i % 251.
    static let script = #"""
import hashlib, json, os, shutil, socket, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

def pattern(offset, length):
    return bytes((offset + i) % 251 for i in range(length))

BLOCK = pattern(0, 251 * 1024)

def pattern_chunks(n, size=251 * 1024):
    size -= size % 251  # every chunk starts where the pattern starts
    sent = 0
    while sent < n:
        k = min(size, n - sent)
        yield BLOCK[:k]
        sent += k

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/octet-stream", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        n = int(query.get("n", "0"))
        if url.path == "/bytes":
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            if self.command != "HEAD":
                for chunk in pattern_chunks(n):
                    self.wfile.write(chunk)
        elif url.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in pattern_chunks(n, 10000):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif url.path == "/echo" or url.path == "/flaky-echo":
            self.served = getattr(self, "served", 0) + 1
            length = int(self.headers.get("Content-Length", "0"))
            digest = hashlib.sha256()
            left = length
            while left > 0:
                data = self.rfile.read(min(left, 1 << 20))
                if not data:
                    break
                digest.update(data)
                left -= len(data)
            if url.path == "/flaky-echo" and self.served > 1:
                self.close_connection = True
                return
            body = json.dumps({
                "method": self.command,
                "length": length - left,
                "sha256": digest.hexdigest(),
                "headers": [[k, v] for k, v in self.headers.items()],
                "path": self.path,
            }).encode()
            self.reply(200, body, "application/json")
        elif url.path == "/pattern-digest":
            digest = hashlib.sha256()
            for chunk in pattern_chunks(n):
                digest.update(chunk)
            self.reply(200, digest.hexdigest().encode(), "text/plain")
        elif url.path == "/slow":
            time.sleep(float(query.get("delay", "5")))
            self.reply(200, b"late", "text/plain")
        elif url.path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            time.sleep(10)
        elif url.path == "/status":
            code = int(query.get("code", "503"))
            self.reply(code, b"status %d" % code, "text/plain")
        elif url.path == "/redirect":
            self.reply(302, b"", "text/plain", [("Location", "/bytes?n=10")])
        elif url.path == "/peer":
            self.reply(200, str(self.client_address[1]).encode(), "text/plain")
        elif url.path == "/headers":
            self.reply(200, b"ok", "text/plain", [("X-Multi", "a"), ("X-Multi", "b"), ("x-MiXeD-case", "  padded value  ")])
        elif url.path == "/close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.reply(404, b"no such endpoint", "text/plain")

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = route

def watch_stdin():
    sys.stdin.buffer.read()
    shutil.rmtree(os.path.dirname(os.path.abspath(__file__)), ignore_errors=True)
    os._exit(0)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if len(sys.argv) == 3:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    server.socket = context.wrap_socket(server.socket, server_side=True)
threading.Thread(target=watch_stdin, daemon=True).start()
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}
