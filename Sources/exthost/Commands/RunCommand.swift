import ArgumentParser
import Bundle
import Execution
import Runner
import ServiceSupport

/// `exthost run`: one request through an extension's handler on this machine, with the runner's
/// own engine, limits and host calls, and no server.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one request through an extension's handler locally (no server needed).",
        discussion: """
            EXTENSION is a packed bundle.tar.zst or a project directory after its build (manifest.json \
            and the module at its entry). The request is matched against the manifest's endpoints \
            as the gateway matches it (:param captures, HEAD runs GET) and sent as the same request \
            document, to the same WasmKit engine under the same limits (EXT_FUEL_PER_REQUEST, \
            EXT_MEMORY_LIMIT_MB, EXT_GATEWAY_TIMEOUT_MS, EXT_FETCH_MAX_BYTES from the environment, \
            defaults otherwise). Host calls: config.get from --config, secrets.get from --secret, \
            storage.* in memory for this run (same quotas and revisions), http.fetch only to --allow-host \
            entries (the EXT_EGRESS_ALLOWLIST syntax). The install grants every capability the manifest \
            declares unless --grant names the ones to grant (--grant none grants nothing). The context \
            is synthetic: tenant \(RunExecution.tenantID), install \(RunExecution.installID), \
            extension \(RunExecution.extensionID), a new request id, and for a directory the content \
            hash sha256:0…0.
            Prints the status, headers, body (text when UTF-8, else base64), the guest's log lines, \
            the fuel used and the wall time; a failure prints the gateway's error code (ENDPOINT_NOT_FOUND, \
            EXTENSION_TIMEOUT, EXTENSION_FAILED with the trap, …) and exits 1.
              exthost run . --request 'GET /hello/ada'
              exthost run bundle.tar.zst --request 'POST /notes' --body @note.json
              exthost run . --request 'GET /quote' --allow-host http://127.0.0.1:8081
              exthost run . --request 'GET /settings' --grant cap:config.read --json
            """
    )

    @Argument(help: "A bundle file or an extension directory (holds manifest.json).")
    var `extension`: String

    @Option(help: ArgumentHelp("The request line: 'METHOD /path[?query]'.", valueName: "request"))
    var request: String

    @Option(name: .customLong("config"), help: ArgumentHelp("An install config value: KEY=TEXT, or KEY:=JSON (repeatable).", valueName: "key=value"))
    var config: [String] = []

    @Option(name: .customLong("secret"), help: ArgumentHelp("An install secret: NAME=VALUE (repeatable).", valueName: "name=value"))
    var secrets: [String] = []

    @Option(name: .customLong("allow-host"), help: ArgumentHelp(
        "An egress allowlist entry for http.fetch: host, *.domain or host:port, optionally http:// (repeatable).", valueName: "entry"))
    var allowHosts: [String] = []

    @Option(name: .customLong("header"), help: ArgumentHelp("A request header 'Name: value' (repeatable).", valueName: "header"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("The request body: @FILE reads a file, anything else is the body itself.", valueName: "@file|text"))
    var body: String?

    @Option(name: .customLong("grant"), help: ArgumentHelp(
        "A capability the install grants (repeatable; default: all the manifest declares; 'none' for nothing).", valueName: "cap:…"))
    var grants: [String] = []

    @Flag(help: "Print one JSON document: {ok, endpoint, params, response | error, logs, fuelUsed, wallTimeMs, requestId}.")
    var json = false

    func run() throws {
        let environment = ProcessEnvironment.current
        let limits = try cliAttempt("cannot read the execution limits") { try ExecutionLimits(environment: environment) }
        let fetchSettings = try cliAttempt("cannot read EXT_FETCH_MAX_BYTES") {
            try RunnerConfiguration(environment: environment.filter { $0.key == "EXT_FETCH_MAX_BYTES" })
        }
        let allowlist = try cliAttempt("--allow-host") { try EgressAllowlist(parsing: allowHosts.joined(separator: ",")) }
        let inputs = try RunInputs(
            request: request, headers: headers, body: body, config: config, secrets: secrets, maxBodyBytes: limits.maxRequestBytes)
        let loaded = try RunLocalExtension.load(`extension`)
        defer { loaded.removeTemporaryFiles() }
        let execution = RunExecution(
            extensionFiles: loaded, inputs: inputs, grants: try granted(by: loaded.manifest), limits: limits,
            fetcher: EgressFetcher(allowlist: allowlist, maxResponseBytes: fetchSettings.fetchMaxResponseBytes))
        let outcome = execution.perform()
        let report = RunReport(inputs: inputs, outcome: outcome)
        if json { report.printJSON() } else { report.printText() }
        if case .failure = outcome.response { throw ExitCode(1) }
    }

    /// The manifest's capabilities, or the `--grant` subset of them.
    private func granted(by manifest: Manifest) throws -> [Capability] {
        if grants.isEmpty { return manifest.capabilities }
        if grants == ["none"] { return [] }
        return try grants.map { name in
            guard let capability = Capability(rawValue: name), manifest.capabilities.contains(capability) else {
                let declared = manifest.capabilities.map(\.rawValue).joined(separator: ", ")
                throw CLIError("--grant \(name): the manifest does not declare it (declared: \(declared.isEmpty ? "none" : declared))")
            }
            return capability
        }
    }
}
