import Cryptography
import ExthostCore
import Foundation
import Testing

/// Trust decisions: CA chains, pinned certificates, validity periods, key usage, bad bundles.
@Suite struct TrustStoreTests {
    var now: Int64 { Int64(Date().timeIntervalSince1970) }
    let caKey = Fixtures.p256Key
    let ca: Certificate
    let leaf: Certificate

    init() throws {
        ca = try Certificate.selfSigned(commonName: "Dev CA", key: caKey, days: 30, isCA: true)
        leaf = try Certificate.issue(commonName: "acme", publicKey: Fixtures.ed25519Key.publicKey, issuerCert: ca, issuerKey: caKey, days: 10)
    }

    /// Runs `body` and returns the code of the `SignerError` it throws, or "none".
    func code(_ body: () throws(SignerError) -> Void) -> String {
        do {
            try body()
            return "none"
        } catch {
            #expect(error.status.code == 422)
            #expect(!error.message.isEmpty)
            return error.code
        }
    }

    @Test func caIssuedLeafIsTrusted() throws {
        let store = try TrustStore(pem: ca.pem)
        try store.verify(certificate: leaf, at: now)
        try store.verify(certificate: leaf, at: leaf.notBefore)
        try store.verify(certificate: leaf, at: leaf.notAfter - 1)
        #expect(leaf.isValid(at: leaf.notBefore) && leaf.isValid(at: leaf.notAfter - 1) && !leaf.isValid(at: leaf.notAfter))
        #expect(!store.pins(leaf))
    }

    @Test func pinnedSelfSignedPublisherIsTrusted() throws {
        let publisher = try Certificate.selfSigned(commonName: "acme", key: Fixtures.rsaKey, days: 3, isCA: false)
        let store = try TrustStore(pem: ca.pem + publisher.pem)
        #expect(store.pins(publisher) && store.certificates.count == 2)
        try store.verify(certificate: publisher, at: now)
        #expect(code { () throws(SignerError) in try store.verify(certificate: publisher, at: publisher.notAfter + 1) } == "CERTIFICATE_EXPIRED")
    }

