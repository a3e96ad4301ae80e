import ExthostCore

extension SecretsKey {
    /// Fewer distinct byte values than this is not what 32 random bytes look like: a random key
    /// has about 30, and fewer than 16 happens with probability far below 2⁻⁶⁴.
    public static let minimumDistinctBytes = 16

    /// Keys published where anyone can read them: the AES-GCM test key of the GCM specification
    /// (also in our unit tests) and the counting sequences people type as placeholders.
    static let publishedKeys: [[UInt8]] = [
        Hex.decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")!,
        (0..<32).map { UInt8($0) },
        (0..<32).map { UInt8(31 - $0) },
        (1...32).map { UInt8($0) },
    ]

    /// Why this key is guessable, or nil when it looks random: every byte the same, too few
    /// distinct bytes (a repeated pattern or typed text), or a published example key.
    public var weakness: String? {
        if Set(bytes).count == 1 { return "every byte is the same" }
        if Self.publishedKeys.contains(where: { ConstantTime.equals($0, bytes) }) { return "it is a published example key" }
        if Set(bytes).count < Self.minimumDistinctBytes {
            return "it has only \(Set(bytes).count) distinct byte values (random keys have about 30)"
        }
        return nil
    }
}
