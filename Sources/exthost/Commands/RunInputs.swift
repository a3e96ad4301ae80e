import ArgumentParser
import FastCGI
import JSON

/// The request `exthost run` sends and the install it pretends to be, read from the options.
///
/// Invariants: `method` is an uppercase HTTP token; `path` starts with `/` and is still
/// percent-encoded, as the gateway sees the part after `/api/ext/{extensionId}`; the query is
/// decoded exactly as the FastCGI layer decodes it.
struct RunInputs {
    let method: String
    let path: String
    let query: QueryParameters
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    let config: JSONObject
    let secrets: [String: String]

    init(request: String, headers: [String], body: String?, config: [String], secrets: [String], maxBodyBytes: Int) throws {
        let parts = request.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, Self.isToken(parts[0]), parts[1].hasPrefix("/") else {
            throw CLIError("--request must be 'METHOD /path[?query]', e.g. 'GET /hello/ada'; got \(request.debugDescription)")
        }
        method = parts[0].uppercased()
        let target = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(target[0])
        guard let query = QueryParameters(parsing: target.count > 1 ? String(target[1]) : "") else {
            throw CLIError("--request: the query string has a malformed %-escape")
        }
        self.query = query
        self.headers = try headers.map(Self.header)
        self.body = try Self.body(body, maxBytes: maxBodyBytes)
        self.config = try Self.config(config)
        self.secrets = Dictionary(try secrets.map { try Self.pair($0, option: "--secret") }) { _, last in last }
    }

    /// `Name: value`, checked as the FastCGI layer checks a header.
    private static func header(_ text: String) throws -> (name: String, value: String) {
        guard let colon = text.firstIndex(of: ":") else { throw CLIError("--header must be 'Name: value'; got \(text.debugDescription)") }
        let name = String(text[..<colon])
        let value = String(text[text.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
        do {
            try HTTPHeaders.validate(name: name, value: value)
        } catch {
            throw CLIError("--header \(text.debugDescription): \(error.message)")
        }
        return (name, value)
    }

    /// `@file` reads the file; anything else is the body's text.
    private static func body(_ argument: String?, maxBytes: Int) throws -> [UInt8] {
        guard let argument else { return [] }
        let bytes = argument.hasPrefix("@")
            ? try cliAttempt("--body") { try LocalFiles.readBytes(String(argument.dropFirst()), limit: maxBytes) }
            : Array(argument.utf8)
        guard bytes.count <= maxBytes else { throw CLIError(RequestError.bodyTooLarge(limit: maxBytes)) }
        return bytes
    }

    /// `key=text` is a string; `key:=json` is any JSON value (a number, an object…).
    private static func config(_ items: [String]) throws -> JSONObject {
        var members: [(String, JSONValue)] = []
        for item in items {
            let (key, text) = try pair(item, option: "--config")
            var value = JSONValue.string(text)
            if key.hasSuffix(":") {
                do {
                    value = try JSONValue.parse(Array(text.utf8))
                } catch {
                    throw CLIError("--config \(item.debugDescription): the value after := is not valid JSON")
                }
            }
            let name = key.hasSuffix(":") ? String(key.dropLast()) : key
            members.removeAll { $0.0 == name }
            members.append((name, value))
        }
        return JSONObject(members)
    }

    private static func pair(_ item: String, option: String) throws -> (String, String) {
        guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
            throw CLIError("\(option) must be NAME=VALUE; got \(item.debugDescription)")
        }
        return (String(item[..<equals]), String(item[item.index(after: equals)...]))
    }

    private static func isToken(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
        }
    }
}
