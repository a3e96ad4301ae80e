import Foundation
import HTTPClient
import Synchronization
import Testing

/// The addresses a connect guard was asked about, collected across the guard's calls.
final class GuardLog: Sendable {
    private let asked = Mutex<[String]>([])
    var addresses: [String] { asked.withLock { $0 } }

    func record(_ address: IPAddress, _ port: Int) {
        asked.withLock { $0.append("\(address) \(port)") }
    }
}

@Suite struct ConnectGuardTests {
    @Test func anAdmittedAddressIsConnectedAndReported() throws {
        let server = try LocalHTTPServer.plain.get()
        let log = GuardLog()
        var request = HTTPRequest(url: server.url("/bytes?n=10"))
        request.connectGuard = { address, port in
            log.record(address, port)
            return true
        }
        let response = try HTTPClient().send(request)
        #expect(response.status == 200 && response.body.count == 10)
        #expect(log.addresses == ["127.0.0.1 \(server.port)"])
    }

    @Test func aRefusedAddressIsNeverConnectedTo() throws {
        let listener = try RawListener()
        let log = GuardLog()
        var request = HTTPRequest(method: "POST", url: "http://127.0.0.1:\(listener.port)/secret", body: .bytes(Array("payload".utf8)))
        request.connectGuard = { address, port in
            log.record(address, port)
            return false
        }
        let error = failure { _ = try HTTPClient().send(request) }
        guard case .connectFailed(_, let reason) = error else {
            Issue.record("expected connectFailed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("connect guard refused 127.0.0.1"))
        #expect(log.addresses == ["127.0.0.1 \(listener.port)"])
        #expect(listener.pendingConnections() == 0)
    }

    @Test func everyResolvedAddressIsAskedAboutAndANameCannotSlipThrough() throws {
        let listener = try RawListener()
        let log = GuardLog()
        var request = HTTPRequest(url: "http://localhost:\(listener.port)/")
        request.connectGuard = { address, port in
            log.record(address, port)
            return false
        }
        let error = failure { _ = try HTTPClient().send(request) }
        guard case .connectFailed = error else {
            Issue.record("expected connectFailed, got \(String(describing: error))")
            return
        }
        #expect(log.addresses.contains("127.0.0.1 \(listener.port)"))
        #expect(Set(log.addresses).isSubset(of: ["127.0.0.1 \(listener.port)", "::1 \(listener.port)"]))
        #expect(listener.pendingConnections() == 0)
    }

    @Test func curlMovesOnToTheNextAddressAfterARefusal() throws {
        let server = try LocalHTTPServer.plain.get()
        let log = GuardLog()
        var request = HTTPRequest(url: server.url("/bytes?n=4", host: "localhost"))
        request.connectGuard = { address, port in
            log.record(address, port)
            return address.family == .ipv4
        }
        let response = try HTTPClient().send(request)
        #expect(response.status == 200 && response.body.count == 4)
        #expect(log.addresses.last == "127.0.0.1 \(server.port)")
    }

    @Test func withoutAGuardNothingChanges() throws {
        let server = try LocalHTTPServer.plain.get()
        let response = try HTTPClient().send(HTTPRequest(url: server.url("/bytes?n=3", host: "localhost")))
        #expect(response.status == 200 && response.body.count == 3)
    }

    @Test func aHandleReusedAfterAGuardedRequestDoesNotKeepTheGuard() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient(configuration: .init(maxPooledHandles: 1))
        let log = GuardLog()
        var guarded = HTTPRequest(url: server.url("/bytes?n=1"))
        guarded.connectGuard = { address, port in
            log.record(address, port)
            return true
        }
        _ = try client.send(guarded)
        // Another host name, so the pooled handle opens a fresh connection: a guard left behind
        // would be asked again (or would run against a finished transfer).
        _ = try client.send(HTTPRequest(url: server.url("/bytes?n=1", host: "localhost")))
        #expect(log.addresses.count == 1)
    }
}

/// A listening TCP socket on 127.0.0.1 that never accepts, so a connection attempt would sit
/// in its backlog, where `pendingConnections` finds it.
final class RawListener {
    let port: Int
    private let socketFD: Int32

    init() throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socketFD = socketFD
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketFD, generic, length) == 0 && listen(socketFD, 16) == 0 && getsockname(socketFD, generic, &length) == 0
            }
        }
        guard listening else { throw LocalHTTPServer.StartFailure(description: "cannot listen on 127.0.0.1") }
        port = Int(UInt16(bigEndian: address.sin_port))
        _ = fcntl(socketFD, F_SETFL, fcntl(socketFD, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(socketFD) }

    func pendingConnections() -> Int {
        var count = 0
        while case let connection = accept(socketFD, nil, nil), connection >= 0 {
            close(connection)
            count += 1
        }
        return count
    }
}
