import Bundle
import Cryptography
import FastCGI
import JSON
import Registry

/// The request JSON a handler export receives (DESIGN §7, ABI `exthost-wasm@1`).
///
/// Invariants: the caller's credentials (`authorization`, `cookie`, `proxy-authorization`)
/// never reach the guest; the tenant, install, version, hash and config are in `context` only
/// when the install granted `cap:context.read` (the manifest's capability table); `requestId`
/// and `extensionId` are always there.
public enum GatewayRequestDocument {
    public static let hiddenRequestHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization"]

    public struct HTTPPart: Sendable {
        public var method: String
        /// The path after `/api/ext/{extensionId}`, still percent-encoded, `/` for the root.
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(method: String, path: String, query: [(name: String, value: String)], headers: [(name: String, value: String)], body: [UInt8]) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    public static func make(target: ExecutionTarget, requestID: String, http: HTTPPart, params: [String: String]) -> JSONValue {
        .object([
            ("context", context(target: target, requestID: requestID)),
            ("http", .object([
                ("method", .string(http.method)),
                ("path", .string(http.path)),
                ("query", .object(JSONObject(grouped(http.query, lowercasingNames: false)))),
                ("headers", .object(JSONObject(grouped(http.headers.filter { !hiddenRequestHeaders.contains($0.name.lowercased()) }, lowercasingNames: true)))),
                ("body", .string(Base64.encode(http.body))),
            ])),
            ("params", .object(JSONObject(params.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))),
        ])
    }

    static func context(target: ExecutionTarget, requestID: String) -> JSONValue {
        var members: [(String, JSONValue)] = [("requestId", .string(requestID)), ("extensionId", .string(target.extensionID))]
        if target.grantedCapabilities.contains(Capability.contextRead.rawValue) {
            members += [
                ("tenantId", .string(target.tenantID)),
                ("installId", .string(target.installID)),
                ("version", .string(target.version)),
                ("contentHash", .string(target.contentHash)),
                ("config", .object(target.config)),
            ]
        }
        return .object(members)
    }

    /// One member per name in first-seen order: a string, or an array of strings when repeated.
    static func grouped(_ pairs: [(name: String, value: String)], lowercasingNames: Bool) -> [(String, JSONValue)] {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for pair in pairs {
            let name = lowercasingNames ? pair.name.lowercased() : pair.name
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(pair.value)
        }
        return order.map { name in
            let all = values[name] ?? []
            return (name, all.count == 1 ? .string(all[0]) : .array(all.map(JSONValue.string)))
        }
    }
}
