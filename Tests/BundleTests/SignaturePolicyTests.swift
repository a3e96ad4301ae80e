import Bundle
import Cryptography
import ExthostCore
import Foundation
import JSON
import Testing

/// Keys, certificates and hashes the signature tests share; RSA generation is slow, so each key
/// is made once per test run.
enum SigningFixtures {
    static let ed25519Key = try! PrivateKey.generate(.ed25519)
    static let p256Key = try! PrivateKey.generate(.ecdsaP256)
    static let rsaKey = try! PrivateKey.generate(.rsa(bits: 2048))
    static let caKey = try! PrivateKey.generate(.ecdsaP256)
    static let otherCAKey = try! PrivateKey.generate(.ed25519)

    static let ca = try! Certificate.selfSigned(commonName: "Test CA", key: caKey, days: 3650, isCA: true)
    static let otherCA = try! Certificate.selfSigned(commonName: "Other CA", key: otherCAKey, days: 3650, isCA: true)

    static let hash = ContentHash(digest: SHA256.hash(Array("the bundle".utf8)))
    static let otherHash = ContentHash(digest: SHA256.hash(Array("another bundle".utf8)))

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    static func key(for algorithm: SignatureAlgorithm) -> PrivateKey {
        switch algorithm {
        case .ed25519: ed25519Key
        case .ecdsaP256SHA256: p256Key
        case .rsaPKCS1SHA256, .rsaPSSSHA256: rsaKey
        }
    }

    /// A publisher certificate for `key` issued by `ca`, valid for `days` from (about) now.
    static func issued(_ commonName: String = "acme", key: PrivateKey = ed25519Key, days: Int = 30) throws -> Certificate {
        try Certificate.issue(commonName: commonName, publicKey: key.publicKey, issuerCert: ca, issuerKey: caKey, days: days)
    }

    static var trustingCA: SignaturePolicy { SignaturePolicy(trustStore: try! TrustStore(certificates: [ca])) }
    static var trustingOtherCA: SignaturePolicy { SignaturePolicy(trustStore: try! TrustStore(certificates: [otherCA])) }
    static let withoutTrustStore = SignaturePolicy(trustStore: nil)
}

/// The code of the `BundleSignatureError` that `body` throws, or "none"; every refusal must be a
/// 422 with a message.
func refusalCode(_ body: () throws(BundleSignatureError) -> Void) -> String {
    do {
        try body()
        return "none"
    } catch {
        #expect(error.status.code == 422)
        #expect(!error.message.isEmpty)
        return error.code
    }
}

@Suite struct SignaturePolicyTests {
    typealias F = SigningFixtures

    @Test func theSignedMessageIsTheHashText() {
        let message = BundleSignature.message(for: F.hash)
        #expect(message.count == 71)
        #expect(String(decoding: message, as: UTF8.self) == "sha256:" + F.hash.hex)
        #expect(!message.contains(0x0A))
    }

    @Test(arguments: SignatureAlgorithm.allCases)
    func everyAlgorithmIsAcceptedFromATrustedPublisher(algorithm: SignatureAlgorithm) throws {
        let key = F.key(for: algorithm)
        let certificate = try F.issued(key: key)
        let signature = try BundleSignature.sign(F.hash, key: key, certificate: certificate, algorithm: algorithm)
        #expect(signature.algorithm == algorithm)

        let signer = try #require(try F.trustingCA.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now))
        #expect(signer.commonName == "acme")
        #expect(signer.certificateFingerprint == "sha256:" + certificate.fingerprintSHA256.hex)
        #expect(signer.algorithm == algorithm)
        #expect(signer.trusted)
    }

    @Test func signDefaultsToTheKeysNaturalAlgorithm() throws {
        let expected: [(PrivateKey, SignatureAlgorithm)] = [
            (F.ed25519Key, .ed25519), (F.p256Key, .ecdsaP256SHA256), (F.rsaKey, .rsaPSSSHA256),
        ]
        for (key, algorithm) in expected {
            let signature = try BundleSignature.sign(F.hash, key: key, certificate: try F.issued(key: key))
            #expect(signature.algorithm == algorithm)
        }
    }

