import ArgumentParser
import Bundle
import BundleStore
import Cryptography
import Glibc
import JSON
import ServiceSupport

/// `exthost admin migrate-store --to s3|file`: copies every canonical object from the store the
/// environment selects today into the other one, verifying each bundle's SHA-256 against its
/// key on the way, so an operator can switch `EXTHOST_BUNDLE_STORE` without losing a bundle.
///
/// Invariants: write-once on the destination (an object already there is only checked, never
/// replaced); a bundle whose bytes do not hash to its key is reported and not copied; memory
/// stays flat (each object goes through a temporary file in fixed-size chunks).
struct AdminMigrateStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy every canonical bundle to the other bundle store, verifying each one.",
        discussion: """
            The source is the store the environment selects now (EXTHOST_BUNDLE_STORE, else s3 \
            when STORAGE_S3_BUCKET is set, else file); the destination is --to, configured by the \
            same variables (STORAGE_S3_* for s3, EXTHOST_BUNDLE_DIR and EXTHOST_UPLOAD_SIGNING_KEY \
            for file). Safe to rerun: objects already copied are checked and skipped. Switch \
            EXTHOST_BUNDLE_STORE and restart the services once it reports no failures.

              EXTHOST_BUNDLE_STORE=file exthost admin migrate-store --to s3
            """
    )

    @Option(help: "The destination store: s3 or file.")
    var to: String

    @Flag(help: "List what would be copied without writing anything.")
    var dryRun = false

    @Flag(help: "Print one JSON document instead of lines.")
    var json = false

    func validate() throws {
        guard to == "s3" || to == "file" else { throw ValidationError("--to must be s3 or file") }
    }

    func run() throws {
        let environment = ProcessEnvironment.current
        let sourceKind = BundleStoreSelection.kind(environment: environment)
        guard sourceKind != to else {
            throw CLIError("the environment already selects the \(to) store; set EXTHOST_BUNDLE_STORE to the store to copy from")
        }
        var destinationEnvironment = environment
        destinationEnvironment["EXTHOST_BUNDLE_STORE"] = to
        let source = try cliAttempt("cannot open the \(sourceKind) store") { try BundleStoreSelection.make(environment: environment) }
        let destination = try cliAttempt("cannot open the \(to) store") { try BundleStoreSelection.make(environment: destinationEnvironment) }
        let workspace = try LocalFiles.makeTemporaryDirectory(prefix: "exthost-migrate-store")
        defer { rmdir(workspace) }

        var report = StoreMigrationReport()
        let keys = try cliAttempt("cannot list the \(sourceKind) store") { () throws(BundleStoreError) -> [StoredObject] in
            var found: [StoredObject] = []
            try source.list(prefix: source.keys.base) { found.append($0) }
            return found
        }
        for object in keys {
            let outcome = StoreMigration(source: source, destination: destination, workspace: workspace, dryRun: dryRun).copy(object)
            report.record(object, outcome)
            if !json {
                let word = outcome.word + String(repeating: " ", count: max(0, 11 - outcome.word.count))
                print(word + object.key + (outcome.detail.map { "  (\($0))" } ?? ""))
            }
        }
        if json {
            print(report.jsonValue(from: sourceKind, to: to, dryRun: dryRun).serialized(.pretty))
        } else {
            print("\(report.copied) copied, \(report.present) already there, \(report.skipped) skipped, \(report.failed) failed (\(sourceKind) → \(to)\(dryRun ? ", dry run" : ""))")
        }
        if report.failed > 0 { throw ExitCode.failure }
    }
}

/// Copies one object, verifying it; never throws, so one bad object does not stop the rest.
struct StoreMigration {
    let source: any BundleStore
    let destination: any BundleStore
    let workspace: String
    let dryRun: Bool

    enum Outcome {
        case copied, alreadyPresent, skipped(String), wouldCopy, failed(String)

        var word: String {
            switch self {
            case .copied: "copied"
            case .alreadyPresent: "present"
            case .skipped: "skipped"
            case .wouldCopy: "would-copy"
            case .failed: "FAILED"
            }
        }

        var detail: String? {
            switch self {
            case .skipped(let why), .failed(let why): why
            default: nil
            }
        }
    }

    func copy(_ object: StoredObject) -> Outcome {
        let parts = object.key.dropFirst(source.keys.base.count).split(separator: "/")
        guard parts.count == 2, let hash = ContentHash(parsing: "sha256:" + parts[0]),
            [BundleKeyPolicy.bundleFileName, BundleKeyPolicy.manifestFileName].contains(String(parts[1]))
        else { return .skipped("not a canonical bundle key") }
        do {
            if let present = try destination.info(object.key) {
                return present.size == object.size ? .alreadyPresent : .failed("the destination holds \(present.size) bytes, the source \(object.size)")
            }
            if dryRun { return .wouldCopy }
            let path = workspace + "/object"
            defer { unlink(path) }
            let digest = try download(object.key, to: path)
            if parts[1] == BundleKeyPolicy.bundleFileName, digest != hash.hex {
                return .failed("its bytes hash to sha256:\(digest), not to its key")
            }
            try upload(path, size: object.size, to: object.key)
            guard let written = try destination.info(object.key), written.size == object.size else {
                return .failed("the copy does not have the source's size")
            }
            return .copied
        } catch {
            return .failed("\(error)")
        }
    }

    /// Streams the object into `path`, returning its SHA-256 hex.
    private func download(_ key: String, to path: String) throws -> String {
        let file = try StoreFile.create(path, overwrite: true)
        let hash = SHA256()
        try source.open(key, range: nil) { chunk in
            hash.update(chunk)
            try file.write(chunk)
        }
        file.complete()
        return hash.finalize().hex
    }

    private func upload(_ path: String, size: Int64, to key: String) throws {
        let file = try StoreFile.openForReading(path)
        try destination.putOnce(key, body: .stream(length: size) { try file.read(into: $0) })
    }
}

/// Counts per outcome, and the JSON form of the run.
struct StoreMigrationReport {
    var copied = 0, present = 0, skipped = 0, failed = 0
    var failures: [(key: String, reason: String)] = []

    mutating func record(_ object: StoredObject, _ outcome: StoreMigration.Outcome) {
        switch outcome {
        case .copied, .wouldCopy: copied += 1
        case .alreadyPresent: present += 1
        case .skipped: skipped += 1
        case .failed(let reason):
            failed += 1
            failures.append((object.key, reason))
        }
    }

    func jsonValue(from: String, to: String, dryRun: Bool) -> JSONValue {
        [
            "from": .string(from), "to": .string(to), "dryRun": .bool(dryRun),
            "copied": .number(JSONNumber(copied)), "present": .number(JSONNumber(present)),
            "skipped": .number(JSONNumber(skipped)), "failed": .number(JSONNumber(failed)),
            "failures": .array(failures.map { ["key": .string($0.key), "reason": .string($0.reason)] }),
        ]
    }
}
