import JSON

/// What `publish` prints on stdout when it is done: a summary for a person, or with `--json`
/// one document `{extension, version, contentHash, size, signature, created, uploadId,
/// strategy, install?}` built from the server's answers (`created` is false when this exact
/// content was already published).
struct PublishReport {
    let finalized: FinalizedBundle
    let receipt: UploadReceipt
    let install: InstallOutcome?

    var json: JSONValue {
        let answer = finalized.answer
        var members: [(String, JSONValue)] = ["extension", "version", "contentHash", "size", "signature"].map { ($0, answer[$0] ?? .null) }
        members += [("created", .bool(finalized.created)), ("uploadId", .string(receipt.uploadID)), ("strategy", .string(receipt.strategy))]
        if let install { members.append(("install", install.install)) }
        return .object(members)
    }

    /// The summary; `baseURL` turns the install's `uiUrl` path into a link.
    func lines(baseURL: String) -> [String] {
        let answer = finalized.answer
        let outcome = finalized.created ? "published" : "already published with this exact content (nothing changed)"
        var lines = [
            "\(outcome): \(finalized.qualifiedName) \(finalized.version)",
            "  extension  \(finalized.extensionID)",
            "  content    \(answer["contentHash"]?.stringValue ?? "?")  \(answer["size"]?.intValue.map(String.init) ?? "?") bytes",
            "  signature  \(Self.signatureText(answer["signature"]))",
            "  upload     \(receipt.uploadID) (\(receipt.strategy))",
        ]
        guard let install else { return lines }
        let document = install.install
        lines.append(install.summary(version: finalized.version))
        let grants = document["grantedCapabilities"]?.arrayValue?.compactMap(\.stringValue) ?? []
        lines.append("  granted    \(grants.isEmpty ? "(none)" : grants.joined(separator: ", "))")
        lines.append("  enabled    \(document["enabled"]?.boolValue.map(String.init) ?? "?")")
        if let ui = document["uiUrl"]?.stringValue { lines.append("  ui         \(baseURL)\(ui)") }
        return lines
    }

    /// Finalize stores a signer only for a signature it verified.
    private static func signatureText(_ signature: JSONValue?) -> String {
        guard signature?["verified"]?.boolValue == true, let signer = signature?["signer"]?.stringValue else { return "none (unsigned)" }
        return "verified, signer \(signer)"
    }
}
