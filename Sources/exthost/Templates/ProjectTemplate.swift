import ArgumentParser

/// One file of a generated project.
struct ProjectFile: Equatable {
    /// Relative to the project directory, `/`-separated.
    let path: String
    let contents: String
    let executable: Bool

    init(_ path: String, _ contents: String, executable: Bool = false) {
        self.path = path
        self.contents = contents
        self.executable = executable
    }
}

/// The language of a new project's handler; each has its own source and build script.
enum ProjectLanguage: String, CaseIterable, ExpressibleByArgument {
    case c
    case wat
    case swift
}

/// What `exthost new` knows about the project it writes.
///
/// Invariant: `name` and `publisher` already passed the manifest validator's rules, so they can be
/// pasted into JSON, HTML, C and shell text without escaping.
struct ProjectIdentity: Equatable {
    let name: String
    let publisher: String

    var extensionId: String { "\(publisher).\(name)" }
}

/// Every file of a new project: the parts all languages share (manifest, iframe UI with the
/// bridge, README) and the language's handler, SDK copy and `build` script.
///
/// Invariant: the project builds with `./build` and passes `exthost verify` after `exthost pack`
/// as written; its one endpoint is `GET /hello/:name`, answering `{"message":"Hello, NAME!"}`.
enum ProjectTemplate {
    static let handler = "hello"

    static func files(_ language: ProjectLanguage, _ identity: ProjectIdentity, sdk: SDKFiles) throws -> [ProjectFile] {
        let shared = [
            ProjectFile("manifest.json", SharedTemplate.manifest(identity)),
            ProjectFile("ui/index.html", SharedTemplate.indexPage(identity)),
            ProjectFile("ui/app.js", SharedTemplate.appScript),
            ProjectFile("ui/exthost-bridge.js", try sdk.text("js/exthost-bridge.js")),
            ProjectFile("README.md", SharedTemplate.readme(identity, language)),
            ProjectFile(".gitignore", "*.tar.zst\n*.tar.zst.sig\n"),
        ]
        switch language {
        case .c: return shared + (try CTemplate.files(identity, sdk: sdk))
        case .wat: return shared + WATTemplate.files(identity)
        case .swift: return shared + SwiftTemplate.files(identity)
        }
    }
}
