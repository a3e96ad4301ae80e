/// The files every new project has whatever its language: the manifest, the iframe UI that calls
/// the API through the host page, and a README with the author's next commands.
enum SharedTemplate {
    static func manifest(_ identity: ProjectIdentity) -> String {
        """
        {
          "manifestVersion": 2,
          "name": "\(identity.name)",
          "publisher": "\(identity.publisher)",
          "version": "0.1.0",
          "runtime": "exthost-wasm@1",
          "entry": "dist/main.wasm",
          "displayName": "\(identity.name)",
          "description": "GET /hello/:name answers {\\"message\\":\\"Hello, NAME!\\"}; the iframe UI calls it through the host page.",
          "capabilities": ["cap:log.emit"],
          "ui": { "type": "iframe", "entry": "ui/index.html", "hooks": ["settings:page"] },
          "api": {
            "endpoints": [
              { "method": "GET", "path": "/hello/:name", "handler": "\(ProjectTemplate.handler)" }
            ]
          },
          "assets": ["ui/app.js", "ui/exthost-bridge.js"]
        }

        """
    }

    static func indexPage(_ identity: ProjectIdentity) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>\(identity.name)</title>
          <script src="exthost-bridge.js" defer></script>
          <script src="app.js" defer></script>
        </head>
        <body>
          <main>
            <h1>\(identity.name)</h1>
            <form id="greet">
              <label>Name <input name="name" value="world" required></label>
              <button type="submit">Greet</button>
            </form>
            <p id="answer" role="status"></p>
          </main>
        </body>
        </html>

        """
    }

    /// Plain script, no build step: the page's CSP allows only same-origin script files.
    static let appScript = """
        // The UI runs in a sandboxed iframe without the admin's key, so it calls its own API through
        // the host page with exthost.api (exthost-bridge.js, a copy of exthost's sdk/js).
        "use strict";

        const form = document.getElementById("greet");
        const answer = document.getElementById("answer");

        async function greet(name) {
          const response = await exthost.api("GET", "/hello/" + encodeURIComponent(name));
          const document = response.body ? JSON.parse(response.body) : {};
          answer.textContent = response.status === 200 ? document.message : "HTTP " + response.status + ": " + response.body;
          exthost.resize();
        }

        form.addEventListener("submit", (event) => {
          event.preventDefault();
          greet(new FormData(form).get("name")).catch((error) => { answer.textContent = error.message; });
        });

        exthost.ready();
        greet("world").catch((error) => { answer.textContent = error.message; });

        """

    static func readme(_ identity: ProjectIdentity, _ language: ProjectLanguage) -> String {
        """
        # \(identity.extensionId)

        An exthost extension made by `exthost new \(identity.name) --template \(language.rawValue)`: one API
        endpoint, `GET /hello/:name` (handler `\(ProjectTemplate.handler)` in `\(sourcePath(language))`), and an iframe
        UI in `ui/` that calls it through the host page with `ui/exthost-bridge.js`.

            ./build                                        # \(toolchain(language)) -> dist/main.wasm
            exthost run . --request 'GET /hello/ada'       # run the handler locally, no server
            exthost pack . -o bundle.tar.zst && exthost verify bundle.tar.zst
            exthost publish . --install                    # needs EXTHOST_URL and EXTHOST_API_KEY

        The publisher in manifest.json must be the CN of your signing certificate when the server
        requires signatures. See docs/extension-author-guide.md in exthost for the manifest,
        capabilities, host calls and limits.

        """
    }

    static func sourcePath(_ language: ProjectLanguage) -> String {
        switch language {
        case .c: "src/main.c"
        case .wat: "src/main.wat"
        case .swift: "src/Handler.swift"
        }
    }

    private static func toolchain(_ language: ProjectLanguage) -> String {
        switch language {
        case .c: "clang --target=wasm32 + wasm-ld"
        case .wat: "wat2wasm"
        case .swift: "Embedded Swift + wasm-ld"
        }
    }
}
