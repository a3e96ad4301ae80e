/// A C `NAME=value` array as libfcgi hands it over (`char **`, NULL-terminated), each string in
/// its own allocation of exactly its length plus the NUL, so that AddressSanitizer sees any read
/// past the end.
enum CParameterBlock {
    static func withBlock<Result>(
        _ entries: [ArraySlice<UInt8>], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Result
    ) -> Result {
        var pointers: [UnsafeMutablePointer<CChar>?] = entries.map { entry in
            let string = UnsafeMutablePointer<CChar>.allocate(capacity: entry.count + 1)
            for (offset, byte) in entry.enumerated() { string[offset] = CChar(bitPattern: byte) }
            string[entry.count] = 0
            return string
        }
        pointers.append(nil)
        defer { for pointer in pointers { pointer?.deallocate() } }
        return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    }
}
