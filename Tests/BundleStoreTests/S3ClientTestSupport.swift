import BundleStore
import Cryptography
import ExthostCore
import Foundation
import HTTPClient
import Testing

/// The stack's S3 settings for the client and store tests: the plain moto and the one that
/// checks header signatures.
enum S3TestStack {
    struct NoStack: Error, CustomStringConvertible {
        var description: String { "no stack environment" }
    }

    static let required = [
        "STORAGE_S3_ENDPOINT", "STORAGE_S3_BUCKET", "STORAGE_S3_ACCESS_KEY", "STORAGE_S3_SECRET_KEY",
        "STORAGE_S3_AUTH_ENDPOINT", "STORAGE_S3_AUTH_ACCESS_KEY", "STORAGE_S3_AUTH_SECRET_KEY",
    ]

    /// The stack environment; records a failure (never a skip) when it is absent.
    static func environment() throws -> [String: String] {
        let environment = ProcessInfo.processInfo.environment
        let missing = required.filter { (environment[$0] ?? "").isEmpty }
        guard missing.isEmpty else {
            Issue.record("\(missing.joined(separator: ", ")) not set: run the tests under scripts/test, or after eval \"$(scripts/stack env)\"")
            throw NoStack()
        }
        return environment
    }

    static func plainConfiguration() throws -> S3Configuration {
        try S3Configuration(environment: environment())
    }

    /// The moto that verifies header signatures, with its keys (or a wrong secret).
    static func authConfiguration(wrongSecret: Bool = false) throws -> S3Configuration {
        var environment = try environment()
        environment["STORAGE_S3_ENDPOINT"] = environment["STORAGE_S3_AUTH_ENDPOINT"]
        environment["STORAGE_S3_ACCESS_KEY"] = environment["STORAGE_S3_AUTH_ACCESS_KEY"]
        environment["STORAGE_S3_SECRET_KEY"] = environment["STORAGE_S3_AUTH_SECRET_KEY"].map { wrongSecret ? $0 + "x" : $0 }
        return try S3Configuration(environment: environment)
    }

    static let http = HTTPClient()

    static func client(_ configuration: S3Configuration, transport: (any S3Transport)? = nil, retryPolicy: S3RetryPolicy = S3RetryPolicy()) -> S3Client {
        S3Client(configuration: configuration, http: http, retryPolicy: retryPolicy, transport: transport)
    }

    /// A key prefix no other run or test shares.
    static func freshPrefix(_ test: String) -> String {
        "s3client-tests/\(UUID().uuidString.lowercased())/\(test)/"
    }
}

/// Deterministic pseudo-random bytes (xorshift64), so large bodies need no memory to check.
struct ByteStream {
    var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        for index in 0..<buffer.count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            buffer[index] = UInt8(truncatingIfNeeded: state)
        }
    }

    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var stream = ByteStream(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { stream.fill($0) }
        return bytes
    }
}

/// Resets the process's peak resident set to the current one (Linux `clear_refs` value 5), so
/// that what earlier tests allocated does not hide a later growth.
func resetPeakResident() {
    let descriptor = open("/proc/self/clear_refs", O_WRONLY)
    guard descriptor >= 0 else { return }
    _ = write(descriptor, "5", 1)
    close(descriptor)
}

/// The process's peak resident set (`VmHWM`), in bytes.
func peakResidentBytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return kilobytes * 1024
}

/// Runs a program (from PATH) and returns its exit status and standard output.
func runProgram(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A transport that answers from a script instead of the network, or forwards to a real one:
/// each request is recorded, and `answer` decides (nil forwards to `next`).
final class ScriptedTransport: S3Transport, @unchecked Sendable {
    struct Answer {
        var status: Int
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
    }

    struct Recorded {
        let method: String
        let url: String
        let headers: [(name: String, value: String)]

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    }

    private let lock = NSLock()
    private var recorded: [Recorded] = []
    private let next: (any S3Transport)?
    private let answer: @Sendable (_ index: Int, _ request: Recorded) -> Answer?

    init(next: (any S3Transport)? = nil, answer: @escaping @Sendable (_ index: Int, _ request: Recorded) -> Answer?) {
        self.next = next
        self.answer = answer
    }

    var requests: [Recorded] { lock.withLock { recorded } }

    func execute(
        _ request: HTTPRequest,
        timeout: Duration?,
        onHead: (HTTPResponseHead) throws -> Void,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws(HTTPClientError) -> HTTPResponseHead {
        let entry = Recorded(method: request.method, url: request.url, headers: request.headers)
        let index = lock.withLock {
            recorded.append(entry)
            return recorded.count - 1
        }
        guard let scripted = answer(index, entry) else {
            guard let next else { return HTTPResponseHead(status: 599, headers: []) }
            return try next.execute(request, timeout: timeout, onHead: onHead, sink: sink)
        }
        if scripted.status == 0 { throw .connectFailed(host: "scripted", reason: "refused") }
        let head = HTTPResponseHead(status: scripted.status, headers: scripted.headers)
        do {
            try onHead(head)
            try scripted.body.withUnsafeBytes { try sink($0) }
        } catch {
            throw .sinkFailed(error)
        }
        return head
    }
}

/// A retry policy that does not sleep, for fast tests.
let noSleepRetry = S3RetryPolicy(maxAttempts: 3, sleep: { _ in })
