import API
import Execution
import FastCGI
import Registry

/// Names the tenant a request acts for (a verified bearer key).
///
/// Invariant: the tenant comes from the credentials only; failures are typed `HTTPError`s (401, 503).
public protocol TenantAuthenticating: Sendable {
    /// The tenant and, for a key that expires, when (for the expiry warning).
    func verifiedKey(for request: Request) throws -> (tenantID: String, expiry: APIKeyExpiry?)
}

/// Finds the tenant's enabled install of an extension (the registry).
///
/// Invariant: nil for a missing, disabled or other tenant's install alike.
public protocol ExecutionTargetLookup: Sendable {
    func enabledTarget(tenantID: String, extension reference: ExtensionReference) throws -> ExecutionTarget?
}

/// Runs one handler export of a module (the WebAssembly engine).
public protocol HandlerExecuting: Sendable {
    func execute(
        moduleKey: String, modulePath: String, handler: String, input: [UInt8], limits: ExecutionLimits, host: any HostInterface,
        meter: inout ExecutionMeter
    ) throws(ExecutionError) -> [UInt8]
}

extension Authenticator: TenantAuthenticating {
    public func verifiedKey(for request: Request) throws -> (tenantID: String, expiry: APIKeyExpiry?) {
        let principal = try authenticate(request)
        return (principal.tenantID, principal.expiry)
    }
}

extension ExecutionTargets: ExecutionTargetLookup {}

extension WasmEngine: HandlerExecuting {}
