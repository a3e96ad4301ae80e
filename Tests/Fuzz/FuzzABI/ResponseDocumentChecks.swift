import Cryptography
import ExthostCore
import FastCGI
import FuzzSupport
import JSON
import Runner

/// Properties of `ExtensionResponseDocument.response(from:maxBytes:)`: it accepts exactly the
/// documents of the documented shape, and what it accepts is the response the document describes,
/// with no header the gateway must never forward, and survives being encoded and decoded again.
enum ResponseDocumentChecks {
    /// Below the fuzzer's input size, so that the size limit is reachable.
    static let maxBytes = 8 << 10
    /// Fields that must never reach the client, listed from DESIGN rather than taken from the
    /// code under test: nginx control fields, hop-by-hop fields, server-computed fields, cookies.
    private static let neverForwarded: Set<String> = [
        "status", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization", "content-length", "x-request-id", "set-cookie",
    ]

    static func check(_ bytes: [UInt8]) {
        let expected = expectedResponse(bytes)
        let response = try? ExtensionResponseDocument.response(from: bytes, maxBytes: maxBytes)
        fuzzCheck((response == nil) == (expected == nil), response == nil ? "a well-formed response was refused" : "a malformed response was accepted")
        guard let response, let expected else { return }
        let fields = response.headers.fields.map { (name: $0.name, value: $0.value) }
        fuzzCheck(response.status.code == expected.status && !response.status.reason.isEmpty, "status \(response.status) differs from \(expected.status)")
        fuzzCheck(fields.elementsEqual(expected.headers) { $0 == $1 }, "headers differ from the allowed fields of the document")
        fuzzCheck(bodyBytes(response) == expected.body && expected.body.count <= maxBytes, "body differs from the document's")
        fuzzCheck(response.accelHeaders.isEmpty, "a guest set an X-Accel header")
        for field in fields {
            let name = field.name.lowercased()
            fuzzCheck(!neverForwarded.contains(name) && !name.hasPrefix("x-accel-"), "header \(field.name) reaches the client")
            fuzzCheck(!field.value.utf8.contains { $0 == 0 || $0 == 0x0A || $0 == 0x0D }, "header \(field.name) holds CR, LF or NUL")
        }
        checkRoundTrip(response)
    }

    /// What the documented shape says the response is, or nil when the document must be refused.
    private static func expectedResponse(_ bytes: [UInt8]) -> (status: Int, headers: [(name: String, value: String)], body: [UInt8])? {
        guard bytes.count <= maxBytes, let document = try? JSONValue.parse(bytes, limits: JSONParseLimits(maxDepth: 16, maxBytes: maxBytes)),
            let object = document.objectValue, let status = object["status"]?.intValue, (100...599).contains(status)
        else { return nil }
        var pairs: [(name: String, value: String)] = []
        if let headers = object["headers"], !headers.isNull {
            guard let members = headers.objectValue else { return nil }
            for (name, member) in members {
                guard let values = member.stringValue.map({ [$0] }) ?? member.arrayValue?.compactMap(\.stringValue),
                    values.count == (member.arrayValue?.count ?? 1)
                else { return nil }
                pairs += values.map { (name: name, value: $0) }
            }
        }
        var headers = pairs.filter { ExtensionResponseHeaders.isAllowed(name: $0.name, value: $0.value) }
        switch (object["body"], object["text"]) {
        case (.some, .some):
            return nil
        case (.some(let body), nil):
            guard let decoded = body.stringValue.flatMap(Base64.decode) else { return nil }
            return (status, headers, decoded)
        case (nil, .some(let text)):
            guard let text = text.stringValue else { return nil }
            if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                headers.append((name: "Content-Type", value: "text/plain; charset=utf-8"))
            }
            return (status, headers, Array(text.utf8))
        case (nil, nil):
            return (status, headers, [])
        }
    }

    /// The response written back as a document (headers grouped by name, the body in base64)
    /// decodes to the same status, fields per name and body.
    private static func checkRoundTrip(_ response: Response) {
        var names: [String] = []
        var values: [String: [String]] = [:]
        for field in response.headers.fields {
            if values[field.name] == nil { names.append(field.name) }
            values[field.name, default: []].append(field.value)
        }
        var members: [(String, JSONValue)] = [
            ("status", .number(response.status.code)),
            ("headers", .object(names.map { ($0, .array(values[$0, default: []].map(JSONValue.string))) })),
        ]
        let body = bodyBytes(response)
        if !body.isEmpty { members.append(("body", .string(Base64.encode(body)))) }
        let encoded = JSONValue.object(members).serializedBytes(.compact)
        guard let again = try? ExtensionResponseDocument.response(from: encoded, maxBytes: max(maxBytes, encoded.count)) else {
            fuzzCheck(false, "an accepted response, encoded again, is refused")
            return
        }
        fuzzCheck(again.status == response.status && bodyBytes(again) == body, "status or body changed on a round trip")
        let grouped = Dictionary(grouping: again.headers.fields, by: \.name).mapValues { $0.map(\.value) }
        fuzzCheck(grouped == values, "headers changed on a round trip")
    }

    private static func bodyBytes(_ response: Response) -> [UInt8] {
        switch response.body {
        case .empty: []
        case .bytes(let bytes): bytes
        case .stream: { fuzzCheck(false, "a guest response became a stream"); return [] }()
        }
    }
}
