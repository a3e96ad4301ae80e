import ExthostCore
import FastCGI
import JSON
import Registry

/// The JSON shapes the API answers with; the one place a registry value becomes a document.
enum Presentation {
    static func json(_ value: JSONValue, status: HTTPStatus = .ok) -> Response {
        Response.json(value.serialized(), status: status)
    }

    static func catalogExtension(_ entry: CatalogExtension) -> JSONValue {
        [
            "id": .string(entry.id),
            "publisher": .string(entry.publisher),
            "name": .string(entry.name),
            "qualifiedName": .string(entry.qualifiedName),
            "displayName": .string(entry.displayName),
            "description": .string(entry.description),
            "createdAt": .string(entry.createdAt),
            "versions": .array(entry.versions.map(version)),
        ]
    }

    static func version(_ version: ExtensionVersion) -> JSONValue {
        [
            "version": .string(version.version),
            "contentHash": .string(version.contentHash),
            "size": .number(JSONNumber(Int(version.size))),
            "signer": version.signer.map(JSONValue.string) ?? .null,
            "signerFingerprint": version.signerFingerprint.map(JSONValue.string) ?? .null,
            "runtime": .string(version.runtime),
            "entry": .string(version.entry),
            "endpoints": version.endpoints,
            "ui": version.ui ?? .null,
            "capabilities": .array(version.capabilities.map(JSONValue.string)),
            "createdAt": .string(version.createdAt),
        ]
    }

    static func install(_ install: Install) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(install.id)),
            ("tenantId", .string(install.tenantID)),
            ("extensionId", .string(install.extensionID)),
            ("extension", .string(install.extensionName)),
            ("version", .string(install.version)),
            ("contentHash", .string(install.contentHash)),
            ("enabled", .bool(install.enabled)),
            ("grantedCapabilities", .array(install.grantedCapabilities.map(JSONValue.string))),
            ("config", .object(install.config)),
        ]
        if let uiPath = install.uiPath { members.append(("uiUrl", .string(uiPath))) }
        members += [("createdAt", .string(install.createdAt)), ("updatedAt", .string(install.updatedAt))]
        return .object(members)
    }
}

extension Presentation {
    /// Secret names only: values are write-only through the API.
    static func secretNames(installID: String, _ names: [String]) -> Response {
        json(["installId": .string(installID), "secrets": .array(names.map(JSONValue.string))])
    }
}
