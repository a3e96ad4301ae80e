import ExthostCore
import Cryptography
import Testing

/// Base64, HMAC-SHA-256, secure random bytes and constant-time comparison.
@Suite struct PrimitivesTests {
    @Test func base64MatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    }

    @Test func base64RoundTripsEveryLength() {
        for length in 0..<70 {
            let bytes = SecureRandom.bytes(length)
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    @Test func base64RejectsNonCanonicalText() {
        for text in ["Zg", "Zg=", "Zm9", "Zg==\n", " Zg==", "Zm 9v", "Zm9v\r\n", "Z===", "====", "Zg==Zg==",
                     "Zh==", "Zm9=", "Zm-v", "Zm_v", "Zm9v=", "=Zm9", "Zg=a"] {
            #expect(Base64.decode(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func hmacMatchesRFC4231() {
        let case1 = HMACSHA256.authenticationCode(key: [UInt8](repeating: 0x0B, count: 20), message: Array("Hi There".utf8))
        #expect(Hex.encode(case1) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let case2 = HMACSHA256.authenticationCode(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(case2) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block size is hashed first.
        let case6 = HMACSHA256.authenticationCode(key: [UInt8](repeating: 0xAA, count: 131),
                                                  message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(Hex.encode(case6) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        #expect(HMACSHA256.authenticationCode(key: [], message: []).count == 32)
    }

    @Test func secureRandomGivesFreshBytes() {
        #expect(SecureRandom.bytes(0).isEmpty)
        let first = SecureRandom.bytes(32)
        let second = SecureRandom.bytes(32)
        #expect(first.count == 32 && first != second)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([], []))
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([], [0]))
    }
}
