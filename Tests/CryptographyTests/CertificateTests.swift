import Cryptography
import Foundation
import Testing

/// Certificate parsing, encoding, fields and issuance, checked against the openssl CLI.
@Suite struct CertificateTests {
    @Test func parsesACertificateMadeByTheCLI() throws {
        let cli = try OpenSSLCLI()
        try cli.succeed(["req", "-x509", "-newkey", "ed25519", "-subj", "/CN=acme", "-nodes", "-days", "30",
                         "-keyout", "acme.key", "-out", "acme.pem"])
        let certificate = try Certificate(pem: try cli.readText("acme.pem"))
        #expect(certificate.subjectCommonName == "acme")
        #expect(certificate.subject == "CN=acme")
        #expect(certificate.publicKey.type == .ed25519)
        #expect(certificate.publicKey == (try PrivateKey(pem: try cli.readText("acme.key"))).publicKey)
        #expect(certificate.notAfter - certificate.notBefore == 30 * 86_400)

        let startDate = try cli.succeed(["x509", "-in", "acme.pem", "-noout", "-startdate"])
        let endDate = try cli.succeed(["x509", "-in", "acme.pem", "-noout", "-enddate"])
        #expect(certificate.notBefore == (try OpenSSLCLI.epochSeconds(ofOpenSSLDate: Self.value(startDate))))
        #expect(certificate.notAfter == (try OpenSSLCLI.epochSeconds(ofOpenSSLDate: Self.value(endDate))))

        let fingerprint = try cli.succeed(["x509", "-in", "acme.pem", "-noout", "-fingerprint", "-sha256"])
        #expect(Self.value(fingerprint).replacingOccurrences(of: ":", with: "").lowercased() == certificate.fingerprintSHA256.hex)

        try cli.succeed(["x509", "-in", "acme.pem", "-outform", "DER", "-out", "acme.der"])
        #expect(certificate.der == (try cli.read("acme.der")))
        #expect(try Certificate(der: certificate.der) == certificate)
        #expect(try Certificate(pem: certificate.pem) == certificate)
    }

