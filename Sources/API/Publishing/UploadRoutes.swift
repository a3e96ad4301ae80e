import Bundle
import BundleStore
import ExthostCore
import FastCGI
import JSON
import Logging
import Registry

extension Router {
    /// `POST /api/ext-bundles/initiate-upload` and `POST /api/ext-bundles/abort` (admin keys).
    mutating func addUploadSessionRoutes(_ services: APIServices, _ publishing: PublishingServices) {
        post("/api/ext-bundles/initiate-upload", services.secured(.admin) { request, principal in
            var body = try JSONBody.object(of: request)
            let filename = try UploadInput.filename(body.string("filename", required: true, maxLength: 255) ?? "", field: JSONPath.root.appending("filename"))
            let size = try UploadInput.size(body.integer("size", required: true) ?? 0, limits: publishing.limits, field: JSONPath.root.appending("size"))
            let declaredHash = try body.string("declaredHash", maxLength: 80).map { text throws(InputError) in
                try UploadInput.contentHash(text, field: JSONPath.root.appending("declaredHash")).description
            }
            try body.finish()
            let answer = try UploadSessionOpener(publishing: publishing).open(
                principal: principal, filename: filename, size: size, declaredHash: declaredHash)
            return Presentation.json(answer, status: .created)
        })
        post("/api/ext-bundles/abort", services.secured(.admin) { request, principal in
            var body = try JSONBody.object(of: request)
            let id = try UploadInput.uploadID(&body)
            try body.finish()
            let outcome = try UploadAborter(publishing: publishing).abort(tenantID: principal.tenantID, id: id, requestID: request.requestID)
            return Presentation.json(["uploadId": .string(id), "status": .string(outcome)])
        })
    }
}

/// Opens an upload session and presigns what the client needs to fill it.
struct UploadSessionOpener {
    let publishing: PublishingServices

    func open(principal: APIPrincipal, filename: String, size: Int64, declaredHash: String?) throws -> JSONValue {
        let store = publishing.store
        let limits = publishing.limits
        let id = UploadSessionStore.newID()
        let stagingKey = try store.stagingKey(uploadId: id)
        let expiresIn = Int(limits.sessionLifetime.components.seconds)
        let multipart = size > limits.multipartThreshold
        let multipartID = multipart ? try store.beginMultipart(stagingKey) : nil
        let session: UploadSession
        do {
            session = try publishing.sessions.create(UploadSessionDraft(
                id: id, tenantID: principal.tenantID, apiKeyID: principal.keyID, filename: filename, declaredSize: size,
                declaredHash: declaredHash, strategy: multipart ? .multipart : .presignedPut, stagingKey: stagingKey,
                multipartID: multipartID, lifetime: limits.sessionLifetime))
        } catch {
            if let multipartID { try? store.abortMultipart(stagingKey, multipartId: multipartID) }
            throw error
        }
        publishing.logger.info("upload initiated", metadata: [
            "uploadId": "\(id)", "strategy": "\(session.strategy.rawValue)", "bytes": "\(size)", "tenantId": "\(principal.tenantID)",
        ])
        var members: [(String, JSONValue)] = [("uploadId", .string(id)), ("strategy", .string(session.strategy.rawValue))]
        if let multipartID {
            let partCount = Int((size + limits.partSize - 1) / limits.partSize)
            var parts: [JSONValue] = []
            for number in 1...partCount {
                let presigned = try store.presignPart(stagingKey, multipartId: multipartID, partNumber: number, expiresIn: expiresIn)
                parts.append(["partNumber": .number(JSONNumber(number)), "url": .string(presigned.url)])
            }
            members += [("partSize", .number(JSONNumber(Int(limits.partSize)))), ("parts", .array(parts))]
        } else {
            let presigned = try store.presignUpload(stagingKey, expiresIn: expiresIn, contentLength: size)
            members += [
                ("url", .string(presigned.url)), ("method", .string(presigned.method)),
                ("headers", .object(JSONObject(presigned.headers.map { ($0.name, JSONValue.string($0.value)) }))),
            ]
        }
        members.append(("expiresAt", .string(session.expiresAt)))
        return .object(members)
    }
}

/// Ends an upload that will not be finalized: aborts its multipart upload and deletes staging.
struct UploadAborter {
    let publishing: PublishingServices

    /// "aborted" when something was cleaned up, "noop" when the session had already ended.
    func abort(tenantID: String, id: String, requestID: String) throws -> String {
        let session = try publishing.sessions.find(tenantID: tenantID, id: id)
        switch session.state {
        case .finalizing: throw RegistryError.finalizeInProgress(id)
        case .finalized, .aborted, .expired: return "noop"
        case .open, .failed: break
        }
        try discardStaging(of: session, store: publishing.store)
        try publishing.sessions.update(tenantID: tenantID, id: id, state: .aborted)
        publishing.logger.info("upload aborted", metadata: ["uploadId": "\(id)", "requestId": "\(requestID)"])
        return "aborted"
    }
}

/// Removes whatever staging holds for `session` (see `BundleStore.discardStaging`).
func discardStaging(of session: UploadSession, store: any BundleStore) throws {
    try store.discardStaging(key: session.stagingKey, multipartId: session.multipartID)
}
