import Bundle
import JSON
import Registry

extension Publication {
    /// What finalize registers for a bundle whose verification passed: the manifest's fields
    /// with every default filled in, and the signature only when it was checked and accepted.
    init(manifest: Manifest, digest: BundleDigest, signature: BundleSignature?, signer: SignaturePolicy.Signer?) {
        self.init(
            publisher: manifest.publisher, name: manifest.name, displayName: manifest.displayName ?? "",
            description: manifest.description ?? "", version: manifest.version.description, runtime: manifest.runtime,
            entry: manifest.entry, endpoints: .array(manifest.endpoints.map(\.jsonValue)), ui: manifest.ui?.jsonValue,
            capabilities: manifest.capabilities.map(\.rawValue), manifest: manifest.jsonValue.objectValue ?? JSONObject(),
            contentHash: digest.contentHash.description, size: Int64(digest.size),
            signature: signer == nil ? nil : signature?.jsonValue, signer: signer?.commonName,
            signerFingerprint: signer?.certificateFingerprint)
    }
}

/// What finalize answers: the registered version, the same document on every replay.
struct FinalizeResult {
    let published: PublishedVersion
    /// True only for the finalize that registered the version (201); replays answer 200.
    let isNew: Bool

    var jsonValue: JSONValue {
        [
            "extension": ["id": .string(published.extensionID), "publisher": .string(published.publisher), "name": .string(published.name)],
            "version": ["id": .string(published.versionID), "version": .string(published.version)],
            "contentHash": .string(published.contentHash),
            "size": .number(JSONNumber(Int(published.size))),
            // A stored signer means its signature was verified: unverifiable ones are never stored.
            "signature": ["verified": .bool(published.signer != nil), "signer": published.signer.map(JSONValue.string) ?? .null],
        ]
    }
}
