import JSON

extension ManifestValidator {
    static let apiKeys = ["endpoints"]
    static let endpointKeys = ["method", "path", "handler"]

    /// Export names of the ABI itself (and of WASI start-up), never request handlers.
    static let reservedHandlers: Set<String> = ["memory", "exthost_alloc", "_start", "_initialize"]

    /// `api`: `{endpoints: [{method, path, handler}]}`; the same method and path shape may appear only once.
    static func readAPI(_ value: JSONValue, at path: JSONPath, with reader: inout ManifestReader) -> [Endpoint]? {
        guard let object = reader.object(value, at: path) else { return nil }
        defer { reader.rejectUnknownKeys(of: object, at: path, allowed: apiKeys) }
        guard let elements = reader.array("endpoints", in: object, at: path, required: true) else { return nil }
        let listPath = path.appending("endpoints")
        var endpoints: [Endpoint] = []
        var firstIndexByRoute: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            let endpointPath = listPath.appending(index: index)
            guard let endpoint = readEndpoint(element, at: endpointPath, with: &reader) else { continue }
            let route = endpoint.method.rawValue + " " + endpoint.path.shape
            if let first = firstIndexByRoute[route] {
                reader.add(endpointPath, ManifestIssue.Code.duplicateEndpoint,
                           "\(endpoint.method.rawValue) \(endpoint.path) matches the same requests as \(listPath.appending(index: first))")
                continue
            }
            firstIndexByRoute[route] = index
            endpoints.append(endpoint)
        }
        return endpoints
    }

    private static func readEndpoint(_ value: JSONValue, at path: JSONPath, with reader: inout ManifestReader) -> Endpoint? {
        guard let object = reader.object(value, at: path) else { return nil }
        let methods = Endpoint.Method.allCases.map(\.rawValue).joined(separator: ", ")
        let method = checked("method", in: object, at: path, with: &reader, code: ManifestIssue.Code.invalidMethod,
                             rule: "must be one of \(methods) (uppercase)") { Endpoint.Method(rawValue: $0) != nil }
            .flatMap(Endpoint.Method.init(rawValue:))
        let pattern = readEndpointPath(object, at: path, with: &reader)
        let handler = readHandler(object, at: path, with: &reader)
        reader.rejectUnknownKeys(of: object, at: path, allowed: endpointKeys)
        guard let method, let pattern, let handler else { return nil }
        return Endpoint(method: method, path: pattern, handler: handler)
    }

    private static func readEndpointPath(_ object: JSONObject, at path: JSONPath, with reader: inout ManifestReader) -> EndpointPath? {
        guard let text = reader.string("path", in: object, at: path, required: true) else { return nil }
        do {
            return try EndpointPath(text)
        } catch {
            reader.add(path.appending("path"), error.code, error.message + "; got \(ManifestSyntax.quoted(text))")
            return nil
        }
    }

    private static func readHandler(_ object: JSONObject, at path: JSONPath, with reader: inout ManifestReader) -> String? {
        let handler = checked("handler", in: object, at: path, with: &reader, code: ManifestIssue.Code.invalidHandler,
                              rule: "must be a wasm export name matching [A-Za-z_][A-Za-z0-9_]* (at most 64 characters)",
                              ManifestSyntax.isHandlerName)
        guard let handler else { return nil }
        guard !reservedHandlers.contains(handler) else {
            reader.add(path.appending("handler"), ManifestIssue.Code.reservedHandler,
                       "\(handler) is reserved by the exthost-wasm@1 ABI and cannot be a handler")
            return nil
        }
        return handler
    }
}
