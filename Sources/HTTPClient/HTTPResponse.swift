/// The status and header fields of the final (non-1xx) response to a request.
///
/// Invariants: `headers` holds the fields of the final response only (those of any interim
/// `100 Continue` are dropped), with names as received and in order; lookups by name ignore case.
public struct HTTPResponseHead: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]

    public init(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    /// The value of the first field called `name` (compared case-insensitively), if any.
    public func firstValue(for name: String) -> String? {
        headers.first { HTTPFieldName.equal($0.name, name) }?.value
    }

    /// The values of every field called `name` (compared case-insensitively), in order.
    public func values(for name: String) -> [String] {
        headers.filter { HTTPFieldName.equal($0.name, name) }.map(\.value)
    }
}

/// A response whose body was buffered in memory by `HTTPClient.send`.
public struct HTTPResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: [UInt8]

    public init(head: HTTPResponseHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }

    public var status: Int { head.status }
}

/// Header field names are ASCII tokens and compare case-insensitively.
enum HTTPFieldName {
    static func equal(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8) { asciiLowercase($0) == asciiLowercase($1) }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte + 32 : byte
    }
}
