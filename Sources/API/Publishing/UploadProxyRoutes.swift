import ExthostCore
import FastCGI
import JSON
import Logging
import Registry

extension Router {
    /// `POST /api/ext-bundles/upload-proxy?filename=&size=&declaredHash=` (admin keys): streams
    /// the body into staging while hashing it; answers 201 `{uploadId, size, contentHash,
    /// strategy:"proxy", expiresAt}`, after which `finalize` publishes it.
    ///
    /// Everything that can be judged from the key, the query and the headers is judged before a
    /// slot is taken; the slot is taken before the first byte of the body is read.
    mutating func addUploadProxyRoutes(_ services: APIServices, _ publishing: PublishingServices) {
        let slots = UploadSlots(capacity: publishing.limits.uploadSlots)
        post("/api/ext-bundles/upload-proxy", services.secured(.admin) { request, principal in
            let input = try UploadProxyInput(request, limits: publishing.limits)
            let receipt = try slots.withSlot { buffer in
                try UploadProxyTransfer(input, principal: principal, publishing: publishing, requestID: request.requestID, buffer: buffer)
                    .run(request.body)
            }
            return Presentation.json([
                "uploadId": .string(receipt.uploadID), "size": .number(JSONNumber(Int(receipt.size))),
                "contentHash": .string(receipt.contentHash), "strategy": .string(UploadStrategy.proxy.rawValue),
                "expiresAt": .string(receipt.expiresAt),
            ], status: .created)
        })
    }
}
