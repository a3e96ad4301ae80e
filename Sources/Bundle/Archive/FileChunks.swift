extension File {
    /// Reads the file to its end in chunks of `size` bytes from one reused buffer, handing each
    /// to `body` until it returns false.
    func forEachChunk(size: Int, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try read(into: buffer)
            if count == 0 { return }
            guard try body(UnsafeRawBufferPointer(rebasing: buffer[..<count])) else { return }
        }
    }
}
