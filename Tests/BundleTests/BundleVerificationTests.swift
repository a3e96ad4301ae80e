import Bundle
import Cryptography
import ExthostCore
import Foundation
import JSON
import Testing

/// Bundles packed from temporary trees and scanned exactly as `exthost verify` and finalize
/// scan them.
enum VerificationBundles {
    static let manifest = """
        {"name":"hello","publisher":"acme","version":"1.0.0","runtime":"exthost-wasm@1",
         "ui":{"type":"iframe"},
         "api":{"endpoints":[{"method":"GET","path":"/hello/:name","handler":"hello"}]}}
        """
    static let files = ["manifest.json": manifest, "dist/main.wasm": "\u{0}asm\u{1}\u{0}\u{0}\u{0}", "ui/index.html": "<p>hi</p>"]

    /// Packs `files` with `BundlePacker.pack(directory:toFile:)` and scans the result; also
    /// returns the bundle's bytes.
    static func scan(_ files: [String: String] = files) throws -> (BundleScan, [UInt8]) {
        let scratch = try TemporaryDirectory()
        let source = try scratch.makeTree("src", files)
        let bundle = scratch.path + "/bundle.tar.zst"
        _ = try BundlePacker.pack(directory: source, toFile: bundle)
        return (try BundleReader.scan(fromFile: bundle), Array(try Data(contentsOf: URL(fileURLWithPath: bundle))))
    }

    static let valid = try! scan().0
}

/// One way a signature of the valid bundle can be wrong, and the code it must be refused with.
enum SignatureFault: String, CaseIterable, Sendable {
    case missing, untrusted, expired, signerMismatch, overAnotherHash, algorithmMismatch

    var expectedCode: String {
        switch self {
        case .missing: "SIGNATURE_REQUIRED"
        case .untrusted: "SIGNER_UNTRUSTED"
        case .expired: "CERTIFICATE_EXPIRED"
        case .signerMismatch: "SIGNER_MISMATCH"
        case .overAnotherHash: "SIGNATURE_INVALID"
        case .algorithmMismatch: "SIGNATURE_ALGORITHM_MISMATCH"
        }
    }

    /// The faults that do not depend on trust, so they are refused without a trust store too.
    static let refusedWithoutTrustStore: [SignatureFault] = [.signerMismatch, .overAnotherHash, .algorithmMismatch]

    /// The policy this fault is checked under when a trust store is configured.
    var policy: SignaturePolicy {
        self == .untrusted ? SigningFixtures.trustingOtherCA : SigningFixtures.trustingCA
    }

    /// The faulty signature for `hash`, and the time to evaluate it at.
    func signature(for hash: ContentHash) throws -> (BundleSignature?, now: Int64) {
        typealias F = SigningFixtures
        let key = F.ed25519Key
        switch self {
        case .missing:
            return (nil, F.now)
        case .untrusted:
            return (try BundleSignature.sign(hash, key: key, certificate: try F.issued()), F.now)
        case .expired:
            let certificate = try F.issued(days: 1)
            return (try BundleSignature.sign(hash, key: key, certificate: certificate), certificate.notAfter + 60)
        case .signerMismatch:
            return (try BundleSignature.sign(hash, key: key, certificate: try F.issued("mallory")), F.now)
        case .overAnotherHash:
            return (try BundleSignature.sign(F.otherHash, key: key, certificate: try F.issued()), F.now)
        case .algorithmMismatch:
            let bytes = try key.sign(BundleSignature.message(for: hash), algorithm: .ed25519)
            return (BundleSignature(algorithm: .ecdsaP256SHA256, signature: bytes, certificate: try F.issued()), F.now)
        }
    }
}

@Suite struct BundleVerificationTests {
    typealias F = SigningFixtures
    let scan = VerificationBundles.valid

