import ExthostCore
import HTTPClient

/// The bundle store a process uses, chosen by `EXTHOST_BUNDLE_STORE` (DESIGN §6, §9).
///
/// `s3` reads the `STORAGE_S3_*` settings; `file` keeps the same layout under
/// `EXTHOST_BUNDLE_DIR` (default `/var/lib/exthost/bundles`) and signs its upload URLs with
/// `EXTHOST_UPLOAD_SIGNING_KEY` (64 hex digits) for `RUNNER_PUBLIC_BASE`. Unset, the store is
/// `s3` when `STORAGE_S3_BUCKET` is set and `file` otherwise. Anything missing or inconsistent
/// is an error at start, never a silent fallback.
public enum BundleStoreSelection {
    /// The transfer buffer of the S3 client: bounded memory per request whatever the bundle size.
    public static let bufferSize = 256 << 10

    public static let defaultDirectory = "/var/lib/exthost/bundles"

    /// `s3` or `file` (or whatever unknown value was configured, which `make` refuses).
    public static func kind(environment: [String: String]) -> String {
        if let chosen = environment["EXTHOST_BUNDLE_STORE"], !chosen.isEmpty { return chosen }
        return (environment["STORAGE_S3_BUCKET"] ?? "").isEmpty ? "file" : "s3"
    }

    public static func make(environment: [String: String]) throws -> any BundleStore {
        switch kind(environment: environment) {
        case "s3":
            let configuration = try S3Configuration(environment: environment)
            let http = HTTPClient(configuration: .init(caFile: configuration.caFile, receiveBufferSize: bufferSize, uploadBufferSize: bufferSize))
            return S3BundleStore(client: S3Client(configuration: configuration, http: http))
        case "file":
            let root = environment["EXTHOST_BUNDLE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultDirectory
            guard root.hasPrefix("/") else {
                throw BundleStoreError.misconfigured(operation: "select", reason: "EXTHOST_BUNDLE_STORE=file needs EXTHOST_BUNDLE_DIR to be an absolute path")
            }
            guard let keyText = environment["EXTHOST_UPLOAD_SIGNING_KEY"], let key = Hex.decode(keyText), key.count >= 32 else {
                throw BundleStoreError.misconfigured(operation: "select", reason: "EXTHOST_BUNDLE_STORE=file needs EXTHOST_UPLOAD_SIGNING_KEY (at least 64 hex digits)")
            }
            guard let publicBase = environment["RUNNER_PUBLIC_BASE"], publicBase.hasPrefix("https://") || publicBase.hasPrefix("http://") else {
                throw BundleStoreError.misconfigured(operation: "select", reason: "EXTHOST_BUNDLE_STORE=file needs RUNNER_PUBLIC_BASE (the public https URL)")
            }
            let base = environment["BUNDLE_STORE_BASE"].flatMap { $0.isEmpty ? nil : $0 } ?? "sha256/"
            guard S3Configuration.isValidBase(base) else {
                throw BundleStoreError.misconfigured(operation: "select", reason: "BUNDLE_STORE_BASE must be a relative prefix ending in /")
            }
            return try FileBundleStore(root: root, publicBase: publicBase, signingKey: key, keyPolicy: BundleKeyPolicy(base: base))
        case let other:
            throw BundleStoreError.misconfigured(operation: "select", reason: "EXTHOST_BUNDLE_STORE is '\(other)'; use s3 or file")
        }
    }
}
