import ExthostCore

/// The rows and affected-row count of one statement, copied out of the libpq result.
public struct PostgresResult: Sendable {
    public let columns: [String]
    public let rows: [PostgresRow]
    /// Rows inserted, updated, deleted or selected, as reported by the server (0 if none).
    public let affectedRows: Int
}

/// One result row in text format; getters decode by column name and throw `.decoding` when the
/// column is missing, NULL (non-optional getters) or of another type.
public struct PostgresRow: Sendable {
    let columns: [String]
    let values: [String?]

    /// The raw text of a column, nil for NULL.
    public func optionalString(_ column: String) throws(PostgresError) -> String? {
        guard let index = columns.firstIndex(of: column) else { throw .decoding(column: column, expected: "existing column") }
        return values[index]
    }

    public func string(_ column: String) throws(PostgresError) -> String {
        try required(column, "text", optionalString(column))
    }

    public func optionalInt64(_ column: String) throws(PostgresError) -> Int64? {
        try decode(column, "int8") { Int64($0) }
    }

    public func int64(_ column: String) throws(PostgresError) -> Int64 {
        try required(column, "int8", optionalInt64(column))
    }

    public func optionalBool(_ column: String) throws(PostgresError) -> Bool? {
        try decode(column, "bool") { $0 == "t" ? true : $0 == "f" ? false : nil }
    }

    public func bool(_ column: String) throws(PostgresError) -> Bool {
        try required(column, "bool", optionalBool(column))
    }

    public func optionalDouble(_ column: String) throws(PostgresError) -> Double? {
        try decode(column, "float8") { Double($0) }
    }

    public func double(_ column: String) throws(PostgresError) -> Double {
        try required(column, "float8", optionalDouble(column))
    }

    /// Decodes the `\x…` hex output of a bytea column.
    public func optionalBytes(_ column: String) throws(PostgresError) -> [UInt8]? {
        try decode(column, "bytea") { text in
            text.hasPrefix("\\x") ? Hex.decode(String(text.dropFirst(2))) : nil
        }
    }

    public func bytes(_ column: String) throws(PostgresError) -> [UInt8] {
        try required(column, "bytea", optionalBytes(column))
    }

    private func decode<T>(_ column: String, _ type: String, _ parse: (String) -> T?) throws(PostgresError) -> T? {
        guard let text = try optionalString(column) else { return nil }
        guard let value = parse(text) else { throw .decoding(column: column, expected: type) }
        return value
    }

    private func required<T>(_ column: String, _ type: String, _ value: T?) throws(PostgresError) -> T {
        guard let value else { throw .decoding(column: column, expected: "non-null \(type)") }
        return value
    }
}
