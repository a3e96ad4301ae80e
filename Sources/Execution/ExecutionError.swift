import ExthostCore
import JSON

/// Why a handler execution (or a module) was refused, as the gateway and finalize report it.
///
/// `trap` and `badResponse` carry details for the log only (`detail`): their `message` never
/// shows guest internals. `moduleInvalid` lists problems about the publisher's own module,
/// which are safe to show.
public enum ExecutionError: HTTPError, Equatable {
    /// The guest trapped (unreachable, out-of-bounds access, a failed host-call contract).
    case trap(String)
    /// Out of fuel or past the deadline.
    case timeout
    /// The guest asked for more memory than `ExecutionLimits.memoryBytes`.
    case outOfMemory
    /// The result pointer/length is out of bounds or the response is over `maxResponseBytes`.
    case badResponse(String)
    /// The module does not match exthost-wasm@1; one entry per problem.
    case moduleInvalid([String])
    /// The request document is over `maxRequestBytes`.
    case requestTooLarge
    /// The module file could not be read (the gateway fills the cache before executing).
    case moduleUnavailable(String)
    /// An `EXT_*` variable is not a positive integer in range.
    case configurationInvalid(name: String, value: String)

    public var status: HTTPStatus {
        switch self {
        case .trap, .outOfMemory, .badResponse: .badGateway
        case .timeout: .gatewayTimeout
        case .moduleInvalid: .unprocessableEntity
        case .requestTooLarge: .payloadTooLarge
        case .moduleUnavailable: .serviceUnavailable
        case .configurationInvalid: .internalServerError
        }
    }

    public var code: String {
        switch self {
        case .trap: "EXTENSION_FAILED"
        case .timeout: "EXTENSION_TIMEOUT"
        case .outOfMemory: "EXTENSION_OUT_OF_MEMORY"
        case .badResponse: "EXTENSION_BAD_RESPONSE"
        case .moduleInvalid: "MODULE_INVALID"
        case .requestTooLarge: "REQUEST_TOO_LARGE"
        case .moduleUnavailable: "MODULE_UNAVAILABLE"
        case .configurationInvalid: "CONFIGURATION_INVALID"
        }
    }

    public var message: String {
        switch self {
        case .trap: "the extension failed while handling the request"
        case .timeout: "the extension did not answer in time"
        case .outOfMemory: "the extension ran out of memory"
        case .badResponse: "the extension returned an invalid response"
        case .moduleInvalid(let problems):
            "the module does not match exthost-wasm@1: " + problems.prefix(3).joined(separator: "; ")
                + (problems.count > 3 ? "; and \(problems.count - 3) more" : "")
        case .requestTooLarge: "the request is too large for the extension"
        case .moduleUnavailable: "the extension's module is not available on this node"
        case .configurationInvalid(let name, _): "\(name) must be a positive integer in range"
        }
    }

    /// What happened, for the log: the trap text, the bad pointer, the unreadable path.
    public var detail: String {
        switch self {
        case .trap(let detail), .badResponse(let detail), .moduleUnavailable(let detail): detail
        case .moduleInvalid(let problems): problems.joined(separator: "; ")
        case .configurationInvalid(let name, let value): "\(name)=\(value)"
        case .timeout, .outOfMemory, .requestTooLarge: message
        }
    }

    /// A 422 lists every problem, like `MANIFEST_INVALID` lists its issues.
    public var extraMembers: [(name: String, json: String)] {
        guard case .moduleInvalid(let problems) = self else { return [] }
        return [(name: "issues", json: JSONValue.array(problems.map { .string($0) }).serialized())]
    }
}
