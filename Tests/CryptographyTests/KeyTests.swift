import Cryptography
import ExthostCore
import Foundation
import Testing

/// Key generation, PEM import/export and the RSA size floor.
@Suite struct KeyTests {
    @Test func generatedKeysHaveTheirTypes() {
        #expect(Fixtures.ed25519Key.type == .ed25519)
        #expect(Fixtures.p256Key.type == .ecdsaP256)
        #expect(Fixtures.rsaKey.type == .rsa(bits: 2048))
        #expect(Fixtures.rsaKey.publicKey.type == .rsa(bits: 2048))
        #expect(Fixtures.rsaKey.type.defaultSignatureAlgorithm == .rsaPSSSHA256)
        #expect(Fixtures.p256Key.type.defaultSignatureAlgorithm == .ecdsaP256SHA256)
    }

    @Test func pkcs8ExportRoundTripsAndMatchesTheCLI() throws {
        let cli = try OpenSSLCLI()
        for key in Fixtures.allKeys {
            let pem = key.pkcs8PEM
            #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
            let reloaded = try PrivateKey(pem: pem)
            #expect(reloaded.type == key.type)
            #expect(reloaded.publicKey == key.publicKey)
            #expect(reloaded.publicKey != Fixtures.otherKey(for: key.type.defaultSignatureAlgorithm!).publicKey)
            try cli.write("key.pem", pem)
            #expect(try cli.succeed(["pkey", "-in", "key.pem", "-pubout"]) == key.publicKey.pem)
            let fromPEM = try PublicKey(pem: key.publicKey.pem)
            #expect(fromPEM == key.publicKey)
            #expect(fromPEM.der == key.publicKey.der)
        }
    }

    @Test func traditionalPEMKeysLoad() throws {
        let cli = try OpenSSLCLI()
        try cli.succeed(["ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.pem"])
        let ecText = try cli.readText("ec.pem")
        #expect(ecText.contains("-----BEGIN EC PARAMETERS-----") && ecText.contains("-----BEGIN EC PRIVATE KEY-----"))
        #expect(try PrivateKey(pem: ecText).type == .ecdsaP256)

        try cli.write("rsa.pem", Fixtures.rsaKey.pkcs8PEM)
        try cli.succeed(["pkey", "-in", "rsa.pem", "-traditional", "-out", "rsa-traditional.pem"])
        let rsaText = try cli.readText("rsa-traditional.pem")
        #expect(rsaText.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let rsa = try PrivateKey(pem: rsaText)
        #expect(rsa.publicKey == Fixtures.rsaKey.publicKey)
        let signature = try rsa.sign(Fixtures.message, algorithm: .rsaPKCS1SHA256)
        #expect(try Fixtures.rsaKey.publicKey.verify(signature: signature, message: Fixtures.message, algorithm: .rsaPKCS1SHA256))
    }

    @Test func smallRSAKeysAreRefused() throws {
        #expect(throws: SignatureError.rsaKeyTooSmall(bits: 1024)) { try PrivateKey.generate(.rsa(bits: 1024)) }
        let cli = try OpenSSLCLI()
        try cli.succeed(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "small.pem"])
        let small = try PrivateKey(pem: try cli.readText("small.pem"))
        #expect(small.type == .rsa(bits: 1024))
        for algorithm in [SignatureAlgorithm.rsaPKCS1SHA256, .rsaPSSSHA256] {
            #expect(throws: SignatureError.rsaKeyTooSmall(bits: 1024)) { try small.sign(Fixtures.message, algorithm: algorithm) }
            #expect(throws: SignatureError.rsaKeyTooSmall(bits: 1024)) {
                try small.publicKey.verify(signature: [UInt8](repeating: 1, count: 128), message: Fixtures.message, algorithm: algorithm)
            }
        }
        let error = SignatureError.rsaKeyTooSmall(bits: 1024)
        #expect(error.code == "RSA_KEY_TOO_SMALL" && error.status.code == 422 && error.message.contains("2048"))
    }

    @Test func otherCurvesAreDescribedButNotUsed() throws {
        let cli = try OpenSSLCLI()
        try cli.succeed(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem"])
        let key = try PrivateKey(pem: try cli.readText("p384.pem"))
        #expect(key.type == .other("EC secp384r1"))
        #expect(key.type.defaultSignatureAlgorithm == nil)
        #expect(throws: SignatureError.algorithmMismatch(algorithm: .ecdsaP256SHA256, keyType: key.type)) {
            try key.sign(Fixtures.message, algorithm: .ecdsaP256SHA256)
        }
    }

    @Test func unreadableKeysAreKeyInvalid() throws {
        let cli = try OpenSSLCLI()
        try cli.write("key.pem", Fixtures.p256Key.pkcs8PEM)
        try cli.succeed(["pkey", "-in", "key.pem", "-aes256", "-passout", "pass:secret", "-out", "encrypted.pem"])
        let encrypted = try cli.readText("encrypted.pem")
        for text in [encrypted, "", "not a key", Fixtures.p256Key.publicKey.pem,
                     Fixtures.p256Key.pkcs8PEM.replacingOccurrences(of: "M", with: "A")] {
            #expect {
                try PrivateKey(pem: text)
            } throws: { error in
                (error as? SignatureError)?.code == "KEY_INVALID"
            }
        }
        #expect {
            try PublicKey(pem: Fixtures.p256Key.pkcs8PEM)
        } throws: { error in
            (error as? SignatureError)?.code == "KEY_INVALID"
        }
    }
}
