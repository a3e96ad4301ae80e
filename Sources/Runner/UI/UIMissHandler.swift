import Bundle
import ContentCache
import ExthostCore
import FastCGI
import Logging

/// exthost-runner's answer to an `/ext-ui/` request nginx could not serve from the tree: it checks
/// that the (extension, content hash) pair is enabled for some tenant, has cachefill make the
/// tree present, and sends nginx an `X-Accel-Redirect` to the file under the internal static
/// location, or a 404.
///
/// Invariants: a redirect only ever names a regular file inside `sha256/<hex>/ui/` of an enabled
/// pair, built from a strictly parsed URL; the redirect response carries no `Content-Type` or
/// `Cache-Control` of its own, because nginx would copy them onto the static file's response.
public struct UIMissHandler: Sendable {
    let layout: ContentCacheLayout
    let pairs: any EnabledPairLookup
    let filler: any TreeFiller
    let fillTimeout: Duration
    let logger: Logger

    public init(
        layout: ContentCacheLayout, pairs: any EnabledPairLookup, filler: any TreeFiller, fillTimeout: Duration,
        logger: Logger = Logger(label: "exthost-runner.ui")
    ) {
        self.layout = layout
        self.pairs = pairs
        self.filler = filler
        self.fillTimeout = fillTimeout
        self.logger = logger
    }

    public func respond(to request: Request) throws -> Response {
        let asset = try UIAssetPath(requestPath: request.path)
        guard try pairs.isEnabled(extensionID: asset.extensionID, contentHash: asset.hash.description) else {
            throw UIMissError.notEnabled(extensionID: asset.extensionID, hash: asset.hash)
        }
        try fillTree(of: asset, requestID: request.requestID)
        guard let names = UITreeLookup.servableFile(
            treePath: layout.treePath(asset.hash), segments: asset.segments, isDirectory: asset.isDirectory)
        else {
            throw UIMissError.fileNotFound(path: asset.segments.joined(separator: "/") + (asset.isDirectory ? "/" : ""))
        }
        var response = Response()
        try response.setAccel(.redirect, UIStaticRedirect.uri(hash: asset.hash, names: names))
        return response
    }

    private func fillTree(of asset: UIAssetPath, requestID: String) throws {
        let started = ContinuousClock.now
        let path: String
        do {
            path = try filler.fill(asset.hash, timeout: fillTimeout)
        } catch let error as any HTTPError {
            logger.warning("ui miss: fill failed", metadata: [
                "requestId": "\(requestID)", "contentHash": "\(asset.hash)", "code": "\(error.code)", "error": "\(error)",
            ])
            // cachefill's own registry check disagreeing with ours (a disable just committed) is still "not here".
            if error.status == .notFound { throw UIMissError.notEnabled(extensionID: asset.extensionID, hash: asset.hash) }
            throw error
        }
        if path != layout.treePath(asset.hash) {
            logger.error("ui miss: cachefill filled another cache root than this runner serves", metadata: [
                "requestId": "\(requestID)", "filled": "\(path)", "expected": "\(layout.treePath(asset.hash))",
            ])
        }
        logger.info("ui miss: tree present", metadata: [
            "requestId": "\(requestID)", "extensionId": "\(asset.extensionID)", "contentHash": "\(asset.hash)",
            "fillMs": "\((ContinuousClock.now - started).wholeMilliseconds)",
        ])
    }
}

extension Duration {
    fileprivate var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
