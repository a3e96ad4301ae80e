import Bundle
import ExthostCore
import JSON
import Testing

@Suite struct ManifestValidatorTests {
    static let fullManifest = #"""
        {
          "manifestVersion": 2,
          "name": "hello-world",
          "publisher": "acme.tools",
          "version": "1.2.0-beta.1+sha.5114f85",
          "runtime": "exthost-wasm@1",
          "entry": "dist/hello.wasm",
          "displayName": "Hello, World",
          "description": "Greets people.\nTwice.",
          "capabilities": ["cap:context.read", "cap:log.emit", "cap:http.fetch", "cap:secrets.get", "cap:storage.kv", "cap:config.read"],
          "ui": {"type": "iframe", "entry": "ui/index.html", "hooks": ["ticket.sidebar", "settings:page", "a-b.C9"]},
          "api": {"endpoints": [
            {"method": "GET", "path": "/hello/:name", "handler": "hello"},
            {"method": "POST", "path": "/hello/:name", "handler": "hello_post"},
            {"method": "GET", "path": "/", "handler": "_root"},
            {"method": "DELETE", "path": "/files/*rest", "handler": "Remove2"}
          ]},
          "assets": ["ui/logo.svg", "docs"],
          "precompiled": {"target": "x86_64", "anything": [1, {"goes": true}]},
          "sbom": "sbom.spdx.json"
        }
        """#

    func validate(_ text: String) throws(ManifestError) -> Manifest {
        try ManifestValidator.validate(Array(text.utf8))
    }

    func issues(_ text: String) -> [ManifestIssue] {
        do {
            _ = try validate(text)
            Issue.record("expected the manifest to be rejected")
            return []
        } catch {
            return error.issues
        }
    }

    /// A minimal valid manifest with `extra` members spliced in.
    func minimal(_ extra: String = "") -> String {
        #"{"name":"x","publisher":"p","version":"1.0.0","runtime":"exthost-wasm@1""# + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    @Test func acceptsAFullManifest() throws {
        let manifest = try validate(Self.fullManifest)
        #expect(manifest.name == "hello-world")
        #expect(manifest.publisher == "acme.tools")
        #expect(manifest.extensionId == "acme.tools.hello-world")
        #expect(manifest.version == SemanticVersion("1.2.0-beta.1"))
        #expect(manifest.version.build == ["sha", "5114f85"])
        #expect(manifest.runtime == "exthost-wasm@1")
        #expect(manifest.entry == "dist/hello.wasm")
        #expect(manifest.displayName == "Hello, World")
        #expect(manifest.description == "Greets people.\nTwice.")
        #expect(manifest.capabilities == Capability.allCases)
        #expect(manifest.ui == ExtensionUI(type: .iframe, entry: "ui/index.html", hooks: ["ticket.sidebar", "settings:page", "a-b.C9"]))
        #expect(manifest.endpoints.map(\.handler) == ["hello", "hello_post", "_root", "Remove2"])
        #expect(manifest.endpoints[0].method == .get)
        #expect(manifest.endpoints[0].path.segments == [.literal("hello"), .parameter("name")])
        #expect(manifest.endpoints[3].path.segments == [.literal("files"), .rest("rest")])
        #expect(manifest.assets == ["ui/logo.svg", "docs"])
        #expect(manifest.precompiled?["anything"]?[1]?["goes"] == true)
        #expect(manifest.sbom == "sbom.spdx.json")
        #expect(manifest.requiresEntry)
    }

    @Test func fillsDefaults() throws {
        let manifest = try validate(minimal(#""ui":{"type":"iframe"}"#))
        #expect(manifest.entry == "dist/main.wasm")
        #expect(manifest.capabilities.isEmpty && manifest.endpoints.isEmpty && manifest.assets.isEmpty)
        #expect(manifest.ui == ExtensionUI(type: .iframe, entry: "ui/index.html", hooks: []))
        #expect(!manifest.requiresEntry)
        #expect(manifest.description == nil && manifest.displayName == nil && manifest.sbom == nil && manifest.precompiled == nil)
    }

    @Test func normalisedFormValidatesToTheSameManifest() throws {
        let manifest = try validate(Self.fullManifest)
        let reparsed = try ManifestValidator.validate(JSONValue.parse(manifest.jsonValue.serialized(.pretty)))
        #expect(reparsed == manifest)
        #expect(manifest.jsonValue["entry"] == "dist/hello.wasm")
        #expect(manifest.jsonValue["api"]?["endpoints"]?[3]?["path"] == "/files/*rest")
        #expect(manifest.summary.contains("GET /hello/:name -> hello"))
        #expect(manifest.summary.hasPrefix("acme.tools.hello-world 1.2.0-beta.1+sha.5114f85 (exthost-wasm@1)"))
    }

    @Test func reportsEveryProblemAtOnceWithItsPath() {
        let text = #"""
            {
              "manifestVersion": 3,
              "name": "Hello World",
              "publisher": "-acme",
              "version": "1.0",
              "runtime": "wasm",
              "entry": "../main.js",
              "displayName": "",
              "description": 5,
              "capabilities": ["cap:log.emit", "cap:fs.write", "cap:log.emit", 7],
              "ui": {"type": "window", "entry": "index.html", "hooks": ["Bad Hook", "ok", "ok"], "size": 3},
              "api": {"endpoints": [
                {"method": "GET", "path": "/a/:id", "handler": "a"},
                {"method": "get", "path": "b", "handler": "1x"},
                {"method": "GET", "path": "/a/:other", "handler": "b"},
                {"method": "POST", "path": "/x/:id/:id", "handler": "exthost_alloc", "auth": true},
                "nope",
                {"path": "/ok"}
              ], "version": 1},
              "assets": ["/etc/passwd", "a//b", "ok.txt", "ok.txt"],
              "precompiled": [],
              "sbom": 1,
              "homepage": "https://example.com"
            }
            """#
        let found = issues(text).map { "\($0.path) \($0.code)" }
        let expected = [
            "manifestVersion UNSUPPORTED_MANIFEST_VERSION",
            "name INVALID_NAME",
            "publisher INVALID_PUBLISHER",
            "version INVALID_VERSION",
            "runtime UNSUPPORTED_RUNTIME",
            "entry UNSAFE_PATH",
            "displayName INVALID_TEXT",
            "description TYPE_MISMATCH",
            "capabilities[1] UNKNOWN_CAPABILITY",
            "capabilities[2] DUPLICATE_VALUE",
            "capabilities[3] TYPE_MISMATCH",
            "ui.type UNSUPPORTED_UI_TYPE",
            "ui.entry UI_ENTRY_OUTSIDE_UI",
            "ui.hooks[0] INVALID_HOOK",
            "ui.hooks[2] DUPLICATE_VALUE",
            "ui.size UNKNOWN_FIELD",
            "api.endpoints[1].method INVALID_METHOD",
            "api.endpoints[1].path INVALID_ENDPOINT_PATH",
            "api.endpoints[1].handler INVALID_HANDLER",
            "api.endpoints[2] DUPLICATE_ENDPOINT",
            "api.endpoints[3].path DUPLICATE_PARAMETER",
            "api.endpoints[3].handler RESERVED_HANDLER",
            "api.endpoints[3].auth UNKNOWN_FIELD",
            "api.endpoints[4] TYPE_MISMATCH",
            "api.endpoints[5].method FIELD_REQUIRED",
            "api.endpoints[5].handler FIELD_REQUIRED",
            "api.version UNKNOWN_FIELD",
            "assets[0] UNSAFE_PATH",
            "assets[1] UNSAFE_PATH",
            "assets[3] DUPLICATE_VALUE",
            "sbom TYPE_MISMATCH",
            "precompiled TYPE_MISMATCH",
            "homepage UNKNOWN_FIELD",
        ]
        #expect(found == expected)
    }

    @Test func issueMessagesSayWhatIsExpected() {
        let found = issues(minimal(#""description":5,"capabilities":"cap:log.emit","entry":"main.js""#))
        #expect(found.contains(ManifestIssue(path: "description", code: "TYPE_MISMATCH", message: "expected string, found number")))
        #expect(found.contains(ManifestIssue(path: "capabilities", code: "TYPE_MISMATCH", message: "expected array, found string")))
        #expect(found.contains(ManifestIssue(path: "entry", code: "INVALID_ENTRY", message: #"entry must name a .wasm module; got "main.js""#)))
    }

    @Test func reportsMissingRequiredFields() {
        let found = issues("{}")
        #expect(found == ["name", "publisher", "version", "runtime"].map {
            ManifestIssue(path: $0, code: "FIELD_REQUIRED", message: "\($0) is required")
        })
        let api = issues(minimal(#""api":{}"#))
        #expect(api == [ManifestIssue(path: "api.endpoints", code: "FIELD_REQUIRED", message: "endpoints is required")])
        let ui = issues(minimal(#""ui":{}"#))
        #expect(ui == [ManifestIssue(path: "ui.type", code: "FIELD_REQUIRED", message: "type is required")])
    }

    @Test func rejectsUnknownTopLevelKeysWithTheirPath() {
        let found = issues(minimal(#""foo":1,"display_name":"x","weird key":null"#))
        #expect(found.map(\.path) == ["foo", "display_name", #"$["weird key"]"#])
        #expect(found.allSatisfy { $0.code == "UNKNOWN_FIELD" })
        #expect(found[1].message == #"unknown field "display_name"; did you mean "displayName"?"#)
        #expect(found[0].message.hasPrefix(#"unknown field "foo"; allowed: manifestVersion, name, "#))
    }

    @Test func rejectsADocumentThatIsNotAnObject() {
        #expect(issues("[]") == [ManifestIssue(path: "$", code: "TYPE_MISMATCH", message: "expected object, found array")])
        #expect(issues("null").map(\.code) == ["TYPE_MISMATCH"])
    }

    @Test func reportsJSONErrorsAsIssues() {
        let duplicate = issues(#"{"name":"a","api":{"endpoints":[],"endpoints":[]}}"#)
        #expect(duplicate.map(\.path) == ["api.endpoints"])
        #expect(duplicate.map(\.code) == ["JSON_DUPLICATE_KEY"])
        let broken = issues(#"{"name":"a",}"#)
        #expect(broken == [ManifestIssue(path: "$", code: "INVALID_JSON", message: "manifest.json is not valid JSON: trailing comma at byte 12")])
        #expect(issues("").map(\.code) == ["INVALID_JSON"])
        let huge = "{\"description\":\"" + String(repeating: "x", count: ManifestValidator.maxManifestBytes) + "\"}"
        #expect(issues(huge).map(\.code) == ["MANIFEST_TOO_LARGE"])
    }

    @Test func checksNamesAndPublishers() {
        for name in ["a", "0", "abc-123", String(repeating: "a", count: 63)] {
            #expect((try? validate(minimal().replacingName(with: name))) != nil, "\(name)")
        }
        for name in ["", "-a", "A", "a_b", "a.b", "é", String(repeating: "a", count: 64)] {
            #expect(issues(minimal().replacingName(with: name)).map(\.code) == ["INVALID_NAME"], "\(name)")
        }
        let publisher = #"{"name":"x","publisher":"acme.dev-tools.1","version":"1.0.0","runtime":"exthost-wasm@1"}"#
        #expect((try? validate(publisher))?.publisher == "acme.dev-tools.1")
        #expect(issues(publisher.replacingOccurrences("acme.dev-tools.1", ".acme")).map(\.code) == ["INVALID_PUBLISHER"])
        #expect(issues(publisher.replacingOccurrences("acme.dev-tools.1", "Acme")).map(\.code) == ["INVALID_PUBLISHER"])
    }

    @Test func checksManifestVersion() throws {
        #expect(try validate(minimal(#""manifestVersion":2"#)).name == "x")
        #expect(issues(minimal(#""manifestVersion":1"#)).map(\.code) == ["UNSUPPORTED_MANIFEST_VERSION"])
        #expect(issues(minimal(#""manifestVersion":2.5"#)).map(\.code) == ["UNSUPPORTED_MANIFEST_VERSION"])
        #expect(issues(minimal(#""manifestVersion":"2""#)).map(\.code) == ["TYPE_MISMATCH"])
    }

    @Test func checksTextLimits() throws {
        #expect(try validate(minimal(#""displayName":""# + String(repeating: "é", count: 100) + "\"")).displayName?.count == 100)
        #expect(issues(minimal(#""displayName":""# + String(repeating: "a", count: 101) + "\"")).map(\.code) == ["TOO_LONG"])
        #expect(issues(minimal(#""displayName":"a\nb""#)).map(\.code) == ["INVALID_TEXT"])
        #expect(issues(minimal(#""displayName":"  ""#)).map(\.code) == ["INVALID_TEXT"])
        #expect(try validate(minimal(#""description":""# + String(repeating: "a", count: 1000) + "\"")).description?.count == 1000)
        #expect(issues(minimal(#""description":""# + String(repeating: "a", count: 1001) + "\"")).map(\.code) == ["TOO_LONG"])
    }

    @Test(arguments: [
        ("dist/main.wasm", nil), ("a/b/c.wasm", nil), ("/abs.wasm", "UNSAFE_PATH"), ("../x.wasm", "UNSAFE_PATH"),
        ("a/../x.wasm", "UNSAFE_PATH"), ("./x.wasm", "UNSAFE_PATH"), ("a\\x.wasm", "UNSAFE_PATH"), ("", "UNSAFE_PATH"),
        ("a/", "UNSAFE_PATH"), ("x\u{1}.wasm", "UNSAFE_PATH"), ("main.wat", "INVALID_ENTRY"),
    ] as [(String, String?)])
    func checksTheEntryPath(_ entry: String, _ code: String?) {
        let text = minimal("\"entry\":" + JSONValue.string(entry).serialized())
        if let code {
            #expect(issues(text).map(\.code) == [code])
        } else {
            #expect((try? validate(text))?.entry == entry)
        }
    }

    @Test func checksTheUIEntryAndHooks() {
        #expect(issues(minimal(#""ui":{"type":"iframe","entry":"ui/"}"#)).map(\.code) == ["UNSAFE_PATH"])
        #expect(issues(minimal(#""ui":{"type":"iframe","entry":"uix/index.html"}"#)).map(\.code) == ["UI_ENTRY_OUTSIDE_UI"])
        #expect(issues(minimal(#""ui":{"type":"iframe","entry":"ui/../x.html"}"#)).map(\.code) == ["UNSAFE_PATH"])
        let longestHook = "a" + String(repeating: "B", count: 63)
        #expect((try? validate(minimal(#""ui":{"type":"iframe","hooks":[""# + longestHook + "\"]}")))?.ui?.hooks == [longestHook])
        #expect(issues(minimal(#""ui":{"type":"iframe","hooks":[""# + longestHook + "b\"]}")).map(\.path) == ["ui.hooks[0]"])
        #expect(issues(minimal(#""ui":"iframe""#)) == [ManifestIssue(path: "ui", code: "TYPE_MISMATCH", message: "expected object, found string")])
    }

    @Test func managesErrorRendering() {
        let error = ManifestError.invalid(issues(minimal(#""a":1,"b":2,"c":3,"d":4"#)))
        #expect(error.status == .unprocessableEntity)
        #expect(error.code == "MANIFEST_INVALID")
        #expect(error.message == #"the manifest has 4 issues: a: unknown field "a"; allowed: manifestVersion, name, publisher, version, runtime, entry, displayName, description, capabilities, ui, api, assets, precompiled, sbom [UNKNOWN_FIELD]; b: unknown field "b"; allowed: manifestVersion, name, publisher, version, runtime, entry, displayName, description, capabilities, ui, api, assets, precompiled, sbom [UNKNOWN_FIELD]; c: unknown field "c"; allowed: manifestVersion, name, publisher, version, runtime, entry, displayName, description, capabilities, ui, api, assets, precompiled, sbom [UNKNOWN_FIELD]; and 1 more"#)
        #expect(error.issuesJSON[3]?["path"] == "d")
        #expect(ManifestError.invalid([ManifestIssue(path: "$", code: "X", message: "m")]).message == "the manifest has 1 issue: $: m [X]")
    }

    @Test func checksThatNamedFilesAreInTheBundle() throws {
        let manifest = try validate(Self.fullManifest)
        let complete: Set<String> = ["./manifest.json", "./dist/hello.wasm", "ui/", "ui/index.html", "ui/logo.svg", "docs/guide.md", "sbom.spdx.json"]
        #expect(manifest.bundleIssues(entryPaths: complete).isEmpty)
        let found = manifest.bundleIssues(entryPaths: ["manifest.json", "ui/logo.svg", "docsx"])
        #expect(found.map { "\($0.path) \($0.code)" } == ["entry ENTRY_MISSING", "ui.entry UI_ENTRY_MISSING", "assets[1] ASSET_MISSING", "sbom SBOM_MISSING"])
        let noEndpoints = try validate(minimal())
        #expect(!noEndpoints.requiresEntry)
        #expect(noEndpoints.bundleIssues(entryPaths: ["manifest.json"]).isEmpty)
    }

    @Test func fuzzEntryPointSurvivesSamples() {
        for text in [Self.fullManifest, minimal(), "{", "[]", #"{"api":{"endpoints":[{"method":"GET","path":"/:a/*b","handler":"h"}]}}"#] {
            Array(text.utf8).withUnsafeBytes { Manifest.fuzzValidate($0) }
        }
    }
}

extension String {
    fileprivate func replacingName(with name: String) -> String {
        replacingOccurrences(#""name":"x""#, #""name":"# + JSONValue.string(name).serialized())
    }

    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
