import Cryptography
import ExthostCore
import Foundation
import Testing

/// AES-256-GCM sealing of install secrets, and parsing of `EXTHOST_SECRETS_KEY`.
@Suite struct AESGCMTests {
    static let zeroKey = try! SecretsKey(bytes: [UInt8](repeating: 0, count: 32))

    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex)! }

    // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13, 14 and 16 (AES-256).
    @Test func opensTheGCMSpecificationVectors() throws {
        let zeroNonce = [UInt8](repeating: 0, count: 12)
        let empty = SealedSecret(nonce: zeroNonce, ciphertext: [], tag: Self.bytes("530f8afbc74536b9a963b4f1c4cb738b"))
        #expect(try AESGCM.open(empty, key: Self.zeroKey, associatedData: []) == [])

        let oneBlock = SealedSecret(
            nonce: zeroNonce, ciphertext: Self.bytes("cea7403d4d606b6e074ec5d3baf39d18"),
            tag: Self.bytes("d0d1c8a799996bf0265b98b5d48ab919"))
        #expect(try AESGCM.open(oneBlock, key: Self.zeroKey, associatedData: []) == [UInt8](repeating: 0, count: 16))

        let key = try SecretsKey(bytes: Self.bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let withAAD = SealedSecret(
            nonce: Self.bytes("cafebabefacedbaddecaf888"),
            ciphertext: Self.bytes(
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"),
            tag: Self.bytes("76fc6ece0f4e1768cddf8853bb2d551b"))
        let plaintext = try AESGCM.open(withAAD, key: key, associatedData: Self.bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2"))
        #expect(Hex.encode(plaintext)
            == "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
    }

    @Test func sealThenOpenRoundTripsEveryShortLengthAndALargeOne() throws {
        let key = SecretsKey.generate()
        for length in [0, 1, 15, 16, 17, 100, 3 << 20] {
            let plaintext = SecureRandom.bytes(length)
            let sealed = try AESGCM.seal(plaintext, key: key, associatedData: Array("tenant/install/name".utf8))
            #expect(sealed.nonce.count == 12)
            #expect(sealed.tag.count == 16)
            #expect(sealed.ciphertext.count == length)
            if length >= 16 { #expect(sealed.ciphertext != plaintext) }
            #expect(try AESGCM.open(sealed, key: key, associatedData: Array("tenant/install/name".utf8)) == plaintext)
        }
    }

    @Test func everySealUsesAFreshNonce() throws {
        let key = SecretsKey.generate()
        let plaintext = Array("same secret".utf8)
        let sealed = try (0..<64).map { _ in try AESGCM.seal(plaintext, key: key, associatedData: []) }
        #expect(Set(sealed.map(\.nonce)).count == sealed.count)
        #expect(Set(sealed.map(\.ciphertext)).count == sealed.count)
    }

    @Test func tamperingWrongKeyOrWrongAssociatedDataFailAuthentication() throws {
        let key = SecretsKey.generate()
        let associatedData = Array("t1/i1/api-token".utf8)
        let sealed = try AESGCM.seal(Array("hunter2 and more".utf8), key: key, associatedData: associatedData)
        func flipped(_ bytes: [UInt8], at index: Int) -> [UInt8] {
            var copy = bytes
            copy[index] ^= 0x01
            return copy
        }
        let attempts: [(SealedSecret, SecretsKey, [UInt8])] = [
            (sealed, SecretsKey.generate(), associatedData),
            (sealed, key, Array("t1/i1/other-name".utf8)),
            (sealed, key, []),
            (SealedSecret(nonce: sealed.nonce, ciphertext: flipped(sealed.ciphertext, at: 3), tag: sealed.tag), key, associatedData),
            (SealedSecret(nonce: sealed.nonce, ciphertext: sealed.ciphertext, tag: flipped(sealed.tag, at: 15)), key, associatedData),
            (SealedSecret(nonce: flipped(sealed.nonce, at: 0), ciphertext: sealed.ciphertext, tag: sealed.tag), key, associatedData),
            (SealedSecret(nonce: sealed.nonce, ciphertext: Array(sealed.ciphertext.dropLast()), tag: sealed.tag), key, associatedData),
        ]
        for (candidate, candidateKey, candidateData) in attempts {
            #expect(throws: AESGCMError.authenticationFailed) {
                try AESGCM.open(candidate, key: candidateKey, associatedData: candidateData)
            }
        }
        #expect(try AESGCM.open(sealed, key: key, associatedData: associatedData) == Array("hunter2 and more".utf8))
    }

    @Test func malformedNonceOrTagIsRefusedBeforeDecrypting() {
        let key = SecretsKey.generate()
        let error = #expect(throws: AESGCMError.self) {
            try AESGCM.open(SealedSecret(nonce: [1, 2, 3], ciphertext: [], tag: [UInt8](repeating: 0, count: 16)), key: key, associatedData: [])
        }
        #expect(error == .invalidInput(reason: "nonce is 3 bytes, expected 12"))
        #expect(throws: AESGCMError.invalidInput(reason: "tag is 12 bytes, expected 16")) {
            try AESGCM.open(
                SealedSecret(nonce: [UInt8](repeating: 0, count: 12), ciphertext: [], tag: [UInt8](repeating: 0, count: 12)),
                key: key, associatedData: [])
        }
        #expect(error?.status == .internalServerError)
        #expect(AESGCMError.authenticationFailed.code == "SECRET_AUTHENTICATION_FAILED")
    }

    /// An independent implementation (Python's `cryptography`, which moto already needs) opens
    /// what `seal` makes and makes what `open` opens.
    @Test func interoperatesWithPythonCryptography() throws {
        let keyBytes = SecureRandom.bytes(32)
        let key = try SecretsKey(bytes: keyBytes)
        let sealed = try AESGCM.seal(Array("from swift".utf8), key: key, associatedData: Array("aad".utf8))
        let opened = try python("""
            import sys; from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            k, n, ct, aad = (bytes.fromhex(a) for a in sys.argv[1:5])
            print(AESGCM(k).decrypt(n, ct, aad).hex())
            """, [keyBytes, sealed.nonce, sealed.ciphertext + sealed.tag, Array("aad".utf8)].map(Hex.encode))
        #expect(opened == Hex.encode(Array("from swift".utf8)))

        let made = try python("""
            import os, sys; from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            n = os.urandom(12)
            print(n.hex() + AESGCM(bytes.fromhex(sys.argv[1])).encrypt(n, b"from python", b"aad").hex())
            """, [Hex.encode(keyBytes)])
        let bytes = try #require(Hex.decode(made))
        let fromPython = SealedSecret(nonce: Array(bytes[0..<12]), ciphertext: Array(bytes[12..<(bytes.count - 16)]), tag: Array(bytes.suffix(16)))
        #expect(try AESGCM.open(fromPython, key: key, associatedData: Array("aad".utf8)) == Array("from python".utf8))
    }

    private func python(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with the cryptography package is needed (pip install cryptography)")
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite struct SecretsKeyTests {
    // Chosen so that its base64 holds both `+` and `/`, where the two alphabets differ.
    static let keyBytes = (0..<32).map { UInt8(($0 * 16 + 251) % 256) }

    /// A key parsed from `text` opens what a key made from the expected bytes sealed.
    func parsesToTheExpectedKey(_ text: String) throws -> Bool {
        let parsed = try SecretsKey(environmentValue: text)
        let sealed = try AESGCM.seal([42], key: try SecretsKey(bytes: Self.keyBytes), associatedData: [])
        return try AESGCM.open(sealed, key: parsed, associatedData: []) == [42]
    }

    @Test func acceptsHexBase64AndBase64URLWithSurroundingWhitespace() throws {
        let hex = Hex.encode(Self.keyBytes)
        let base64 = Base64.encode(Self.keyBytes)
        let base64URL = base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(base64.contains("+") && base64.contains("/"), "the fixture must exercise the alphabet difference")
        for text in [hex, hex.uppercased(), base64, String(base64.dropLast()), base64URL, String(base64URL.dropLast()),
                     "  \(hex)\n", "\t\(base64)\r\n"] {
            #expect(try parsesToTheExpectedKey(text), "\(text.debugDescription)")
        }
    }

    @Test func refusesWrongLengthsAndMalformedText() {
        let hex = Hex.encode(Self.keyBytes)
        let base64 = Base64.encode(Self.keyBytes)
        let mixed = "-" + base64.dropFirst()
        for text in ["", "   ", String(hex.dropLast(2)), hex + "00", "zz" + hex.dropFirst(2), Base64.encode(Array(Self.keyBytes.dropLast())),
                     Base64.encode(Self.keyBytes + [0]), "a" + base64, String(mixed), "\(hex.prefix(32)) \(hex.suffix(32))"] {
            #expect(throws: SecretsKeyError.invalid, "\(text.debugDescription)") { try SecretsKey(environmentValue: text) }
        }
        #expect(throws: SecretsKeyError.invalid) { try SecretsKey(bytes: [UInt8](repeating: 1, count: 31)) }
    }

    @Test func neverShowsTheKey() throws {
        let hex = Hex.encode(Self.keyBytes)
        let key = try SecretsKey(environmentValue: hex)
        var dumped = ""
        dump(key, to: &dumped)
        for text in [String(describing: key), String(reflecting: key), "\(key)", dumped] {
            #expect(!text.contains(hex.prefix(8)), "\(text)")
            #expect(!text.contains("\(Self.keyBytes[0]), \(Self.keyBytes[1])"), "\(text)")
            #expect(text.contains("redacted"))
        }
        let error = SecretsKeyError.invalid
        #expect(error.code == "SECRETS_KEY_INVALID")
        #expect(error.status == .internalServerError)
        #expect(error.message.contains("64 hex digits"))
    }
}
