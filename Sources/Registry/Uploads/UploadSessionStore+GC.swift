import JSON
import Postgres

/// The registry questions `exthost admin gc` asks before it deletes anything from the store.
///
/// Invariants: a session a finalize may still be working on (`finalizing` and not stale) is
/// never collectable; a content hash is unreferenced only when no bundle row and no live
/// session (`open` or `finalizing`) names it, so a canonical object an in-flight finalize is
/// about to register is not reported as an orphan once that finalize has recorded the hash.
extension UploadSessionStore {
    /// Expired sessions that may still hold staging data, oldest expiry first, across tenants:
    /// `open` and `failed` ones, and `finalizing` ones whose claim is stale (the worker died).
    public func collectable(limit: Int = 500) throws(RegistryError) -> [UploadSession] {
        try databaseCall {
            try pool.withConnection { connection in
                try connection.query(
                    Self.select + """
                         WHERE s.expires_at <= now()
                           AND (s.state IN ('open', 'failed')
                                OR (s.state = 'finalizing' AND s.updated_at < now() - make_interval(secs => $2)))
                        ORDER BY s.expires_at LIMIT $1
                        """,
                    [.int64(Int64(limit)), .double(Double(staleClaim.components.seconds))]).rows.map(Self.decode)
            }
        }
    }

    /// Marks a collected session `expired` unless it ended otherwise meanwhile (finalized or
    /// aborted); true when it changed.
    @discardableResult
    public func markExpired(tenantID: String, id: String) throws(RegistryError) -> Bool {
        try databaseCall {
            try pool.withConnection { connection in
                try connection.execute(
                    """
                    UPDATE upload_sessions SET state = 'expired', updated_at = now()
                    WHERE tenant_id = $1 AND id = $2 AND state IN ('open', 'failed', 'finalizing')
                    """,
                    [.text(tenantID), .text(id)]) > 0
            }
        }
    }

    /// Which of `ids` belong to a live session (`open` or `finalizing`), whatever the tenant;
    /// ids that are not uuids have no session and are simply not returned.
    public func liveUploadIDs(among ids: [String]) throws(RegistryError) -> Set<String> {
        let candidates = ids.compactMap(UUIDText.normalized)
        guard !candidates.isEmpty else { return [] }
        return try databaseCall {
            try pool.withConnection { connection in
                let rows = try connection.query(
                    """
                    SELECT s.id::text AS id FROM upload_sessions s
                    WHERE s.id = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)::uuid))
                      AND s.state IN ('open', 'finalizing')
                    """,
                    [.json(Self.jsonArray(candidates))]).rows
                return Set(try rows.map { try $0.string("id") })
            }
        }
    }

    /// Which of `contentHashes` (`sha256:<hex>`) neither a bundle row nor a live session names.
    public func unreferencedContentHashes(among contentHashes: [String]) throws(RegistryError) -> Set<String> {
        guard !contentHashes.isEmpty else { return [] }
        return try databaseCall {
            try pool.withConnection { connection in
                let rows = try connection.query(
                    """
                    SELECT h.hash FROM jsonb_array_elements_text($1::jsonb) AS h(hash)
                    WHERE NOT EXISTS (SELECT 1 FROM bundles b WHERE b.content_hash = h.hash)
                      AND NOT EXISTS (SELECT 1 FROM upload_sessions s
                                      WHERE s.content_hash = h.hash AND s.state IN ('open', 'finalizing'))
                    """,
                    [.json(Self.jsonArray(contentHashes))]).rows
                return Set(try rows.map { try $0.string("hash") })
            }
        }
    }

    private static func jsonArray(_ strings: [String]) -> String {
        JSONValue.array(strings.map(JSONValue.string)).serialized()
    }
}