    @Test func unrelatedCertificatesAreUntrusted() throws {
        let store = try TrustStore(pem: ca.pem)
        let stranger = try Certificate.selfSigned(commonName: "acme", key: Fixtures.ed25519Key, days: 3, isCA: false)
        #expect(throws: SignerError.certificateUntrusted(subject: "CN=acme", reason: "self-signed certificate")) {
            try store.verify(certificate: stranger, at: now)
        }
        let otherCA = try Certificate.selfSigned(commonName: "Other CA", key: Fixtures.otherP256Key, days: 30, isCA: true)
        let foreignLeaf = try Certificate.issue(commonName: "acme", publicKey: Fixtures.ed25519Key.publicKey,
                                                issuerCert: otherCA, issuerKey: Fixtures.otherP256Key, days: 3)
        #expect(throws: SignerError.certificateUntrusted(subject: "CN=acme", reason: "unable to get local issuer certificate")) {
            try store.verify(certificate: foreignLeaf, at: now)
        }
        // A certificate with the CA's name but another key does not pass for the CA.
        let impostorCA = try Certificate.selfSigned(commonName: "Dev CA", key: Fixtures.otherP256Key, days: 30, isCA: true)
        let impostorLeaf = try Certificate.issue(commonName: "acme", publicKey: Fixtures.ed25519Key.publicKey,
                                                 issuerCert: impostorCA, issuerKey: Fixtures.otherP256Key, days: 3)
        #expect(code { () throws(SignerError) in try store.verify(certificate: impostorLeaf, at: now) } == "CERTIFICATE_UNTRUSTED")
        #expect(code { () throws(SignerError) in try store.verify(certificate: impostorLeaf, untrustedChain: [impostorCA], at: now) } == "CERTIFICATE_UNTRUSTED")
    }

    @Test func validityPeriodsAreChecked() throws {
        let store = try TrustStore(pem: ca.pem)
        #expect(throws: SignerError.certificateExpired(subject: "CN=acme", notAfter: leaf.notAfter)) {
            try store.verify(certificate: leaf, at: leaf.notAfter + 1)
        }
        // The CA was made in the same second, so either may be named: OpenSSL checks from the top.
        #expect(code { () throws(SignerError) in try store.verify(certificate: leaf, at: leaf.notBefore - 1) } == "CERTIFICATE_NOT_YET_VALID")
        let pinned = try Certificate.selfSigned(commonName: "acme", key: Fixtures.ed25519Key, days: 3, isCA: false)
        #expect(throws: SignerError.certificateNotYetValid(subject: "CN=acme", notBefore: pinned.notBefore)) {
            try TrustStore(pem: pinned.pem).verify(certificate: pinned, at: pinned.notBefore - 1)
        }
        // The CA's own period counts too: a leaf outliving its CA is expired once the CA is.
        let shortCA = try Certificate.selfSigned(commonName: "Short CA", key: caKey, days: 1, isCA: true)
        let longLeaf = try Certificate.issue(commonName: "acme", publicKey: Fixtures.ed25519Key.publicKey,
                                             issuerCert: shortCA, issuerKey: caKey, days: 20)
        #expect(throws: SignerError.certificateExpired(subject: "CN=Short CA", notAfter: shortCA.notAfter)) {
            try TrustStore(pem: shortCA.pem).verify(certificate: longLeaf, at: shortCA.notAfter + 1)
        }
    }

    @Test func cliMadeCertificatesWork() throws {
        let cli = try OpenSSLCLI()
        try cli.succeed(["req", "-x509", "-newkey", "ed25519", "-subj", "/CN=acme", "-nodes", "-keyout", "acme.key", "-out", "acme.pem"])
        let acme = try Certificate(pem: try cli.readText("acme.pem"))
        #expect(acme.subjectCommonName == "acme")
        try TrustStore(pem: try cli.readText("acme.pem")).verify(certificate: acme, at: now)
        #expect(code { () throws(SignerError) in try TrustStore(pem: ca.pem).verify(certificate: acme, at: now) } == "CERTIFICATE_UNTRUSTED")

        // Root (no keyUsage, as `req -x509` makes it) → intermediate → version 1 leaf.
        try cli.succeed(["req", "-x509", "-newkey", "ed25519", "-subj", "/CN=Root", "-nodes", "-keyout", "root.key", "-out", "root.pem"])
        try cli.succeed(["req", "-new", "-newkey", "ed25519", "-subj", "/CN=Intermediate", "-nodes", "-keyout", "int.key", "-out", "int.csr"])
        try cli.write("int.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        try cli.succeed(["x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-extfile", "int.ext", "-out", "int.pem"])
        try cli.succeed(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-subj", "/CN=acme", "-nodes",
                         "-keyout", "leaf.key", "-out", "leaf.csr"])
        try cli.succeed(["x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int.key", "-out", "leaf.pem"])
        let root = try cli.readText("root.pem")
        let intermediate = try Certificate(pem: try cli.readText("int.pem"))
        let cliLeaf = try Certificate(pem: try cli.readText("leaf.pem"))
        try TrustStore(pem: root).verify(certificate: cliLeaf, untrustedChain: [intermediate], at: now)
        try TrustStore(pem: intermediate.pem).verify(certificate: cliLeaf, at: now)
        #expect(code { () throws(SignerError) in try TrustStore(pem: root).verify(certificate: cliLeaf, at: now) } == "CERTIFICATE_UNTRUSTED")
    }

    @Test func keyUsageMustAllowCodeSigning() throws {
        let cli = try OpenSSLCLI()
        let cases: [(extensions: [String], code: String)] = [
            (["keyUsage=keyCertSign"], "CERTIFICATE_KEY_USAGE"),
            (["extendedKeyUsage=serverAuth"], "CERTIFICATE_KEY_USAGE"),
            (["keyUsage=digitalSignature", "extendedKeyUsage=serverAuth,clientAuth"], "CERTIFICATE_KEY_USAGE"),
            (["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=codeSigning"], "none"),
            (["keyUsage=critical,digitalSignature,keyCertSign", "extendedKeyUsage=anyExtendedKeyUsage"], "none"),
        ]
        for (index, testCase) in cases.enumerated() {
            let name = "ku\(index).pem"
            try cli.succeed(["req", "-x509", "-newkey", "ed25519", "-subj", "/CN=acme", "-nodes", "-keyout", "ku.key", "-out", name]
                            + testCase.extensions.flatMap { ["-addext", $0] })
            let text = try cli.readText(name)
            let certificate = try Certificate(pem: text)
            let store = try TrustStore(pem: text)
            #expect(code { () throws(SignerError) in try store.verify(certificate: certificate, at: now) } == testCase.code, "\(testCase.extensions)")
        }
        // Issued leaves carry digitalSignature, the dev CA only keyCertSign and cRLSign.
        #expect(code { () throws(SignerError) in try TrustStore(pem: ca.pem).verify(certificate: ca, at: now) } == "CERTIFICATE_KEY_USAGE")
    }

    @Test func unusableBundlesFailClosed() throws {
        var lines = ca.pem.split(separator: "\n").map(String.init)
        lines[3] = String(lines[3].reversed())
        let corrupt = lines.joined(separator: "\n") + "\n"
        for bundle in ["", "\n\n", "not PEM at all", Fixtures.rsaKey.publicKey.pem, corrupt, ca.pem + corrupt] {
            #expect(code { () throws(SignerError) in _ = try TrustStore(pem: bundle) } == "TRUST_BUNDLE_INVALID")
        }
        #expect(throws: SignerError.trustBundleInvalid(reason: "it holds no certificate")) { try TrustStore(certificates: []) }
    }

    @Test func errorsHaveStableCodesAndReadableMessages() {
        let expired = SignerError.certificateExpired(subject: "CN=acme", notAfter: 951_782_400)
        #expect(expired.message == "certificate CN=acme expired at 2000-02-29T00:00:00Z")
        #expect(SignerError.certificateNotYetValid(subject: "CN=a", notBefore: -1).message.hasSuffix("1969-12-31T23:59:59Z"))
        let all: [SignerError] = [
            .certificateInvalid(reason: "r"), .certificateUntrusted(subject: "s", reason: "r"), expired,
            .certificateNotYetValid(subject: "s", notBefore: 0), .certificateKeyUsage(subject: "s", reason: "r"),
            .trustBundleInvalid(reason: "r"),
        ]
        #expect(all.map(\.code) == ["CERTIFICATE_INVALID", "CERTIFICATE_UNTRUSTED", "CERTIFICATE_EXPIRED",
                                    "CERTIFICATE_NOT_YET_VALID", "CERTIFICATE_KEY_USAGE", "TRUST_BUNDLE_INVALID"])
        #expect(all.allSatisfy { $0.status.code == 422 })
    }
}
