import JSON

extension Manifest {
    /// The files the manifest names that the bundle does not contain, as issues: the wasm entry
    /// (only when endpoints are declared), `ui.entry`, each asset and the SBOM.
    ///
    /// `entryPaths` are the archive's entry names relative to the bundle root; a leading `./`
    /// and a trailing `/` are ignored. An asset may name a file or a directory.
    public func bundleIssues(entryPaths: Set<String>) -> [ManifestIssue] {
        let paths = Set(entryPaths.map(Self.normalizedEntryPath))
        let root = JSONPath.root
        var issues: [ManifestIssue] = []
        if requiresEntry, !paths.contains(entry) {
            issues.append(ManifestIssue(root.appending("entry"), ManifestIssue.Code.entryMissing,
                                        "the bundle has no \(entry), which the API endpoints need"))
        }
        if let ui, !paths.contains(ui.entry) {
            issues.append(ManifestIssue(root.appending("ui").appending("entry"), ManifestIssue.Code.uiEntryMissing,
                                        "the bundle has no \(ui.entry), the UI entry page"))
        }
        for (index, asset) in assets.enumerated() where !Self.contains(asset, in: paths) {
            issues.append(ManifestIssue(root.appending("assets").appending(index: index), ManifestIssue.Code.assetMissing,
                                        "the bundle has no file or directory \(asset)"))
        }
        if let sbom, !paths.contains(sbom) {
            issues.append(ManifestIssue(root.appending("sbom"), ManifestIssue.Code.sbomMissing, "the bundle has no \(sbom)"))
        }
        return issues
    }

    private static func contains(_ path: String, in paths: Set<String>) -> Bool {
        if paths.contains(path) { return true }
        let directory = path + "/"
        return paths.contains { $0.hasPrefix(directory) }
    }

    private static func normalizedEntryPath(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("./") { trimmed = trimmed.dropFirst(2) }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}