    @Test func aPinnedSelfSignedPublisherIsTrusted() throws {
        let certificate = try Certificate.selfSigned(commonName: "acme", key: F.p256Key, days: 10, isCA: false)
        let policy = SignaturePolicy(trustStore: try TrustStore(certificates: [F.otherCA, certificate]))
        let signature = try BundleSignature.sign(F.hash, key: F.p256Key, certificate: certificate)
        let signer = try policy.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now)
        #expect(signer?.trusted == true)
        #expect(signer?.algorithm == .ecdsaP256SHA256)
    }

    @Test func unsignedIsAcceptedOnlyWithoutATrustStore() throws {
        #expect(try F.withoutTrustStore.evaluate(nil, contentHash: F.hash, publisher: "acme", now: F.now) == nil)
        #expect(throws: BundleSignatureError.missing) {
            try F.trustingCA.evaluate(nil, contentHash: F.hash, publisher: "acme", now: F.now)
        }
    }

    @Test func withoutATrustStoreAGoodSignatureIsReportedUntrusted() throws {
        let stranger = try Certificate.selfSigned(commonName: "acme", key: F.ed25519Key, days: 10, isCA: false)
        let signature = try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: stranger)
        let signer = try F.withoutTrustStore.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now)
        #expect(signer?.trusted == false)
        #expect(signer?.commonName == "acme")
    }

    @Test func aCertificateFromAnotherCAIsUntrusted() throws {
        let signature = try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: try F.issued())
        #expect(refusalCode { () throws(BundleSignatureError) in
            _ = try F.trustingOtherCA.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now)
        } == "SIGNER_UNTRUSTED")

        let selfSigned = try Certificate.selfSigned(commonName: "acme", key: F.ed25519Key, days: 10, isCA: false)
        let unpinned = try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: selfSigned)
        #expect(refusalCode { () throws(BundleSignatureError) in
            _ = try F.trustingCA.evaluate(unpinned, contentHash: F.hash, publisher: "acme", now: F.now)
        } == "SIGNER_UNTRUSTED")
    }

    @Test func theValidityPeriodIsCheckedAtTheGivenTime() throws {
        let certificate = try F.issued(days: 1)
        let signature = try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: certificate)
        func code(at time: Int64) -> String {
            refusalCode { () throws(BundleSignatureError) in
                _ = try F.trustingCA.evaluate(signature, contentHash: F.hash, publisher: "acme", now: time)
            }
        }
        #expect(code(at: certificate.notAfter - 1) == "none")
        #expect(code(at: certificate.notAfter) == "CERTIFICATE_EXPIRED")
        #expect(code(at: certificate.notAfter + 86_400) == "CERTIFICATE_EXPIRED")
        #expect(code(at: certificate.notBefore - 1) == "CERTIFICATE_NOT_YET_VALID")
    }

    @Test func theCertificateMustNameThePublisher() throws {
        let signature = try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: try F.issued("mallory"))
        for policy in [F.trustingCA, F.withoutTrustStore] {
            #expect(throws: BundleSignatureError.publisherMismatch(certificateName: "mallory", publisher: "acme")) {
                try policy.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now)
            }
        }
        // The comparison is exact: no case folding, no prefix match.
        let upper = try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: try F.issued("ACME"))
        #expect(throws: BundleSignatureError.publisherMismatch(certificateName: "ACME", publisher: "acme")) {
            try F.trustingCA.evaluate(upper, contentHash: F.hash, publisher: "acme", now: F.now)
        }
        let longer = try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: try F.issued("acme.tools"))
        #expect(throws: BundleSignatureError.publisherMismatch(certificateName: "acme.tools", publisher: "acme")) {
            try F.trustingCA.evaluate(longer, contentHash: F.hash, publisher: "acme", now: F.now)
        }
    }

    @Test(arguments: SignatureAlgorithm.allCases)
    func aSignatureOverAnotherHashIsInvalid(algorithm: SignatureAlgorithm) throws {
        let key = F.key(for: algorithm)
        let signature = try BundleSignature.sign(F.otherHash, key: key, certificate: try F.issued(key: key), algorithm: algorithm)
        for policy in [F.trustingCA, F.withoutTrustStore] {
            #expect(throws: BundleSignatureError.signature(.invalid)) {
                try policy.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now)
            }
        }
    }

    @Test func garbageSignatureBytesAreInvalid() throws {
        let certificate = try F.issued(key: F.p256Key)
        for bytes in [[UInt8](repeating: 0x30, count: 72), [0x30, 0x00], [UInt8](repeating: 0xFF, count: 64)] {
            let signature = BundleSignature(algorithm: .ecdsaP256SHA256, signature: bytes, certificate: certificate)
            #expect(throws: BundleSignatureError.signature(.invalid)) {
                try F.trustingCA.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now)
            }
        }
    }

    @Test func anAlgorithmThatDoesNotFitTheKeyIsAMismatch() throws {
        let certificate = try F.issued(key: F.ed25519Key)
        let ed25519Bytes = try F.ed25519Key.sign(BundleSignature.message(for: F.hash), algorithm: .ed25519)
        let claimed = BundleSignature(algorithm: .ecdsaP256SHA256, signature: ed25519Bytes, certificate: certificate)
        for policy in [F.trustingCA, F.withoutTrustStore] {
            #expect(throws: BundleSignatureError.signature(.algorithmMismatch(algorithm: .ecdsaP256SHA256, keyType: .ed25519))) {
                try policy.evaluate(claimed, contentHash: F.hash, publisher: "acme", now: F.now)
            }
        }
        #expect(throws: BundleSignatureError.signature(.algorithmMismatch(algorithm: .rsaPSSSHA256, keyType: .ed25519))) {
            try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: certificate, algorithm: .rsaPSSSHA256)
        }
    }

    @Test func signingRefusesACertificateOfAnotherKey() throws {
        let certificate = try F.issued(key: F.p256Key)
        #expect(throws: BundleSignatureError.keyDoesNotMatchCertificate) {
            try BundleSignature.sign(F.hash, key: F.ed25519Key, certificate: certificate)
        }
        #expect(BundleSignatureError.keyDoesNotMatchCertificate.code == "KEY_CERTIFICATE_MISMATCH")
    }

    @Test func trustIsCheckedBeforeThePublisherAndTheSignature() throws {
        // Everything is wrong at once: the first reason reported is the untrusted certificate.
        let signature = try BundleSignature.sign(F.otherHash, key: F.ed25519Key, certificate: try F.issued("mallory"))
        #expect(refusalCode { () throws(BundleSignatureError) in
            _ = try F.trustingOtherCA.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now)
        } == "SIGNER_UNTRUSTED")
        #expect(refusalCode { () throws(BundleSignatureError) in
            _ = try F.trustingCA.evaluate(signature, contentHash: F.hash, publisher: "acme", now: F.now)
        } == "SIGNER_MISMATCH")
    }

    @Test func everyRefusalHasItsOwnCode() {
        let errors: [BundleSignatureError] = [
            .missing, .malformed("x"), .publisherMismatch(certificateName: nil, publisher: "acme"),
            .keyDoesNotMatchCertificate, .signature(.invalid), .signature(.algorithmMismatch(algorithm: .ed25519, keyType: .ecdsaP256)),
            .signature(.algorithmUnsupported("md5")), .signer(.certificateUntrusted(subject: "CN=a", reason: "r")),
            .signer(.certificateExpired(subject: "CN=a", notAfter: 0)),
        ]
        #expect(Set(errors.map(\.code)) == [
            "SIGNATURE_REQUIRED", "SIGNATURE_MALFORMED", "SIGNER_MISMATCH", "KEY_CERTIFICATE_MISMATCH", "SIGNATURE_INVALID",
            "SIGNATURE_ALGORITHM_MISMATCH", "SIGNATURE_ALGORITHM_UNSUPPORTED", "SIGNER_UNTRUSTED", "CERTIFICATE_EXPIRED",
        ])
        #expect(errors.allSatisfy { $0.status.code == 422 && !$0.message.isEmpty })
        #expect(BundleSignatureError.publisherMismatch(certificateName: nil, publisher: "acme").message.contains("(none)"))
    }
}

