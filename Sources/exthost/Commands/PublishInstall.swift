import JSON

/// The install `publish --install` left behind for the key's tenant.
struct InstallOutcome {
    /// The API's install document (`{id, extensionId, version, grantedCapabilities, uiUrl?, …}`).
    let install: JSONValue
    /// The version the tenant had before, when an existing install was moved to this one.
    let previousVersion: String?

    /// One line saying what happened to the tenant's install of `version`.
    func summary(version: String) -> String {
        let id = install["id"]?.stringValue ?? "?"
        switch previousVersion {
        case nil: return "installed for the key's tenant: install \(id)"
        case version?: return "installed already: the tenant's install \(id) was at \(version)"
        case let previous?: return "installed by moving the tenant's existing install \(id) from \(previous) to \(version)"
        }
    }
}

/// Installs a published version for the API key's tenant, or moves the tenant's existing
/// install of that extension to it: installs are unique per tenant and extension, so a 409
/// `ALREADY_INSTALLED` means "PATCH the one you have".
struct TenantInstaller {
    let api: APIClient

    /// `grants` replaces the granted capabilities when given; nil leaves them as they are
    /// (none for a new install).
    func install(_ bundle: FinalizedBundle, grants: [String]?) throws -> InstallOutcome {
        var body: [(String, JSONValue)] = [("extensionId", .string(bundle.extensionID)), ("version", .string(bundle.version))]
        let grantMember = grants.map { ("grantedCapabilities", JSONValue.array($0.map(JSONValue.string))) }
        if let grantMember { body.append(grantMember) }
        if let created = try create(.object(body)) {
            return InstallOutcome(install: created, previousVersion: nil)
        }
        let existing = try existingInstall(of: bundle)
        let id = try existing.answer.string("id", in: existing.install)
        var changes: [(String, JSONValue)] = [("version", .string(bundle.version))]
        if let grantMember { changes.append(grantMember) }
        let updated = try api.json("PATCH", "/api/installs/\(id)", body: .object(changes))
        return InstallOutcome(install: updated.document, previousVersion: existing.install["version"]?.stringValue ?? "?")
    }

    /// The new install, or nil when the tenant already has this extension installed.
    private func create(_ body: JSONValue) throws(APIClientError) -> JSONValue? {
        do {
            return try api.json("POST", "/api/installs", body: body).document
        } catch {
            if case .rejected(_, let document) = error, document.code == "ALREADY_INSTALLED" { return nil }
            throw error
        }
    }

    private func existingInstall(of bundle: FinalizedBundle) throws -> (answer: APIClient.Answer, install: JSONValue) {
        let answer = try api.json("GET", "/api/installs")
        let installs = try answer.member("installs").arrayValue ?? []
        guard let install = installs.first(where: { $0["extensionId"]?.stringValue == bundle.extensionID }) else {
            throw APIClientError.unexpectedResponse(
                operation: answer.operation, status: answer.status,
                detail: "no install of \(bundle.qualifiedName) although POST /api/installs said ALREADY_INSTALLED")
        }
        return (answer, install)
    }
}
