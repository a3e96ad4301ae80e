import ArgumentParser
import BundleStore
import Glibc
import JSON
import Registry
import ServiceSupport

/// `exthost admin gc`: removes what failed, abandoned and expired uploads left in the store and
/// reports canonical objects no registry row points at.
struct AdminGCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Collect expired upload sessions, stray staging objects and orphan canonical objects.",
        discussion: """
            1. Upload sessions past their expiry that still hold staging data (open, failed, or \
            finalizing with a dead claim): their multipart upload is aborted, their staging \
            object deleted and the session marked expired.
            2. Objects under staging/ whose upload session is missing or has ended (finalized, \
            aborted, expired, failed) are deleted.
            3. Objects under BUNDLE_STORE_BASE whose content hash has no bundle row (and no live \
            upload session) are orphans: reported, and deleted only with --delete-orphans when \
            last modified more than --min-age ago. A registry row never points at a missing \
            object, because finalize writes the object before the row; the age bound keeps \
            objects of a finalize in flight.

            The store is chosen like exthost-api's (EXTHOST_BUNDLE_STORE, STORAGE_S3_*, \
            EXTHOST_BUNDLE_DIR). Prints what it did (or would do, with --dry-run); exits 1 when \
            an operation failed, after reporting the rest.

              eval "$(scripts/stack env)"; exthost admin gc --dry-run
              exthost admin gc --delete-orphans --min-age 7d --json
            """
    )

    @Flag(help: "Report what would be collected; change nothing.")
    var dryRun = false

    @Flag(help: "Delete orphan canonical objects older than --min-age (default: only report them).")
    var deleteOrphans = false

    @Option(help: ArgumentHelp("Orphans last modified less than this long ago are kept: 0 or \(APIKeyLifetime.syntax).", valueName: "age"))
    var minAge = "24h"

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        _ = try Self.seconds(minAge)
    }

    func run() throws {
        let store = try cliAttempt("cannot open the bundle store") { try BundleStoreSelection.make(environment: ProcessEnvironment.current) }
        let collector = StoreCollector(
            store: store, sessions: UploadSessionStore(pool: database.pool()), dryRun: dryRun, deleteOrphans: deleteOrphans,
            minAgeSeconds: try Self.seconds(minAge), now: Int64(time(nil)))
        try collector.collectExpiredSessions()
        try collector.collectStrayStaging()
        try collector.reportOrphans()
        print(json ? collector.report.json.serialized(.pretty) : collector.report.text, terminator: json ? "\n" : "")
        if !collector.report.errors.isEmpty { throw ExitCode(1) }
    }

    static func seconds(_ text: String) throws -> Int64 {
        if text == "0" { return 0 }
        guard let age = APIKeyLifetime.parse(text) else { throw ValidationError("--min-age must be 0 or \(APIKeyLifetime.syntax), not \(text.debugDescription)") }
        return age.components.seconds
    }
}

/// One thing gc looked at and what it did with it.
struct CollectedItem {
    let key: String
    var action: String
    var members: [(String, JSONValue)] = []
    var note = ""
}

/// What one gc run found and did, section by section, plus the operations that failed.
struct CollectionReport {
    var dryRun: Bool
    var expiredSessions: [CollectedItem] = []
    var strayStaging: [CollectedItem] = []
    var orphans: [CollectedItem] = []
    /// Keys under the canonical base or staging/ that exthost never writes: listed, never deleted.
    var unknownKeys: [String] = []
    var errors: [String] = []

    var json: JSONValue {
        let items = { (list: [CollectedItem]) in
            JSONValue.array(list.map { .object([("key", .string($0.key)), ("action", .string($0.action))] + $0.members) })
        }
        return .object([
            ("dryRun", .bool(dryRun)), ("expiredSessions", items(expiredSessions)), ("strayStaging", items(strayStaging)),
            ("orphans", items(orphans)), ("unknownKeys", .array(unknownKeys.map(JSONValue.string))),
            ("errors", .array(errors.map(JSONValue.string))),
        ])
    }

