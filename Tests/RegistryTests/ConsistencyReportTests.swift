import JSON
import Registry
import Testing

@Suite struct ConsistencyReportTests {
    @Test func warningsAloneAreClean() {
        var report = ConsistencyReport()
        report.count("bundle rows", 3)
        report.add(.init(.warning, code: "ORPHAN_OBJECT", subject: "sha256/aa/bundle.tar.zst", message: "orphan"))
        #expect(report.status == .clean)
        #expect(report.text.hasSuffix("fsck: clean (0 errors, 1 warnings)\n"))
        #expect(report.text.contains("checked: 3 bundle rows"))
    }

    @Test func oneErrorMakesItInconsistent() {
        var report = ConsistencyReport()
        report.add(.init(.warning, code: "ORPHAN_OBJECT", subject: "a", message: "m"))
        report.add(.init(.error, code: "MISSING_OBJECT", subject: "sha256:bb", message: "gone"))
        #expect(report.status == .inconsistent)
        #expect(report.status.rawValue == 1)
        // Errors are listed before warnings, whatever the order they were found in.
        #expect(report.text.hasPrefix("error: MISSING_OBJECT sha256:bb: gone\nwarning: ORPHAN_OBJECT a: m\n"))
    }

    @Test func aRunThatCouldNotCheckIsNeverClean() {
        var report = ConsistencyReport()
        report.fail("bundle rows: DATABASE_UNAVAILABLE: the database is unreachable")
        report.fail("store listing: STORAGE_UNAVAILABLE")
        #expect(report.status == .cannotCheck)
        #expect(report.status.rawValue == 2)
        #expect(report.text.contains("cannot check: bundle rows: DATABASE_UNAVAILABLE"))
        #expect(report.text.contains("cannot check: store listing: STORAGE_UNAVAILABLE"))
        #expect(report.json["failures"]?[1]?.stringValue == "store listing: STORAGE_UNAVAILABLE")
    }

    @Test func unlistedFindingsCountEvenWithNoDetailsAtAll() {
        // `--max-findings 0`: a query listed one of six dangling installs, the rest only counted.
        var report = ConsistencyReport(detailLimit: 0)
        report.add(.init(.error, code: "LOST_INSTALL", subject: "tenant t install i", message: "its version v does not exist"))
        report.addUnlisted(code: "LOST_INSTALL", severity: .error, count: 5)
        report.addUnlisted(code: "VERSION_WITHOUT_BUNDLE", severity: .error, count: 0)
        #expect(report.findings.isEmpty)
        #expect(report.counts["LOST_INSTALL"]?.count == 6)
        #expect(report.counts["VERSION_WITHOUT_BUNDLE"] == nil)
        #expect(report.status == .inconsistent)
        #expect(report.json["truncated"] == .bool(true))
    }

    @Test func detailsAreBoundedButEveryFindingIsCounted() throws {
        var report = ConsistencyReport(detailLimit: 2)
        for index in 0..<5 {
            report.add(.init(.error, code: "MISSING_OBJECT", subject: "sha256:\(index)", message: "gone"))
        }
        #expect(report.findings.count == 2)
        #expect(report.total(.error) == 5)
        let json = report.json
        #expect(json["errors"]?.intValue == 5)
        #expect(json["truncated"]?.boolValue == true)
        #expect(json["status"]?.stringValue == "inconsistent")
        #expect(report.text.contains("3 more findings not shown"))
    }

    @Test func checkedCountsAddUpInFirstSeenOrder() {
        var report = ConsistencyReport()
        report.count("bundle rows")
        report.count("installs", 4)
        report.count("bundle rows")
        #expect(report.checked.map(\.what) == ["bundle rows", "installs"])
        #expect(report.checked.map(\.count) == [2, 4])
    }
}
