import ArgumentParser
import Cryptography

/// `exthost keygen`: a publisher key and certificate, or a development CA.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a publisher signing key and certificate, or a development CA.",
        discussion: """
            Publisher (self-signed, to pin in SIGNING_TRUST_BUNDLE):
              exthost keygen --publisher acme --out keys/
            Development CA, then a publisher certificate it issues:
              exthost keygen --ca --out ca/
              exthost keygen --publisher acme --ca-cert ca/ca.cert.pem --ca-key ca/ca.key.pem --out keys/
            Writes <out>/key.pem (mode 0600) and <out>/cert.pem, or ca.key.pem and ca.cert.pem \
            with --ca. The certificate's subject CN is the publisher name, which must equal the \
            manifest's "publisher" for a signature to be accepted.
            """
    )

    enum KeyChoice: String, ExpressibleByArgument, CaseIterable {
        case ed25519
        case ecdsaP256 = "ecdsa-p256"
        case rsa2048 = "rsa-2048"

        var keyType: KeyType {
            switch self {
            case .ed25519: .ed25519
            case .ecdsaP256: .ecdsaP256
            case .rsa2048: .rsa(bits: 2048)
            }
        }
    }

    @Option(help: "Publisher name: the certificate's subject CN (must equal the manifest's \"publisher\").")
    var publisher: String?

    @Flag(help: "Create a development certificate authority instead of a publisher key.")
    var ca = false

    @Option(help: "Key type.")
    var type: KeyChoice = .ed25519

    @Option(help: "CA certificate that issues the publisher certificate (PEM).")
    var caCert: String?

    @Option(help: "The CA's private key (PEM).")
    var caKey: String?

    @Option(help: "Certificate lifetime in days.")
    var days = 825

    @Option(help: "Directory to write the key and certificate into (created if missing).")
    var out: String

    @Flag(help: "Replace existing files.")
    var force = false

    func validate() throws {
        if ca && publisher != nil { throw ValidationError("use either --ca or --publisher, not both") }
        if !ca && publisher == nil { throw ValidationError("--publisher NAME is required (or --ca for a development CA)") }
        if (caCert == nil) != (caKey == nil) { throw ValidationError("--ca-cert and --ca-key go together") }
        if ca && caCert != nil { throw ValidationError("--ca makes a root CA; it cannot be issued by --ca-cert") }
        if !(1...36_500).contains(days) { throw ValidationError("--days must be between 1 and 36500") }
    }

    func run() throws {
        try LocalFiles.makeDirectory(out)
        let key = try PrivateKey.generate(type.keyType)
        let certificate: Certificate
        let commonName = publisher ?? "exthost development CA"
        if let caCert, let caKey {
            let issuer = try Certificate(pem: LocalFiles.readText(caCert))
            let issuerKey = try PrivateKey(pem: LocalFiles.readText(caKey))
            certificate = try Certificate.issue(
                commonName: commonName, publicKey: key.publicKey, issuerCert: issuer, issuerKey: issuerKey, days: days)
        } else {
            certificate = try Certificate.selfSigned(commonName: commonName, key: key, days: days, isCA: ca)
        }
        let prefix = ca ? "ca." : ""
        let keyPath = "\(out)/\(prefix)key.pem"
        let certPath = "\(out)/\(prefix)cert.pem"
        try LocalFiles.write(Array(key.pkcs8PEM.utf8), to: keyPath, mode: 0o600, overwrite: force)
        try LocalFiles.write(Array(certificate.pem.utf8), to: certPath, overwrite: force)
        print("key          \(keyPath)  (\(type.rawValue); keep it secret)")
        print("certificate  \(certPath)  CN=\(commonName)\(ca ? " (CA)" : "")")
        print("fingerprint  sha256:\(certificate.fingerprintSHA256.hex)")
        if ca {
            print("next: exthost keygen --publisher NAME --ca-cert \(certPath) --ca-key \(keyPath) --out DIR")
        } else if caCert == nil {
            print("trust it: append \(certPath) to the file SIGNING_TRUST_BUNDLE names")
        }
    }
}
