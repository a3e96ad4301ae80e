/// A Semantic Versioning 2.0.0 version (`1.4.0-rc.1+build.7`), compared by semver precedence.
///
/// Numeric fields and numeric prerelease identifiers have no leading zeros; identifiers are
/// non-empty `[0-9A-Za-z-]`. Build metadata is kept for display but ignored by `==`, `<` and
/// hashing, as semver §10 requires; use `isIdentical(to:)` to compare the exact text.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    /// One dot-separated prerelease identifier: numeric ones sort numerically and before alphanumeric ones.
    public enum PrereleaseIdentifier: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// Digits without leading zeros, kept as text so any length compares correctly.
        case numeric(String)
        case alphanumeric(String)

        public var description: String {
            switch self {
            case .numeric(let digits): digits
            case .alphanumeric(let text): text
            }
        }

        public static func < (lhs: PrereleaseIdentifier, rhs: PrereleaseIdentifier) -> Bool {
            switch (lhs, rhs) {
            case (.numeric(let left), .numeric(let right)):
                left.utf8.count != right.utf8.count ? left.utf8.count < right.utf8.count : left.utf8.lexicographicallyPrecedes(right.utf8)
            case (.numeric, .alphanumeric): true
            case (.alphanumeric, .numeric): false
            case (.alphanumeric(let left), .alphanumeric(let right)): left.utf8.lexicographicallyPrecedes(right.utf8)
            }
        }
    }

    public let major: Int
    public let minor: Int
    public let patch: Int
    public let prerelease: [PrereleaseIdentifier]
    public let build: [String]

    /// Longer version strings are rejected; nothing legitimate comes close.
    public static let maxLength = 256

    public init(major: Int, minor: Int, patch: Int, prerelease: [PrereleaseIdentifier] = [], build: [String] = []) {
        precondition(major >= 0 && minor >= 0 && patch >= 0, "version numbers are non-negative")
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Nil when `text` is not a valid semver 2.0.0 version; `SemanticVersion.problem(in:)` says why.
    public init?(_ text: String) {
        guard case .success(let version) = Self.parse(text) else { return nil }
        self = version
    }

    /// Why `text` is not a valid version, or nil when it is one.
    public static func problem(in text: String) -> String? {
        if case .failure(let problem) = parse(text) { return problem.reason }
        return nil
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.map(\.description).joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    public func isIdentical(to other: SemanticVersion) -> Bool {
        self == other && build == other.build
    }

    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch && lhs.prerelease == rhs.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    /// Semver §11: numbers first; a prerelease sorts before its release; prerelease identifiers
    /// compare left to right and a shorter list sorts first when all shared ones are equal.
    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.patch) != (rhs.major, rhs.minor, rhs.patch) {
            return (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, _): return false
        case (false, true): return true
        case (false, false): return lhs.prerelease.lexicographicallyPrecedes(rhs.prerelease)
        }
    }
}

extension SemanticVersion {
    struct ParseProblem: Error {
        let reason: String
    }

    static func parse(_ text: String) -> Result<SemanticVersion, ParseProblem> {
        guard !text.isEmpty else { return .failure(ParseProblem(reason: "the version is empty")) }
        guard text.utf8.count <= maxLength else {
            return .failure(ParseProblem(reason: "the version is longer than \(maxLength) characters"))
        }
        var rest = Substring(text)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            let identifiers = rest[rest.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false)
            guard identifiers.allSatisfy(isIdentifier) else {
                return .failure(ParseProblem(reason: "build metadata must be dot-separated non-empty [0-9A-Za-z-] identifiers"))
            }
            build = identifiers.map(String.init)
            rest = rest[..<plus]
        }
        var prerelease: [PrereleaseIdentifier] = []
        if let dash = rest.firstIndex(of: "-") {
            let identifiers = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
            for identifier in identifiers {
                guard isIdentifier(identifier) else {
                    return .failure(ParseProblem(reason: "prerelease identifiers must be dot-separated non-empty [0-9A-Za-z-] identifiers"))
                }
                guard identifier.utf8.allSatisfy(isDigit) else {
                    prerelease.append(.alphanumeric(String(identifier)))
                    continue
                }
                guard identifier == "0" || identifier.first != "0" else {
                    return .failure(ParseProblem(reason: "numeric prerelease identifier \(identifier) has a leading zero"))
                }
                prerelease.append(.numeric(String(identifier)))
            }
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else {
            return .failure(ParseProblem(reason: "expected MAJOR.MINOR.PATCH, e.g. 1.0.0"))
        }
        var numbers: [Int] = []
        for (name, part) in zip(["major", "minor", "patch"], core) {
            guard !part.isEmpty, part.utf8.allSatisfy(isDigit) else {
                return .failure(ParseProblem(reason: "the \(name) version must be a non-negative integer"))
            }
            guard part == "0" || part.first != "0" else {
                return .failure(ParseProblem(reason: "the \(name) version has a leading zero"))
            }
            guard let number = Int(part) else {
                return .failure(ParseProblem(reason: "the \(name) version is too large"))
            }
            numbers.append(number)
        }
        return .success(SemanticVersion(major: numbers[0], minor: numbers[1], patch: numbers[2], prerelease: prerelease, build: build))
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { isDigit($0) || isASCIILetter($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
