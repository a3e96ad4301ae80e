/// The Postgres role one exthost worker process connects as, so that a compromised process can
/// do no more in the database than its job needs (docs/postgres.md, "Process roles").
///
/// Invariants: the names are fixed (the migration creates them cluster-wide, where every
/// database of the cluster shares them); a role is created `LOGIN` without a password, so a
/// password-checked connection is refused until the operator sets one; `settings` are stored on
/// the role for every database and apply to each new session.
public enum ProcessRole: String, CaseIterable, Sendable {
    /// exthost-api: reads and writes the registry.
    case api = "exthost_api"
    /// exthost-runner: reads what execution needs, writes extension storage and the execution log.
    case runner = "exthost_runner"
    /// exthost-cachefill: reads bundles' registry rows and LISTENs; writes nothing.
    case cachefill = "exthost_cachefill"

    /// The role name in SQL; a plain lowercase identifier, so it needs no quoting.
    public var name: String { rawValue }

    /// `ALTER ROLE … SET` defaults every session of the role starts with.
    public var settings: [(name: String, value: String)] {
        switch self {
        case .api, .runner: []
        // Defence in depth: cachefill holds SELECT only, and a read-only session cannot even
        // create a temporary table or write through a function that runs as its caller.
        case .cachefill: [("default_transaction_read_only", "on")]
        }
    }

    /// How the migration creates the role (what an operator without the migration would run).
    public var createStatement: String { "CREATE ROLE \(name) LOGIN" }

    /// How the migration stores one of `settings` on the role.
    public func settingStatement(_ setting: (name: String, value: String)) -> String {
        "ALTER ROLE \(name) SET \(setting.name) = \(setting.value)"
    }
}
