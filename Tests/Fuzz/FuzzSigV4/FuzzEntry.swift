// Placeholder until the fuzz target is written.
#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { 0 }
#else
import FuzzSupport

@main enum Replay {
    static func main() { CorpusReplay.run { _ in } }
}
#endif
