import API
import ArgumentParser
import BundleStore
import CacheFill
import Cryptography
import Glibc
import Postgres
import Execution
import Registry
import Runner
import ServiceSupport

/// `exthost config check`: what each process would use from an environment file, with every
/// secret masked, failing on a missing or inconsistent value (the "config parity" check).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration the services would run with.",
        subcommands: [ConfigCheckCommand.self]
    )
}

struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Print what exthost-api, exthost-runner and exthost-cachefill would use; exit 1 on a problem (or, with --strict, a warning).",
        discussion: """
            Reads each --env-file in order, a later file overriding an earlier one, as systemd reads a \
            unit's EnvironmentFile= lines (default /etc/exthost/exthost.env when it exists), then the \
            process environment for anything the files do not set. Secrets are printed masked. With \
            --connect it also opens the database and checks the schema version. \
            "PROBLEM" lines are settings a service refuses to start with (exit 1); "warning" lines \
            are settings that run but are unsafe (docs/operator-guide.md, "Configuration \
            warnings"): exit 0 unless --strict. EXTHOST_ENV=development (default production) \
            relaxes only the missing trust bundle. Check each service with the files its unit \
            reads (docs/operator-guide.md):

              exthost config check --env-file /etc/exthost/exthost.env --env-file /etc/exthost/api.env --connect
              exthost config check --env-file /etc/exthost/exthost.env --env-file /etc/exthost/runner.env
              eval "$(scripts/stack env)"; exthost config check
              exthost config check --strict --env-file /etc/exthost/exthost.env --env-file /etc/exthost/api.env
            """
    )

    @Option(help: "Environment file to read (KEY=value lines); repeat it to layer files, later ones winning.")
    var envFile: [String] = []

    @Flag(help: "Also connect to the database and check the schema version.")
    var connect = false

    @Flag(help: "Exit 1 on warnings too (unsafe settings), e.g. in a deployment pipeline.")
    var strict = false

    func run() throws {
        var environment = ProcessEnvironment.current
        let files = !envFile.isEmpty ? envFile : (LocalFiles.exists("/etc/exthost/exthost.env") ? ["/etc/exthost/exthost.env"] : [])
        // The process environment fills in only what no file sets, so apply the files last.
        var fromFiles: [String: String] = [:]
        for file in files {
            for (name, value) in try EnvironmentFile.parse(LocalFiles.readText(file)) { fromFiles[name] = value }
            print("environment file  \(file)")
        }
        environment.merge(fromFiles) { $1 }
        var check = ConfigReport()
        let mode = ConfigSafetyChecks.mode(environment)
        check.value(ConfigSafetyChecks.environmentVariable, mode?.rawValue ?? "?")
        if mode == nil {
            check.problem("\(ConfigSafetyChecks.environmentVariable) must be production or development (unset means production)")
        }
        check.section("bundle store (exthost-api, exthost-cachefill, exthost admin)")
        let kind = BundleStoreSelection.kind(environment: environment)
        check.value("EXTHOST_BUNDLE_STORE", kind)
        do {
            let store = try BundleStoreSelection.make(environment: environment)
            if let s3 = store as? S3BundleStore {
                let settings = s3.client.configuration
                check.value("bucket", "\(settings.bucket) at \(settings.endpoint) (\(settings.forcePathStyle ? "path-style" : "virtual-host"), region \(settings.region))")
                check.value("STORAGE_S3_SECRET_KEY", ConfigReport.mask(environment["STORAGE_S3_SECRET_KEY"]))
                ConfigSafetyChecks.s3Endpoint(settings.endpoint).forEach { check.warning($0) }
            } else {
                check.value("EXTHOST_BUNDLE_DIR", environment["EXTHOST_BUNDLE_DIR"] ?? BundleStoreSelection.defaultDirectory)
                check.value("EXTHOST_UPLOAD_SIGNING_KEY", ConfigReport.mask(environment["EXTHOST_UPLOAD_SIGNING_KEY"]))
            }
            check.value("BUNDLE_STORE_BASE", store.keys.base)
        } catch {
            check.problem("the \(kind) store cannot be opened: \(error)")
        }

        check.section("publishing (exthost-api)")
        do {
            let limits = try PublishingLimits(environment: environment)
            check.value("EXTHOST_MAX_BUNDLE_BYTES", "\(limits.maxBundleBytes)")
            check.value("EXTHOST_MULTIPART_THRESHOLD", "\(limits.multipartThreshold)")
            check.value("EXTHOST_UPLOAD_SLOTS", "\(limits.uploadSlots)")
        } catch {
            check.problem(error.message)
        }
        trustBundle(environment, mode: mode ?? .production, &check)
        secretsKeys(environment, &check)
        do {
            let warning = try APIKeyExpiryWarning(environment: environment)
            check.value(APIKeyExpiryWarning.environmentVariable, "\(warning.days)")
            ConfigSafetyChecks.keyExpiryWarning(warning).forEach { check.warning($0) }
        } catch {
            check.problem(error.message)
        }

        check.section("runner and cache (exthost-runner, exthost-cachefill)")
        let cacheRoot = environment["EXTHOST_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? CacheFillConfiguration.defaultCacheDirectory
        check.value("EXTHOST_CACHE_DIR", cacheRoot)
        check.value("EXTHOST_CACHEFILL_SOCKET", environment["EXTHOST_CACHEFILL_SOCKET"] ?? CacheFillConfiguration.defaultSocketPath)
        if access(cacheRoot, W_OK) != 0 {
            check.warning("\(cacheRoot) is not writable by this user (exthost-cachefill must be able to write it)")
        }
        runnerSettings(environment, &check)
        if let budget = environment["EXTHOST_CACHE_MAX_BYTES"], !budget.isEmpty, CacheFillConfiguration.parseByteCount(budget) == nil {
            check.problem("EXTHOST_CACHE_MAX_BYTES must be a byte count such as 20G")
        }
        if let base = environment["RUNNER_PUBLIC_BASE"], !base.hasPrefix("https://") {
            check.warning("RUNNER_PUBLIC_BASE \(base) is not https")
        }

        check.section("database (every process)")
        let conninfo = environment["EXTHOST_DATABASE_URL"] ?? ""
        check.value("EXTHOST_DATABASE_URL", conninfo.isEmpty ? "(unset: libpq's PG* variables)" : ConfigReport.maskPassword(conninfo))
        ConfigSafetyChecks.database(conninfo).forEach { check.warning($0) }
        if connect {
            do {
                let version = try MigrationRunner(pool: PostgresPool(.init(conninfo: conninfo, maxConnections: 1))).currentVersion()
                if version < Migrations.latest {
                    check.problem("schema version \(version), the binaries need \(Migrations.latest): run `exthost admin migrate`")
                } else {
                    check.value("schema", "version \(version) (binaries need \(Migrations.latest))")
                }
            } catch {
                check.problem("cannot reach the database: \(error.message)")
            }
        }
        print(check.text)
        if !check.problems.isEmpty || (strict && !check.warnings.isEmpty) {
            if check.problems.isEmpty { print("--strict: \(check.warnings.count) warning(s) fail the check") }
            throw ExitCode.failure
        }
    }

    /// Both the current and the previous keys, read as the workers read them.
    private func secretsKeys(_ environment: [String: String], _ check: inout ConfigReport) {
        do {
            guard let keyring = try SecretsKeyring.fromEnvironment(environment) else {
                check.warning("\(SecretsKey.environmentVariable) is not set: install secrets answer 503 SECRETS_UNAVAILABLE")
                return
            }
            check.value(SecretsKey.environmentVariable, ConfigReport.mask(environment[SecretsKey.environmentVariable]))
            if !keyring.previous.isEmpty {
                check.value(SecretsKeyring.previousEnvironmentVariable, "\(keyring.previous.count) key(s), opening only: run `exthost admin rotate-secrets`, then remove it")
            }
            ConfigSafetyChecks.secretsKeys(keyring).forEach { check.warning($0) }
        } catch {
            check.problem(error.message)
        }
    }

    /// What exthost-runner would refuse to start with: its settings, the execution limits and the
    /// egress allowlist, read by the same code the runner uses.
    private func runnerSettings(_ environment: [String: String], _ check: inout ConfigReport) {
        do {
            let settings = try RunnerConfiguration(environment: environment)
            check.value("EXT_GATEWAY_TIMEOUT_MS", "\(settings.gatewayTimeout.components.seconds * 1000 + settings.gatewayTimeout.components.attoseconds / 1_000_000_000_000_000)")
            check.value("EXT_EGRESS_ALLOWLIST", settings.egressAllowlist.isEmpty
                ? "(empty: http.fetch is refused)" : settings.egressAllowlist.entries.map(\.description).joined(separator: ","))
            ConfigSafetyChecks.egress(settings.egressAllowlist).forEach { check.warning($0) }
            check.value("EXT_FETCH_MAX_BYTES", "\(settings.fetchMaxResponseBytes)")
        } catch {
            check.problem(error.message)
        }
        do {
            let limits = try ExecutionLimits(environment: environment)
            check.value("EXT_MEMORY_LIMIT_MB", "\(limits.memoryBytes >> 20)")
            check.value("EXT_FUEL_PER_REQUEST", limits.fuel.map { "\($0)" } ?? "(derived from the deadline)")
        } catch {
            check.problem(error.message)
        }
    }

    private func trustBundle(_ environment: [String: String], mode: ConfigSafetyChecks.Mode, _ check: inout ConfigReport) {
        guard let path = environment["SIGNING_TRUST_BUNDLE"], !path.isEmpty else {
            let text = ConfigSafetyChecks.trustBundleMissing(mode)
            if mode == .production { check.warning(text) } else { check.note(text) }
            return
        }
        do {
            let store = try TrustStore(pem: LocalFiles.readText(path, limit: 4 << 20))
            check.value("SIGNING_TRUST_BUNDLE", "\(path) (\(store.certificates.count) certificate\(store.certificates.count == 1 ? "" : "s"))")
        } catch {
            check.problem("SIGNING_TRUST_BUNDLE \(path) cannot be used: \(error)")
        }
    }
}

