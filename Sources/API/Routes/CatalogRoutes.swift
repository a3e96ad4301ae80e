import FastCGI
import JSON
import Registry

extension Router {
    /// `GET /api/extensions` and `GET /api/extensions/{id}`: the global catalog, for any key.
    mutating func addCatalogRoutes(_ services: APIServices) {
        let catalog = services.catalog
        get("/api/extensions", services.secured(.member) { _, _ in
            let extensions = try catalog.list()
            return Presentation.json(["extensions": .array(extensions.map(Presentation.catalogExtension))])
        })
        get("/api/extensions/:id", services.secured(.member) { request, _ in
            let text = request.parameters["id"] ?? ""
            guard let reference = ExtensionReference(text) else {
                throw InputError.invalidParameter("id", reason: "must be an extension uuid or publisher.name")
            }
            guard let entry = try catalog.find(reference) else { throw RegistryError.extensionNotFound(text) }
            return Presentation.json(Presentation.catalogExtension(entry))
        })
    }
}