    var text: String {
        var lines = dryRun ? ["dry run: nothing was changed"] : []
        for (title, list) in [("expired upload sessions", expiredSessions), ("stray staging objects", strayStaging), ("orphan canonical objects", orphans)] {
            lines.append("\(title): \(Self.summary(list))")
            lines += list.map { "  \($0.action.padding(12)) \($0.key)\($0.note.isEmpty ? "" : "  " + $0.note)" }
        }
        lines += unknownKeys.map { "  unknown key (left alone): \($0)" }
        lines += errors.map { "error: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `3 (2 deleted, 1 kept)`, or `none`.
    private static func summary(_ list: [CollectedItem]) -> String {
        guard !list.isEmpty else { return "none" }
        var counts: [(String, Int)] = []
        for item in list {
            if let index = counts.firstIndex(where: { $0.0 == item.action }) { counts[index].1 += 1 } else { counts.append((item.action, 1)) }
        }
        return "\(list.count) (" + counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ") + ")"
    }
}

/// The three passes of `exthost admin gc` over one store and registry.
///
/// Invariants: nothing is changed in a dry run; a session is marked expired only after its
/// staging data is gone (a failure leaves it collectable for the next run); an orphan is
/// deleted only when asked and older than the age bound; keys of unknown shape are never
/// deleted; one failed operation is reported and the run goes on.
final class StoreCollector {
    let store: any BundleStore
    let sessions: UploadSessionStore
    let dryRun: Bool
    let deleteOrphans: Bool
    let minAgeSeconds: Int64
    let now: Int64
    private(set) var report: CollectionReport

    /// Registry lookups are batched so that one query covers this many keys.
    static let batchSize = 500

    init(store: any BundleStore, sessions: UploadSessionStore, dryRun: Bool, deleteOrphans: Bool, minAgeSeconds: Int64, now: Int64) {
        self.store = store
        self.sessions = sessions
        self.dryRun = dryRun
        self.deleteOrphans = deleteOrphans
        self.minAgeSeconds = minAgeSeconds
        self.now = now
        report = CollectionReport(dryRun: dryRun)
    }

    func collectExpiredSessions() throws {
        var seen = Set<String>()
        while true {
            let page = try registryAttempt("cannot list expired upload sessions") { () throws(RegistryError) in
                try sessions.collectable(limit: Self.batchSize)
            }.filter { seen.insert($0.id).inserted }
            if page.isEmpty { return }
            for session in page {
                var item = CollectedItem(key: session.stagingKey, action: dryRun ? "would expire" : "expired", members: [
                    ("uploadId", .string(session.id)), ("tenantId", .string(session.tenantID)), ("state", .string(session.state.rawValue)),
                    ("expiresAt", .string(session.expiresAt)),
                ], note: "upload \(session.id) (\(session.state.rawValue), expired \(session.expiresAt))")
                if !dryRun { item.action = attempt("expire upload \(session.id)") { try expire(session) } ? "expired" : "failed" }
                report.expiredSessions.append(item)
            }
        }
    }

    private func expire(_ session: UploadSession) throws {
        try store.discardStaging(key: session.stagingKey, multipartId: session.multipartID)
        try sessions.markExpired(tenantID: session.tenantID, id: session.id)
    }

    func collectStrayStaging() throws {
        var staged: [(object: StoredObject, uploadID: String)] = []
        try listing(BundleKeyPolicy.stagingPrefix) { object in
            if let uploadID = Self.stagingUploadID(object.key) { staged.append((object, uploadID)) } else { report.unknownKeys.append(object.key) }
        }
        for batch in Self.batches(staged) {
            let live = try registryAttempt("cannot look up upload sessions") { () throws(RegistryError) in
                try sessions.liveUploadIDs(among: batch.map(\.uploadID))
            }
            for (object, uploadID) in batch where !live.contains(UUIDText.normalized(uploadID) ?? uploadID) {
                var item = CollectedItem(key: object.key, action: dryRun ? "would delete" : "deleted", members: [
                    ("uploadId", .string(uploadID)), ("size", .number(JSONNumber(Int(object.size)))),
                ], note: "no live upload session")
                if !dryRun { item.action = attempt("delete \(object.key)") { try store.delete(object.key) } ? "deleted" : "failed" }
                report.strayStaging.append(item)
            }
        }
    }

