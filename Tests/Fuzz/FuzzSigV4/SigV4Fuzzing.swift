import FuzzSupport

/// The fuzz body of `fuzz-sigv4`: one input becomes one request to sign (see `SigV4Case`), which
/// goes through canonicalization, presigning and the file store's own URL signatures.
enum SigV4Fuzzing {
    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzedInput(data)
        let request = SigV4Case(&input)
        CanonicalRequestChecks.check(request)
        PresignChecks.check(request)
        FileURLSignatureChecks.check(&input)
    }
}
