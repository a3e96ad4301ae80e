import ExthostCore

/// A typed query parameter, sent in text format with a type Oid where the type is unambiguous.
public enum PostgresValue: Sendable, Equatable {
    case null
    case text(String)
    case int64(Int64)
    case bool(Bool)
    case bytea([UInt8])
    case double(Double)
    /// JSON text; sent untyped so the server can take it as `json` or `jsonb`.
    case json(String)

    /// The text-format encoding libpq sends, nil for SQL NULL.
    var textEncoding: String? {
        switch self {
        case .null: nil
        case .text(let value), .json(let value): value
        case .int64(let value): String(value)
        case .bool(let value): value ? "t" : "f"
        case .bytea(let bytes): "\\x" + Hex.encode(bytes)
        case .double(let value):
            if value.isNaN { "NaN" } else if value == .infinity { "Infinity" } else if value == -.infinity { "-Infinity" } else { String(value) }
        }
    }

    /// Oid of the parameter type; 0 lets the server infer it (text must fit uuid, jsonb, … columns).
    var typeOid: UInt32 {
        switch self {
        case .int64: 20
        case .bool: 16
        case .bytea: 17
        case .double: 701
        case .null, .text, .json: 0
        }
    }
}