    func reportOrphans() throws {
        var canonical: [(object: StoredObject, contentHash: String)] = []
        try listing(store.keys.base) { object in
            if let hash = Self.canonicalContentHash(object.key, base: store.keys.base) { canonical.append((object, hash)) } else { report.unknownKeys.append(object.key) }
        }
        for batch in Self.batches(canonical) {
            let unreferenced = try registryAttempt("cannot look up bundles") { () throws(RegistryError) in
                try sessions.unreferencedContentHashes(among: Array(Set(batch.map(\.contentHash))))
            }
            for (object, contentHash) in batch where unreferenced.contains(contentHash) {
                report.orphans.append(orphan(object, contentHash: contentHash))
            }
        }
    }

    private func orphan(_ object: StoredObject, contentHash: String) -> CollectedItem {
        let age = Self.epochSeconds(iso8601: object.lastModified).map { now - $0 }
        var item = CollectedItem(key: object.key, action: "kept", members: [
            ("contentHash", .string(contentHash)), ("size", .number(JSONNumber(Int(object.size)))),
            ("lastModified", .string(object.lastModified)), ("ageSeconds", age.map { .number(JSONNumber(Int($0))) } ?? .null),
        ], note: "\(object.size) bytes, modified \(object.lastModified)")
        guard deleteOrphans else {
            item.note += " (pass --delete-orphans to delete it)"
            return item
        }
        guard let age, age >= minAgeSeconds else {
            item.note += " (younger than --min-age, or of unknown age)"
            return item
        }
        item.action = dryRun ? "would delete" : attempt("delete \(object.key)") { try store.delete(object.key) } ? "deleted" : "failed"
        return item
    }

    /// Runs one store or registry operation; a failure is recorded and the run goes on.
    private func attempt(_ what: String, _ body: () throws -> Void) -> Bool {
        do {
            try body()
            return true
        } catch {
            report.errors.append("\(what): \(CLIError(error).description)")
            return false
        }
    }

    private func listing(_ prefix: String, _ visit: (StoredObject) -> Void) throws {
        do {
            try store.list(prefix: prefix) { object throws(BundleStoreError) in visit(object) }
        } catch {
            throw CLIError("cannot list \(prefix) in the bundle store: \(CLIError(error).description)")
        }
    }

    private static func batches<T>(_ items: [T]) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: batchSize).map { items[$0..<min($0 + batchSize, items.count)] }
    }

    /// The upload id of `staging/<id>/bundle.tar.zst`, nil for any other key.
    static func stagingUploadID(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] + "/" == BundleKeyPolicy.stagingPrefix, parts[2] == BundleKeyPolicy.bundleFileName,
            BundleKeyPolicy.isValidUploadId(String(parts[1]))
        else { return nil }
        return String(parts[1])
    }

    /// `sha256:<hex>` of `<base><hex>/bundle.tar.zst` or `<base><hex>/manifest.json`, nil for any other key.
    static func canonicalContentHash(_ key: String, base: String) -> String? {
        guard key.hasPrefix(base) else { return nil }
        let parts = key.dropFirst(base.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, [BundleKeyPolicy.bundleFileName, BundleKeyPolicy.manifestFileName].contains(String(parts[1])),
            parts[0].utf8.count == 64, parts[0].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        return "sha256:" + parts[0]
    }

    /// Seconds since the epoch of a listing's `2026-11-25T22:18:57.000Z`; nil for other forms.
    static func epochSeconds(iso8601 text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            guard bytes[range].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return bytes[range].reduce(0) { $0 * 10 + Int32($1 - 0x30) }
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = month - 1
        fields.tm_mday = day
        fields.tm_hour = hour
        fields.tm_min = minute
        fields.tm_sec = second
        return Int64(timegm(&fields))
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
