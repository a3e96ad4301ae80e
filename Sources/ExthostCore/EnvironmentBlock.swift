import Glibc

/// Reads a C `NAME=value` array (the process environment, FastCGI parameters) into a
/// dictionary; an entry without `=` is skipped, a repeated name keeps its last value.
public enum EnvironmentBlock {
    public static func dictionary(from block: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String: String] {
        var result: [String: String] = [:]
        guard var cursor = block else { return result }
        while let entry = cursor.pointee {
            // Bytes, not Characters: this runs for every parameter of every request.
            let length = strlen(entry)
            entry.withMemoryRebound(to: UInt8.self, capacity: length + 1) { bytes in
                guard let equals = memchr(bytes, 0x3D, length) else { return }
                let nameLength = bytes.distance(to: equals.assumingMemoryBound(to: UInt8.self))
                let name = String(decoding: UnsafeBufferPointer(start: bytes, count: nameLength), as: UTF8.self)
                let value = String(decoding: UnsafeBufferPointer(start: bytes + nameLength + 1, count: length - nameLength - 1), as: UTF8.self)
                result[name] = value
            }
            cursor += 1
        }
        return result
    }
}
