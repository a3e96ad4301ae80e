import API
import ArgumentParser
import Bundle
import Cryptography
import Execution
import ExthostCore
import Glibc
import JSON

/// `exthost verify`: structure, manifest, wasm module and signature of a bundle, as the server
/// checks them.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle's structure, manifest, wasm module and signature; exit 0 only when all pass.",
        discussion: """
            Uses BUNDLE.sig when it exists and --signature is not given. With a trust bundle \
            (--trust-bundle or SIGNING_TRUST_BUNDLE) a trusted signature is required, exactly as \
            the server requires it at finalize.
              exthost verify bundle.tar.zst --trust-bundle trust.pem
              exthost verify bundle.tar.zst --json
            """
    )

    @Argument(help: "The bundle to check.")
    var bundle: String

    @Option(help: "Signature file (default: BUNDLE.sig if present).")
    var signature: String?

    @Option(help: "PEM file of trusted CA or publisher certificates (default: $SIGNING_TRUST_BUNDLE).")
    var trustBundle: String?

    @Flag(help: "Machine-readable output.")
    var json = false

    func run() throws {
        let trustPath = trustBundle ?? getenv("SIGNING_TRUST_BUNDLE").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        let trustStore = try trustPath.map { path in
            try cliAttempt("cannot load the trust bundle \(path)") { try TrustStore(pem: LocalFiles.readText(path)) }
        }
        let scan: BundleScan
        do {
            scan = try BundleReader.scan(fromFile: bundle)
        } catch {
            report(structureError: error)
            throw ExitCode(1)
        }
        let signaturePath = signature ?? (LocalFiles.exists(bundle + ".sig") ? bundle + ".sig" : nil)
        var signatureFileError: BundleSignatureError?
        var loaded: BundleSignature?
        if let signaturePath {
            do {
                loaded = try BundleSignature(jsonBytes: LocalFiles.readBytes(signaturePath, limit: 64 * 1024))
            } catch let error as BundleSignatureError {
                signatureFileError = error
            } catch {
                throw CLIError(error)
            }
        }
        let verdict = BundleVerification(
            scan: scan, signature: loaded, policy: SignaturePolicy(trustStore: trustStore), now: Int64(time(nil)))
        let module = ModuleVerdict(bundle: bundle, manifest: verdict.manifest)
        let ok = verdict.isAcceptable && signatureFileError == nil && module.isAcceptable
        if json {
            var value = verdict.jsonValue
            if case .object(var object) = value {
                object["module"] = module.jsonValue
                if !module.isAcceptable { object["ok"] = .bool(false) }
                if let signatureFileError {
                    object["ok"] = .bool(false)
                    object["signature"] = .object([
                        ("checked", .bool(true)),
                        ("error", .object([("code", .string(signatureFileError.code)), ("message", .string(signatureFileError.message))])),
                    ])
                }
                value = .object(object)
            }
            print(value.serialized(.pretty))
        } else {
            print("bundle     \(scan.contentHash)  \(scan.compressedSize) bytes, \(scan.entries.count) entries")
            print("structure  ok")
            if let manifest = verdict.manifest {
                print("manifest   ok: \(manifest.extensionId) \(manifest.version)")
            } else {
                print("manifest   FAILED: \(verdict.manifestIssues.count) issue(s)")
                printIssues(verdict.manifestIssues)
            }
            module.printLines()
            print("signature  \(signatureLine(verdict, fileError: signatureFileError, trustPath: trustPath))")
        }
        if !ok { throw ExitCode(1) }
    }

    private func signatureLine(_ verdict: BundleVerification, fileError: BundleSignatureError?, trustPath: String?) -> String {
        if let fileError { return "FAILED: \(fileError.code): \(fileError.message)" }
        if !verdict.signatureChecked { return "not checked (the manifest names the publisher)" }
        if let error = verdict.signatureError { return "FAILED: \(error.code): \(error.message)" }
        guard let signer = verdict.signer else { return "none (accepted: no trust bundle configured)" }
        let trust = signer.trusted ? "trusted by \(trustPath ?? "the trust bundle")" : "valid, trust not checked (no trust bundle)"
        return "ok: CN=\(signer.commonName), \(signer.algorithm.rawValue), \(trust)"
    }

    private func report(structureError error: any Error) {
        let code = (error as? any HTTPError)?.code ?? "ARCHIVE_UNREADABLE"
        let message = (error as? any HTTPError)?.message ?? "\(error)"
        if json {
            let value = JSONValue.object([
                ("ok", .bool(false)),
                ("structure", .object([("code", .string(code)), ("message", .string(message))])),
            ])
            print(value.serialized(.pretty))
        } else {
            print("structure  FAILED: \(code): \(message)")
        }
    }
}

/// What `verify` reports about the wasm entry: not checked (no valid manifest, or nothing to
/// run), ok, or the error with every problem finalize would list.
private struct ModuleVerdict {
    let entry: String?
    let error: (any HTTPError)?
    let problems: [String]

    init(bundle: String, manifest: Manifest?) {
        guard let manifest, ModuleCheck.applies(to: manifest) else {
            (entry, error, problems) = (nil, nil, [])
            return
        }
        entry = manifest.entry
        do {
            try ModuleCheck.check(bundleFile: bundle, manifest: manifest)
            (error, problems) = (nil, [])
        } catch let failure as ExecutionError {
            if case .moduleInvalid(let listed) = failure { problems = listed } else { problems = [] }
            error = failure
        } catch {
            self.error = (error as? any HTTPError) ?? ExecutionError.moduleUnavailable("\(error)")
            problems = []
        }
    }

    var isAcceptable: Bool { error == nil }

    var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = [("checked", .bool(entry != nil))]
        if let entry { members.append(("entry", .string(entry))) }
        if let error {
            members.append(("error", .object([
                ("code", .string(error.code)), ("message", .string(error.message)),
                ("issues", .array(problems.map { .string($0) })),
            ])))
        }
        return .object(members)
    }

    func printLines() {
        guard let entry else { return print("module     not checked (no API endpoints, or no valid manifest)") }
        guard let error else { return print("module     ok: \(entry) matches exthost-wasm@1") }
        print("module     FAILED: \(error.code): \(entry), \(problems.count) problem(s)")
        for problem in problems { print("  \(problem)") }
    }
}
