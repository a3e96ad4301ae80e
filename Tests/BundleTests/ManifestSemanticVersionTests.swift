import Bundle
import Testing

@Suite struct ManifestSemanticVersionTests {
    @Test func parsesEveryPart() throws {
        let version = try #require(SemanticVersion("1.20.300-rc.1.x-y+build.007.sha-5"))
        #expect(version.major == 1 && version.minor == 20 && version.patch == 300)
        #expect(version.prerelease == [.alphanumeric("rc"), .numeric("1"), .alphanumeric("x-y")])
        #expect(version.build == ["build", "007", "sha-5"])
        #expect(version.description == "1.20.300-rc.1.x-y+build.007.sha-5")
        #expect(version.isPrerelease)
        #expect(SemanticVersion("0.0.0")?.isPrerelease == false)
    }

    static let valid = [
        "0.0.4", "1.2.3", "10.20.30", "1.1.2-prerelease+meta", "1.1.2+meta", "1.1.2+meta-valid", "1.0.0-alpha",
        "1.0.0-beta", "1.0.0-alpha.beta", "1.0.0-alpha.beta.1", "1.0.0-alpha.1", "1.0.0-alpha0.valid",
        "1.0.0-alpha.0valid", "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay", "1.0.0-rc.1+build.1",
        "2.0.0-rc.1+build.123", "1.2.3-beta", "10.2.3-DEV-SNAPSHOT", "1.2.3-SNAPSHOT-123", "2.0.0+build.1848",
        "2.0.1-alpha.1227", "1.0.0-alpha+beta", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788", "1.2.3----R-S.12.9.1--.12+meta",
        "1.2.3----RC-SNAPSHOT.12.9.1--.12", "1.0.0+0.build.1-rc.10000aaa-kk-0.1", "1.0.0-0A.is.legal",
        "9223372036854775807.0.0",
    ]

    @Test(arguments: valid)
    func acceptsValidVersions(_ text: String) throws {
        let version = try #require(SemanticVersion(text))
        #expect(version.description == text)
        #expect(SemanticVersion.problem(in: text) == nil)
    }

    static let invalid = [
        "", "1", "1.2", "1.2.3-0123", "1.2.3-0123.0123", "1.1.2+.123", "+invalid", "-invalid", "-invalid+invalid",
        "-invalid.01", "alpha", "alpha.beta", "alpha.beta.1", "alpha.1", "alpha+beta", "alpha_beta", "alpha.",
        "alpha..", "beta", "1.0.0-alpha_beta", "-alpha.", "1.0.0-alpha..", "1.0.0-alpha..1", "1.0.0-alpha...1",
        "01.1.1", "1.01.1", "1.1.01", "1.2.3.DEV", "1.2-SNAPSHOT", "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
        "1.2-RC-SNAPSHOT", "-1.0.3-gamma+b7718", "+justmeta", "9.8.7+meta+meta", "9.8.7-whatever+meta+meta",
        "v1.2.3", " 1.2.3", "1.2.3 ", "1.2.3-", "1.2.3+", "1.2.3-é", "99999999999999999999.0.0",
        String(repeating: "1", count: 300) + ".0.0",
    ]

    @Test(arguments: invalid)
    func rejectsInvalidVersions(_ text: String) {
        #expect(SemanticVersion(text) == nil)
        #expect(SemanticVersion.problem(in: text) != nil)
    }

    @Test func explainsWhyAVersionIsInvalid() {
        #expect(SemanticVersion.problem(in: "1.2") == "expected MAJOR.MINOR.PATCH, e.g. 1.0.0")
        #expect(SemanticVersion.problem(in: "01.2.3") == "the major version has a leading zero")
        #expect(SemanticVersion.problem(in: "1.2.3-01") == "numeric prerelease identifier 01 has a leading zero")
    }

    @Test func ordersBySemverPrecedence() throws {
        let ordered = [
            "0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.9.0", "1.10.0", "1.11.0", "2.0.0", "2.1.0", "2.1.1",
        ].map { SemanticVersion($0)! }
        for (index, version) in ordered.enumerated() {
            for (otherIndex, other) in ordered.enumerated() {
                #expect((version < other) == (index < otherIndex), "\(version) vs \(other)")
                #expect((version == other) == (index == otherIndex), "\(version) vs \(other)")
            }
        }
        #expect(ordered.shuffled().sorted() == ordered)
    }

    @Test func comparesLongNumericIdentifiersNumerically() throws {
        let small = try #require(SemanticVersion("1.0.0-rc.99999999999999999999"))
        let large = try #require(SemanticVersion("1.0.0-rc.100000000000000000000"))
        #expect(small < large)
        #expect(try #require(SemanticVersion("1.0.0-2")) < #require(SemanticVersion("1.0.0-10")))
        #expect(try #require(SemanticVersion("1.0.0-10")) < #require(SemanticVersion("1.0.0-1a")))
    }

    @Test func ignoresBuildMetadataForPrecedence() throws {
        let first = try #require(SemanticVersion("1.0.0+build.1"))
        let second = try #require(SemanticVersion("1.0.0+build.2"))
        #expect(first == second)
        #expect(!(first < second) && !(second < first))
        #expect(Set([first, second]).count == 1)
        #expect(!first.isIdentical(to: second))
        #expect(first.isIdentical(to: try #require(SemanticVersion("1.0.0+build.1"))))
    }
}
