import BundleStore
import FuzzSupport

/// Properties of the canonical request, read back from `SigV4Signature.canonicalRequest`:
/// its layout, the URI, query and header rules of SigV4, determinism, and that feeding the
/// canonical form back in gives it again.
enum CanonicalRequestChecks {
    static func check(_ request: SigV4Case) {
        let signature = request.sign()
        fuzzCheck(signature == request.sign(), "signing the same request twice gave different results")
        fuzzCheck(SigV4Text.isLowercaseHex(signature.signature, count: 64), "signature \(signature.signature) is not 64 lowercase hex digits")
        let names = Set(request.signedHeaders.map { Array($0.name.lowercased().utf8) })
        let lines = signature.canonicalRequest.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        fuzzCheck(lines.count == names.count + 6, "canonical request has \(lines.count) lines for \(names.count) headers")
        fuzzCheck(lines[0] == Array(request.method.utf8), "canonical method differs")
        checkURI(lines[1], request)
        checkQuery(lines[2], request)
        let headerLines = Array(lines[3..<3 + names.count])
        checkHeaders(headerLines, request)
        fuzzCheck(lines[3 + names.count].isEmpty, "no empty line after the canonical headers")
        let headerNames = headerLines.map { Array($0.prefix { $0 != UInt8(ascii: ":") }) }
        fuzzCheck(lines[4 + names.count] == Array(headerNames.joined(separator: [UInt8(ascii: ";")])), "signed headers line differs from the header names")
        fuzzCheck(Array(signature.signedHeaders.utf8) == lines[4 + names.count], "SigV4Signature.signedHeaders differs from the canonical request")
        fuzzCheck(lines[5 + names.count] == Array(SigV4Payload.unsignedValue.utf8), "payload hash line differs")
    }

    /// S3 signs the request-line path as sent, which `S3URL.object` encodes per segment; other
    /// services sign the normalized path encoded once more.
    private static func checkURI(_ uri: [UInt8], _ request: SigV4Case) {
        guard let decoded = SigV4Text.decodeCanonical(uri, slashAllowed: true) else {
            fuzzCheck(false, "canonical URI \(String(decoding: uri, as: UTF8.self).debugDescription) is not canonically encoded")
            return
        }
        fuzzCheck(decoded.first == UInt8(ascii: "/"), "canonical URI does not start with /")
        if request.signer.pathRules == .s3 {
            fuzzCheck(uri == Array(request.url.path.utf8), "S3 canonical URI differs from the request-line path")
            return
        }
        var inner = decoded.dropFirst()
        if inner.last == UInt8(ascii: "/") { inner = inner.dropLast() }
        if !inner.isEmpty {
            let segments = inner.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            fuzzCheck(!segments.contains { $0.isEmpty || $0.elementsEqual([0x2E]) || $0.elementsEqual([0x2E, 0x2E]) },
                      "normalized path \(String(decoding: decoded, as: UTF8.self).debugDescription) keeps an empty, . or .. segment")
        }
        let again = S3URL(scheme: request.url.scheme, host: request.url.host, path: String(decoding: decoded, as: UTF8.self), query: request.url.query)
        fuzzCheck(canonicalLines(request.sign(url: again))[1] == uri, "canonical URI of the normalized path differs (not idempotent)")
    }

    private static func checkQuery(_ line: [UInt8], _ request: SigV4Case) {
        guard let items = SigV4Text.decodeQuery(line) else {
            fuzzCheck(false, "canonical query \(String(decoding: line, as: UTF8.self).debugDescription) is not canonically encoded")
            return
        }
        let encoded: [(name: [UInt8], value: [UInt8])] = line.isEmpty ? [] : line.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).map {
            let parts = $0.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            return (name: Array(parts[0]), value: Array(parts[1]))
        }
        fuzzCheck(zip(encoded, encoded.dropFirst()).allSatisfy { !SigV4Text.precedes($1, $0) }, "canonical query is not sorted by name, then value")
        let given = request.url.query.map { (name: Array($0.name.utf8), value: Array($0.value.utf8)) }
        fuzzCheck(items.sorted(by: SigV4Text.precedes).elementsEqual(given.sorted(by: SigV4Text.precedes)) { $0 == $1 },
                  "canonical query does not hold exactly the given items")
        let reordered = items.reversed().map { S3QueryItem(String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) }
        let again = S3URL(scheme: request.url.scheme, host: request.url.host, port: request.url.port, path: request.url.path, query: reordered)
        fuzzCheck(canonicalLines(request.sign(url: again))[2] == line, "canonical query of the decoded items differs (not idempotent)")
    }

    private static func checkHeaders(_ lines: [[UInt8]], _ request: SigV4Case) {
        var previous: [UInt8]?
        var pairs: [(name: String, value: String)] = []
        for line in lines {
            let parts = line.split(separator: UInt8(ascii: ":"), maxSplits: 1, omittingEmptySubsequences: false)
            fuzzCheck(parts.count == 2, "canonical header line without ':'")
            let name = Array(parts[0]), value = Array(parts[1])
            fuzzCheck(!name.isEmpty && name.allSatisfy { SigV4Case.tokenBytes.contains($0) && !(0x41...0x5A).contains($0) },
                      "canonical header name \(String(decoding: name, as: UTF8.self).debugDescription) is not a lowercase token")
            fuzzCheck(previous.map { $0.lexicographicallyPrecedes(name) } ?? true, "canonical header names are not sorted and distinct")
            previous = name
            let expected = request.signedHeaders.filter { Array($0.name.lowercased().utf8) == name }.map { SigV4Text.collapsed($0.value) }
            fuzzCheck(value == Array(expected.joined(separator: [UInt8(ascii: ",")])),
                      "canonical value of \(String(decoding: name, as: UTF8.self)) is not its values trimmed, collapsed and joined by ','")
            pairs.append((name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        let again = canonicalLines(request.sign(headers: pairs.reversed()))
        fuzzCheck(Array(again[3..<3 + lines.count]) == lines, "canonical headers of the canonical headers differ (not idempotent)")
    }

    private static func canonicalLines(_ signature: SigV4Signature) -> [[UInt8]] {
        signature.canonicalRequest.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    }
}
