import JSON

extension ManifestValidator {
    static let uiKeys = ["type", "entry", "hooks"]

    /// `ui`: `{type: "iframe", entry: "ui/…" (default `ui/index.html`), hooks: [unique hook names]}`.
    static func readUI(_ value: JSONValue, at path: JSONPath, with reader: inout ManifestReader) -> ExtensionUI? {
        guard let object = reader.object(value, at: path) else { return nil }
        let supported = ExtensionUI.UIType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        let type = checked("type", in: object, at: path, with: &reader, code: ManifestIssue.Code.unsupportedUIType,
                           rule: "must be one of \(supported)") { ExtensionUI.UIType(rawValue: $0) != nil }
            .flatMap(ExtensionUI.UIType.init(rawValue:))
        let entry = readUIEntry(object, at: path, with: &reader)
        let hooks = reader.uniqueStrings("hooks", in: object, at: path) { reader, hook, location -> String? in
            guard ManifestSyntax.isHook(hook) else {
                reader.add(location, ManifestIssue.Code.invalidHook, "hook \(ManifestSyntax.quoted(hook)) must match [a-z][a-zA-Z0-9.:-]{0,63}")
                return nil
            }
            return hook
        }
        reader.rejectUnknownKeys(of: object, at: path, allowed: uiKeys)
        guard let type else { return nil }
        return ExtensionUI(type: type, entry: entry ?? ExtensionUI.defaultEntry, hooks: hooks)
    }

    private static func readUIEntry(_ object: JSONObject, at path: JSONPath, with reader: inout ManifestReader) -> String? {
        guard let entry = reader.string("entry", in: object, at: path, required: false) else { return nil }
        let entryPath = path.appending("entry")
        guard checkSafePath(entry, at: entryPath, with: &reader) else { return nil }
        guard entry.hasPrefix("ui/"), entry.utf8.count > 3 else {
            reader.add(entryPath, ManifestIssue.Code.uiEntryOutsideUI, "ui.entry must be a file under ui/, e.g. \"\(ExtensionUI.defaultEntry)\"; got \(ManifestSyntax.quoted(entry))")
            return nil
        }
        return entry
    }
}
