import Foundation
import Glibc

/// A one-connection-at-a-time unix socket server for client tests: it records each request line
/// and answers with whatever `reply` returns (raw bytes, so tests can send malformed answers),
/// or stays silent (nil), or closes at once (empty).
final class ScriptedSocketServer: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private let reply: @Sendable (String) -> [UInt8]?

    init(reply: @escaping @Sendable (String) -> [UInt8]?) throws {
        path = NSTemporaryDirectory() + "cachefill-test-\(UUID().uuidString.prefix(8)).sock"
        self.reply = reply
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        Thread.detachNewThread { [self] in serve() }
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }

    var requests: [String] { lock.withLock { received } }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            var line: [UInt8] = []
            var byte: UInt8 = 0
            while read(client, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
            let text = String(decoding: line, as: UTF8.self)
            lock.withLock { received.append(text) }
            if let answer = reply(text) {
                _ = answer.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            } else {
                // Silent: hold the connection until the client gives up.
                Thread.sleep(forTimeInterval: 2)
                close(client)
            }
        }
    }
}
