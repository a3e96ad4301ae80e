import ExthostCore
import FastCGI

/// Runs `body`, answering its typed errors with `Cache-Control: no-store`: the runner's 404s
/// (a pair or install not enabled yet) must not outlive the moment they describe in a cache.
func answeringErrorsUncached(_ request: Request, _ body: (Request) throws -> Response) throws -> Response {
    do {
        return try body(request)
    } catch let error as any HTTPError {
        var response = Response.error(error, requestID: request.requestID)
        try? response.headers.set("Cache-Control", "no-store")
        return response
    }
}
