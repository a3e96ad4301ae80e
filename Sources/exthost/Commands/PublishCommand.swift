import ArgumentParser
import Glibc
import JSON
import ServiceSupport

/// `exthost publish`: pack, sign, upload, finalize and optionally install, in one command.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a directory or bundle: pack, sign, upload, finalize, and optionally install.",
        discussion: """
            A directory is packed first (as `exthost pack` does); a bundle file is sent as is, \
            with BUNDLE.sig when it exists and no keys are given. --sign-key/--cert sign it (as \
            `exthost sign` does). The upload goes where the server says: one presigned PUT, or \
            presigned parts above its multipart threshold (a failed part is sent again up to 3 \
            times), or with --via-proxy through the API itself. Finalize registers it; --install \
            then installs it for the key's tenant (an existing install moves to this version).

            The key needs the admin role. Defaults come from the environment, so scripts stay \
            short: --url from EXTHOST_URL, --key from EXTHOST_API_KEY, --cacert from EXTHOST_CA. \
            The key is never printed.

            Progress goes to stderr (a live line on a terminal, one line per stage otherwise); \
            the summary, or with --json one JSON document, goes to stdout. Any refusal prints the \
            API's code, message, field and every manifest issue, and exits 1.
              export EXTHOST_URL=https://exthost.example EXTHOST_API_KEY=exh_...
              exthost publish ./my-extension --sign-key keys/key.pem --cert keys/cert.pem
              exthost publish bundle.tar.zst --install --grant cap:storage.kv --json
            """
    )

    @Argument(help: "An extension directory (holds manifest.json) or a bundle.tar.zst.")
    var source: String

    @Option(help: "Base URL of exthost (default: $EXTHOST_URL).")
    var url: String?

    @Option(help: "Admin API key (default: $EXTHOST_API_KEY).")
    var key: String?

    @Option(help: "Private key (PEM) to sign the bundle with; needs --cert.")
    var signKey: String?

    @Option(help: "Certificate (PEM) of --sign-key; its CN must be the manifest's publisher.")
    var cert: String?

    @Flag(help: "Stream the bundle through the API (upload-proxy) instead of presigned storage URLs.")
    var viaProxy = false

    @Flag(help: "Install the published version for the key's tenant (or move its install to it).")
    var install = false

    @Option(name: .customLong("grant"), help: ArgumentHelp("A capability to grant with --install (repeatable).", valueName: "cap:…"))
    var grants: [String] = []

    @Option(help: "PEM file of CA certificates to trust for the server (default: $EXTHOST_CA).")
    var cacert: String?

    @Flag(help: "Print one JSON document on stdout: {extension, version, contentHash, size, signature, uploadId, strategy, install?}.")
    var json = false

    func validate() throws {
        if (signKey == nil) != (cert == nil) { throw ValidationError("--sign-key and --cert go together") }
        if !grants.isEmpty && !install { throw ValidationError("--grant needs --install") }
        if Self.setting(url, "EXTHOST_URL") == nil { throw ValidationError("no server: pass --url or set EXTHOST_URL") }
        if Self.setting(key, "EXTHOST_API_KEY") == nil { throw ValidationError("no API key: pass --key or set EXTHOST_API_KEY") }
    }

    func run() throws {
        let progress = ProgressReporter.forStandardError()
        let api = APIClient(
            baseURL: Self.setting(url, "EXTHOST_URL") ?? "", key: Self.setting(key, "EXTHOST_API_KEY") ?? "",
            caFile: Self.setting(cacert, "EXTHOST_CA"), userAgent: "exthost-publish/\(ExthostVersion.string)")
        let prepared = try PublishSource.prepare(source, signingKeys: signKey.flatMap { key in cert.map { (key, $0) } }, progress: progress)
        let bundle = prepared.bundle
        let file = try PublishBundleFile(path: bundle.path)
        let uploader = BundleUploader(api: api, progress: progress)
        let receipt = try viaProxy
            ? uploader.uploadThroughProxy(file, filename: prepared.filename, contentHash: bundle.contentHash)
            : uploader.uploadPresigned(file, filename: prepared.filename, contentHash: bundle.contentHash)
        progress.status("finalizing upload \(receipt.uploadID) …")
        let finalized = try uploader.finalize(receipt, contentHash: bundle.contentHash, signature: prepared.signature)
        progress.stage(finalized.created
            ? "finalized \(finalized.qualifiedName) \(finalized.version) (upload \(receipt.uploadID), \(receipt.strategy))"
            : "finalized \(finalized.qualifiedName) \(finalized.version): already published with this content, nothing changed")
        if prepared.signature != nil, finalized.answer["signature"]?["signer"]?.stringValue == nil {
            progress.stage("note: this version was registered earlier without a signature; the one sent now was not recorded")
        }
        let outcome = try install ? TenantInstaller(api: api).install(finalized, grants: grants.isEmpty ? nil : grants) : nil
        if let outcome { progress.stage(outcome.summary(version: finalized.version)) }
        let report = PublishReport(finalized: finalized, receipt: receipt, install: outcome)
        if json {
            print(report.json.serialized(.pretty))
        } else {
            report.lines(baseURL: api.baseURL).forEach { print($0) }
        }
    }

    /// The option's value, else the environment variable's; empty counts as unset.
    static func setting(_ option: String?, _ variable: String) -> String? {
        if let option, !option.isEmpty { return option }
        return getenv(variable).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}
