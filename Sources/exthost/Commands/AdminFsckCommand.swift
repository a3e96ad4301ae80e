import ArgumentParser
import Bundle
import BundleStore
import ContentCache
import Glibc
import JSON
import Registry
import ServiceSupport

/// `exthost admin fsck`: proves that registry rows, the bundle store's canonical objects and a
/// node's cache tree agree, and says what to do where they do not.
struct AdminFsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check that registry rows, stored bundles and the node's cache tree agree (read-only).",
        discussion: """
            Errors (exit 1): a bundle row without its canonical object of the registered size \
            or without its manifest.json (MISSING_OBJECT, OBJECT_SIZE_MISMATCH, \
            MISSING_MANIFEST); an install or version pointing at a row that is gone \
            (LOST_INSTALL, VERSION_WITHOUT_BUNDLE); a partial or broken cache tree \
            (CACHE_STAGING_LEFTOVER, CACHE_STRAY_TREE, CACHE_INCOMPLETE_TREE, CACHE_STRAY_LINK, \
            CACHE_WRONG_LINK_TARGET, CACHE_DANGLING_LINK); with --verify-contents, a tree whose \
            files are not its bundle's (CACHE_CONTENT_MISMATCH) or a stored object that is not the \
            bundle of its hash (OBJECT_CONTENT_MISMATCH).

            Warnings (exit 0): ORPHAN_OBJECT, an object no row names (the store is write-once; \
            `exthost admin gc --delete-orphans` removes it); STAGING_LEFTOVER, staging of no live \
            upload older than --staging-age (`exthost admin gc` removes it); UNKNOWN_KEY; \
            CACHE_UNKNOWN_TREE and CACHE_UNKNOWN_LINK, a tree or link the registry does not know.

            Exit 2 when something could not be checked (the database or the store unreachable, \
            the cache dir unreadable): an unchecked registry is never reported clean.

            Nothing is changed. The store is chosen like exthost-api's (EXTHOST_BUNDLE_STORE, \
            STORAGE_S3_*, EXTHOST_BUNDLE_DIR); the cache is --cache-dir, else EXTHOST_CACHE_DIR. \
            Rows are read in pages, so memory does not grow with the registry. See docs/faults.md.

              eval "$(scripts/stack env)"; exthost admin fsck
              exthost admin fsck --json --since "$(psql -XAtc 'SELECT now()')"
              exthost admin fsck --no-cache          # a host without a cache tree
              exthost admin fsck --verify-contents   # compare cached files with bundles
            """
    )

    @Option(help: ArgumentHelp("Check only bundle rows created (or given a version) at or after this time (any timestamptz Postgres reads). Orphans, references and the cache are always checked whole.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("The node's cache tree (default: EXTHOST_CACHE_DIR).", valueName: "dir"))
    var cacheDir: String?

    @Flag(help: "Do not check a cache tree (a host without exthost-cachefill).")
    var noCache = false

    @Flag(help: ArgumentHelp("Also compare every complete cache tree, file by file, with its bundle read again from the store: finds files changed, added or removed after the fill. Costs about one cold fill per tree (the whole bundle is downloaded and decompressed)."))
    var verifyContents = false

    @Option(help: ArgumentHelp("Staging objects of no live upload are reported once older than this: 0 or \(APIKeyLifetime.syntax).", valueName: "age"))
    var stagingAge = "24h"

    @Option(help: ArgumentHelp("Entries in the cache's tmp/ younger than this belong to a fill in progress: 0 or \(APIKeyLifetime.syntax).", valueName: "age"))
    var cacheGrace = "10m"

    @Option(help: ArgumentHelp("Findings listed in full; beyond this they are only counted.", valueName: "n"))
    var maxFindings = 1000

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        _ = try AdminGCCommand.seconds(stagingAge)
        _ = try AdminGCCommand.seconds(cacheGrace)
        guard maxFindings >= 0 else { throw ValidationError("--max-findings must be 0 or more") }
        if noCache, cacheDir != nil { throw ValidationError("--no-cache and --cache-dir contradict each other; pass one") }
        if noCache, verifyContents { throw ValidationError("--verify-contents compares the cache tree with the store; it cannot be used with --no-cache") }
    }

    func run() throws {
        var report = ConsistencyReport(detailLimit: maxFindings)
        let environment = ProcessEnvironment.current
        let pool = database.pool()
        let sessions = UploadSessionStore(pool: pool)
        let registry = RegistryConsistency(pool: pool)
        do {
            let store = try BundleStoreSelection.make(environment: environment)
            let checker = ConsistencyChecker(registry: registry, sessions: sessions, objects: StoreObjectSource(store: store, now: Int64(time(nil))))
            section("bundle rows", &report) { report in try checker.checkRows(since: since, into: &report) }
            section("references", &report) { report in try checker.checkReferences(into: &report) }
            section("store listing", &report) { report in
                try checker.checkStore(stagingMinAgeSeconds: try AdminGCCommand.seconds(stagingAge), into: &report)
            }
            if !noCache { checkCache(checker, store: store, environment: environment, into: &report) }
        } catch {
            report.fail("cannot open the bundle store: \(CLIError(error).description)")
        }
        print(json ? report.json.serialized(.pretty) : report.text, terminator: json ? "\n" : "")
        if report.status != .clean { throw ExitCode(report.status.rawValue) }
    }

    private func checkCache(_ checker: ConsistencyChecker, store: any BundleStore, environment: [String: String], into report: inout ConsistencyReport) {
        guard let root = cacheDir ?? environment["EXTHOST_CACHE_DIR"], !root.isEmpty else {
            report.fail("no cache tree to check: pass --cache-dir, set EXTHOST_CACHE_DIR, or pass --no-cache")
            return
        }
        let audit: ContentCacheAudit
        do {
            audit = try ContentCacheAudit(layout: ContentCacheLayout(root: root), stagingGraceNanoseconds: try AdminGCCommand.seconds(cacheGrace) * 1_000_000_000)
        } catch {
            report.fail("cannot read the cache tree \(root): \(CLIError(error).description)")
            return
        }
        report.count("cache trees", audit.trees.count)
        report.count("cache links", audit.links.count)
        for problem in audit.problems {
            report.add(.init(.error, code: problem.kind.rawValue, subject: problem.path, message: problem.detail))
        }
        section("cache against rows", &report) { report in
            try checker.checkCache(
                trees: audit.trees.map(\.description),
                links: audit.links.map { ($0.extensionID, $0.hash.description) }, into: &report)
        }
        if verifyContents {
            CacheContentVerification(store: store, layout: ContentCacheLayout(root: root)).verify(audit.trees, into: &report)
        }
    }

    /// Runs one group of checks; a store or database failure ends the group, not the run, and
    /// marks the run as unable to check.
    private func section(_ name: String, _ report: inout ConsistencyReport, _ body: (inout ConsistencyReport) throws -> Void) {
        do {
            try body(&report)
        } catch {
            report.fail("\(name): \(CLIError(error).description)")
        }
    }
}

