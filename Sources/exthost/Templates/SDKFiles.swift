import Glibc

/// The SDK files a new project carries (sdk/c/exthost.h, sdk/c/exthost_json.h,
/// sdk/js/exthost-bridge.js), read from the one copy there is, so a project never holds a stale
/// SDK: `EXTHOST_SDK_DIR`, else `<prefix>/share/exthost/sdk` next to an installed binary
/// (`scripts/install` puts it there), else the source tree's `sdk/` when the binary runs from
/// `.build/`.
///
/// Invariant: a directory counts only when it holds `c/exthost.h`; none found is an error that
/// says where it looked and how to point at one.
struct SDKFiles {
    let directory: String

    static let environmentVariable = "EXTHOST_SDK_DIR"

    static func locate(environment: [String: String]) throws -> SDKFiles {
        var candidates: [String] = []
        if let configured = environment[environmentVariable], !configured.isEmpty { candidates.append(configured) }
        if let binaryDirectory = executableDirectory() {
            // P/bin/exthost → P/share/exthost/sdk; .build/<triple>/release/exthost → sdk/
            candidates += [binaryDirectory + "/../share/exthost/sdk", binaryDirectory + "/../../../sdk", binaryDirectory + "/../../sdk"]
        }
        guard let found = candidates.first(where: { LocalFiles.exists($0 + "/c/exthost.h") }) else {
            throw CLIError("the exthost SDK files are not found (looked in \(candidates.joined(separator: ", "))); set \(environmentVariable) to the sdk/ directory of an exthost checkout or install")
        }
        return SDKFiles(directory: found)
    }

    /// `relative` under the SDK directory, e.g. `c/exthost.h`.
    func text(_ relative: String) throws -> String {
        try LocalFiles.readText(directory + "/" + relative)
    }

    private static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }
}
