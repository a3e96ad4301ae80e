import FuzzSupport
import Runner

/// The fuzz body of `fuzz-abi`: the same bytes are read as a handler's response document and as
/// a guest's `http.fetch` host call, the two JSON documents the runner takes from guest code.
enum ABIFuzzing {
    static func run(_ data: UnsafeRawBufferPointer) {
        ResponseDocumentChecks.check(Array(data))
        ExtensionHost.fuzzFetchRequest(data)
    }
}
