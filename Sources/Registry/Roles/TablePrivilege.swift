/// One privilege a process role holds on a table: a verb, on every column or on a few.
///
/// Invariant: `columns` is empty for a table-wide privilege; column-level grants exist only for
/// UPDATE, where a role may touch bookkeeping columns and nothing else of a row.
public struct TablePrivilege: Hashable, Sendable, CustomStringConvertible {
    public enum Verb: String, CaseIterable, Sendable {
        case select = "SELECT"
        case insert = "INSERT"
        case update = "UPDATE"
        case delete = "DELETE"
    }

    public let verb: Verb
    public let columns: [String]

    public static let select = TablePrivilege(verb: .select, columns: [])
    public static let insert = TablePrivilege(verb: .insert, columns: [])
    public static let update = TablePrivilege(verb: .update, columns: [])
    public static let delete = TablePrivilege(verb: .delete, columns: [])

    /// UPDATE of the named columns only.
    public static func update(_ columns: String...) -> TablePrivilege {
        TablePrivilege(verb: .update, columns: columns)
    }

    /// `SELECT` or `UPDATE (last_used_at)`, as GRANT spells it.
    public var description: String {
        columns.isEmpty ? verb.rawValue : "\(verb.rawValue) (\(columns.joined(separator: ", ")))"
    }
}
