import Bundle
import Cryptography
import Execution
import ExthostCore
import FastCGI
import Glibc
import JSON
import Logging

/// What `exthost run` prints: the response as a client would get it (status, headers, body), or
/// the gateway's error; then the guest's log lines, the fuel used and the wall time.
///
/// Invariants: a body is shown as text only when it is valid UTF-8, otherwise as base64; an
/// error's `detail` (the trap text, the bad pointer) is shown, since the author is the operator here.
struct RunReport {
    let inputs: RunInputs
    let outcome: RunExecution.Outcome

    func printText() {
        switch outcome.response {
        case .response(let response):
            print("HTTP \(response.status.code) \(response.status.reason)")
            for field in response.headers { print("\(field.name): \(field.value)") }
            print("")
            let body = bodyBytes(response)
            if let text = Self.utf8Text(body) {
                if !text.isEmpty { print(text) }
            } else {
                print("(\(body.count) bytes, base64) \(Base64.encode(body))")
            }
        case .failure(let error):
            Self.printError("\(error.code) (\(error.status.code)): \(error.message)")
            if let detail = Self.detail(error) { Self.printError("  detail: \(detail)") }
        }
        if !outcome.logs.isEmpty {
            print("")
            print("log:")
            for line in outcome.logs { print("  \(line.fromGuest ? "" : "host ")\(line.level): \(line.message)") }
        }
        print("")
        print(summary)
    }

    func printJSON() {
        var members: [(String, JSONValue)] = [("ok", .bool(isSuccess)), ("requestId", .string(outcome.requestID))]
        members.append(("request", .object([("method", .string(inputs.method)), ("path", .string(inputs.path))])))
        members.append(("endpoint", outcome.endpoint.map { endpoint in
            .object([("method", .string(endpoint.method.rawValue)), ("path", .string(endpoint.path.description)), ("handler", .string(endpoint.handler))])
        } ?? .null))
        members.append(("params", .object(JSONObject(outcome.params.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))))
        switch outcome.response {
        case .response(let response):
            let body = bodyBytes(response)
            let text = Self.utf8Text(body)
            members.append(("response", .object([
                ("status", .number(response.status.code)),
                ("headers", .object(Self.grouped(response.headers))),
                ("body", .string(text ?? Base64.encode(body))),
                ("bodyEncoding", .string(text == nil ? "base64" : "text")),
            ])))
        case .failure(let error):
            var fields: [(String, JSONValue)] = [("status", .number(error.status.code)), ("code", .string(error.code)), ("message", .string(error.message))]
            if let detail = Self.detail(error) { fields.append(("detail", .string(detail))) }
            members.append(("error", .object(fields)))
        }
        members.append(("logs", .array(outcome.logs.map { line in
            .object([("level", .string(line.level.rawValue)), ("source", .string(line.fromGuest ? "guest" : "host")), ("message", .string(line.message))])
        })))
        members.append(("fuelUsed", outcome.fuelUsed.map { .number(Int(clamping: $0)) } ?? .null))
        members.append(("wallTimeMs", JSONNumber(milliseconds).map(JSONValue.number) ?? .null))
        print(JSONValue.object(members).serialized(.pretty))
    }

    private var isSuccess: Bool {
        if case .response = outcome.response { return true }
        return false
    }

    private var milliseconds: Double {
        let parts = outcome.wallTime.components
        return (Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15 * 1000).rounded() / 1000
    }

    private var summary: String {
        let route = outcome.endpoint.map { "handler \($0.handler) (\($0.method.rawValue) \($0.path))" } ?? "no handler ran"
        let fuel = outcome.fuelUsed.map { "fuel \($0)" } ?? "fuel -"
        return "\(inputs.method) \(inputs.path): \(route), \(fuel), \(milliseconds) ms"
    }

    /// The body a client receives: none for HEAD, which the FastCGI layer answers without one.
    private func bodyBytes(_ response: Response) -> [UInt8] {
        if inputs.method != "HEAD", case .bytes(let bytes) = response.body { return bytes }
        return []
    }

    private static func utf8Text(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    private static func detail(_ error: any HTTPError) -> String? {
        guard let failure = error as? ExecutionError else { return nil }
        let detail = failure.detail
        return detail == failure.message ? nil : detail
    }

    /// Header fields by lowercase name: a string, or an array when the name repeats.
    private static func grouped(_ headers: HTTPHeaders) -> JSONObject {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for field in headers {
            let name = field.name.lowercased()
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(field.value)
        }
        return JSONObject(order.map { name in
            let all = values[name] ?? []
            return (name, all.count == 1 ? JSONValue.string(all[0]) : .array(all.map(JSONValue.string)))
        })
    }

    private static func printError(_ line: String) {
        let text = line + "\n"
        _ = text.utf8CString.withUnsafeBytes { write(2, $0.baseAddress, $0.count - 1) }
    }
}
