import Bundle
import ContentCache
import ExthostCore
import FastCGI
import Foundation
import Logging
import Runner
import Testing

@Suite struct UIMissHandlerTests {
    let root: TemporaryCacheRoot
    let hash = ContentHash(parsing: "sha256:" + hex)!
    let files = ["index.html", "app.js", "docs/index.html", "empty/", "my file?%.js", "deep/er/style.css"]

    init() throws { root = try TemporaryCacheRoot() }

    var enabled: FixedPairs { FixedPairs(enabled: [extensionID + " sha256:" + hex]) }

    func filler(failure: TestFailure? = nil) -> RecordingFiller {
        let files = files
        return RecordingFiller(root: root.path, failure: failure) { tree in try TemporaryCacheRoot.writeTree(tree, files) }
    }

    func handler(pairs: FixedPairs? = nil, filler: RecordingFiller) -> UIMissHandler {
        UIMissHandler(
            layout: ContentCacheLayout(root: root.path + "/"), pairs: pairs ?? enabled, filler: filler, fillTimeout: .milliseconds(1234),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    func redirect(_ path: String, filler: RecordingFiller? = nil) throws -> String? {
        let response = try handler(filler: filler ?? self.filler()).respond(to: try request(path))
        return response.accelHeaders.first { $0.0 == .redirect }?.1
    }

    @Test func aMissFillsTheTreeAndRedirectsToTheStaticFile() throws {
        let filler = filler()
        let response = try handler(filler: filler).respond(to: try request(uiPath("app.js")))
        #expect(response.accelHeaders.map(\.1) == ["/_exthost_static/sha256/\(hex)/ui/app.js"])
        #expect(filler.hashes == [hash])
        #expect(filler.timeouts == [.milliseconds(1234)])
    }

    @Test func theRedirectCarriesNoHeaderNginxWouldCopyOntoTheFile() throws {
        let response = try handler(filler: filler()).respond(to: try request(uiPath("app.js")))
        let head = headText(response).lowercased()
        #expect(head.contains("x-accel-redirect: /_exthost_static/"))
        #expect(!head.contains("content-type") && !head.contains("cache-control") && !head.contains("etag"))
        #expect(response.headers.fields.isEmpty)
    }

    @Test func directoriesAreServedByTheirIndex() throws {
        #expect(try redirect(uiPath("")) == "/_exthost_static/sha256/\(hex)/ui/index.html")
        #expect(try redirect(uiPath("docs/")) == "/_exthost_static/sha256/\(hex)/ui/docs/index.html")
        #expect(try redirect(uiPath("docs")) == "/_exthost_static/sha256/\(hex)/ui/docs/index.html")
        #expect(try redirect(uiPath("deep/er/style.css")) == "/_exthost_static/sha256/\(hex)/ui/deep/er/style.css")
    }

    @Test func namesAreReencodedForNginx() throws {
        #expect(try redirect(uiPath("my%20file%3F%25.js")) == "/_exthost_static/sha256/\(hex)/ui/my%20file%3F%25.js")
    }

    @Test(arguments: ["missing.js", "empty/", "empty", "app.js/", "deep/missing/style.css", "app.js/x", "docs/index.html/"])
    func aFileMissingInThePresentTreeIsA404(_ rest: String) throws {
        #expect(throws: UIMissError.fileNotFound(path: rest)) {
            try handler(filler: filler()).respond(to: try request(uiPath(rest)))
        }
    }

    @Test func aTreeWithoutUIIsA404() throws {
        let filler = RecordingFiller(root: root.path) { tree in
            try FileManager.default.createDirectory(atPath: tree + "/dist", withIntermediateDirectories: true)
        }
        #expect(throws: UIMissError.fileNotFound(path: "index.html")) {
            try handler(filler: filler).respond(to: try request(uiPath("index.html")))
        }
    }

