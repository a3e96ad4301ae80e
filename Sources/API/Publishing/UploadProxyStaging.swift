import BundleStore
import Registry

/// The `.proxy` session and the multipart upload on its staging key that one upload-proxy
/// body streams into.
///
/// Invariant: the session records the multipart id from the start, so an upload whose worker
/// dies mid-body is still found and aborted by `exthost admin gc` once the session expires.
struct UploadProxyStaging {
    let session: UploadSession
    let multipartID: String

    /// Begins the multipart upload, then records the session; a session that cannot be recorded
    /// leaves no multipart upload behind.
    static func open(_ input: UploadProxyInput, principal: APIPrincipal, publishing: PublishingServices) throws -> UploadProxyStaging {
        let store = publishing.store
        let id = UploadSessionStore.newID()
        let stagingKey = try store.stagingKey(uploadId: id)
        let multipartID = try store.beginMultipart(stagingKey)
        let draft = UploadSessionDraft(
            id: id, tenantID: principal.tenantID, apiKeyID: principal.keyID, filename: input.filename, declaredSize: input.size,
            declaredHash: input.declaredHash, strategy: .proxy, stagingKey: stagingKey, multipartID: multipartID,
            lifetime: publishing.limits.sessionLifetime)
        do {
            return UploadProxyStaging(session: try publishing.sessions.create(draft), multipartID: multipartID)
        } catch {
            try? store.abortMultipart(stagingKey, multipartId: multipartID)
            throw error
        }
    }

    /// Aborts the multipart upload and marks the session `failed`. Best effort: with the store or
    /// the database down, the session stays as it was and GC cleans up after its expiry.
    func discard(publishing: PublishingServices) {
        try? discardStaging(of: session, store: publishing.store)
        try? publishing.sessions.update(tenantID: session.tenantID, id: session.id, state: .failed)
    }
}
