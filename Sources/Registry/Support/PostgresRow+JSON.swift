import JSON
import Postgres

extension PostgresRow {
    /// A `json`/`jsonb` column parsed; the server wrote it, so a parse failure is a decoding error.
    func json(_ column: String) throws(PostgresError) -> JSONValue {
        guard let value = try optionalJSON(column) else { throw .decoding(column: column, expected: "json") }
        return value
    }

    func optionalJSON(_ column: String) throws(PostgresError) -> JSONValue? {
        guard let text = try optionalString(column) else { return nil }
        do {
            return try JSONValue.parse(Array(text.utf8))
        } catch {
            throw .decoding(column: column, expected: "json")
        }
    }

    /// A text array selected as a JSON array (`SQLText.jsonArray`); NULL reads as empty.
    func stringArray(_ column: String) throws(PostgresError) -> [String] {
        guard let value = try optionalJSON(column) else { return [] }
        guard let items = value.arrayValue else { throw .decoding(column: column, expected: "json array of strings") }
        var strings: [String] = []
        for item in items {
            guard let string = item.stringValue else { throw .decoding(column: column, expected: "json array of strings") }
            strings.append(string)
        }
        return strings
    }
}
