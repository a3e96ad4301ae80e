import API
import Bundle
import Execution
import ExthostCore
import FastCGI
import JSON
import Logging
import Metrics
import Registry

/// exthost-runner's answer to `ANY /api/ext/{extensionId}/{path…}` (DESIGN §7): authenticate,
/// find the tenant's enabled install, match an endpoint, run its handler export and return
/// the extension's own response.
///
/// Invariants: the tenant comes only from the bearer key; the whole request (auth, lookup,
/// fill, execution) shares one deadline of `limits.timeout`; the request body is read only up
/// to `limits.maxRequestBytes`; every request that reached an install leaves one
/// execution-log row, queued and never written on the request's thread.
public struct GatewayHandler: Sendable {
    public static let pathPrefix = "/api/ext/"

    let authenticator: any TenantAuthenticating
    let targets: TargetCache
    let modules: ModuleLocator
    let executor: any HandlerExecuting
    let limits: ExecutionLimits
    let hostServices: HostServices
    let executionLog: any ExecutionLogSink
    let metrics: GatewayMetrics
    let keyExpiryNotice: KeyExpiryNotice
    let logger: Logger

    public init(
        authenticator: any TenantAuthenticating, targets: TargetCache, modules: ModuleLocator, executor: any HandlerExecuting,
        limits: ExecutionLimits, hostServices: HostServices, executionLog: any ExecutionLogSink,
        metrics: GatewayMetrics = GatewayMetrics(registry: MetricsRegistry()),
        keyExpiryNotice: KeyExpiryNotice = KeyExpiryNotice(),
        logger: Logger = Logger(label: "exthost-runner.gateway")
    ) {
        self.authenticator = authenticator
        self.targets = targets
        self.modules = modules
        self.executor = executor
        self.limits = limits
        self.hostServices = hostServices
        self.executionLog = executionLog
        self.metrics = metrics
        self.keyExpiryNotice = keyExpiryNotice
        self.logger = logger
    }

    public func respond(to request: Request) throws -> Response {
        let started = ContinuousClock.now
        let deadline = started.advanced(by: limits.timeout)
        let (tenantID, keyExpiry) = try authenticator.verifiedKey(for: request)
        let referenceText = request.parameters["extensionId"] ?? ""
        guard let reference = ExtensionReference(referenceText),
              let resolved = try targets.resolved(tenantID: tenantID, extension: reference)
        else { throw GatewayError.extensionNotAvailable(referenceText) }
        let subpath = Self.extensionPath(of: request.path)
        var meter: ExecutionMeter? = nil
        do {
            var response = try answer(request, resolved: resolved, subpath: subpath, deadline: deadline, meter: &meter)
            keyExpiryNotice.annotate(&response, expiry: keyExpiry)
            record(request, resolved.target, subpath: subpath, status: response.status.code, errorCode: nil, meter: meter, started: started)
            return response
        } catch let error as any HTTPError {
            record(request, resolved.target, subpath: subpath, status: error.status.code, errorCode: error.code, meter: meter, started: started)
            // A client's mistake (404, 413) is routine; the extension or the node failing is not.
            logger.log(level: error.status.code >= 500 ? .warning : .info, "execute failed", metadata: [
                "requestId": "\(request.requestID)", "tenantId": "\(tenantID)", "extensionId": "\(resolved.target.extensionName)",
                "code": "\(error.code)", "error": "\(error)",
            ])
            throw error
        }
    }

    /// `OPTIONS` with no such endpoint declared lists the path's methods; `HEAD` runs the `GET`
    /// endpoint (the guest sees `HEAD`; the FastCGI layer sends no body); anything else runs
    /// the matching endpoint. `meter` is set once the handler ran.
    private func answer(
        _ request: Request, resolved: ResolvedTarget, subpath: String, deadline: ContinuousClock.Instant, meter: inout ExecutionMeter?
    ) throws -> Response {
        let matched = resolved.matcher.match(method: request.method, path: subpath)
            ?? (request.method == "HEAD" ? resolved.matcher.match(method: "GET", path: subpath) : nil)
        guard let (endpoint, params) = matched else {
            if request.method == "OPTIONS", case let methods = resolved.matcher.allowedMethods(path: subpath), !methods.isEmpty {
                return try Self.allowAnswer(methods)
            }
            throw GatewayError.endpointNotFound(method: request.method, path: subpath)
        }
        var used = ExecutionMeter()
        defer { meter = used }
        return try execute(request, resolved: resolved, endpoint: endpoint, params: params, subpath: subpath, deadline: deadline, meter: &used)
    }

    /// 204 with `Allow`: the declared methods, plus `HEAD` where `GET` is declared, plus `OPTIONS`.
    public static func allowAnswer(_ methods: [String]) throws -> Response {
        var allowed = methods
        if allowed.contains("GET") { allowed.append("HEAD") }
        allowed.append("OPTIONS")
        var headers = HTTPHeaders()
        try headers.add("Allow", allowed.joined(separator: ", "))
        return Response(status: .noContent, headers: headers)
    }

    private func execute(
        _ request: Request, resolved: ResolvedTarget, endpoint: Endpoint, params: [String: String], subpath: String,
        deadline: ContinuousClock.Instant, meter: inout ExecutionMeter
    ) throws -> Response {
        let target = resolved.target
        let body = try request.body.collect(limit: limits.maxRequestBytes)
        let http = GatewayRequestDocument.HTTPPart(
            method: request.method, path: subpath, query: request.query.items,
            headers: request.headers.fields.map { ($0.name, $0.value) }, body: body)
        let input = GatewayRequestDocument.make(target: target, requestID: request.requestID, http: http, params: params).serializedBytes()
        let modulePath = try modules.modulePath(
            contentHash: target.contentHash, entry: target.entry, reference: target.extensionName, deadline: deadline)
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw ExecutionError.timeout }
        let requestLimits = ExecutionLimits(
            fuel: limits.fuel, memoryBytes: limits.memoryBytes, timeout: remaining,
            maxRequestBytes: limits.maxRequestBytes, maxResponseBytes: limits.maxResponseBytes)
        let host = ExtensionHost(target: target, requestID: request.requestID, services: hostServices)
        let output = try executor.execute(
            moduleKey: target.contentHash + "/" + target.entry, modulePath: modulePath, handler: endpoint.handler,
            input: input, limits: requestLimits, host: host, meter: &meter)
        return try ExtensionResponseDocument.response(from: output, maxBytes: limits.maxResponseBytes)
    }

    private func record(
        _ request: Request, _ target: ExecutionTarget, subpath: String, status: Int, errorCode: String?, meter: ExecutionMeter?,
        started: ContinuousClock.Instant
    ) {
        let elapsed = (ContinuousClock.now - started).components
        executionLog.record(ExecutionLogEntry(
            tenantID: target.tenantID, installID: target.installID, requestID: request.requestID, method: request.method,
            path: subpath, status: status, durationMilliseconds: Int(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000),
            fuelUsed: meter?.fuelUsed, errorCode: errorCode))
        metrics.recordExecution(outcome: errorCode ?? "ok", fuelUsed: meter?.fuelUsed)
    }

    /// The raw (still percent-encoded) path after `/api/ext/{extensionId}`: `/` for the root.
    public static func extensionPath(of requestPath: String) -> String {
        guard requestPath.hasPrefix(pathPrefix) else { return "/" }
        let afterPrefix = requestPath.dropFirst(pathPrefix.count)
        guard let slash = afterPrefix.firstIndex(of: "/") else { return "/" }
        return String(afterPrefix[slash...])
    }
}
