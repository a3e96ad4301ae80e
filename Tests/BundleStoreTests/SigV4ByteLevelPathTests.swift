import BundleStore
import Testing

/// Regressions found by `fuzz-sigv4`: path normalization and the `S3URL` path check compared
/// Characters, so a `/` followed by a combining mark (U+0301) was not a separator and a path
/// starting with one tripped the "must start with /" precondition.
@Suite struct SigV4ByteLevelPathTests {
    private let signer = SigV4Signer(credentials: S3Credentials(accessKey: "AKIDEXAMPLE", secretKey: "secret"), region: "us-east-1", service: "service")

    private func canonicalURI(_ path: String) -> String {
        let url = S3URL(scheme: "https", host: "example.amazonaws.com", path: path)
        let signature = signer.sign(method: "GET", url: url, headers: [], payloadHash: SigV4Payload.emptyHash, at: SigV4Timestamp(epochSeconds: 0))
        return String(signature.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[1])
    }

    @Test func aSlashBeforeACombiningMarkStillSeparatesSegments() {
        // Bytes: segments a, U+0301, .., b; the `..` removes the U+0301 segment.
        #expect(canonicalURI("/a/\u{301}/../b") == "/a/b")
        #expect(canonicalURI("/\u{301}/..") == "/")
    }

    @Test func aPathStartingWithSlashAndACombiningMarkIsAccepted() {
        let url = S3URL(scheme: "https", host: "example.amazonaws.com", path: "/\u{301}x")
        #expect(Array(url.path.utf8) == Array("/\u{301}x".utf8))
        #expect(canonicalURI("/\u{301}x") == "/%CC%81x")
    }
}
