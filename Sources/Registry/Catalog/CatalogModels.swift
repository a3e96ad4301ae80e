import JSON
import Postgres

/// One published version of an extension, with the bundle that holds it.
public struct ExtensionVersion: Sendable, Equatable {
    public let id: String
    public let version: String
    public let runtime: String
    public let entry: String
    public let endpoints: JSONValue
    public let ui: JSONValue?
    public let capabilities: [String]
    public let contentHash: String
    public let size: Int64
    /// The signing certificate's subject, nil for an unsigned bundle.
    public let signer: String?
    public let signerFingerprint: String?
    public let createdAt: String
}

/// An extension of the global catalog with its versions, oldest first.
public struct CatalogExtension: Sendable, Equatable {
    public let id: String
    public let publisher: String
    public let name: String
    public let displayName: String
    public let description: String
    public let createdAt: String
    public var versions: [ExtensionVersion]

    /// `publisher.name`, the stable human reference.
    public var qualifiedName: String { publisher + "." + name }
}

/// How a client names an extension: its uuid or `publisher.name`.
public enum ExtensionReference: Sendable, Equatable, CustomStringConvertible {
    case id(String)
    case qualifiedName(publisher: String, name: String)

    /// Nil when `text` is neither a uuid nor `publisher.name` with both parts non-empty.
    public init?(_ text: String) {
        if let id = UUIDText.normalized(text) {
            self = .id(id)
            return
        }
        // A name never contains a dot while a publisher may, so the last dot separates them.
        guard let dot = text.lastIndex(of: ".") else { return nil }
        let publisher = String(text[..<dot])
        let name = String(text[text.index(after: dot)...])
        guard !publisher.isEmpty, !name.isEmpty, text.utf8.count <= 257 else { return nil }
        self = .qualifiedName(publisher: publisher, name: name)
    }

    public var description: String {
        switch self {
        case .id(let id): id
        case .qualifiedName(let publisher, let name): publisher + "." + name
        }
    }

    /// A WHERE condition on `extensions` aliased `alias`, with its parameters from `$first`.
    func condition(alias: String, first: Int) -> (sql: String, parameters: [PostgresValue]) {
        switch self {
        case .id(let id): ("\(alias).id = $\(first)", [.text(id)])
        case .qualifiedName(let publisher, let name):
            ("\(alias).publisher = $\(first) AND \(alias).name = $\(first + 1)", [.text(publisher), .text(name)])
        }
    }
}