/// `BundleStore` as the read-only `ConsistencyObjectSource` of fsck, keys parsed like gc's.
struct StoreObjectSource: ConsistencyObjectSource {
    let store: any BundleStore
    let now: Int64

    func bundleSize(contentHash: String) throws -> Int64? {
        try store.info(store.canonicalBundleKey(hash: try Self.hash(contentHash)))?.size
    }

    func manifestExists(contentHash: String) throws -> Bool {
        try store.exists(store.canonicalManifestKey(hash: try Self.hash(contentHash)))
    }

    func listCanonical(_ visit: (ListedObject, String?) throws -> Void) throws {
        try list(prefix: store.keys.base) { object in try visit(object, StoreCollector.canonicalContentHash(object.key, base: store.keys.base)) }
    }

    func listStaging(_ visit: (ListedObject, String?) throws -> Void) throws {
        try list(prefix: BundleKeyPolicy.stagingPrefix) { object in try visit(object, StoreCollector.stagingUploadID(object.key)) }
    }

    /// Lets the visitor's own error through the store's typed listing.
    private func list(prefix: String, _ visit: (ListedObject) throws -> Void) throws {
        do {
            try store.list(prefix: prefix) { (object: StoredObject) throws(BundleStoreError) in
                let age = StoreCollector.epochSeconds(iso8601: object.lastModified).map { now - $0 }
                do {
                    try visit(ListedObject(key: object.key, size: object.size, ageSeconds: age))
                } catch {
                    throw .sinkFailed(error)
                }
            }
        } catch .sinkFailed(let error) {
            throw error
        }
    }

    private static func hash(_ text: String) throws -> ContentHash {
        guard let hash = ContentHash(parsing: text) else { throw CLIError("the registry holds a malformed content hash \(text.debugDescription)") }
        return hash
    }
}
