import Cryptography
import Testing

/// The keyring of `EXTHOST_SECRETS_KEY` and `EXTHOST_SECRETS_KEY_PREVIOUS`, and the weak-key check.
@Suite struct SecretsKeyringTests {
    static let hexA = String(repeating: "0a1b2c3d4e5f6071", count: 4)
    static let hexB = "5d41402abc4b2a76b9719d911017c5924f5a0d6cc6a1b2c3d4e5f60718293a4b"
    static let hexC = "c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2"
    static let associatedData = Array("tenant\u{0}install\u{0}NAME".utf8)

    static func ring(_ environment: [String: String]) throws -> SecretsKeyring {
        try #require(try SecretsKeyring.fromEnvironment(environment))
    }

    @Test func aPreviousKeyOpensWhatItSealedAndTheCurrentKeySeals() throws {
        let old = try Self.ring(["EXTHOST_SECRETS_KEY": Self.hexA])
        let sealed = try old.seal([1, 2, 3], associatedData: Self.associatedData)
        let rotated = try Self.ring(["EXTHOST_SECRETS_KEY": Self.hexB, "EXTHOST_SECRETS_KEY_PREVIOUS": "\(Self.hexC), \(Self.hexA)"])
        let opened = try rotated.open(sealed, associatedData: Self.associatedData)
        #expect(opened.plaintext == [1, 2, 3] && opened.openedWith == .previous(position: 2))
        let resealed = try rotated.seal([1, 2, 3], associatedData: Self.associatedData)
        #expect(try rotated.open(resealed, associatedData: Self.associatedData).openedWith == .current)
        // The old ring alone cannot open what the new current key sealed.
        #expect(throws: AESGCMError.authenticationFailed) { try old.open(resealed, associatedData: Self.associatedData) }
    }

    @Test func noKeyOfTheRingOpensForeignOrMovedValues() throws {
        let ring = try Self.ring(["EXTHOST_SECRETS_KEY": Self.hexB, "EXTHOST_SECRETS_KEY_PREVIOUS": Self.hexA])
        let foreign = try Self.ring(["EXTHOST_SECRETS_KEY": Self.hexC]).seal([9], associatedData: Self.associatedData)
        #expect(throws: AESGCMError.authenticationFailed) { try ring.open(foreign, associatedData: Self.associatedData) }
        let own = try ring.seal([9], associatedData: Self.associatedData)
        #expect(throws: AESGCMError.authenticationFailed) { try ring.open(own, associatedData: Array("elsewhere".utf8)) }
    }

    @Test func environmentErrorsNameTheEntryAndNeverTheValue() throws {
        #expect(try SecretsKeyring.fromEnvironment([:]) == nil)
        #expect(try SecretsKeyring.fromEnvironment(["EXTHOST_SECRETS_KEY": "  ", "EXTHOST_SECRETS_KEY_PREVIOUS": " , "]) == nil)
        let cases: [([String: String], SecretsKeyError)] = [
            (["EXTHOST_SECRETS_KEY_PREVIOUS": Self.hexA], .previousWithoutCurrent),
            (["EXTHOST_SECRETS_KEY": Self.hexA, "EXTHOST_SECRETS_KEY_PREVIOUS": "\(Self.hexB),not-a-key"], .invalidPrevious(position: 2)),
            (["EXTHOST_SECRETS_KEY": Self.hexA, "EXTHOST_SECRETS_KEY_PREVIOUS": Self.hexA.uppercased()], .previousRepeatsKey(position: 1)),
            (["EXTHOST_SECRETS_KEY": Self.hexA, "EXTHOST_SECRETS_KEY_PREVIOUS": "\(Self.hexB),\(Self.hexB)"], .previousRepeatsKey(position: 2)),
            (["EXTHOST_SECRETS_KEY": "short"], .invalid),
        ]
        for (environment, expected) in cases {
            #expect(throws: expected, "\(environment.keys.sorted())") { try SecretsKeyring.fromEnvironment(environment) }
            #expect(!expected.message.contains(Self.hexA) && !expected.message.contains(Self.hexB))
            #expect(expected.code.hasPrefix("SECRETS_KEY_"))
        }
        let many = (0...SecretsKeyring.maximumPreviousKeys).map { _ in SecretsKey.generate() }
        #expect(throws: SecretsKeyError.tooManyPrevious) { try SecretsKeyring(current: SecretsKey.generate(), previous: many) }
    }

    @Test func theKeyringPrintsNoKey() throws {
        let ring = try Self.ring(["EXTHOST_SECRETS_KEY": Self.hexB, "EXTHOST_SECRETS_KEY_PREVIOUS": Self.hexA])
        var dumped = ""
        dump(ring, to: &dumped)
        for text in [ring.description, ring.debugDescription, dumped, "\(ring)"] {
            #expect(!text.contains("5d41") && !text.contains("0a1b") && !text.contains("93"), "\(text)")
        }
    }

    @Test func weakKeysAreNamedAndRandomKeysAreNot() throws {
        #expect(try SecretsKey(bytes: [UInt8](repeating: 7, count: 32)).weakness == "every byte is the same")
        #expect(try SecretsKey(environmentValue: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308").weakness
            == "it is a published example key")
        #expect(try SecretsKey(bytes: (0..<32).map { UInt8($0) }).weakness == "it is a published example key")
        #expect(try SecretsKey(environmentValue: Self.hexA).weakness?.contains("8 distinct byte values") == true)
        #expect(try SecretsKey(environmentValue: Self.hexB).weakness == nil)
        for _ in 0..<100 { #expect(SecretsKey.generate().weakness == nil) }
    }
}