/// The lines `config check` prints, and the problems that make it fail.
struct ConfigReport {
    private(set) var text = ""
    private(set) var problems: [String] = []
    private(set) var warnings: [String] = []

    mutating func section(_ title: String) { text += (text.isEmpty ? "" : "\n") + title + "\n" }
    mutating func value(_ name: String, _ value: String) {
        text += "  " + name + String(repeating: " ", count: max(1, 30 - name.count)) + value + "\n"
    }
    mutating func warning(_ message: String) {
        warnings.append(message)
        text += "  warning: " + message + "\n"
    }
    mutating func note(_ message: String) { text += "  note: " + message + "\n" }
    mutating func problem(_ message: String) {
        problems.append(message)
        text += "  PROBLEM: " + message + "\n"
    }

    /// A secret as `set (N characters, …last4)`, or `(unset)`.
    static func mask(_ secret: String?) -> String {
        guard let secret, !secret.isEmpty else { return "(unset)" }
        return "set (\(secret.count) characters)"
    }

    /// A connection URL or conninfo with any password replaced.
    static func maskPassword(_ conninfo: String) -> String {
        if let schemeEnd = conninfo.firstRange(of: "://")?.upperBound, let at = conninfo[schemeEnd...].firstIndex(of: "@"),
            let colon = conninfo[schemeEnd..<at].firstIndex(of: ":") {
            return String(conninfo[..<colon]) + ":****" + String(conninfo[at...])
        }
        return conninfo.split(separator: " ").map { $0.hasPrefix("password=") ? "password=****" : String($0) }.joined(separator: " ")
    }
}

/// systemd `EnvironmentFile=` syntax, the subset operators write: `KEY=value`, optional
/// `export `, single or double quotes, comments and blank lines.
enum EnvironmentFile {
    static func parse(_ text: String) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7) }
            guard let equals = line.firstIndex(of: "=") else { throw CLIError("line \(number + 1): expected KEY=value") }
            let name = String(line[..<equals]).trimmingSuffix(while: { $0 == " " })
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            pairs.append((name, value))
        }
        return pairs
    }
}

extension Substring {
    fileprivate func trimmingPrefix(while predicate: (Character) -> Bool) -> Substring { self.drop(while: predicate) }
}

extension String {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var result = self
        while let last = result.last, predicate(last) { result.removeLast() }
        return result
    }
}
