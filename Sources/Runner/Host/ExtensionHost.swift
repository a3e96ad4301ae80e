import Bundle
import Execution
import JSON
import Logging
import Registry
import Synchronization

/// The host side of `exthost.call` and `exthost.log` for one request of one install: checks
/// the install's grants, answers `config.get`, `secrets.get`, `storage.*` and `http.fetch`,
/// and logs tagged lines.
///
/// Invariants: every op is checked against the install's granted capabilities first and
/// answers `capability_denied` when it is missing; a call at or past the request deadline
/// answers `timeout` without work; `http.fetch` is deny by default (`EgressFetcher`);
/// `storage.*` answers `not_allowed` on a host without storage; log output per request is
/// bounded by `HostServices`.
public final class ExtensionHost: HostInterface {
    private let target: ExecutionTarget
    private let requestID: String
    private let services: HostServices
    private let logBudget: Mutex<LogBudget>
    /// Decrypted once per request on first use; the request's lifetime bounds how long plaintext lives.
    private let revealedSecrets = Mutex<[String: String]?>(nil)

    struct LogBudget {
        var lines = 0
        var bytes = 0
        var noticed = false
    }

    public init(target: ExecutionTarget, requestID: String, services: HostServices) {
        self.target = target
        self.requestID = requestID
        self.services = services
        self.logBudget = Mutex(LogBudget())
    }

    public func call(_ request: JSONValue, deadline: ContinuousClock.Instant) -> JSONValue {
        guard let op = request["op"]?.stringValue else { return HostCallAnswer.error("invalid_request", "a host call needs an \"op\" string") }
        guard let capability = Self.capability(of: op) else { return HostCallAnswer.error("unknown_op", "no host call \(String(op.prefix(64)).debugDescription)") }
        guard isGranted(capability) else { return HostCallAnswer.capabilityDenied(capability.rawValue) }
        guard ContinuousClock.now < deadline else { return HostCallAnswer.error("timeout", "the request deadline has passed") }
        switch op {
        case "config.get": return configValue(request)
        case "secrets.get": return secretValue(request)
        case "storage.get", "storage.put", "storage.delete", "storage.list": return storageAnswer(op: op, request, deadline: deadline)
        case "http.fetch": return fetchAnswer(request, deadline: deadline)
        default: return HostCallAnswer.error("not_allowed", "\(op) is not available on this host")
        }
    }

    public func log(level: Int32, message: String) {
        guard isGranted(.logEmit) else { return }
        let line = String(decoding: message.utf8.prefix(services.maxLogLineBytes), as: UTF8.self)
        let admitted = logBudget.withLock { budget -> Bool? in
            if budget.lines < services.maxLogLines, budget.bytes + line.utf8.count <= services.maxLogBytes {
                budget.lines += 1
                budget.bytes += line.utf8.count
                return true
            }
            if budget.noticed { return nil }
            budget.noticed = true
            return false
        }
        switch admitted {
        case true?: services.logger.log(level: Self.logLevel(level), "extension: \(line)", metadata: metadata)
        case false?: services.logger.warning("extension log limit reached; further lines of this request dropped", metadata: metadata)
        case nil: break
        }
    }

    /// The capability an op needs (docs/manifest.md); nil for an unknown op.
    static func capability(of op: String) -> Capability? {
        switch op {
        case "config.get": .configRead
        case "secrets.get": .secretsGet
        case "storage.get", "storage.put", "storage.delete", "storage.list": .storageKV
        case "http.fetch": .httpFetch
        default: nil
        }
    }

    /// `exthost.log` levels: 0 debug, 1 info, 2 warning, 3 error; anything else is info.
    static func logLevel(_ level: Int32) -> Logger.Level {
        switch level {
        case 0: .debug
        case 2: .warning
        case 3: .error
        default: .info
        }
    }

    private var metadata: Logger.Metadata {
        [
            "tenantId": "\(target.tenantID)", "extensionId": "\(target.extensionName)",
            "installId": "\(target.installID)", "requestId": "\(requestID)",
        ]
    }

    private func isGranted(_ capability: Capability) -> Bool {
        target.grantedCapabilities.contains(capability.rawValue)
    }

    /// `{"op":"config.get","key":K}` → the value of K; without a key, the whole config object.
    private func configValue(_ request: JSONValue) -> JSONValue {
        guard let keyValue = request["key"], !keyValue.isNull else { return HostCallAnswer.ok(.object(target.config)) }
        guard let key = keyValue.stringValue else { return HostCallAnswer.error("invalid_request", "key must be a string") }
        guard let value = target.config[key] else { return HostCallAnswer.error("not_found", "no config key \(String(key.prefix(128)).debugDescription)") }
        return HostCallAnswer.ok(value)
    }

    /// `{"op":"secrets.get","name":N}` → the secret's text.
    private func secretValue(_ request: JSONValue) -> JSONValue {
        guard let name = request["name"]?.stringValue else { return HostCallAnswer.error("invalid_request", "name must be a string") }
        let secrets: [String: String]
        do {
            secrets = try revealOnce()
        } catch {
            services.logger.error("secrets.get failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return HostCallAnswer.error("unavailable", "the install's secrets cannot be read now")
        }
        guard let value = secrets[name] else { return HostCallAnswer.error("not_found", "no secret \(String(name.prefix(128)).debugDescription)") }
        return HostCallAnswer.ok(.string(value))
    }

    private func storageAnswer(op: String, _ request: JSONValue, deadline: ContinuousClock.Instant) -> JSONValue {
        guard let storage = services.storage else { return HostCallAnswer.error("not_allowed", "storage is not available on this host") }
        do {
            return try StorageCalls.answer(op: op, request, tenantID: target.tenantID, installID: target.installID, deadline: deadline, storage: storage)
        } catch let invalid as StorageCalls.InvalidRequest {
            return HostCallAnswer.error("invalid_request", invalid.message)
        } catch {
            services.logger.error("\(op) failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return HostCallAnswer.error(ContinuousClock.now >= deadline ? "timeout" : "unavailable", "the storage cannot be used now")
        }
    }

    private func fetchAnswer(_ request: JSONValue, deadline: ContinuousClock.Instant) -> JSONValue {
        do {
            return HostCallAnswer.ok(try services.fetcher.fetch(request, deadline: deadline))
        } catch {
            // Refusals are what an operator audits; transport trouble is the upstream's.
            let level: Logger.Level = error.hostCallCode == "not_allowed" ? .notice : .info
            services.logger.log(level: level, "http.fetch failed", metadata: metadata.merging(["error": "\(error.code): \(error.message)"]) { $1 })
            return HostCallAnswer.error(error.hostCallCode, error.message)
        }
    }

    private func revealOnce() throws -> [String: String] {
        if let cached = revealedSecrets.withLock({ $0 }) { return cached }
        let secrets = try services.secrets.reveal(tenantID: target.tenantID, installID: target.installID)
        revealedSecrets.withLock { $0 = secrets }
        return secrets
    }
}
