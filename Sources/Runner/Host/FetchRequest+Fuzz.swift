import JSON

extension ExtensionHost {
    /// Test hook for the `fuzz-abi` libFuzzer target, not for production use: decodes arbitrary
    /// bytes the way a guest's `http.fetch` host call arrives (one JSON document, then
    /// `FetchRequest`) and, when they are accepted, checks the invariants the egress fetcher
    /// relies on: an allowed method token, token header names without the fields the host sets,
    /// values without CR, LF or NUL, the header budget, an http or https URL without user info,
    /// and no body on HEAD.
    ///
    /// Any crash or failed check here is a bug; a parse or request error is the expected outcome
    /// for most inputs.
    public static func fuzzFetchRequest(_ data: UnsafeRawBufferPointer) {
        guard let document = try? JSONValue.parse(data), let request = try? FetchRequest(document) else { return }
        let given = document["method"]
        precondition(given == nil || given == .null ? request.method == "GET" : given?.stringValue == request.method, "method differs from the document")
        precondition(isFetchToken(request.method) && request.method.utf8.count <= 32, "method is not a short token")
        precondition(!["CONNECT", "TRACE", "TRACK"].contains(request.method.uppercased()), "a refused method was accepted")
        precondition(request.headers.count <= FetchRequest.maxHeaderCount, "too many headers accepted")
        precondition(request.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count } <= FetchRequest.maxHeaderBytes, "header budget exceeded")
        for header in request.headers {
            precondition(isFetchToken(header.name), "header name is not a token")
            precondition(!FetchRequest.droppedHeaders.contains(header.name.lowercased()), "a header the host sets was kept")
            precondition(!header.value.utf8.contains { $0 == 0 || $0 == 0x0A || $0 == 0x0D }, "header value holds CR, LF or NUL")
        }
        precondition(request.destination.scheme == "http" || request.destination.scheme == "https", "scheme is not http or https")
        precondition(request.method != "HEAD" || request.body.isEmpty, "HEAD with a body")
    }

    /// RFC 9110 `tchar`s, spelled out again so that the check does not share the code it checks.
    private static func isFetchToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
