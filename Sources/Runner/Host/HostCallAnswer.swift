import JSON

/// The answers of `exthost.call`: `{"ok": …}` or `{"error":{"code","message"}}` (DESIGN §7).
///
/// Invariant: error codes are lowercase snake case and stable; messages never hold a secret
/// or anything the guest did not already know.
enum HostCallAnswer {
    static func ok(_ value: JSONValue) -> JSONValue {
        .object([("ok", value)])
    }

    static func error(_ code: String, _ message: String) -> JSONValue {
        .object([("error", .object([("code", .string(code)), ("message", .string(message))]))])
    }

    static func capabilityDenied(_ capability: String) -> JSONValue {
        error("capability_denied", "the install did not grant \(capability)")
    }
}
