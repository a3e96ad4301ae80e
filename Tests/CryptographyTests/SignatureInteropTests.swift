import Cryptography
import ExthostCore
import Testing

/// Signatures made here verify with the openssl CLI and the other way round; the commands are
/// the ones docs/signing.md gives.
@Suite struct SignatureInteropTests {
    /// `openssl` arguments that sign `message.txt` with `key.pem` into `signature.bin`.
    static func cliSign(_ algorithm: SignatureAlgorithm, pssSaltLength: Int = 32) -> [String] {
        switch algorithm {
        case .ed25519:
            ["pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "message.txt", "-out", "signature.bin"]
        case .ecdsaP256SHA256, .rsaPKCS1SHA256:
            ["dgst", "-sha256", "-sign", "key.pem", "-out", "signature.bin", "message.txt"]
        case .rsaPSSSHA256:
            ["dgst", "-sha256", "-sign", "key.pem", "-sigopt", "rsa_padding_mode:pss",
             "-sigopt", "rsa_pss_saltlen:\(pssSaltLength)", "-out", "signature.bin", "message.txt"]
        }
    }

    /// `openssl` arguments that check `signature.bin` over `message.txt` with `public.pem`.
    static func cliVerify(_ algorithm: SignatureAlgorithm, pssSaltLength: Int = 32) -> [String] {
        switch algorithm {
        case .ed25519:
            ["pkeyutl", "-verify", "-pubin", "-inkey", "public.pem", "-rawin", "-in", "message.txt", "-sigfile", "signature.bin"]
        case .ecdsaP256SHA256, .rsaPKCS1SHA256:
            ["dgst", "-sha256", "-verify", "public.pem", "-signature", "signature.bin", "message.txt"]
        case .rsaPSSSHA256:
            ["dgst", "-sha256", "-verify", "public.pem", "-sigopt", "rsa_padding_mode:pss",
             "-sigopt", "rsa_pss_saltlen:\(pssSaltLength)", "-signature", "signature.bin", "message.txt"]
        }
    }

    @Test func messageIsTheSeventyOneByteHashText() {
        #expect(Fixtures.message.count == 71)
        #expect(Fixtures.message.starts(with: Array("sha256:".utf8)))
        #expect(!Fixtures.message.contains(UInt8(ascii: "\n")))
    }

    @Test(arguments: SignatureAlgorithm.allCases)
    func swiftSignsOpenSSLVerifies(_ algorithm: SignatureAlgorithm) throws {
        let key = Fixtures.key(for: algorithm)
        let cli = try OpenSSLCLI()
        try cli.write("message.txt", Fixtures.message)
        try cli.write("public.pem", key.publicKey.pem)
        try cli.write("signature.bin", try key.sign(Fixtures.message, algorithm: algorithm))
        let accepted = try cli.run(Self.cliVerify(algorithm))
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(accepted.output.contains("Verified"))

        try cli.write("message.txt", Fixtures.flipped(Fixtures.message, at: 70))
        #expect(try cli.run(Self.cliVerify(algorithm)).status != 0)
    }

    @Test(arguments: SignatureAlgorithm.allCases)
    func openSSLSignsSwiftVerifies(_ algorithm: SignatureAlgorithm) throws {
        let key = Fixtures.key(for: algorithm)
        let cli = try OpenSSLCLI()
        try cli.write("message.txt", Fixtures.message)
        try cli.write("key.pem", key.pkcs8PEM)
        try cli.succeed(Self.cliSign(algorithm))
        let signature = try cli.read("signature.bin")
        let publicKey = key.publicKey
        #expect(try publicKey.verify(signature: signature, message: Fixtures.message, algorithm: algorithm))
        #expect(try !publicKey.verify(signature: signature, message: Fixtures.flipped(Fixtures.message, at: 7), algorithm: algorithm))
        #expect(try !publicKey.verify(signature: Fixtures.flipped(signature, at: signature.count / 2), message: Fixtures.message, algorithm: algorithm))
        #expect(try !publicKey.verify(signature: Array(signature.dropLast()), message: Fixtures.message, algorithm: algorithm))
        #expect(try !publicKey.verify(signature: [], message: Fixtures.message, algorithm: algorithm))
    }

    @Test(arguments: SignatureAlgorithm.allCases)
    func signaturesFromAnotherKeyDoNotVerify(_ algorithm: SignatureAlgorithm) throws {
        let other = Fixtures.otherKey(for: algorithm)
        let signature = try other.sign(Fixtures.message, algorithm: algorithm)
        #expect(try other.publicKey.verify(signature: signature, message: Fixtures.message, algorithm: algorithm))
        #expect(try !Fixtures.key(for: algorithm).publicKey.verify(signature: signature, message: Fixtures.message, algorithm: algorithm))
    }

    @Test func pkcs1AndPSSSignaturesDoNotPassForEachOther() throws {
        let key = Fixtures.rsaKey
        let pkcs1 = try key.sign(Fixtures.message, algorithm: .rsaPKCS1SHA256)
        let pss = try key.sign(Fixtures.message, algorithm: .rsaPSSSHA256)
        #expect(try !key.publicKey.verify(signature: pkcs1, message: Fixtures.message, algorithm: .rsaPSSSHA256))
        #expect(try !key.publicKey.verify(signature: pss, message: Fixtures.message, algorithm: .rsaPKCS1SHA256))
    }

    @Test func pssSignaturesUseSalt32AndAnySaltVerifies() throws {
        let key = Fixtures.rsaKey
        let cli = try OpenSSLCLI()
        try cli.write("message.txt", Fixtures.message)
        try cli.write("key.pem", key.pkcs8PEM)
        try cli.write("public.pem", key.publicKey.pem)

        try cli.succeed(Self.cliSign(.rsaPSSSHA256, pssSaltLength: 20))
        let salt20 = try cli.read("signature.bin")
        #expect(try key.publicKey.verify(signature: salt20, message: Fixtures.message, algorithm: .rsaPSSSHA256))

        // The CLI pinned to salt length 20 rejects ours, so ours really uses 32.
        try cli.write("signature.bin", try key.sign(Fixtures.message, algorithm: .rsaPSSSHA256))
        #expect(try cli.run(Self.cliVerify(.rsaPSSSHA256, pssSaltLength: 20)).status != 0)
        try cli.succeed(Self.cliVerify(.rsaPSSSHA256, pssSaltLength: 32))
    }

    @Test func ed25519AndPKCS1SignaturesAreDeterministic() throws {
        for algorithm in [SignatureAlgorithm.ed25519, .rsaPKCS1SHA256] {
            let key = Fixtures.key(for: algorithm)
            #expect(try key.sign(Fixtures.message, algorithm: algorithm) == key.sign(Fixtures.message, algorithm: algorithm))
        }
        #expect(try Fixtures.ed25519Key.sign(Fixtures.message, algorithm: .ed25519).count == 64)
        #expect(try Fixtures.rsaKey.sign(Fixtures.message, algorithm: .rsaPSSSHA256).count == 256)
    }

    @Test func algorithmsThatDoNotFitTheKeyAreRefused() throws {
        var refusals = 0
        for key in Fixtures.allKeys {
            for algorithm in SignatureAlgorithm.allCases where !algorithm.fits(key.type) {
                refusals += 1
                let expected = SignatureError.algorithmMismatch(algorithm: algorithm, keyType: key.type)
                #expect(throws: expected) { try key.sign(Fixtures.message, algorithm: algorithm) }
                #expect(throws: expected) { try key.publicKey.verify(signature: [1, 2, 3], message: Fixtures.message, algorithm: algorithm) }
                #expect(expected.code == "SIGNATURE_ALGORITHM_MISMATCH")
                #expect(expected.status.code == 422)
            }
        }
        #expect(refusals == 8)
    }

    @Test func algorithmNamesAreExact() throws {
        #expect(SignatureAlgorithm.allCases.map(\.rawValue) == ["ed25519", "ecdsa-p256-sha256", "rsa-pkcs1-sha256", "rsa-pss-sha256"])
        #expect(try SignatureAlgorithm(named: "rsa-pss-sha256") == .rsaPSSSHA256)
        #expect(throws: SignatureError.algorithmUnsupported("rsa-sha1")) { try SignatureAlgorithm(named: "rsa-sha1") }
        #expect(throws: SignatureError.algorithmUnsupported("ED25519")) { try SignatureAlgorithm(named: "ED25519") }
        #expect(SignatureError.algorithmUnsupported("x").code == "SIGNATURE_ALGORITHM_UNSUPPORTED")
    }
}
