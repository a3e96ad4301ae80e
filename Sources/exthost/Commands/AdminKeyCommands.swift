import ArgumentParser
import Glibc
import JSON
import Registry
import ServiceSupport

/// `exthost admin create-key`: issues an API key and prints it once.
struct AdminCreateKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-key",
        abstract: "Issue an API key for a tenant; the key is printed once, on stdout.",
        discussion: """
            stdout holds only the key (one line), so it can be captured; the key id, tenant, \
            role and expiry go to stderr. Only the key's SHA-256 is stored: it cannot be shown \
            again, so store it now (a lost key is revoked and replaced).

            admin keys publish bundles and manage the tenant's installs; member keys read and \
            execute. Keys never expire unless --expires-in is given.

              TENANT=3f0c8a52-6a4e-4d7b-9d61-0c2f1e9a7b10
              KEY=$(exthost admin create-key --tenant "$TENANT" --role admin --name ci --expires-in 90d)
              curl -H "Authorization: Bearer $KEY" https://exthost.example/api/installs
              exthost admin create-key --tenant "$TENANT" --role member --json
            """
    )

    @Option(help: "Tenant the key acts for: a UUID (8-4-4-4-12 hex digits).")
    var tenant: String

    @Option(help: "admin (publish, manage installs) or member (read, execute).")
    var role: APIRole

    @Option(help: "A label to recognise the key by in list-keys (at most 256 characters).")
    var name = ""

    @Option(help: ArgumentHelp("Lifetime: \(APIKeyLifetime.syntax). Default: never expires.", valueName: "lifetime"))
    var expiresIn: String?

    @Flag(help: #"Print {"id","key","tenantId","role","name","expiresAt"} as JSON on stdout instead."#)
    var json = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        _ = try KeyCommandInput.tenant(tenant)
        _ = try KeyCommandInput.lifetime(expiresIn)
    }

    func run() throws {
        let store = APIKeyStore(pool: database.pool())
        let tenantID = try KeyCommandInput.tenant(tenant)
        let lifetime = try KeyCommandInput.lifetime(expiresIn)
        let created = try registryAttempt("cannot create the key") { () throws(RegistryError) in
            try store.create(tenantID: tenantID, role: role, name: name, expiresIn: lifetime)
        }
        let record = created.record
        if json {
            let value: JSONValue = .object([
                ("id", .string(record.id)), ("key", .string(created.token)), ("tenantId", .string(record.tenantID)),
                ("role", .string(record.role.rawValue)), ("name", .string(record.name)),
                ("expiresAt", record.expiresAt.map(JSONValue.string) ?? .null),
            ])
            print(value.serialized(.pretty))
        } else {
            print(created.token)
        }
        StandardError.write("""
            created API key \(record.id) for tenant \(record.tenantID), role \(record.role.rawValue), \
            expires \(record.expiresAt ?? "never")
            store it now: it is not shown again

            """)
    }
}

/// `exthost admin revoke-key`: revokes a key given the key itself or its id.
struct AdminRevokeKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-key",
        abstract: "Revoke an API key, given the key itself or its id; exit 1 if no such unrevoked key.",
        discussion: """
            The key stops working at once, on every node. Its row is kept (with the time of \
            revocation) so list-keys still shows it.

              exthost admin revoke-key 0b7c1c52-7d0e-4d8e-9a55-2f7f0f3c9e11
              exthost admin revoke-key "$KEY"
            """
    )

    @Argument(help: ArgumentHelp("The key (exh_…) or its id (a UUID, as list-keys shows).", valueName: "key-or-id"))
    var keyOrID: String

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = APIKeyStore(pool: database.pool())
        let revoked = try registryAttempt("cannot revoke the key") { () throws(RegistryError) in
            try store.revokeReturningRecord(keyOrID)
        }
        guard let revoked else {
            let shape = APIKeyToken.isWellFormed(keyOrID) || UUIDText.normalized(keyOrID) != nil
                ? "" : " (expected a key starting with \(APIKeyToken.prefix) or a key id UUID)"
            throw CLIError("no unrevoked API key matches\(shape); exthost admin list-keys shows the keys")
        }
        print("revoked \(revoked.id)")
    }
}

