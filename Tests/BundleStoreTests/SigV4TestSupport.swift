import BundleStore
import Foundation
import Testing

/// Runs the helper programs the SigV4 tests compare against: the botocore scripts in `tools/`
/// and `curl`.
enum SigV4Tools {
    static let toolsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("tools")

    struct Output {
        let status: Int32
        let stdout: Data
        let stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `arguments[0]` (looked up in PATH) with the rest as arguments, feeding `input`.
    static func run(_ arguments: [String], input: Data = Data()) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        // stderr goes to a file so that the child can never block on a full pipe nobody reads.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("sigv4-\(UUID().uuidString).stderr")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let stderr = try FileHandle(forWritingTo: errorFile)
        defer { try? stderr.close() }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return Output(status: process.terminationStatus, stdout: outData, stderr: errText)
    }

    /// Runs `tools/<script>` with `request` as JSON on stdin and returns its JSON object.
    static func python(_ script: String, _ request: [String: Any]) throws -> [String: Any] {
        let input = try JSONSerialization.data(withJSONObject: request)
        let output = try run(["python3", toolsDirectory.appendingPathComponent(script).path], input: input)
        guard output.status == 0 else { throw ToolFailure(message: "\(script) exited \(output.status): \(output.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any] else {
            throw ToolFailure(message: "\(script) printed no JSON object")
        }
        return object
    }

    struct ToolFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

extension SigV4Timestamp {
    /// Parses `YYYYMMDD'T'HHMMSS'Z'` (as curl prints it) back into a timestamp.
    init?(amzDate: String) {
        let digits = Array(amzDate.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? { Int32(String(decoding: digits[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = month - 1
        fields.tm_mday = day
        fields.tm_hour = hour
        fields.tm_min = minute
        fields.tm_sec = second
        self.init(epochSeconds: Int64(timegm(&fields)))
    }
}

/// Header pairs as the JSON arrays the Python helpers read.
func jsonPairs(_ pairs: [(name: String, value: String)]) -> [[String]] {
    pairs.map { [$0.name, $0.value] }
}

func jsonPairs(_ items: [S3QueryItem]) -> [[String]] {
    items.map { [$0.name, $0.value] }
}
