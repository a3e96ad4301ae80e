import JSON

/// Turns `manifest.json` into a `Manifest`, or into a `ManifestError` listing every issue found.
///
/// Validation never stops at the first problem: each field is checked independently and all
/// issues are returned together, each with the JSON path of the offending value.
public enum ManifestValidator {
    /// Larger manifests are rejected before parsing (`MANIFEST_TOO_LARGE`).
    public static let maxManifestBytes = 1 << 20

    static let topLevelKeys = [
        "manifestVersion", "name", "publisher", "version", "runtime", "entry", "displayName", "description",
        "capabilities", "ui", "api", "assets", "precompiled", "sbom",
    ]

    /// Parses (strictly: duplicate keys, invalid UTF-8 and the like are issues too) and validates.
    public static func validate(_ bytes: UnsafeRawBufferPointer) throws(ManifestError) -> Manifest {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes, limits: JSONParseLimits(maxBytes: maxManifestBytes))
        } catch {
            throw .invalid([issue(for: error)])
        }
        return try validate(document)
    }

    public static func validate(_ bytes: some Collection<UInt8>) throws(ManifestError) -> Manifest {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(ManifestError) in try validate(UnsafeRawBufferPointer(buffer)) }
        }
        if let result { return try result.get() }
        return try validate(Array(bytes))
    }

    public static func validate(_ document: JSONValue) throws(ManifestError) -> Manifest {
        var reader = ManifestReader()
        let manifest = read(document, with: &reader)
        guard reader.issues.isEmpty, let manifest else { throw .invalid(reader.issues) }
        return manifest
    }

    private static func issue(for error: JSONParseError) -> ManifestIssue {
        switch error.reason {
        case .tooLarge(let limit):
            ManifestIssue(.root, ManifestIssue.Code.tooLarge, "manifest.json is larger than \(limit) bytes")
        case .duplicateKey:
            ManifestIssue(error.path, ManifestIssue.Code.duplicateKey, error.explanation + " at byte \(error.offset)")
        default:
            ManifestIssue(error.path, ManifestIssue.Code.invalidJSON, "manifest.json is not valid JSON: " + error.explanation + " at byte \(error.offset)")
        }
    }

    /// Every check, in the order of docs/manifest.md; nil when any failed.
    private static func read(_ document: JSONValue, with reader: inout ManifestReader) -> Manifest? {
        let root = JSONPath.root
        guard let object = reader.object(document, at: root) else { return nil }
        checkManifestVersion(object, with: &reader)
        let name = checked("name", in: object, with: &reader, code: ManifestIssue.Code.invalidName,
                           rule: "must be 1-63 lowercase letters, digits or '-', starting with a letter or digit",
                           ManifestSyntax.isName)
        let publisher = checked("publisher", in: object, with: &reader, code: ManifestIssue.Code.invalidPublisher,
                                rule: "must be 1-63 lowercase letters, digits, '-' or '.', starting with a letter or digit",
                                ManifestSyntax.isPublisher)
        let version = readVersion(object, with: &reader)
        let runtime = checked("runtime", in: object, with: &reader, code: ManifestIssue.Code.unsupportedRuntime,
                              rule: "must be \"\(Manifest.supportedRuntime)\"") { $0 == Manifest.supportedRuntime }
        let entry = readEntry(object, with: &reader)
        let displayName = readText("displayName", in: object, maxLength: 100, singleLine: true, with: &reader)
        let description = readText("description", in: object, maxLength: 1000, singleLine: false, with: &reader)
        let capabilities = readCapabilities(object, with: &reader)
        let ui = object["ui"].flatMap { readUI($0, at: root.appending("ui"), with: &reader) }
        let endpoints = object["api"].flatMap { readAPI($0, at: root.appending("api"), with: &reader) } ?? []
        let assets = readAssets(object, with: &reader)
        let sbom = reader.string("sbom", in: object, at: root, required: false)
        if let sbom { checkSafePath(sbom, at: root.appending("sbom"), with: &reader) }
        let precompiled = reader.object("precompiled", in: object, at: root, required: false)
        reader.rejectUnknownKeys(of: object, at: root, allowed: topLevelKeys)

        guard let name, let publisher, let version, let runtime else { return nil }
        return Manifest(
            name: name, publisher: publisher, version: version, runtime: runtime, entry: entry ?? Manifest.defaultEntry,
            capabilities: capabilities, ui: ui, endpoints: endpoints, assets: assets, precompiled: precompiled,
            sbom: sbom, description: description, displayName: displayName
        )
    }

    /// A required string member that must satisfy `isValid`; `rule` completes "`key` …" in the issue.
    static func checked(
        _ key: String, in object: JSONObject, at path: JSONPath = .root, with reader: inout ManifestReader,
        code: String, rule: String, _ isValid: (String) -> Bool
    ) -> String? {
        guard let text = reader.string(key, in: object, at: path, required: true) else { return nil }
        guard isValid(text) else {
            reader.add(path.appending(key), code, "\(key) \(rule); got \(ManifestSyntax.quoted(text))")
            return nil
        }
        return text
    }

    /// Records an `UNSAFE_PATH` issue unless `path` is a safe path relative to the bundle root.
    @discardableResult
    static func checkSafePath(_ path: String, at location: JSONPath, with reader: inout ManifestReader) -> Bool {
        guard let reason = ManifestSyntax.unsafePathReason(path) else { return true }
        reader.add(location, ManifestIssue.Code.unsafePath, "the path \(ManifestSyntax.quoted(path)) \(reason)")
        return false
    }

    private static func checkManifestVersion(_ object: JSONObject, with reader: inout ManifestReader) {
        guard let number = reader.number("manifestVersion", in: object, at: .root, required: false) else { return }
        guard number.intValue == Manifest.currentManifestVersion else {
            reader.add(JSONPath.root.appending("manifestVersion"), ManifestIssue.Code.unsupportedManifestVersion,
                       "manifestVersion must be \(Manifest.currentManifestVersion); got \(number.text)")
            return
        }
    }

    private static func readVersion(_ object: JSONObject, with reader: inout ManifestReader) -> SemanticVersion? {
        guard let text = reader.string("version", in: object, at: .root, required: true) else { return nil }
        switch SemanticVersion.parse(text) {
        case .success(let version):
            return version
        case .failure(let problem):
            reader.add(JSONPath.root.appending("version"), ManifestIssue.Code.invalidVersion,
                       "version \(ManifestSyntax.quoted(text)) is not a semantic version (semver.org): \(problem.reason)")
            return nil
        }
    }

    private static func readEntry(_ object: JSONObject, with reader: inout ManifestReader) -> String? {
        guard let entry = reader.string("entry", in: object, at: .root, required: false) else { return nil }
        let path = JSONPath.root.appending("entry")
        guard checkSafePath(entry, at: path, with: &reader) else { return nil }
        guard entry.hasSuffix(".wasm") else {
            reader.add(path, ManifestIssue.Code.invalidEntry, "entry must name a .wasm module; got \(ManifestSyntax.quoted(entry))")
            return nil
        }
        return entry
    }

    /// Free text: at most `maxLength` characters; when `singleLine`, non-empty and without control characters.
    private static func readText(
        _ key: String, in object: JSONObject, maxLength: Int, singleLine: Bool, with reader: inout ManifestReader
    ) -> String? {
        guard let text = reader.string(key, in: object, at: .root, required: false) else { return nil }
        let path = JSONPath.root.appending(key)
        if text.count > maxLength {
            reader.add(path, ManifestIssue.Code.tooLong, "\(key) is \(text.count) characters long; the limit is \(maxLength)")
        }
        if singleLine, text.allSatisfy(\.isWhitespace) || text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            reader.add(path, ManifestIssue.Code.invalidText, "\(key) must be a non-blank single line without control characters")
        }
        return text
    }

    private static func readCapabilities(_ object: JSONObject, with reader: inout ManifestReader) -> [Capability] {
        reader.uniqueStrings("capabilities", in: object, at: .root) { reader, text, path in
            guard let capability = Capability(rawValue: text) else {
                let known = Capability.allCases.map(\.rawValue).joined(separator: ", ")
                reader.add(path, ManifestIssue.Code.unknownCapability, "unknown capability \(ManifestSyntax.quoted(text)); known: \(known)")
                return nil
            }
            return capability
        }
    }

    private static func readAssets(_ object: JSONObject, with reader: inout ManifestReader) -> [String] {
        reader.uniqueStrings("assets", in: object, at: .root) { reader, path, location in
            checkSafePath(path, at: location, with: &reader) ? path : nil
        }
    }
}
