import ArgumentParser
import Bundle
import Cryptography
import JSON

/// `exthost sign`: a detached signature file for a bundle.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a bundle: writes BUNDLE.sig ({\"algorithm\",\"signature\",\"certificate\"}).",
        discussion: """
            Signs the ASCII text sha256:<hex> of the bundle (71 bytes, no newline) with the \
            private key. The certificate's subject CN must equal the manifest's publisher.
              exthost sign bundle.tar.zst --key keys/key.pem --cert keys/cert.pem
            Algorithms: ed25519 keys sign ed25519, P-256 keys ecdsa-p256-sha256, RSA keys \
            rsa-pss-sha256 by default or rsa-pkcs1-sha256 with --algorithm.
            """
    )

    @Argument(help: "The bundle to sign.")
    var bundle: String

    @Option(help: "Private key (PEM).")
    var key: String

    @Option(help: "Certificate of that key (PEM); its CN must be the manifest publisher.")
    var cert: String

    @Option(help: "Signature algorithm (default: the key's natural one).")
    var algorithm: String?

    @Option(name: [.short, .customLong("output")], help: "Signature file (default: BUNDLE.sig).")
    var output: String?

    func run() throws {
        let chosen = try algorithm.map { name in try cliAttempt("--algorithm") { try SignatureAlgorithm(named: name) } }
        let checked = try PublishableBundle.check(bundle, refusal: "the bundle's manifest is invalid; refusing to sign it")
        let signature = try checked.sign(keyPath: key, certPath: cert, algorithm: chosen)
        let path = output ?? bundle + ".sig"
        try LocalFiles.write(signature.jsonValue.serializedBytes(.pretty) + [0x0A], to: path, overwrite: true)
        print("\(path)  \(signature.algorithm.rawValue) over \(checked.contentHash) by CN=\(checked.manifest.publisher)")
    }
}
