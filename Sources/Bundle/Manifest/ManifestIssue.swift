import ExthostCore
import JSON

/// One problem found in a manifest: where (a JSON path such as `api.endpoints[2].path`, `$` for
/// the whole document), a stable code and a message for the author.
public struct ManifestIssue: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let code: String
    public let message: String

    public init(path: String, code: String, message: String) {
        self.path = path
        self.code = code
        self.message = message
    }

    init(_ path: JSONPath, _ code: String, _ message: String) {
        self.init(path: path.description, code: code, message: message)
    }

    public var description: String { "\(path): \(message) [\(code)]" }

    public var jsonValue: JSONValue {
        .object([("path", .string(path)), ("code", .string(code)), ("message", .string(message))])
    }

    /// Every issue code; docs/manifest.md explains each.
    public enum Code {
        public static let invalidJSON = "INVALID_JSON"
        public static let duplicateKey = "JSON_DUPLICATE_KEY"
        public static let tooLarge = "MANIFEST_TOO_LARGE"
        public static let required = "FIELD_REQUIRED"
        public static let typeMismatch = "TYPE_MISMATCH"
        public static let unknownField = "UNKNOWN_FIELD"
        public static let invalidName = "INVALID_NAME"
        public static let invalidPublisher = "INVALID_PUBLISHER"
        public static let invalidVersion = "INVALID_VERSION"
        public static let unsupportedRuntime = "UNSUPPORTED_RUNTIME"
        public static let unsupportedManifestVersion = "UNSUPPORTED_MANIFEST_VERSION"
        public static let unsafePath = "UNSAFE_PATH"
        public static let invalidEntry = "INVALID_ENTRY"
        public static let unknownCapability = "UNKNOWN_CAPABILITY"
        public static let duplicateValue = "DUPLICATE_VALUE"
        public static let unsupportedUIType = "UNSUPPORTED_UI_TYPE"
        public static let uiEntryOutsideUI = "UI_ENTRY_OUTSIDE_UI"
        public static let invalidHook = "INVALID_HOOK"
        public static let invalidMethod = "INVALID_METHOD"
        public static let invalidEndpointPath = "INVALID_ENDPOINT_PATH"
        public static let duplicateParameter = "DUPLICATE_PARAMETER"
        public static let duplicateEndpoint = "DUPLICATE_ENDPOINT"
        public static let invalidHandler = "INVALID_HANDLER"
        public static let reservedHandler = "RESERVED_HANDLER"
        public static let tooLong = "TOO_LONG"
        public static let invalidText = "INVALID_TEXT"
        public static let entryMissing = "ENTRY_MISSING"
        public static let uiEntryMissing = "UI_ENTRY_MISSING"
        public static let assetMissing = "ASSET_MISSING"
        public static let sbomMissing = "SBOM_MISSING"
    }
}

/// A manifest rejected with every issue found, not just the first (422 `MANIFEST_INVALID`).
public enum ManifestError: Error, Sendable, Equatable, HTTPError {
    case invalid([ManifestIssue])

    public var issues: [ManifestIssue] {
        switch self {
        case .invalid(let issues): issues
        }
    }

    public var status: HTTPStatus { .unprocessableEntity }
    public var code: String { "MANIFEST_INVALID" }

    /// The count and the first few issues; the full list is `issues` (or `issuesJSON` for a response body).
    public var message: String {
        let shown = 3
        let count = issues.count
        var text = "the manifest has \(count) issue\(count == 1 ? "" : "s"): "
        text += issues.prefix(shown).map(\.description).joined(separator: "; ")
        if count > shown { text += "; and \(count - shown) more" }
        return text
    }

    /// `[{"path","code","message"}, …]`, for the `issues` member of an error response.
    public var issuesJSON: JSONValue {
        .array(issues.map(\.jsonValue))
    }

    public var extraMembers: [(name: String, json: String)] {
        [(name: "issues", json: issuesJSON.serialized())]
    }
}
