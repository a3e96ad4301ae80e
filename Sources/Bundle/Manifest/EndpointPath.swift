/// The path pattern of an endpoint, e.g. `/users/:id/files/*rest`.
///
/// Always starts with `/`; `/` alone is the extension's root. Each segment is a literal of
/// `[A-Za-z0-9._~-]+` (not `.` or `..`), a `:name` capturing one segment, or — last only — a
/// `*name` capturing the rest of the path. Capture names match `[a-zA-Z_][a-zA-Z0-9_]*` and are
/// unique within the path.
public struct EndpointPath: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
        case rest(String)
    }

    public let segments: [Segment]

    public static let maxLength = 1024

    /// Why a path pattern was refused, as a manifest issue code and message.
    public struct Problem: Error, Sendable, Equatable {
        public let code: String
        public let message: String
    }

    public init(_ text: String) throws(Problem) {
        segments = try Self.parse(text)
    }

    public var description: String {
        "/" + segments.map { segment in
            switch segment {
            case .literal(let text): text
            case .parameter(let name): ":" + name
            case .rest(let name): "*" + name
            }
        }.joined(separator: "/")
    }

    /// The path with capture names erased (`/users/:/files/*`): two endpoints with the same
    /// method and shape would match exactly the same requests.
    public var shape: String {
        "/" + segments.map { segment in
            switch segment {
            case .literal(let text): text
            case .parameter: ":"
            case .rest: "*"
            }
        }.joined(separator: "/")
    }

    public var parameterNames: [String] {
        segments.compactMap { segment in
            switch segment {
            case .literal: nil
            case .parameter(let name), .rest(let name): name
            }
        }
    }

    private static func parse(_ text: String) throws(Problem) -> [Segment] {
        guard text.hasPrefix("/") else { throw invalid("must start with '/'") }
        guard text.utf8.count <= maxLength else { throw invalid("is longer than \(maxLength) characters") }
        if text == "/" { return [] }
        let parts = text.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var segments: [Segment] = []
        var names: Set<String> = []
        for (position, part) in parts.enumerated() {
            let segmentText = String(decoding: part, as: UTF8.self)
            guard let lead = part.first else { throw invalid("has an empty segment (a doubled or trailing '/')") }
            let segment: Segment
            switch lead {
            case UInt8(ascii: ":"), UInt8(ascii: "*"):
                let name = String(decoding: part.dropFirst(), as: UTF8.self)
                guard ManifestSyntax.isCaptureName(name) else {
                    throw invalid("segment \(ManifestSyntax.quoted(segmentText)) needs a name matching [a-zA-Z_][a-zA-Z0-9_]*")
                }
                guard names.insert(name).inserted else {
                    throw Problem(code: ManifestIssue.Code.duplicateParameter, message: "path parameter \(ManifestSyntax.quoted(name)) is used twice")
                }
                guard lead == UInt8(ascii: ":") || position == parts.count - 1 else {
                    throw invalid("rest segment \(ManifestSyntax.quoted(segmentText)) must be the last segment")
                }
                segment = lead == UInt8(ascii: ":") ? .parameter(name) : .rest(name)
            default:
                guard part.allSatisfy(ManifestSyntax.isUnreservedByte) else {
                    throw invalid("segment \(ManifestSyntax.quoted(segmentText)) may only contain A-Z a-z 0-9 . _ ~ -")
                }
                guard segmentText != ".", segmentText != ".." else { throw invalid("must not contain '.' or '..' segments") }
                segment = .literal(segmentText)
            }
            segments.append(segment)
        }
        return segments
    }

    private static func invalid(_ detail: String) -> Problem {
        Problem(code: ManifestIssue.Code.invalidEndpointPath, message: "the endpoint path \(detail)")
    }
}
