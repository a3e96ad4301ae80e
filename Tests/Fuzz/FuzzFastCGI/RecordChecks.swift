import FuzzSupport

/// FastCGI name-value pairs generated from the input, in the one-byte and four-byte length
/// forms and cut into records anywhere, come back from libfcgi and `EnvironmentBlock` as the
/// same parameters (the last of a repeated name wins).
enum RecordChecks {
    static func check(_ input: inout FuzzedInput) {
        var records = FastCGIRecords()
        // libfcgi puts the role from FCGI_BEGIN_REQUEST first; a pair of that name overrides it.
        var expected = ["FCGI_ROLE": "RESPONDER"]
        for _ in 0..<input.int(below: 8) {
            // A name holds no `=` (the C block splits there) and neither side a NUL (C strings).
            let name = input.bytes(upTo: 40).filter { $0 != 0 && $0 != UInt8(ascii: "=") }
            let value = input.bytes(upTo: 300).filter { $0 != 0 }
            records.addPair(name: name, value: value, longName: input.bool(), longValue: input.bool())
            expected[String(decoding: name, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
        }
        let bytes = records.finish(keepConnection: input.bool()) {
            (size: input.int(below: 4) == 0 ? Int.max : 1 + input.int(below: 64), padding: input.int(below: 8))
        }
        let parameters = LibFCGIRoundTrip.parameters(from: bytes)
        fuzzCheck(parameters == expected, "libfcgi read \(String(describing: parameters)) from records of \(expected)")
    }
}
