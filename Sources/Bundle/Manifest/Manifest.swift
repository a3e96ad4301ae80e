import JSON

/// A validated `manifest.json` (version 2): what an extension is, what it runs and what it may do.
///
/// Only `ManifestValidator` makes one from JSON, so every value here already satisfies the
/// rules in docs/manifest.md; optional fields with a default hold that default.
public struct Manifest: Sendable, Equatable {
    public static let supportedRuntime = "exthost-wasm@1"
    public static let currentManifestVersion = 2
    public static let defaultEntry = "dist/main.wasm"

    public var name: String
    public var publisher: String
    public var version: SemanticVersion
    public var runtime: String
    /// Path of the wasm module inside the bundle; required in the bundle only when `endpoints` is not empty.
    public var entry: String
    public var capabilities: [Capability]
    public var ui: ExtensionUI?
    public var endpoints: [Endpoint]
    public var assets: [String]
    /// Free-form precompilation hints; exthost keeps them but does not interpret them.
    public var precompiled: JSONObject?
    public var sbom: String?
    public var description: String?
    public var displayName: String?

    public init(
        name: String, publisher: String, version: SemanticVersion, runtime: String = Manifest.supportedRuntime,
        entry: String = Manifest.defaultEntry, capabilities: [Capability] = [], ui: ExtensionUI? = nil,
        endpoints: [Endpoint] = [], assets: [String] = [], precompiled: JSONObject? = nil, sbom: String? = nil,
        description: String? = nil, displayName: String? = nil
    ) {
        self.name = name
        self.publisher = publisher
        self.version = version
        self.runtime = runtime
        self.entry = entry
        self.capabilities = capabilities
        self.ui = ui
        self.endpoints = endpoints
        self.assets = assets
        self.precompiled = precompiled
        self.sbom = sbom
        self.description = description
        self.displayName = displayName
    }

    /// `publisher.name`, the readable form of the extension id used in URLs.
    public var extensionId: String { "\(publisher).\(name)" }

    /// The wasm entry must be in the bundle exactly when the extension serves API endpoints.
    public var requiresEntry: Bool { !endpoints.isEmpty }
}

/// A permission an extension asks for; a tenant admin grants a subset at install time.
public enum Capability: String, Sendable, Hashable, CaseIterable, Comparable {
    case contextRead = "cap:context.read"
    case logEmit = "cap:log.emit"
    case httpFetch = "cap:http.fetch"
    case secretsGet = "cap:secrets.get"
    case storageKV = "cap:storage.kv"
    case configRead = "cap:config.read"

    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The extension's iframe UI: a page under `ui/` and the host hooks it plugs into.
public struct ExtensionUI: Sendable, Equatable {
    public static let defaultEntry = "ui/index.html"

    public var type: UIType
    public var entry: String
    public var hooks: [String]

    public enum UIType: String, Sendable, CaseIterable {
        case iframe
    }

    public init(type: UIType = .iframe, entry: String = ExtensionUI.defaultEntry, hooks: [String] = []) {
        self.type = type
        self.entry = entry
        self.hooks = hooks
    }
}

/// One API route of the extension: requests matching `method` and `path` run the `handler` export.
public struct Endpoint: Sendable, Equatable {
    public enum Method: String, Sendable, Hashable, CaseIterable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case patch = "PATCH"
        case delete = "DELETE"
    }

    public var method: Method
    public var path: EndpointPath
    public var handler: String

    public init(method: Method, path: EndpointPath, handler: String) {
        self.method = method
        self.path = path
        self.handler = handler
    }
}