    @Test func anUnsignedBundleIsAcceptedWithoutATrustStore() throws {
        let (scan, bytes) = try VerificationBundles.scan()
        let verdict = BundleVerification(scan: scan, signature: nil, policy: F.withoutTrustStore, now: F.now)
        #expect(verdict.isAcceptable)
        #expect(verdict.rejection == nil)
        #expect(verdict.manifest?.extensionId == "acme.hello")
        #expect(verdict.manifestIssues.isEmpty)
        #expect(verdict.signatureChecked)
        #expect(verdict.signer == nil && verdict.signatureError == nil)
        #expect(verdict.contentHash.description == SHA256.hash(bytes).description)

        let json = verdict.jsonValue
        #expect(json["ok"] == .bool(true))
        #expect(json["contentHash"] == .string(verdict.contentHash.description))
        #expect(json["size"]?.intValue == bytes.count)
        #expect(json["entries"]?.intValue == scan.entries.count)
        #expect(json["manifest"]?["publisher"] == .string("acme"))
        #expect(json["manifestIssues"] == .array([]))
        #expect(json["signature"] == .object([("checked", .bool(true)), ("signed", .bool(false))]))
    }

    @Test(arguments: SignatureAlgorithm.allCases)
    func aTrustedSignatureIsAccepted(algorithm: SignatureAlgorithm) throws {
        let key = F.key(for: algorithm)
        let certificate = try F.issued(key: key)
        let signature = try BundleSignature.sign(scan.contentHash, key: key, certificate: certificate, algorithm: algorithm)
        let verdict = BundleVerification(scan: scan, signature: signature, policy: F.trustingCA, now: F.now)
        #expect(verdict.isAcceptable)
        #expect(verdict.signer?.commonName == "acme")
        #expect(verdict.signer?.trusted == true)
        #expect(verdict.signer?.algorithm == algorithm)
        #expect(verdict.jsonValue["signature"] == .object([
            ("checked", .bool(true)), ("signer", .string("acme")), ("algorithm", .string(algorithm.rawValue)),
            ("certificateFingerprint", .string("sha256:" + certificate.fingerprintSHA256.hex)), ("trusted", .bool(true)),
        ]))
    }

    @Test func aGoodSignatureWithoutATrustStoreIsValidButNotTrusted() throws {
        let signature = try BundleSignature.sign(scan.contentHash, key: F.ed25519Key, certificate: try F.issued())
        let verdict = BundleVerification(scan: scan, signature: signature, policy: F.withoutTrustStore, now: F.now)
        #expect(verdict.isAcceptable)
        #expect(verdict.signer?.trusted == false)
    }

    @Test(arguments: SignatureFault.allCases)
    func everySignatureFaultIsRefusedWithItsCode(fault: SignatureFault) throws {
        let (signature, now) = try fault.signature(for: scan.contentHash)
        let verdict = BundleVerification(scan: scan, signature: signature, policy: fault.policy, now: now)
        expectRefused(verdict, code: fault.expectedCode)
    }

    @Test(arguments: SignatureFault.refusedWithoutTrustStore)
    func aPresentButBadSignatureIsRefusedEvenWithoutATrustStore(fault: SignatureFault) throws {
        let (signature, now) = try fault.signature(for: scan.contentHash)
        let verdict = BundleVerification(scan: scan, signature: signature, policy: F.withoutTrustStore, now: now)
        expectRefused(verdict, code: fault.expectedCode)
    }

    @Test func aSignatureOfOneBundleDoesNotCoverAnother() throws {
        var changed = VerificationBundles.files
        changed["ui/index.html"] = "<p>ho</p>"
        let (other, _) = try VerificationBundles.scan(changed)
        #expect(other.contentHash != scan.contentHash)
        let signature = try BundleSignature.sign(scan.contentHash, key: F.p256Key, certificate: try F.issued(key: F.p256Key))
        #expect(BundleVerification(scan: scan, signature: signature, policy: F.trustingCA, now: F.now).isAcceptable)
        expectRefused(BundleVerification(scan: other, signature: signature, policy: F.trustingCA, now: F.now), code: "SIGNATURE_INVALID")
    }

    @Test func signingWithAKeyThatIsNotTheCertificatesFails() throws {
        #expect(throws: BundleSignatureError.keyDoesNotMatchCertificate) {
            try BundleSignature.sign(scan.contentHash, key: F.p256Key, certificate: try F.issued(key: F.ed25519Key))
        }
    }

    @Test func manifestIssuesStopBeforeTheSignatureIsChecked() throws {
        var files = VerificationBundles.files
        files["manifest.json"] = #"{"name":"Hello","publisher":"acme","version":"1.0","runtime":"exthost-wasm@1","extra":true}"#
        let (scan, _) = try VerificationBundles.scan(files)
        let badSignature = try SignatureFault.overAnotherHash.signature(for: scan.contentHash).0
        for (signature, policy) in [(nil, F.trustingCA), (badSignature, F.trustingCA), (badSignature, F.withoutTrustStore)] {
            let verdict = BundleVerification(scan: scan, signature: signature, policy: policy, now: F.now)
            #expect(!verdict.isAcceptable)
            #expect(verdict.manifest == nil)
            #expect(verdict.manifestIssues.map(\.path).sorted() == ["extra", "name", "version"])
            #expect(!verdict.signatureChecked)
            #expect(verdict.signatureError == nil && verdict.signer == nil)
            #expect(verdict.rejection?.code == "MANIFEST_INVALID")
            #expect(verdict.rejection?.message.contains("3 issues") == true)
            let json = verdict.jsonValue
            #expect(json["ok"] == .bool(false))
            #expect(json["manifest"] == .null)
            #expect(json["manifestIssues"]?.arrayValue?.compactMap { $0["path"]?.stringValue }.sorted() == ["extra", "name", "version"])
            #expect(json["signature"] == .object([("checked", .bool(false))]))
        }
    }

    @Test func filesTheManifestNamesMustBeInTheBundle() throws {
        let (scan, _) = try VerificationBundles.scan(["manifest.json": VerificationBundles.manifest])
        let verdict = BundleVerification(scan: scan, signature: nil, policy: F.trustingCA, now: F.now)
        #expect(verdict.manifest == nil)
        #expect(verdict.manifestIssues.map { "\($0.path) \($0.code)" } == ["entry ENTRY_MISSING", "ui.entry UI_ENTRY_MISSING"])
        #expect(!verdict.signatureChecked)
        #expect(verdict.rejection?.code == "MANIFEST_INVALID")
    }

    @Test func aManifestWithoutEndpointsNeedsNoWasm() throws {
        let manifest = #"{"name":"static","publisher":"acme","version":"0.1.0","runtime":"exthost-wasm@1","ui":{"type":"iframe"}}"#
        let (scan, _) = try VerificationBundles.scan(["manifest.json": manifest, "ui/index.html": "<p/>"])
        #expect(BundleVerification(scan: scan, signature: nil, policy: F.withoutTrustStore, now: F.now).isAcceptable)
    }

    private func expectRefused(_ verdict: BundleVerification, code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!verdict.isAcceptable, sourceLocation: sourceLocation)
        #expect(verdict.manifest != nil && verdict.manifestIssues.isEmpty, sourceLocation: sourceLocation)
        #expect(verdict.signatureChecked, sourceLocation: sourceLocation)
        #expect(verdict.signer == nil, sourceLocation: sourceLocation)
        #expect(verdict.signatureError?.code == code, sourceLocation: sourceLocation)
        #expect(verdict.rejection?.code == code, sourceLocation: sourceLocation)
        #expect(verdict.rejection?.status.code == 422, sourceLocation: sourceLocation)
        let json = verdict.jsonValue
        #expect(json["ok"] == .bool(false), sourceLocation: sourceLocation)
        #expect(json["signature"]?["checked"] == .bool(true), sourceLocation: sourceLocation)
        #expect(json["signature"]?["error"]?["code"] == .string(code), sourceLocation: sourceLocation)
        #expect(json["signature"]?["error"]?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    }
}
