import ExthostCore
import FastCGI
import FuzzSupport

/// Properties of `EnvironmentBlock` and `Request(fastCGIParameters:)` on a C parameter block
/// built from the input: the block reads as the byte-level rules say (split at the first `=`,
/// entries without one skipped, the last of a repeated name kept, no byte read past an entry's
/// NUL), and the request built from it has the raw path before the first `?`, segments split at
/// every `/` byte and decoded, the documented query, and exactly the well-formed header fields.
enum ParameterBlockChecks {
    private struct NoBody: ByteSource {
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(RequestError) -> Int { 0 }
    }

    static func check(_ bytes: [UInt8]) {
        let entries = bytes.split(separator: 0, omittingEmptySubsequences: false)
        let parameters = CParameterBlock.withBlock(entries) { EnvironmentBlock.dictionary(from: $0) }
        var expected: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            expected[String(decoding: entry[..<equals], as: UTF8.self)] = String(decoding: entry[(equals + 1)...], as: UTF8.self)
        }
        fuzzCheck(parameters == expected, "EnvironmentBlock differs from the byte-level reading of the block")
        checkRequest(parameters)
    }

    private static func checkRequest(_ parameters: [String: String]) {
        let uri = Array((parameters["REQUEST_URI"] ?? parameters["DOCUMENT_URI"] ?? "/").utf8)
        let questionMark = uri.firstIndex(of: UInt8(ascii: "?"))
        let path = uri[..<(questionMark ?? uri.endIndex)]
        let queryText = parameters["QUERY_STRING"] ?? questionMark.map { String(decoding: uri[($0 + 1)...], as: UTF8.self) } ?? ""
        let query = QueryParameters(parsing: queryText)
        let segments = path.split(separator: UInt8(ascii: "/")).map { ReferenceDecoding.decode($0, plusIsSpace: false) }
        let request: Request
        do throws(RequestError) {
            request = try Request(fastCGIParameters: parameters, body: NoBody())
        } catch {
            let expected: RequestError? = query == nil ? .invalidQuery : segments.contains(where: { $0 == nil }) ? .invalidPath : nil
            fuzzCheck(error == expected, "Request refused the parameters with \(error), expected \(String(describing: expected))")
            return
        }
        fuzzCheck(query != nil && !segments.contains(where: { $0 == nil }), "Request accepted a malformed query or path")
        fuzzCheck(Array(request.path.utf8) == Array(path), "Request.path is not the URI before the first '?'")
        fuzzCheck(request.pathSegments.map { Array($0.utf8) } == segments.map { $0! }, "Request.pathSegments are not the decoded '/'-separated segments")
        fuzzCheck(request.query == query, "Request.query differs from the parsed query text")
        let fields = request.headers.fields.map { [Array($0.name.utf8), Array($0.value.utf8)] }
        fuzzCheck(fields.sorted(by: precedes) == expectedHeaders(parameters).sorted(by: precedes), "Request.headers differ from the well-formed HTTP_* and CONTENT_* parameters")
        fuzzCheck(RequestID.isWellFormed(request.requestID), "request id \(request.requestID.debugDescription) is not well-formed")
        if let given = parameters["HTTP_X_REQUEST_ID"], RequestID.isWellFormed(given) {
            fuzzCheck(request.requestID == given, "a well-formed X-Request-Id was not kept")
        }
        fuzzCheck(request.contentLength == parameters["CONTENT_LENGTH"].flatMap({ Int($0) }).flatMap({ $0 >= 0 ? $0 : nil }), "content length differs")
    }

    /// `HTTP_NAME` as `name` (ASCII lowercase, `_` as `-`), `CONTENT_TYPE` and `CONTENT_LENGTH`
    /// when not empty; only token names and values without CR, LF or NUL.
    private static func expectedHeaders(_ parameters: [String: String]) -> [[[UInt8]]] {
        let tokenBytes = Array("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var fields: [[[UInt8]]] = []
        for (parameter, value) in parameters {
            let bytes = Array(parameter.utf8)
            let name: ArraySlice<UInt8>
            if bytes.starts(with: Array("HTTP_".utf8)) {
                name = bytes.dropFirst(5)
            } else if (parameter == "CONTENT_TYPE" || parameter == "CONTENT_LENGTH") && !value.isEmpty {
                name = bytes[...]
            } else {
                continue
            }
            let header = name.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
            guard !header.isEmpty, header.allSatisfy(tokenBytes.contains), !value.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else { continue }
            fields.append([header, Array(value.utf8)])
        }
        return fields
    }

    private static func precedes(_ lhs: [[UInt8]], _ rhs: [[UInt8]]) -> Bool {
        lhs[0] == rhs[0] ? lhs[1].lexicographicallyPrecedes(rhs[1]) : lhs[0].lexicographicallyPrecedes(rhs[0])
    }
}
