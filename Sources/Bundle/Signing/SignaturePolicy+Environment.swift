import Cryptography
import ExthostCore
import Glibc

/// A `SIGNING_TRUST_BUNDLE` that names a file the process cannot use: it must not start,
/// rather than accept unsigned bundles (fail closed).
public enum TrustBundleError: HTTPError, Equatable {
    case unreadable(path: String, reason: String)

    public var status: HTTPStatus { .internalServerError }
    public var code: String { "TRUST_BUNDLE_UNREADABLE" }
    public var message: String {
        switch self {
        case .unreadable(let path, let reason): "SIGNING_TRUST_BUNDLE \(path) cannot be used: \(reason)"
        }
    }
}

extension SignaturePolicy {
    /// The largest trust bundle read: a PEM file of a few hundred certificates.
    public static let maxTrustBundleBytes = 4 << 20

    /// The policy every process applies (exthost-api's finalize, exthost-cachefill): a trusted
    /// signature required when `SIGNING_TRUST_BUNDLE` names a PEM file, none otherwise.
    public init(environment: [String: String]) throws(TrustBundleError) {
        guard let path = environment["SIGNING_TRUST_BUNDLE"], !path.isEmpty else {
            self.init(trustStore: nil)
            return
        }
        let pem: String
        do {
            pem = try Self.readTrustBundle(path)
        } catch {
            throw .unreadable(path: path, reason: error.message)
        }
        do {
            self.init(trustStore: try TrustStore(pem: pem))
        } catch {
            throw .unreadable(path: path, reason: "\(error.code): \(error.message)")
        }
    }

    private static func readTrustBundle(_ path: String) throws(FileSystemError) -> String {
        let file = try File.open(path)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let result = chunk.withUnsafeMutableBytes { buffer in Result { () throws(FileSystemError) in try file.read(into: buffer) } }
            let count = try result.get()
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[..<count]
            guard bytes.count <= maxTrustBundleBytes else {
                throw FileSystemError("read", path: path, errorNumber: EFBIG)
            }
        }
    }
}
