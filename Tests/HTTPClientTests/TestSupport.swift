import Foundation
import HTTPClient

/// The byte pattern the test server sends and checks: byte i is i % 251 (251 is prime, so a
/// misplaced chunk of any power-of-two size shows up).
struct PatternStream {
    private(set) var offset: Int64 = 0

    /// Fills `buffer` with the next bytes of the pattern.
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        for index in buffer.indices {
            buffer[index] = UInt8((offset + Int64(index)) % 251)
        }
        offset += Int64(buffer.count)
    }

    /// Consumes `chunk`; false if any byte differs from the pattern at its position.
    mutating func matches(_ chunk: UnsafeRawBufferPointer) -> Bool {
        var position = offset % 251
        var ok = true
        for byte in chunk {
            ok = ok && byte == UInt8(position)
            position = position == 250 ? 0 : position + 1
        }
        offset += Int64(chunk.count)
        return ok
    }
}

/// What the server's `/echo` endpoint saw.
struct Echo {
    let method: String
    let length: Int
    let sha256: String
    let headers: [(name: String, value: String)]

    init(_ response: HTTPResponse) throws {
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
        method = object["method"] as? String ?? ""
        length = object["length"] as? Int ?? -1
        sha256 = object["sha256"] as? String ?? ""
        headers = (object["headers"] as? [[String]] ?? []).map { (name: $0[0], value: $0[1]) }
    }

    func values(for name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}

/// An error of the test's own, to check that the client hands it back untouched.
struct CallerError: Error, Equatable {
    let tag: String
}

/// A port on 127.0.0.1 that nothing listens on (it was bound and released just now).
func unusedLocalPort() -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            _ = bind(socketFD, generic, length)
            _ = getsockname(socketFD, generic, &length)
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func elapsed(_ body: () throws -> Void) rethrows -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return clock.now - start
}

extension String {
    init(bytes: [UInt8]) {
        self = String(decoding: bytes, as: UTF8.self)
    }
}
