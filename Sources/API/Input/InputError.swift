import ExthostCore
import JSON

/// A request the API cannot accept as given: always 400 with the path of the field at fault.
public enum InputError: HTTPError, Equatable {
    case missingField(JSONPath)
    case wrongType(JSONPath, expected: String)
    case invalidValue(JSONPath, reason: String)
    case unknownField(JSONPath)
    /// A path or query parameter (`id`, `?limit`), named as the client wrote it.
    case invalidParameter(String, reason: String)

    public var status: HTTPStatus { .badRequest }

    public var code: String {
        switch self {
        case .missingField: "MISSING_FIELD"
        case .wrongType: "INVALID_TYPE"
        case .invalidValue: "INVALID_FIELD"
        case .unknownField: "UNKNOWN_FIELD"
        case .invalidParameter: "INVALID_PARAMETER"
        }
    }

    public var message: String {
        switch self {
        case .missingField(let path): "\(path) is required"
        case .wrongType(let path, let expected): "\(path) must be \(expected)"
        case .invalidValue(let path, let reason): "\(path) \(reason)"
        case .unknownField(let path): "\(path) is not a field of this request; check the spelling against the API docs"
        case .invalidParameter(let name, let reason): "\(name) \(reason)"
        }
    }

    public var field: String? {
        switch self {
        case .missingField(let path), .wrongType(let path, _), .invalidValue(let path, _), .unknownField(let path): path.description
        case .invalidParameter(let name, _): name
        }
    }
}
