import Cryptography
import ExthostCore
import JSON

/// The verdict on one bundle: its structure, its manifest and its signature, each checked and
/// reported on its own so a caller can show every problem at once.
///
/// The one place that decides whether a bundle is acceptable: `exthost verify`, `exthost
/// sign`, finalize and cachefill all build a `BundleVerification` from a `BundleScan`.
public struct BundleVerification: Sendable {
    public let scan: BundleScan
    /// The validated manifest, nil when it has issues.
    public let manifest: Manifest?
    /// Every manifest issue, including files the manifest names but the bundle lacks.
    public let manifestIssues: [ManifestIssue]
    /// Who signed; nil for an unsigned bundle accepted without a trust store.
    public let signer: SignaturePolicy.Signer?
    /// Why the signature was refused; nil when it was accepted (or not checked because the
    /// manifest, which names the publisher, is invalid).
    public let signatureError: BundleSignatureError?
    public let signatureChecked: Bool

    /// Checks the manifest of `scan`, then the signature against `policy` at `now` (seconds
    /// since the epoch).
    public init(scan: BundleScan, signature: BundleSignature?, policy: SignaturePolicy, now: Int64) {
        self.scan = scan
        var issues: [ManifestIssue] = []
        var manifest: Manifest?
        do {
            let parsed = try ManifestValidator.validate(scan.manifest)
            issues = parsed.bundleIssues(entryPaths: Set(scan.entries.map(\.path)))
            manifest = issues.isEmpty ? parsed : nil
        } catch {
            if case .invalid(let found) = error { issues = found }
        }
        self.manifest = manifest
        manifestIssues = issues
        guard let manifest else {
            signer = nil
            signatureError = nil
            signatureChecked = false
            return
        }
        signatureChecked = true
        do {
            signer = try policy.evaluate(signature, contentHash: scan.contentHash, publisher: manifest.publisher, now: now)
            signatureError = nil
        } catch {
            signer = nil
            signatureError = error
        }
    }

    public var contentHash: ContentHash { scan.contentHash }
    public var isAcceptable: Bool { manifest != nil && signatureError == nil }

    /// The first reason the bundle is refused, as the API reports it (422 with every manifest
    /// issue listed), or nil when it is acceptable.
    public var rejection: (any HTTPError)? {
        if !manifestIssues.isEmpty { return ManifestError.invalid(manifestIssues) }
        return signatureError
    }

    public var jsonValue: JSONValue {
        var signature: [(String, JSONValue)] = [("checked", .bool(signatureChecked))]
        if let signer {
            signature += [
                ("signer", .string(signer.commonName)), ("algorithm", .string(signer.algorithm.rawValue)),
                ("certificateFingerprint", .string(signer.certificateFingerprint)), ("trusted", .bool(signer.trusted)),
            ]
        } else if let signatureError {
            signature += [("error", .object([("code", .string(signatureError.code)), ("message", .string(signatureError.message))]))]
        } else if signatureChecked {
            signature.append(("signed", .bool(false)))
        }
        return .object([
            ("ok", .bool(isAcceptable)),
            ("contentHash", .string(contentHash.description)),
            ("size", .number(scan.compressedSize)),
            ("entries", .number(scan.entries.count)),
            ("manifest", manifest?.jsonValue ?? .null),
            ("manifestIssues", .array(manifestIssues.map(\.jsonValue))),
            ("signature", .object(signature)),
        ])
    }
}
