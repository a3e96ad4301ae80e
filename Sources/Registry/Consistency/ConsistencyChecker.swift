/// The checks of `exthost admin fsck` that involve the registry: rows against the objects of
/// the store, references between rows, the store's leftovers, and a node's cache tree against
/// the rows.
///
/// Invariants: read-only; memory is bounded by `batchSize` rows or listed objects at a time
/// plus the report's bounded details; a failure to reach the store or the database is thrown
/// (the caller marks the run as unable to check), never recorded as a finding.
public struct ConsistencyChecker {
    public let registry: RegistryConsistency
    public let sessions: UploadSessionStore
    public let objects: any ConsistencyObjectSource
    public let batchSize: Int

    public init(registry: RegistryConsistency, sessions: UploadSessionStore, objects: any ConsistencyObjectSource, batchSize: Int = 500) {
        self.registry = registry
        self.sessions = sessions
        self.objects = objects
        self.batchSize = batchSize
    }

    /// Every bundle row (created since `since`, when given) has its canonical bundle of the
    /// registered size and its manifest.
    public func checkRows(since: String?, into report: inout ConsistencyReport) throws {
        report.count("bundle rows", 0)
        var after = ""
        while true {
            let page = try registry.bundles(after: after, since: since, limit: batchSize)
            for bundle in page {
                report.count("bundle rows")
                try check(bundle, into: &report)
            }
            guard page.count == batchSize, let last = page.last else { return }
            after = last.contentHash
        }
    }

    private func check(_ bundle: RegisteredBundle, into report: inout ConsistencyReport) throws {
        guard let size = try objects.bundleSize(contentHash: bundle.contentHash) else {
            report.add(.init(.error, code: "MISSING_OBJECT", subject: bundle.contentHash,
                             message: "the registry row has no canonical bundle in the store; restore the object from a backup (or the author re-publishes the same bytes)"))
            return
        }
        if size != bundle.size {
            report.add(.init(.error, code: "OBJECT_SIZE_MISMATCH", subject: bundle.contentHash,
                             message: "the canonical bundle has \(size) bytes, the registry row says \(bundle.size); restore the object from a backup"))
        }
        if try !objects.manifestExists(contentHash: bundle.contentHash) {
            report.add(.init(.error, code: "MISSING_MANIFEST", subject: bundle.contentHash,
                             message: "the canonical manifest.json is missing; restore it from a backup"))
        }
    }

    /// No install points at a missing extension or version, no version at a missing bundle row.
    public func checkReferences(into report: inout ConsistencyReport) throws {
        let counts = try registry.referenceCounts()
        report.count("installs", Int(counts.installs))
        report.count("versions", Int(counts.versions))
        let references = try registry.danglingReferences(limit: report.detailLimit)
        for reference in references {
            report.add(.init(.error, code: Self.code(of: reference), subject: reference.subject, message: reference.reason))
        }
        // The query lists a few of each kind; the rest are counted from its totals.
        for (code, listed) in Dictionary(grouping: references, by: Self.code(of:)) {
            report.addUnlisted(code: code, severity: .error, count: Int(listed[0].kindTotal) - listed.count)
        }
    }

    /// Canonical objects without a row (warnings: the store is write-once and `exthost admin gc
    /// --delete-orphans` removes them) and staging objects of no live upload older than
    /// `stagingMinAgeSeconds` (warnings: `exthost admin gc` deletes them).
    public func checkStore(stagingMinAgeSeconds: Int64, into report: inout ConsistencyReport) throws {
        var canonical: [(ListedObject, String)] = []
        try objects.listCanonical { object, contentHash in
            report.count("canonical objects")
            guard let contentHash else { return report.add(Self.unknownKey(object)) }
            canonical.append((object, contentHash))
            if canonical.count == batchSize { try reportOrphans(&canonical, into: &report) }
        }
        try reportOrphans(&canonical, into: &report)

        var staged: [(ListedObject, String)] = []
        try objects.listStaging { object, uploadID in
            report.count("staging objects")
            guard let uploadID else { return report.add(Self.unknownKey(object)) }
            guard let age = object.ageSeconds, age >= stagingMinAgeSeconds else { return }
            staged.append((object, uploadID))
            if staged.count == batchSize { try reportStagingLeftovers(&staged, into: &report) }
        }
        try reportStagingLeftovers(&staged, into: &report)
    }

    private func reportOrphans(_ batch: inout [(ListedObject, String)], into report: inout ConsistencyReport) throws {
        defer { batch.removeAll(keepingCapacity: true) }
        guard !batch.isEmpty else { return }
        let unreferenced = try sessions.unreferencedContentHashes(among: Array(Set(batch.map(\.1))))
        for (object, contentHash) in batch where unreferenced.contains(contentHash) {
            report.add(.init(.warning, code: "ORPHAN_OBJECT", subject: object.key,
                             message: "no bundle row or live upload names \(contentHash); `exthost admin gc --delete-orphans` removes it"))
        }
    }

    private func reportStagingLeftovers(_ batch: inout [(ListedObject, String)], into report: inout ConsistencyReport) throws {
        defer { batch.removeAll(keepingCapacity: true) }
        guard !batch.isEmpty else { return }
        let live = try sessions.liveUploadIDs(among: batch.map(\.1))
        for (object, uploadID) in batch where !live.contains(UUIDText.normalized(uploadID) ?? uploadID) {
            report.add(.init(.warning, code: "STAGING_LEFTOVER", subject: object.key,
                             message: "\(object.size) bytes of an upload that is no longer live, \(object.ageSeconds ?? 0) s old; `exthost admin gc` deletes it"))
        }
    }

    private static func code(of reference: DanglingReference) -> String {
        reference.kind == "install" ? "LOST_INSTALL" : "VERSION_WITHOUT_BUNDLE"
    }

    private static func unknownKey(_ object: ListedObject) -> ConsistencyFinding {
        .init(.warning, code: "UNKNOWN_KEY", subject: object.key, message: "exthost never writes a key of this shape; it is left alone")
    }

    /// A node's complete trees and `ext-ui` links against the rows: a tree or link the registry
    /// does not know is a warning (eviction and the cachefill reconcile remove them).
    public func checkCache(trees: [String], links: [(extensionID: String, contentHash: String)], into report: inout ConsistencyReport) throws {
        for start in stride(from: 0, to: trees.count, by: batchSize) {
            let batch = Array(trees[start..<min(start + batchSize, trees.count)])
            for contentHash in try sessions.unreferencedContentHashes(among: batch).sorted() {
                report.add(.init(.warning, code: "CACHE_UNKNOWN_TREE", subject: contentHash,
                                 message: "the node caches a tree no bundle row names; eviction removes it"))
            }
        }
        for start in stride(from: 0, to: links.count, by: batchSize) {
            let batch = Array(links[start..<min(start + batchSize, links.count)])
            for pair in try registry.unknownVersions(among: batch).sorted() {
                report.add(.init(.warning, code: "CACHE_UNKNOWN_LINK", subject: pair,
                                 message: "an ext-ui link for an extension version the registry does not have; the cachefill reconcile removes it"))
            }
        }
    }
}
