/// SQL fragments that turn column values into the text forms the registry hands out.
///
/// Timestamps are RFC 3339 in UTC with microseconds (`2026-11-25T23:17:45.123456Z`), the form
/// every API answer uses; text arrays travel as JSON arrays so no array-literal parsing is needed.
enum SQLText {
    static func timestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    static func jsonArray(_ column: String) -> String {
        "array_to_json(\(column))::text"
    }

    /// A `text[]` built from a JSON array parameter (`$n` holding `["a","b"]`).
    static func textArray(fromJSONParameter parameter: String) -> String {
        "ARRAY(SELECT jsonb_array_elements_text(\(parameter)::jsonb))"
    }
}
