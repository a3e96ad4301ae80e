import Bundle
import Execution
import ExthostCore
import FastCGI
import JSON
import Logging
import Registry
import Runner

/// One handler execution the way the gateway does it (DESIGN §7), without a server: the same
/// endpoint matching, request document, engine, limits, host calls and response decoding.
///
/// Invariants: the install is synthetic (fixed tenant, install and extension ids, a fresh request
/// id) and grants exactly `grants`; nothing is written anywhere but memory; the engine and its
/// logs live for this one execution.
struct RunExecution {
    static let tenantID = "00000000-0000-4000-8000-000000000001"
    static let installID = "00000000-0000-4000-8000-000000000002"
    static let extensionID = "00000000-0000-4000-8000-000000000003"

    let extensionFiles: RunLocalExtension
    let inputs: RunInputs
    let grants: [Capability]
    let limits: ExecutionLimits
    let fetcher: EgressFetcher

    /// The response a client would get, or the gateway's error instead of it.
    enum Answer {
        case response(Response)
        case failure(any HTTPError)
    }

    /// What happened: the matched endpoint (if any), the response or the gateway's error, logs,
    /// fuel and time.
    struct Outcome {
        var requestID: String
        var endpoint: Endpoint?
        var params: [String: String] = [:]
        var response: Answer
        var logs: [RunLogLine] = []
        var fuelUsed: UInt64?
        var wallTime: Duration = .zero
    }

    func perform() -> Outcome {
        let requestID = RequestID.generate()
        let manifest = extensionFiles.manifest
        let matcher = EndpointMatcher(manifest: manifest)
        let matched = matcher.match(method: inputs.method, path: inputs.path)
            ?? (inputs.method == "HEAD" ? matcher.match(method: "GET", path: inputs.path) : nil)
        guard let (endpoint, params) = matched else {
            let allowed = inputs.method == "OPTIONS" ? matcher.allowedMethods(path: inputs.path) : []
            if !allowed.isEmpty, let answer = try? GatewayHandler.allowAnswer(allowed) {
                return Outcome(requestID: requestID, response: .response(answer))
            }
            return Outcome(requestID: requestID, response: .failure(GatewayError.endpointNotFound(method: inputs.method, path: inputs.path)))
        }
        let target = ExecutionTarget(
            installID: Self.installID, tenantID: Self.tenantID, extensionID: Self.extensionID, extensionName: manifest.extensionId,
            version: manifest.version.description, contentHash: extensionFiles.contentHash, entry: manifest.entry,
            endpoints: .array([]), config: inputs.config, grantedCapabilities: grants.map(\.rawValue))
        let http = GatewayRequestDocument.HTTPPart(
            method: inputs.method, path: inputs.path, query: inputs.query.items, headers: inputs.headers, body: inputs.body)
        let input = GatewayRequestDocument.make(target: target, requestID: requestID, http: http, params: params).serializedBytes()
        let lines = RunLogLines()
        let services = HostServices(
            secrets: RunSecrets(values: inputs.secrets), storage: RunMemoryStorage(), fetcher: fetcher,
            logger: Logger(label: "exthost-run.host") { _ in RunLogCollector(lines: lines) })
        let host = ExtensionHost(target: target, requestID: requestID, services: services)
        let engine = WasmEngine(logger: Logger(label: "exthost-run.engine") { _ in SwiftLogNoOpLogHandler() })
        var meter = ExecutionMeter()
        let started = ContinuousClock.now
        let response: Answer
        do {
            let output = try engine.execute(
                moduleKey: extensionFiles.contentHash + "/" + manifest.entry, modulePath: extensionFiles.modulePath, handler: endpoint.handler,
                input: input, limits: limits, host: host, meter: &meter)
            response = .response(try ExtensionResponseDocument.response(from: output, maxBytes: limits.maxResponseBytes))
        } catch {
            response = .failure(error)
        }
        return Outcome(
            requestID: requestID, endpoint: endpoint, params: params, response: response, logs: lines.all, fuelUsed: meter.fuelUsed,
            wallTime: ContinuousClock.now - started)
    }
}
