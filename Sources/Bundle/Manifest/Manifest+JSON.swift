import JSON

extension Manifest {
    /// The manifest with every default filled in, in the field order of docs/manifest.md:
    /// what the registry stores and `exthost inspect --json` prints.
    public var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = [
            ("manifestVersion", .number(Manifest.currentManifestVersion)),
            ("name", .string(name)),
            ("publisher", .string(publisher)),
            ("version", .string(version.description)),
            ("runtime", .string(runtime)),
            ("entry", .string(entry)),
        ]
        if let displayName { members.append(("displayName", .string(displayName))) }
        if let description { members.append(("description", .string(description))) }
        members.append(("capabilities", .array(capabilities.map { .string($0.rawValue) })))
        if let ui { members.append(("ui", ui.jsonValue)) }
        members.append(("api", .object([("endpoints", .array(endpoints.map(\.jsonValue)))])))
        members.append(("assets", .array(assets.map(JSONValue.string))))
        if let precompiled { members.append(("precompiled", .object(precompiled))) }
        if let sbom { members.append(("sbom", .string(sbom))) }
        return .object(members)
    }

    /// A few lines for people, e.g. for `exthost inspect`.
    public var summary: String {
        var lines = ["\(extensionId) \(version) (\(runtime))"]
        if let displayName { lines.append("  name:         \(displayName)") }
        lines.append("  entry:        \(entry)\(requiresEntry ? "" : " (unused: no endpoints)")")
        lines.append("  capabilities: \(capabilities.isEmpty ? "none" : capabilities.map(\.rawValue).joined(separator: ", "))")
        if let ui {
            lines.append("  ui:           \(ui.type.rawValue) \(ui.entry)\(ui.hooks.isEmpty ? "" : " hooks: " + ui.hooks.joined(separator: ", "))")
        }
        lines.append("  endpoints:    \(endpoints.isEmpty ? "none" : String(endpoints.count))")
        for endpoint in endpoints {
            lines.append("    \(endpoint.method.rawValue) \(endpoint.path) -> \(endpoint.handler)")
        }
        return lines.joined(separator: "\n")
    }
}

extension ExtensionUI {
    public var jsonValue: JSONValue {
        .object([("type", .string(type.rawValue)), ("entry", .string(entry)), ("hooks", .array(hooks.map(JSONValue.string)))])
    }
}

extension Endpoint {
    public var jsonValue: JSONValue {
        .object([("method", .string(method.rawValue)), ("path", .string(path.description)), ("handler", .string(handler))])
    }
}
