import ArgumentParser
import Bundle
import JSON
import ServiceSupport

/// `exthost new`: a working extension project from a template, ready to build, run, pack and publish.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create a new extension project (manifest, handler, build script, iframe UI).",
        discussion: """
            Writes DIR (default ./NAME), which must not exist: manifest.json with one endpoint, \
            GET /hello/:name (handler "hello"), and capability cap:log.emit; the handler source; an \
            executable ./build that makes dist/main.wasm; and ui/ with index.html, app.js and a copy \
            of the iframe bridge (exthost-bridge.js). Templates:
              c      freestanding C + a copy of the C SDK (clang --target=wasm32, wasm-ld)
              wat    WebAssembly text (wat2wasm)
              swift  Embedded Swift (swiftc, wasm-ld, wasi-libc's malloc)
            Then:
              exthost new greeter --template c --publisher acme
              cd greeter && ./build
              exthost run . --request 'GET /hello/ada'
              exthost publish . --install
            The publisher must be the CN of your signing certificate when the server requires signatures.
            """
    )

    @Argument(help: "Extension name: 1-63 lowercase letters, digits or '-', starting with a letter or digit.")
    var name: String

    @Option(help: "The language of the handler.")
    var template: ProjectLanguage

    @Option(help: "Publisher: lowercase letters, digits, '-' or '.'.")
    var publisher = "local"

    @Option(help: "Directory to create (default: ./NAME).")
    var dir: String?

    func validate() throws {
        // The smallest manifest with these two values: the validator's own rules judge them.
        let probe = JSONValue.object([
            ("name", .string(name)), ("publisher", .string(publisher)), ("version", "0.1.0"), ("runtime", .string(Manifest.supportedRuntime)),
        ])
        do {
            _ = try ManifestValidator.validate(probe)
        } catch {
            throw ValidationError(error.issues.map(\.message).joined(separator: "\n"))
        }
    }

    func run() throws {
        let identity = ProjectIdentity(name: name, publisher: publisher)
        let directory = dir ?? name
        let sdk = try SDKFiles.locate(environment: ProcessEnvironment.current)
        try ProjectWriter.write(ProjectTemplate.files(template, identity, sdk: sdk), into: directory)
        print("created \(directory): \(identity.extensionId), template \(template.rawValue)")
        print("  cd \(directory) && ./build && exthost run . --request 'GET /hello/ada'")
    }
}
