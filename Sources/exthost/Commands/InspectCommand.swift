import ArgumentParser
import Bundle
import JSON

/// `exthost inspect`: what a bundle holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a bundle's content hash, size, entries and manifest.",
        discussion: "  exthost inspect bundle.tar.zst\n  exthost inspect bundle.tar.zst --json"
    )

    @Argument(help: "The bundle to inspect.")
    var bundle: String

    @Flag(help: "Machine-readable output.")
    var json = false

    func run() throws {
        let scan = try cliAttempt("\(bundle) is not a valid bundle") { try BundleReader.scan(fromFile: bundle) }
        let manifestResult = Result { () throws(ManifestError) -> Manifest in try ManifestValidator.validate(scan.manifest) }
        if json {
            let entries = scan.entries.map { entry in
                JSONValue.object([
                    ("path", .string(entry.path)),
                    ("type", .string(entry.kind == .directory ? "directory" : "file")),
                    ("size", .number(entry.size)),
                    ("mode", .string(String(entry.mode, radix: 8))),
                ])
            }
            var manifestValue: JSONValue = .null
            var issues: [JSONValue] = []
            switch manifestResult {
            case .success(let manifest): manifestValue = manifest.jsonValue
            case .failure(let error): issues = error.issues.map(\.jsonValue)
            }
            let value = JSONValue.object([
                ("contentHash", .string(scan.contentHash.description)),
                ("size", .number(scan.compressedSize)),
                ("fileBytes", .number(scan.fileBytes)),
                ("entries", .array(entries)),
                ("manifest", manifestValue),
                ("manifestIssues", .array(issues)),
            ])
            print(value.serialized(.pretty))
            return
        }
        print("content hash  \(scan.contentHash)")
        print("size          \(scan.compressedSize) bytes compressed, \(scan.fileBytes) bytes of files")
        print("entries       \(scan.entries.count)")
        for entry in scan.entries {
            let mode = String(entry.mode, radix: 8)
            let size = entry.kind == .directory ? "-" : String(entry.size)
            print("  \(mode)  \(String(repeating: " ", count: max(0, 10 - size.count)))\(size)  \(entry.path)\(entry.kind == .directory ? "/" : "")")
        }
        switch manifestResult {
        case .success(let manifest):
            print("manifest")
            for line in manifest.summary.split(separator: "\n") { print("  \(line)") }
        case .failure(let error):
            print("manifest      INVALID")
            printIssues(error.issues)
        }
    }
}
