import Bundle
import BundleStore
import ExthostCore
import Glibc
import JSON
import Logging
import Registry

/// Publishes one uploaded bundle: claims the session, reads and checks the staged bytes,
/// verifies manifest and signature, stores the canonical objects, registers the version and
/// closes the session.
///
/// Invariants: nothing is registered unless every check passed and both canonical objects are
/// stored; a claimed session never stays `finalizing` when `finalize` returns or throws (it is
/// `finalized`, or back to `open` so the client can retry; a crash is covered by the session
/// store's stale-claim takeover); a finalized session answers its version again (200).
struct Finalizer {
    let publishing: PublishingServices
    let requestID: String

    func finalize(_ request: FinalizeRequest, tenantID: String) throws -> FinalizeResult {
        switch try publishing.sessions.claimForFinalize(tenantID: tenantID, id: request.uploadID) {
        case .alreadyFinalized(let session):
            return try replay(session, request)
        case .claimed(let session):
            do {
                return try publish(session, request)
            } catch {
                reopen(session, after: error)
                throw error
            }
        }
    }

    private func replay(_ session: UploadSession, _ request: FinalizeRequest) throws -> FinalizeResult {
        guard let contentHash = session.contentHash, let published = try publishing.publications.find(contentHash: contentHash) else {
            throw FinalizeError.publicationMissing(uploadID: session.id)
        }
        if let declared = request.declaredHash, declared.description != contentHash {
            throw PublishingError.hashMismatch(declared: declared.description, actual: contentHash)
        }
        return FinalizeResult(published: published, isNew: false)
    }

    private func publish(_ session: UploadSession, _ request: FinalizeRequest) throws -> FinalizeResult {
        let store = publishing.store
        let limits = publishing.limits
        var log = FinalizeStageLog(logger: publishing.logger, requestID: requestID, uploadID: session.id)
        if request.parts != nil && session.multipartID == nil {
            throw InputError.invalidValue(JSONPath.root.appending("parts"), reason: "applies only to multipart uploads (strategy \"multipart\")")
        }

        let reader = StagingReader(store: store, limits: limits)
        let object = try reader.complete(session, parts: request.parts)
        guard object.size <= limits.maxBundleBytes else { throw PublishingError.bundleTooLarge(limit: limits.maxBundleBytes) }
        guard object.size == session.declaredSize else {
            throw PublishingError.sizeMismatch(declared: session.declaredSize, received: object.size)
        }
        log.finished("received", bytes: object.size)

        let staged = try reader.read(session.stagingKey, uploadID: session.id)
        let bytes = Int64(staged.digest.size)
        let contentHash = staged.digest.contentHash
        log.finished("hashed", bytes: bytes, ["contentHash": "\(contentHash)"])
        let declaredHash = request.declaredHash ?? session.declaredHash.flatMap(ContentHash.init(parsing:))
        let scan = try staged.checked(declaredSize: session.declaredSize, declaredHash: declaredHash)
        // The proxy hashed the body as it streamed it: staging must still hold those bytes.
        if let streamed = session.contentHash, streamed != contentHash.description {
            throw PublishingError.hashMismatch(declared: streamed, actual: contentHash.description)
        }

        let verification = BundleVerification(
            scan: scan, signature: request.signature, policy: publishing.signaturePolicy, now: Int64(time(nil)))
        if let rejection = verification.rejection { throw rejection }
        guard let manifest = verification.manifest else { throw ManifestError.invalid(verification.manifestIssues) }
        if ModuleCheck.applies(to: manifest) {
            try checkModule(of: manifest, in: staged, session: session, reader: reader)
        }
        log.finished("verified", bytes: bytes, ["signer": "\(verification.signer?.commonName ?? "-")"])

        let writer = CanonicalWriter(store: store, uploadID: session.id, stagingMayChange: session.strategy == .presignedPut)
        try writer.store(staged, from: session.stagingKey, manifest: scan.manifest)
        log.finished("stored", bytes: bytes)

        let published = try publishing.publications.register(
            Publication(manifest: manifest, digest: staged.digest, signature: request.signature, signer: verification.signer))
        try publishing.sessions.update(tenantID: session.tenantID, id: session.id, state: .finalized, contentHash: contentHash.description)
        log.finished("registered", bytes: bytes, [
            "extension": "\(manifest.extensionId)", "version": "\(published.version)", "created": "\(published.created)",
        ])

        discardStagingAfterPublish(session)
        return FinalizeResult(published: published, isNew: published.created)
    }

    /// Reads the manifest's wasm entry from staging again (packers sort `dist/` before
    /// `manifest.json`, so the first read could not know which file to keep) and checks it
    /// against the ABI. While a presigned PUT URL can still replace staging, the whole object is
    /// read and must hash as before, so the module checked is the module published.
    private func checkModule(of manifest: Manifest, in staged: StagedBundle, session: UploadSession, reader: StagingReader) throws {
        let stagingMayChange = session.strategy == .presignedPut
        let entry = EntryModuleReader(entry: manifest.entry, readsToEnd: stagingMayChange)
        try reader.read(session.stagingKey, uploadID: session.id, into: entry)
        let (module, digest) = try entry.finish()
        if stagingMayChange, digest != staged.digest { throw FinalizeError.stagingChanged(uploadID: session.id) }
        try ModuleCheck.check(module, manifest: manifest)
    }

    /// Staging is only a copy now; a failure to remove it is left to GC (expired sessions).
    private func discardStagingAfterPublish(_ session: UploadSession) {
        do {
            try discardStaging(of: session, store: publishing.store)
        } catch {
            publishing.logger.warning("finalize could not delete staging", metadata: [
                "requestId": "\(requestID)", "uploadId": "\(session.id)", "error": "\(Self.code(of: error))",
            ])
        }
    }

    /// Gives the session back so the client can retry (e.g. with a corrected signature).
    private func reopen(_ session: UploadSession, after failure: any Error) {
        do {
            try publishing.sessions.update(tenantID: session.tenantID, id: session.id, state: .open)
        } catch {
            publishing.logger.error("finalize could not reopen the upload session", metadata: [
                "requestId": "\(requestID)", "uploadId": "\(session.id)", "error": "\(Self.code(of: error))",
                "failure": "\(Self.code(of: failure))",
            ])
        }
    }

    /// The code a client saw (or would see) for `error`: log lines carry codes, never messages.
    private static func code(of error: any Error) -> String {
        (error as? any HTTPError)?.code ?? "INTERNAL_ERROR"
    }
}
