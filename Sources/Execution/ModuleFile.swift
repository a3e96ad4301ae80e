import Glibc

/// Reads a module binary from the content-hash tree in fixed-size chunks, refusing one over
/// `maxBytes` before holding more than that.
enum ModuleFile {
    static func read(_ path: String, maxBytes: Int) throws(ExecutionError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .moduleUnavailable("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .moduleUnavailable("cannot read \(path): errno \(errno)")
            }
            if count == 0 { return bytes }
            guard bytes.count + count <= maxBytes else { throw .moduleInvalid(["the module is over \(maxBytes >> 20) MiB"]) }
            bytes += chunk[..<count]
        }
    }
}
