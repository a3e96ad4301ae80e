/// Reads a C `NAME=value` array (the process environment, FastCGI parameters) into a
/// dictionary; an entry without `=` is skipped, a repeated name keeps its last value.
public enum EnvironmentBlock {
    public static func dictionary(from block: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String: String] {
        var result: [String: String] = [:]
        guard var cursor = block else { return result }
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }
}
