import ExthostCore
import FastCGI
import Logging

/// One dependency `GET /readyz` checks: a name and a probe that throws when the dependency
/// cannot be used now.
public struct ReadinessCheck: Sendable {
    public let name: String
    let probe: @Sendable () throws -> Void

    public init(_ name: String, probe: @escaping @Sendable () throws -> Void) {
        self.name = name
        self.probe = probe
    }
}

/// 503 `NOT_READY`: the checks that failed, by name, with a safe reason (the error's code, never
/// its text, which may name hosts or paths; that goes to the log).
struct NotReady: HTTPError {
    let results: [(name: String, outcome: String)]

    var status: HTTPStatus { .serviceUnavailable }
    var code: String { "NOT_READY" }
    var message: String {
        "not ready: " + results.filter { $0.outcome != "ok" }.map(\.name).joined(separator: ", ") + " unavailable"
    }
    var extraHeaders: [(name: String, value: String)] { [("Retry-After", "5")] }
    var extraMembers: [(name: String, json: String)] { [("checks", ReadinessCheck.json(results))] }
}

extension ReadinessCheck {
    static func json(_ results: [(name: String, outcome: String)]) -> String {
        "{" + results.map { JSONString.quote($0.name) + ":" + JSONString.quote($0.outcome) }.joined(separator: ",") + "}"
    }
}

extension Router {
    /// `GET /readyz`: every check passes → 200 `{"status":"ready","checks":{name:"ok",…}}`;
    /// otherwise 503 `NOT_READY` with the same `checks` (a failed one reads `unavailable` or
    /// its error code) and `Retry-After`. Checks run in order, each to completion.
    public mutating func addReadinessRoute(_ checks: [ReadinessCheck], logger: Logger) {
        get("/readyz") { request in
            var results: [(name: String, outcome: String)] = []
            for check in checks {
                do {
                    try check.probe()
                    results.append((check.name, "ok"))
                } catch {
                    logger.warning("not ready", metadata: ["check": "\(check.name)", "error": "\(error)", "requestId": "\(request.requestID)"])
                    results.append((check.name, (error as? any HTTPError)?.code ?? (error as? ReadinessFailure)?.rawValue ?? "unavailable"))
                }
            }
            guard results.allSatisfy({ $0.outcome == "ok" }) else { throw NotReady(results: results) }
            var response = Response.json("{\"status\":\"ready\",\"checks\":" + ReadinessCheck.json(results) + "}")
            try response.headers.set("Cache-Control", "no-store")
            return response
        }
    }
}

/// Why a local check failed, as the `checks` member shows it.
public enum ReadinessFailure: String, Error, CustomStringConvertible {
    case unreadable
    case notRunning = "not_running"

    public var description: String { rawValue }
}