extension SignaturePolicyTests {
    /// The JSON form of `bundle.tar.zst.sig`: `{"algorithm","signature","certificate"}`, strictly.
    @Suite struct SignatureFileJSON {
        typealias F = SigningFixtures

        static let certificate = try! F.issued(key: F.p256Key)
        static let sample = try! BundleSignature.sign(F.hash, key: F.p256Key, certificate: certificate)

        /// The sample's members with `changes` applied (nil removes a member), as JSON bytes.
        static func document(_ changes: [String: JSONValue?] = [:]) -> [UInt8] {
            guard case .object(var object) = sample.jsonValue else { fatalError("a signature serializes as an object") }
            for (key, value) in changes { object[key] = value }
            return JSONValue.object(object).serializedBytes()
        }

        static func code(_ bytes: [UInt8]) -> String {
            refusalCode { () throws(BundleSignatureError) in _ = try BundleSignature(jsonBytes: bytes) }
        }

        @Test(arguments: SignatureAlgorithm.allCases)
        func roundTrips(algorithm: SignatureAlgorithm) throws {
            let key = F.key(for: algorithm)
            let signature = try BundleSignature.sign(F.hash, key: key, certificate: try F.issued(key: key), algorithm: algorithm)
            for options in [JSONWriteOptions.compact, .pretty, .canonical] {
                #expect(try BundleSignature(jsonBytes: signature.jsonValue.serializedBytes(options)) == signature)
            }
            let object = try #require(signature.jsonValue.objectValue)
            #expect(object.keys == ["algorithm", "signature", "certificate"])
            #expect(object["algorithm"]?.stringValue == algorithm.rawValue)
            #expect(object["certificate"]?.stringValue?.hasPrefix("-----BEGIN CERTIFICATE-----\n") == true)
            let base64 = try #require(object["signature"]?.stringValue)
            #expect(Data(base64Encoded: base64).map(Array.init) == signature.signature)
        }

