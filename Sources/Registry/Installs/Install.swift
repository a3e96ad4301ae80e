import JSON

/// One tenant's install of an extension, pinned to a version.
///
/// Invariants: `grantedCapabilities` is a subset of the pinned version's declared capabilities
/// (checked on every write); `config` is a JSON object.
public struct Install: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public let extensionID: String
    /// `publisher.name` of the extension.
    public let extensionName: String
    public let version: String
    public let contentHash: String
    public let enabled: Bool
    public let grantedCapabilities: [String]
    public let config: JSONObject
    /// The pinned version's `ui` manifest member, nil when it has no UI.
    public let ui: JSONValue?
    public let createdAt: String
    public let updatedAt: String

    /// Where nginx serves the UI entry page from the cache tree (DESIGN §8); nil when the install
    /// is disabled or the version has no UI, because only enabled pairs are linked.
    public var uiPath: String? {
        guard enabled, let ui else { return nil }
        let entry = ui["entry"]?.stringValue ?? "ui/index.html"
        let hex = contentHash.hasPrefix("sha256:") ? String(contentHash.dropFirst(7)) : contentHash
        let page = entry.hasPrefix("ui/") ? String(entry.dropFirst(3)) : entry
        return "/ext-ui/\(extensionID)/\(hex)/\(page)"
    }
}

/// What `POST /api/installs` asks for.
public struct InstallDraft: Sendable, Equatable {
    public var extensionReference: ExtensionReference
    public var version: String
    public var enabled: Bool
    public var config: JSONObject
    public var grantedCapabilities: [String]

    public init(extension reference: ExtensionReference, version: String, enabled: Bool = true, config: JSONObject = JSONObject(), grantedCapabilities: [String] = []) {
        self.extensionReference = reference
        self.version = version
        self.enabled = enabled
        self.config = config
        self.grantedCapabilities = grantedCapabilities
    }
}

/// What `PATCH /api/installs/{id}` changes; nil members stay as they are.
public struct InstallChanges: Sendable, Equatable {
    public var enabled: Bool?
    public var version: String?
    public var config: JSONObject?
    public var grantedCapabilities: [String]?

    public init(enabled: Bool? = nil, version: String? = nil, config: JSONObject? = nil, grantedCapabilities: [String]? = nil) {
        self.enabled = enabled
        self.version = version
        self.config = config
        self.grantedCapabilities = grantedCapabilities
    }
}
