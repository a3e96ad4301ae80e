import ExthostCore
import FastCGI
import JSON
import Registry

extension Router {
    /// `/api/installs…`: the caller's tenant's installs. Members read, admins write; the tenant
    /// is always the key's, so another tenant's install answers 404 like a missing one.
    mutating func addInstallRoutes(_ services: APIServices) {
        let installs = services.installs
        let secrets = services.secrets
        get("/api/installs", services.secured(.member) { _, principal in
            let list = try installs.list(tenantID: principal.tenantID)
            return Presentation.json(["installs": .array(list.map(Presentation.install))])
        })
        post("/api/installs", services.secured(.admin) { request, principal in
            let draft = try InstallInput.draft(from: JSONBody.object(of: request))
            let install = try installs.create(tenantID: principal.tenantID, draft)
            var response = Presentation.json(Presentation.install(install), status: .created)
            try response.headers.set("Location", "/api/installs/" + install.id)
            return response
        })
        get("/api/installs/:id", services.secured(.member) { request, principal in
            Presentation.json(Presentation.install(try installs.get(tenantID: principal.tenantID, id: request.uuidParameter())))
        })
        patch("/api/installs/:id", services.secured(.admin) { request, principal in
            let id = try request.uuidParameter()
            let changes = try InstallInput.changes(from: JSONBody.object(of: request))
            return Presentation.json(Presentation.install(try installs.update(tenantID: principal.tenantID, id: id, changes)))
        })
        delete("/api/installs/:id", services.secured(.admin) { request, principal in
            try installs.delete(tenantID: principal.tenantID, id: request.uuidParameter())
            return Response(status: .noContent)
        })
        get("/api/installs/:id/secrets", services.secured(.member) { request, principal in
            let id = try request.uuidParameter()
            return Presentation.secretNames(installID: id, try secrets.names(tenantID: principal.tenantID, installID: id))
        })
        put("/api/installs/:id/secrets", services.secured(.admin) { request, principal in
            let id = try request.uuidParameter()
            let changes = try InstallInput.secretChanges(from: JSONBody.object(of: request))
            return Presentation.secretNames(installID: id, try secrets.update(tenantID: principal.tenantID, installID: id, changes))
        })
    }
}