        @Test func membersMayComeInAnyOrder() throws {
            let reordered = JSONValue.object([
                ("certificate", .string(Self.certificate.pem)),
                ("signature", .string(Base64.encode(Self.sample.signature))),
                ("algorithm", .string("ecdsa-p256-sha256")),
            ])
            #expect(try BundleSignature(json: reordered) == Self.sample)
        }

        @Test(arguments: ["algorithm", "signature", "certificate"])
        func aMissingMemberIsMalformed(member: String) {
            #expect(Self.code(Self.document([member: nil])) == "SIGNATURE_MALFORMED")
        }

        @Test func wrongTypesAreMalformed() {
            #expect(Self.code(Self.document(["algorithm": .number(JSONNumber(1))])) == "SIGNATURE_MALFORMED")
            #expect(Self.code(Self.document(["signature": .array([])])) == "SIGNATURE_MALFORMED")
            #expect(Self.code(Self.document(["certificate": .null])) == "SIGNATURE_MALFORMED")
        }

        @Test func anUnknownMemberIsMalformed() {
            #expect(throws: BundleSignatureError.malformed("unknown field \"keyId\"")) {
                try BundleSignature(jsonBytes: Self.document(["keyId": .string("k1")]))
            }
        }

        @Test func documentsThatAreNotOneSignatureObjectAreMalformed() {
            let texts = [
                "", "[]", "null", "\"sig\"", "{", "{\"algorithm\":\"ed25519\",}",
                String(decoding: Self.document(), as: UTF8.self) + " {}",
            ]
            for text in texts {
                #expect(Self.code(Array(text.utf8)) == "SIGNATURE_MALFORMED", "\(text)")
            }
            // Duplicate members would make the signature ambiguous.
            var duplicated = Self.document()
            duplicated.removeLast()
            duplicated += Array(",\"algorithm\":\"ed25519\"}".utf8)
            #expect(Self.code(duplicated) == "SIGNATURE_MALFORMED")
        }

        @Test func anOversizedDocumentIsMalformed() {
            let padding = String(repeating: " ", count: 64 * 1024)
            #expect(Self.code(Self.document() + Array(padding.utf8)) == "SIGNATURE_MALFORMED")
        }

        @Test(arguments: ["", "abc", "ab=c", "YWJj\n", "YW Jj", "YWJ=", "YW-_", "YWJjZA", "====", "YWJjZA==="])
        func nonCanonicalBase64IsMalformed(text: String) {
            #expect(Self.code(Self.document(["signature": .string(text)])) == "SIGNATURE_MALFORMED")
        }

        @Test func anUnknownAlgorithmIsUnsupported() {
            for name in ["ecdsa", "ED25519", "rsa-sha256", "ecdsa-p384-sha384", ""] {
                #expect(throws: BundleSignatureError.signature(.algorithmUnsupported(name))) {
                    try BundleSignature(jsonBytes: Self.document(["algorithm": .string(name)]))
                }
            }
        }

        @Test func aBadCertificateIsInvalid() {
            let body = Self.certificate.pem.split(separator: "\n").dropFirst().dropLast().joined()
            let corrupted = "-----BEGIN CERTIFICATE-----\n" + String(body.dropLast(12)) + "\n-----END CERTIFICATE-----\n"
            let pems = [
                "", "not a certificate",
                "-----BEGIN CERTIFICATE-----\nbm90IGRlcg==\n-----END CERTIFICATE-----\n",
                corrupted,
                F.ed25519Key.pkcs8PEM,
            ]
            for pem in pems {
                #expect(Self.code(Self.document(["certificate": .string(pem)])) == "CERTIFICATE_INVALID", "\(pem)")
            }
        }
    }
}
