import Bundle
import ExthostCore
import Runner
import Testing

let extensionID = "0e7a0e7a-de30-4000-8000-00000000abcd"
let hex = String(repeating: "0123456789abcdef", count: 4)

func uiPath(_ rest: String) -> String { "/ext-ui/\(extensionID)/\(hex)/\(rest)" }

@Suite struct UIAssetPathTests {
    @Test func parsesTheExtensionTheHashAndTheDecodedNames() throws {
        let asset = try UIAssetPath(requestPath: uiPath("assets/my%20app.js"))
        #expect(asset.extensionID == extensionID)
        #expect(asset.hash == ContentHash(parsing: "sha256:" + hex))
        #expect(asset.segments == ["assets", "my app.js"])
        #expect(!asset.isDirectory)
    }

    @Test func aTrailingSlashNamesADirectory() throws {
        let root = try UIAssetPath(requestPath: uiPath(""))
        #expect(root.segments.isEmpty && root.isDirectory)
        let sub = try UIAssetPath(requestPath: uiPath("docs/"))
        #expect(sub.segments == ["docs"] && sub.isDirectory)
    }

    @Test func keepsNonASCIINamesAndDotsInsideNames() throws {
        let asset = try UIAssetPath(requestPath: uiPath("caf%C3%A9/..hidden/a..b/.well-known"))
        #expect(asset.segments == ["café", "..hidden", "a..b", ".well-known"])
    }

    @Test(arguments: [
        uiPath(".."), uiPath("../x"), uiPath("a/../../x"), uiPath("%2e%2e/x"), uiPath("%2E%2E"), uiPath(".%2e/x"),
        uiPath("."), uiPath("./index.html"), uiPath("%2e/index.html"),
        uiPath("a//b"), uiPath("/index.html"), uiPath("a//"),
        uiPath("a%2fb"), uiPath("a%2F..%2Fb"), uiPath("a%5cb"), uiPath("a\\b"),
        uiPath("index.html%00.js"), uiPath("%00"), uiPath("a%0ab"), uiPath("a%7fb"),
        uiPath("%zz"), uiPath("%ff"), uiPath("%e"),
        uiPath(String(repeating: "a", count: 256)),
        uiPath(Array(repeating: "d", count: 33).joined(separator: "/")),
    ])
    func refusesPathTricks(_ path: String) {
        #expect(throws: UIMissError.self) { try UIAssetPath(requestPath: path) }
    }

    @Test(arguments: [
        "/ext-ui/\(extensionID.uppercased())/\(hex)/index.html",
        "/ext-ui/\(extensionID)/\(hex.uppercased())/index.html",
        "/ext-ui/\(extensionID)/sha256:\(hex)/index.html",
        "/ext-ui/\(extensionID)/sha256%3a\(hex)/index.html",
        "/ext-ui/\(extensionID)/\(hex.dropLast())/index.html",
        "/ext-ui/\(extensionID)/\(hex)0/index.html",
        "/ext-ui/0e7a0e7ade3040008000000000000abcd/\(hex)/index.html",
        "/ext-ui/%30e7a0e7a-de30-4000-8000-00000000abcd/\(hex)/index.html",
        "/ext-ui/\(extensionID)/\(hex)",
        "/ext-ui/\(extensionID)",
        "/ext-ui/",
        "/ext-ui//\(extensionID)/\(hex)/index.html",
        "/EXT-UI/\(extensionID)/\(hex)/index.html",
        "/api/ext/\(extensionID)/\(hex)/index.html",
    ])
    func refusesNonCanonicalIDsAndPrefixes(_ path: String) {
        #expect(throws: UIMissError.self) { try UIAssetPath(requestPath: path) }
    }

    @Test func theErrorIsA404WithItsOwnCode() {
        #expect(throws: UIMissError.invalidPath(reason: "it has a . or .. segment")) { try UIAssetPath(requestPath: uiPath("..")) }
        let error = UIMissError.invalidPath(reason: "x")
        #expect(error.status.code == 404 && error.code == "UI_PATH_INVALID")
    }

    @Test func acceptsTheDeepestAndLongestAllowedPaths() throws {
        let deep = try UIAssetPath(requestPath: uiPath(Array(repeating: "d", count: 32).joined(separator: "/")))
        #expect(deep.segments.count == 32)
        let long = try UIAssetPath(requestPath: uiPath(String(repeating: "a", count: 255)))
        #expect(long.segments == [String(repeating: "a", count: 255)])
    }
}