/// `exthost admin list-keys`: the keys' metadata, never the keys or their digests.
struct AdminListKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-keys",
        abstract: "List API keys (id, tenant, role, name, state, created, expires, revoked, last used).",
        discussion: """
            Revoked and expired keys are listed too. Keys themselves are never shown: only \
            their SHA-256 is stored. Times are UTC; "last used" is updated at most once a minute. \
            STATE is active, expiring (expires within EXTHOST_KEY_EXPIRY_WARNING_DAYS, default \
            14: replace it), expired or revoked.

              exthost admin list-keys
              exthost admin list-keys --tenant "$TENANT" --json
            """
    )

    @Option(help: "Only this tenant's keys (a UUID).")
    var tenant: String?

    @Flag(help: "Print a JSON array of key objects instead of a table.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if let tenant { _ = try KeyCommandInput.tenant(tenant) }
    }

    func run() throws {
        let store = APIKeyStore(pool: database.pool())
        let tenantID = try tenant.map(KeyCommandInput.tenant)
        let warning = try cliAttempt("cannot list the keys") { try APIKeyExpiryWarning(environment: ProcessEnvironment.current) }
        let records = try registryAttempt("cannot list the keys") { () throws(RegistryError) in try store.list(tenantID: tenantID) }
        if json {
            print(JSONValue.array(records.map { Self.jsonValue($0, state: $0.state(warning: warning)) }).serialized(.pretty))
            return
        }
        print(KeyTable.render(records, warning: warning), terminator: "")
        if records.isEmpty { StandardError.write("no API keys\(tenantID.map { " for tenant \($0)" } ?? "")\n") }
    }

    private static func jsonValue(_ record: APIKeyRecord, state: APIKeyState) -> JSONValue {
        let optional = { (text: String?) in text.map(JSONValue.string) ?? .null }
        return .object([
            ("id", .string(record.id)), ("tenantId", .string(record.tenantID)), ("role", .string(record.role.rawValue)),
            ("name", .string(record.name)), ("state", .string(state.rawValue)),
            ("createdAt", .string(record.createdAt)), ("expiresAt", optional(record.expiresAt)),
            ("revokedAt", optional(record.revokedAt)), ("lastUsedAt", optional(record.lastUsedAt)),
        ])
    }
}

extension APIRole: ExpressibleByArgument {}

/// Checks of the key commands' arguments, shared by `validate()` (usage errors) and `run()`.
enum KeyCommandInput {
    static func tenant(_ text: String) throws -> String {
        guard let tenant = UUIDText.normalized(text) else {
            throw ValidationError("--tenant must be a UUID such as 3f0c8a52-6a4e-4d7b-9d61-0c2f1e9a7b10, not \(text.debugDescription)")
        }
        return tenant
    }

    static func lifetime(_ text: String?) throws -> Duration? {
        guard let text else { return nil }
        guard let lifetime = APIKeyLifetime.parse(text) else {
            throw ValidationError("--expires-in must be \(APIKeyLifetime.syntax), not \(text.debugDescription)")
        }
        guard lifetime <= APIKeyStore.maximumLifetime else { throw ValidationError("--expires-in must be at most 100 years") }
        return lifetime
    }
}

/// The plain-text table of `list-keys`: one padded column per field, "-" for none.
enum KeyTable {
    static func render(_ records: [APIKeyRecord], warning: APIKeyExpiryWarning) -> String {
        let header = ["ID", "TENANT", "ROLE", "NAME", "STATE", "CREATED", "EXPIRES", "REVOKED", "LAST USED"]
        let rows = records.map { record in
            [record.id, record.tenantID, record.role.rawValue, record.name.isEmpty ? "-" : record.name, record.state(warning: warning).rawValue,
             seconds(record.createdAt), seconds(record.expiresAt), seconds(record.revokedAt), seconds(record.lastUsedAt)]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { cells in
            let padded = cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            return padded.joined(separator: "  ") + "\n"
        }.joined()
    }

    /// `2026-11-25T23:17:45.123456Z` shown as `2026-11-25T23:17:45Z`: fractions only widen the table.
    private static func seconds(_ timestamp: String?) -> String {
        guard let timestamp else { return "-" }
        guard let dot = timestamp.firstIndex(of: ".") else { return timestamp }
        return String(timestamp[..<dot]) + "Z"
    }
}

/// Lines for the operator that must stay out of stdout (which may be captured).
enum StandardError {
    static func write(_ text: String) {
        // A plain write(2): libc's `stderr` global is not concurrency-safe in Swift 6.
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
