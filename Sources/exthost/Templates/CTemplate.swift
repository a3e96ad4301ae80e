/// A project whose handler is freestanding C over a copy of the C SDK (sdk/c), built with the
/// clang and wasm-ld of the Swift toolchain (or any clang with the WebAssembly target).
enum CTemplate {
    static func files(_ identity: ProjectIdentity, sdk: SDKFiles) throws -> [ProjectFile] {
        [
            ProjectFile("src/main.c", handler(identity)),
            ProjectFile("sdk/exthost.h", try sdk.text("c/exthost.h")),
            ProjectFile("sdk/exthost_json.h", try sdk.text("c/exthost_json.h")),
            ProjectFile("build", buildScript, executable: true),
        ]
    }

    static func handler(_ identity: ProjectIdentity) -> String {
        """
        // \(identity.extensionId): GET /hello/:name answers {"message":"Hello, NAME!"}.
        // exthost-wasm@1 in freestanding C (no libc) with the SDK in sdk/ (a copy of exthost's sdk/c);
        // ./build compiles it to dist/main.wasm.
        #include "exthost.h"

        EXTHOST_HANDLER(\(ProjectTemplate.handler)) {
            exthost_str name = exthost_param(request, "name");
            if (!exthost_present(name)) name = EXTHOST_STR("world");
            exthost_log(1, "hello called");
            exthost_buf json = exthost_buf_make(32 + EXTHOST_JSON_ESCAPED_MAX(name.len));
            exthost_buf_append_cstr(&json, "{\\"message\\":\\"Hello, ");
            exthost_buf_append_json_chars(&json, name);
            exthost_buf_append_cstr(&json, "!\\"}");
            exthost_str text = exthost_buf_str(&json);
            if (!exthost_present(text)) return exthost_respond_error(500, "OUT_OF_MEMORY", "the answer did not fit in memory");
            return exthost_respond_json(200, text.ptr, text.len);
        }

        """
    }

    static let buildScript = """
        #!/usr/bin/env bash
        # Compiles src/main.c with the SDK in sdk/ into dist/main.wasm: freestanding C, no libc. Uses the
        # clang of the Swift toolchain (wasm-ld next to it) or $CLANG, any clang with the WebAssembly target.
        set -euo pipefail
        cd "$(dirname "${BASH_SOURCE[0]}")"
        CLANG=${CLANG:-clang}
        mkdir -p dist
        "$CLANG" --target=wasm32 -O2 -ffreestanding -nostdlib -Wall -Wextra -Werror \\
          -ffile-prefix-map="$PWD"=. -I sdk \\
          -Wl,--no-entry -Wl,--strip-all -Wl,--initial-memory=131072 \\
          -o dist/main.wasm src/main.c
        echo "dist/main.wasm: $(wc -c <dist/main.wasm) bytes"

        """
}
