import ExthostCore
import FastCGI
import Registry

extension Router {
    /// `POST /api/ext-bundles/finalize` (admin keys): verifies an uploaded bundle and publishes
    /// it; 201 for the finalize that registered the version, 200 for every replay.
    mutating func addFinalizeRoutes(_ services: APIServices, _ publishing: PublishingServices) {
        post("/api/ext-bundles/finalize", services.secured(.admin) { request, principal in
            let input = try FinalizeRequest(body: JSONBody.object(of: request))
            let result = try Finalizer(publishing: publishing, requestID: request.requestID).finalize(input, tenantID: principal.tenantID)
            return Presentation.json(result.jsonValue, status: result.isNew ? .created : .ok)
        })
    }
}
