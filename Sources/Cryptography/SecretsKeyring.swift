import ExthostCore

/// The keys install secrets are sealed and opened with: one current key (`EXTHOST_SECRETS_KEY`)
/// that seals and opens, and previous keys (`EXTHOST_SECRETS_KEY_PREVIOUS`) that only open, so a
/// key can be replaced while values sealed under the old one are still readable.
///
/// Invariants: no previous key equals the current key or another previous key; sealing always
/// uses the current key; opening tries the current key first, then the previous keys in the
/// order given, and the GCM tag decides which key fits (no key id is stored). Every textual
/// form is redacted, as for `SecretsKey`.
public struct SecretsKeyring: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let previousEnvironmentVariable = "EXTHOST_SECRETS_KEY_PREVIOUS"
    /// Enough for a rotation that overlaps another; more means old keys were never retired.
    public static let maximumPreviousKeys = 8

    public let current: SecretsKey
    public let previous: [SecretsKey]

    public init(current: SecretsKey, previous: [SecretsKey] = []) throws(SecretsKeyError) {
        guard previous.count <= Self.maximumPreviousKeys else { throw .tooManyPrevious }
        let all = [current] + previous
        for (index, key) in all.enumerated() where all[..<index].contains(where: { $0.hasSameBytes(as: key) }) {
            throw .previousRepeatsKey(position: index)
        }
        self.current = current
        self.previous = previous
        self.openOrder = all
    }

    /// `current`, then `previous`: built once, since every secret a request reads is opened.
    private let openOrder: [SecretsKey]

    /// The keyring an environment describes; nil when `EXTHOST_SECRETS_KEY` is unset or blank (install
    /// secrets disabled). `EXTHOST_SECRETS_KEY_PREVIOUS` is a comma-separated list of keys in the
    /// same formats, blank entries ignored; setting it without a current key is an error.
    public static func fromEnvironment(_ environment: [String: String]) throws(SecretsKeyError) -> SecretsKeyring? {
        let previousText = environment[previousEnvironmentVariable] ?? ""
        let previousValues = previousText.split(separator: ",").map(String.init).filter { !SecretsKey.isBlank($0) }
        guard let currentText = environment[SecretsKey.environmentVariable], !SecretsKey.isBlank(currentText) else {
            if !previousValues.isEmpty { throw .previousWithoutCurrent }
            return nil
        }
        let current = try SecretsKey(environmentValue: currentText)
        var previous: [SecretsKey] = []
        for (index, text) in previousValues.enumerated() {
            do {
                previous.append(try SecretsKey(environmentValue: text))
            } catch {
                throw .invalidPrevious(position: index + 1)
            }
        }
        return try SecretsKeyring(current: current, previous: previous)
    }

    /// Seals under the current key.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws(AESGCMError) -> SealedSecret {
        try AESGCM.seal(plaintext, key: current, associatedData: associatedData)
    }

    /// The plaintext and which key opened it; `.authenticationFailed` when no key of the ring does.
    public func open(_ sealed: SealedSecret, associatedData: [UInt8]) throws(AESGCMError) -> OpenedSecret {
        for (index, key) in openOrder.enumerated() {
            do {
                let plaintext = try AESGCM.open(sealed, key: key, associatedData: associatedData)
                return OpenedSecret(plaintext: plaintext, openedWith: index == 0 ? .current : .previous(position: index))
            } catch .authenticationFailed {
                continue
            }
        }
        throw .authenticationFailed
    }

    public var description: String { "SecretsKeyring(current: redacted, previous: \(previous.count) redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// A secret opened by a `SecretsKeyring`, with the key that opened it, so a rotation knows
/// which values still need sealing under the current key.
public struct OpenedSecret: Sendable, Equatable {
    public enum Key: Sendable, Equatable {
        case current
        /// 1-based position in `EXTHOST_SECRETS_KEY_PREVIOUS`.
        case previous(position: Int)
    }

    public let plaintext: [UInt8]
    public let openedWith: Key
}
