import FastCGI

extension Router {
    /// `GET /ext-ui/…` (and HEAD), reached only through nginx's `@ui_miss`: the UI-miss handler.
    /// Its errors are marked `no-store`, since a pair enabled a moment later must not stay a
    /// cached 404.
    public mutating func addUIMissRoute(_ handler: UIMissHandler) {
        get(UIAssetPath.publicPrefix + "*path") { request in
            try answeringErrorsUncached(request, handler.respond)
        }
    }
}