    @Test func symbolicLinksInsideTheTreeAreNeverServed() throws {
        let tree = root.path + "/sha256/" + hex
        try TemporaryCacheRoot.writeTree(tree, ["real/index.html"])
        try FileManager.default.createSymbolicLink(atPath: tree + "/ui/escape.txt", withDestinationPath: "/etc/hostname")
        try FileManager.default.createSymbolicLink(atPath: tree + "/ui/linked", withDestinationPath: "real")
        let filler = RecordingFiller(root: root.path)
        #expect(try redirect(uiPath("real/"), filler: filler) != nil)
        for rest in ["escape.txt", "linked/index.html", "linked/"] {
            #expect(throws: UIMissError.fileNotFound(path: rest)) { try redirect(uiPath(rest), filler: filler) }
        }
    }

    @Test func aPairNoTenantEnabledIsA404WithoutAnyFill() throws {
        let filler = filler()
        let otherHash = String(repeating: "f", count: 64)
        let pairs = FixedPairs(enabled: [extensionID + " sha256:" + otherHash])
        #expect(throws: UIMissError.notEnabled(extensionID: extensionID, hash: hash)) {
            try handler(pairs: pairs, filler: filler).respond(to: try request(uiPath("index.html")))
        }
        #expect(filler.callCount == 0)
    }

    @Test func anInvalidPathIsRefusedBeforeTheRegistryIsAsked() throws {
        let pairs = FixedPairs(enabled: [], failure: TestFailure(status: .serviceUnavailable, code: "DB_DOWN"))
        #expect(throws: UIMissError.invalidPath(reason: "it has a . or .. segment")) {
            try handler(pairs: pairs, filler: filler()).respond(to: try request(uiPath("%2e%2e/%2e%2e/index.html")))
        }
    }

    @Test func aRegistryFailureKeepsItsOwnError() throws {
        let failure = TestFailure(status: .serviceUnavailable, code: "DB_DOWN")
        let filler = filler()
        #expect(throws: failure) {
            try handler(pairs: FixedPairs(enabled: [], failure: failure), filler: filler).respond(to: try request(uiPath("app.js")))
        }
        #expect(filler.callCount == 0)
    }

    @Test func cachefillSayingNotFoundIsUINotFound() throws {
        let filler = filler(failure: TestFailure(status: .notFound, code: "NOT_ENABLED"))
        #expect(throws: UIMissError.notEnabled(extensionID: extensionID, hash: hash)) {
            try handler(filler: filler).respond(to: try request(uiPath("app.js")))
        }
    }

    @Test(arguments: [HTTPStatus.serviceUnavailable, .gatewayTimeout, .badGateway])
    func otherCachefillFailuresPassThrough(_ status: HTTPStatus) throws {
        let failure = TestFailure(status: status, code: "CACHEFILL_\(status.code)")
        #expect(throws: failure) { try handler(filler: filler(failure: failure)).respond(to: try request(uiPath("app.js"))) }
    }

    @Test func theRouteMarksErrorsNoStoreAndAllowsOnlyGetAndHead() throws {
        var router = Router()
        router.addUIMissRoute(handler(filler: filler()))
        let missing = try router.respond(to: try request(uiPath("missing.js")))
        #expect(missing.status.code == 404)
        #expect(missing.headers["Cache-Control"] == "no-store")
        #expect(missing.headers["Content-Type"] == "application/json")
        guard case .bytes(let body) = missing.body else { Issue.record("no JSON body"); return }
        #expect(String(decoding: body, as: UTF8.self).contains("\"code\":\"UI_FILE_NOT_FOUND\""))

        let head = try router.respond(to: try request(uiPath("app.js"), method: "HEAD"))
        #expect(head.accelHeaders.map(\.1) == ["/_exthost_static/sha256/\(hex)/ui/app.js"])
        #expect(throws: RequestError.methodNotAllowed(method: "POST", allowed: ["GET"])) {
            try router.respond(to: try request(uiPath("app.js"), method: "POST"))
        }
    }
}