    @Test func parseAllReadsABundleInOrder() throws {
        let first = try Certificate.selfSigned(commonName: "first", key: Fixtures.ed25519Key, days: 1, isCA: false)
        let second = try Certificate.selfSigned(commonName: "second", key: Fixtures.p256Key, days: 1, isCA: true)
        let bundle = "# comment line\n" + first.pem + Fixtures.rsaKey.publicKey.pem + second.pem
        let parsed = try Certificate.parseAll(pem: bundle)
        #expect(parsed.map(\.subjectCommonName) == ["first", "second"])
        #expect(try Certificate.parseAll(pem: "").isEmpty)
        #expect(throws: SignerError.certificateInvalid(reason: "expected one CERTIFICATE PEM block, found 2")) {
            try Certificate(pem: bundle)
        }
        #expect(throws: SignerError.certificateInvalid(reason: "expected one CERTIFICATE PEM block, found 0")) {
            try Certificate(pem: "")
        }
    }

    @Test func corruptCertificatesAreInvalid() throws {
        let good = try Certificate.selfSigned(commonName: "good", key: Fixtures.ed25519Key, days: 1, isCA: false)
        var lines = good.pem.split(separator: "\n").map(String.init)
        lines[2] = String(lines[2].reversed())
        let corrupt = lines.joined(separator: "\n") + "\n"
        for text in [corrupt, good.pem + corrupt] {
            #expect {
                try Certificate.parseAll(pem: text)
            } throws: { error in
                (error as? SignerError)?.code == "CERTIFICATE_INVALID"
            }
        }
        #expect(throws: SignerError.certificateInvalid(reason: "1 bytes after the certificate")) {
            try Certificate(der: good.der + [0])
        }
        #expect {
            try Certificate(der: Array(good.der.dropLast()))
        } throws: { error in
            (error as? SignerError)?.code == "CERTIFICATE_INVALID"
        }
    }

    @Test func selfSignedCertificatesCarryTheirExtensions() throws {
        let cli = try OpenSSLCLI()
        let ca = try Certificate.selfSigned(commonName: "Dev CA", key: Fixtures.rsaKey, days: 10, isCA: true)
        let publisher = try Certificate.selfSigned(commonName: "acme", key: Fixtures.ed25519Key, days: 10, isCA: false)
        #expect(ca.isCA && !publisher.isCA)
        #expect(ca.notAfter - ca.notBefore == 10 * 86_400 + 300)
        try cli.write("ca.pem", ca.pem)
        try cli.write("publisher.pem", publisher.pem)
        let caText = try cli.succeed(["x509", "-in", "ca.pem", "-noout", "-text"])
        #expect(caText.contains("Version: 3 (0x2)"))
        #expect(caText.contains("X509v3 Basic Constraints: critical\n                CA:TRUE"))
        #expect(caText.contains("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign"))
        #expect(caText.contains("X509v3 Subject Key Identifier"))
        #expect(caText.contains("X509v3 Authority Key Identifier"))
        #expect(caText.contains("sha256WithRSAEncryption"))
        let publisherText = try cli.succeed(["x509", "-in", "publisher.pem", "-noout", "-text"])
        #expect(publisherText.contains("CA:FALSE"))
        #expect(publisherText.contains("X509v3 Key Usage: critical\n                Digital Signature\n"))
        #expect(publisherText.contains("Signature Algorithm: ED25519"))
        // Both verify against themselves as trust anchors.
        try cli.succeed(["verify", "-CAfile", "ca.pem", "ca.pem"])
        try cli.succeed(["verify", "-partial_chain", "-CAfile", "publisher.pem", "publisher.pem"])
        let serial = try cli.succeed(["x509", "-in", "ca.pem", "-noout", "-serial"])
        #expect(Self.value(serial).count == 32)
    }

    @Test(arguments: [KeyType.ed25519, .ecdsaP256, .rsa(bits: 2048)])
    func issuedCertificatesVerifyWithTheCLI(caType: KeyType) throws {
        let caKey = caType == .rsa(bits: 2048) ? Fixtures.rsaKey : caType == .ed25519 ? Fixtures.ed25519Key : Fixtures.p256Key
        let ca = try Certificate.selfSigned(commonName: "Dev CA", key: caKey, days: 10, isCA: true)
        let leaf = try Certificate.issue(commonName: "acme", publicKey: Fixtures.otherP256Key.publicKey,
                                         issuerCert: ca, issuerKey: caKey, days: 5)
        #expect(leaf.subjectCommonName == "acme" && !leaf.isCA)
        #expect(leaf.publicKey == Fixtures.otherP256Key.publicKey)
        let cli = try OpenSSLCLI()
        try cli.write("ca.pem", ca.pem)
        try cli.write("leaf.pem", leaf.pem)
        #expect(try cli.succeed(["verify", "-x509_strict", "-CAfile", "ca.pem", "leaf.pem"]).contains("leaf.pem: OK"))
        let text = try cli.succeed(["x509", "-in", "leaf.pem", "-noout", "-text"])
        #expect(text.contains("Issuer: CN = Dev CA"))
        let caKeyID = try cli.succeed(["x509", "-in", "ca.pem", "-noout", "-ext", "subjectKeyIdentifier"])
        let keyIDLine = caKeyID.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "missing"
        #expect(text.contains("X509v3 Authority Key Identifier: \n                \(keyIDLine)"))
    }

    @Test func issuanceRefusesBadIssuers() throws {
        let ca = try Certificate.selfSigned(commonName: "Dev CA", key: Fixtures.p256Key, days: 10, isCA: true)
        let notCA = try Certificate.selfSigned(commonName: "acme", key: Fixtures.p256Key, days: 10, isCA: false)
        #expect(throws: SignerError.issuanceFailed(reason: "the issuer certificate is not a CA (basicConstraints CA:TRUE)")) {
            try Certificate.issue(commonName: "x", publicKey: Fixtures.ed25519Key.publicKey, issuerCert: notCA, issuerKey: Fixtures.p256Key, days: 1)
        }
        #expect(throws: SignerError.issuanceFailed(reason: "the issuer key does not belong to the issuer certificate")) {
            try Certificate.issue(commonName: "x", publicKey: Fixtures.ed25519Key.publicKey, issuerCert: ca, issuerKey: Fixtures.otherP256Key, days: 1)
        }
        for days in [0, 40_000] {
            #expect {
                try Certificate.selfSigned(commonName: "x", key: Fixtures.ed25519Key, days: days, isCA: false)
            } throws: { error in
                (error as? SignerError)?.code == "CERTIFICATE_ISSUANCE_FAILED"
            }
        }
        #expect {
            try Certificate.selfSigned(commonName: String(repeating: "a", count: 65), key: Fixtures.ed25519Key, days: 1, isCA: false)
        } throws: { error in
            (error as? SignerError)?.code == "CERTIFICATE_ISSUANCE_FAILED"
        }
    }

    /// The text after `=` in a `name=value` line the CLI prints.
    static func value(_ line: String) -> String {
        String(line.split(separator: "=", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
