/// A project whose handler is Embedded Swift for `wasm32-unknown-none-wasm`, with a small ABI layer
/// (src/Exthost.swift) and Debian's wasi-libc linked for malloc.
enum SwiftTemplate {
    static func files(_ identity: ProjectIdentity) -> [ProjectFile] {
        [
            ProjectFile("src/Handler.swift", handler(identity)),
            ProjectFile("src/Exthost.swift", abiLayer),
            ProjectFile("build", buildScript, executable: true),
        ]
    }

    static func handler(_ identity: ProjectIdentity) -> String {
        #"""
        // \#(identity.extensionId): GET /hello/:name answers {"message":"Hello, NAME!"}, in Embedded Swift with the ABI
        // glue of src/Exthost.swift; ./build compiles both into dist/main.wasm.

        @_expose(wasm, "\#(ProjectTemplate.handler)")
        @_cdecl("\#(ProjectTemplate.handler)")
        func \#(ProjectTemplate.handler)(_ pointer: Int32, _ length: Int32) -> Int64 {
            let request = Request(pointer: pointer, length: length)
            let name = request.param("name") ?? "world"
            log("hello called")
            return Response.json(200, "{\"message\":" + JSONText.quoted("Hello, " + name + "!") + "}").result()
        }

        """#
    }

    static let abiLayer = #"""
        // The exthost-wasm@1 ABI for handlers in Embedded Swift (docs/extension-abi.md): the host's
        // imports, the exthost_alloc export, the request document and the response document.
        //
        // Memory comes from malloc (wasi-libc, linked by ./build) and is never freed: the host restores
        // the instance's memory after every request, so each request starts with an empty heap.

        @_extern(wasm, module: "exthost", name: "log")
        @_extern(c)
        func exthostImportLog(_ level: Int32, _ pointer: UnsafeRawPointer?, _ length: Int32)

        @_expose(wasm, "exthost_alloc")
        @_cdecl("exthost_alloc")
        func exthostAlloc(_ length: Int32) -> Int32 {
            Int32(truncatingIfNeeded: Int(bitPattern: UnsafeMutableRawPointer.allocate(byteCount: max(Int(length), 1), alignment: 8)))
        }

        /// Writes one line to the request's log (0 debug, 1 info, 2 warning, 3 error).
        func log(_ message: String, level: Int32 = 1) {
            var text = message
            text.withUTF8 { exthostImportLog(level, $0.baseAddress, Int32($0.count)) }
        }

        /// The request document a handler receives: {"context", "http", "params"}.
        struct Request {
            let document: [UInt8]

            init(pointer: Int32, length: Int32) {
                let start = UnsafePointer<UInt8>(bitPattern: Int(pointer))
                document = Array(UnsafeBufferPointer(start: start, count: Int(length)))
            }

            /// A `:param` capture of the endpoint's path, decoded; nil when absent.
            func param(_ name: String) -> String? {
                guard let params = JSONText.member("params", of: document[...]),
                      let raw = JSONText.member(name, of: params) else { return nil }
                return JSONText.string(raw)
            }
        }

        /// What a handler answers: a status, headers and a UTF-8 text body.
        struct Response {
            var status: Int
            var headers: [(String, String)]
            var text: String

            static func json(_ status: Int, _ json: String) -> Response {
                Response(status: status, headers: [("content-type", "application/json")], text: json)
            }

            /// The response document in fresh memory, as the handler's i64 result.
            func result() -> Int64 {
                var out = "{\"status\":" + String(status) + ",\"headers\":{"
                for (index, header) in headers.enumerated() {
                    out += (index == 0 ? "" : ",") + JSONText.quoted(header.0) + ":" + JSONText.quoted(header.1)
                }
                out += "},\"text\":" + JSONText.quoted(text) + "}"
                let bytes = Array(out.utf8)
                let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
                memory.initialize(from: bytes, count: bytes.count)
                return Int64(Int(bitPattern: memory)) << 32 | Int64(bytes.count)
            }
        }

        /// Just enough JSON for the request document: finds members and decodes strings without building
        /// a tree, and quotes strings for the response.
        enum JSONText {
            /// The raw value of `name` in the object `text`, or nil.
            static func member(_ name: String, of text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
                var at = skipSpace(text, text.startIndex)
                guard at < text.endIndex, text[at] == UInt8(ascii: "{") else { return nil }
                at += 1
                while true {
                    at = skipSpace(text, at)
                    guard at < text.endIndex, text[at] == UInt8(ascii: "\"") else { return nil }
                    let keyEnd = skipValue(text, at)
                    guard keyEnd <= text.endIndex, let key = string(text[at..<keyEnd]) else { return nil }
                    at = skipSpace(text, keyEnd)
                    guard at < text.endIndex, text[at] == UInt8(ascii: ":") else { return nil }
                    let valueStart = skipSpace(text, at + 1)
                    let valueEnd = skipValue(text, valueStart)
                    guard valueEnd <= text.endIndex else { return nil }
                    // Bytes, not String ==, which would need the Unicode normalization tables.
                    if key.utf8.elementsEqual(name.utf8) { return text[valueStart..<valueEnd] }
                    at = skipSpace(text, valueEnd)
                    guard at < text.endIndex, text[at] == UInt8(ascii: ",") else { return nil }
                    at += 1
                }
            }

            /// The decoded contents of a JSON string value, or nil when `raw` is not one.
            static func string(_ raw: ArraySlice<UInt8>) -> String? {
                guard raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\"") else { return nil }
                var bytes: [UInt8] = []
                var at = raw.startIndex + 1
                while at < raw.endIndex - 1 {
                    let byte = raw[at]
                    at += 1
                    guard byte == UInt8(ascii: "\\") else { bytes.append(byte); continue }
                    guard at < raw.endIndex - 1 else { return nil }
                    let escaped = raw[at]
                    at += 1
                    switch escaped {
                    case UInt8(ascii: "n"): bytes.append(10)
                    case UInt8(ascii: "t"): bytes.append(9)
                    case UInt8(ascii: "r"): bytes.append(13)
                    case UInt8(ascii: "b"): bytes.append(8)
                    case UInt8(ascii: "f"): bytes.append(12)
                    case UInt8(ascii: "u"):
                        guard at + 4 <= raw.endIndex - 1, let unit = hex4(raw[at..<at + 4]) else { return nil }
                        at += 4
                        appendUTF8(Unicode.Scalar(unit) ?? "\u{FFFD}", to: &bytes)
                    default: bytes.append(escaped)
                    }
                }
                return String(decoding: bytes, as: UTF8.self)
            }

            /// `text` as a JSON string literal.
            static func quoted(_ text: String) -> String {
                var bytes: [UInt8] = [UInt8(ascii: "\"")]
                for byte in text.utf8 {
                    switch byte {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
                    case 10: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                    case 0..<0x20:
                        let digits = Array("0123456789abcdef".utf8)
                        bytes += Array("\\u00".utf8) + [digits[Int(byte >> 4)], digits[Int(byte & 15)]]
                    default: bytes.append(byte)
                    }
                }
                bytes.append(UInt8(ascii: "\""))
                return String(decoding: bytes, as: UTF8.self)
            }

            private static func skipSpace(_ text: ArraySlice<UInt8>, _ start: Int) -> Int {
                var at = start
                while at < text.endIndex, [9, 10, 13, 32].contains(text[at]) { at += 1 }
                return at
            }

            /// The index just past the value at `start`; past the end when the text is cut short.
            private static func skipValue(_ text: ArraySlice<UInt8>, _ start: Int) -> Int {
                guard start < text.endIndex else { return text.endIndex + 1 }
                var at = start
                var depth = 0
                repeat {
                    guard at < text.endIndex else { return text.endIndex + 1 }
                    switch text[at] {
                    case UInt8(ascii: "\""):
                        at += 1
                        while at < text.endIndex, text[at] != UInt8(ascii: "\"") { at += text[at] == UInt8(ascii: "\\") ? 2 : 1 }
                        at += 1
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                        at += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        at += 1
                    default:
                        if depth > 0 {
                            // inside a container: punctuation, spaces and scalars, one byte at a time
                            at += 1
                        } else {
                            // a number, true, false or null: up to the next delimiter
                            while at < text.endIndex, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 9, 10, 13, 32].contains(text[at]) {
                                at += 1
                            }
                        }
                    }
                } while depth > 0
                return at
            }

            private static func hex4(_ digits: ArraySlice<UInt8>) -> UInt32? {
                var value: UInt32 = 0
                for digit in digits {
                    let nibble: UInt8
                    switch digit {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
                    case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
                    default: return nil
                    }
                    value = value << 4 | UInt32(nibble)
                }
                return value
            }

            private static func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
                let value = scalar.value
                switch value {
                case 0..<0x80: bytes.append(UInt8(value))
                case 0x80..<0x800: bytes += [UInt8(0xC0 | value >> 6), UInt8(0x80 | value & 0x3F)]
                case 0x800..<0x10000: bytes += [UInt8(0xE0 | value >> 12), UInt8(0x80 | value >> 6 & 0x3F), UInt8(0x80 | value & 0x3F)]
                default: bytes += [UInt8(0xF0 | value >> 18), UInt8(0x80 | value >> 12 & 0x3F), UInt8(0x80 | value >> 6 & 0x3F), UInt8(0x80 | value & 0x3F)]
                }
            }
        }

        """#

    static let buildScript = #"""
        #!/usr/bin/env bash
        # Compiles src/*.swift with Embedded Swift for wasm32 and links dist/main.wasm with wasm-ld and
        # Debian's wasi-libc (for malloc). Uses the Swift toolchain on PATH or $SWIFTC; the libc
        # directory is $WASI_LIBC (default /usr/lib/wasm32-wasi, Debian: apt install wasi-libc).
        set -euo pipefail
        cd "$(dirname "${BASH_SOURCE[0]}")"
        SWIFTC=${SWIFTC:-swiftc}
        TOOLCHAIN=$(dirname "$(command -v "$SWIFTC")")
        WASM_LD=${WASM_LD:-$TOOLCHAIN/wasm-ld}
        WASI_LIBC=${WASI_LIBC:-/usr/lib/wasm32-wasi}
        OBJECTS=$(mktemp -d)
        trap 'rm -rf "$OBJECTS"' EXIT
        mkdir -p dist
        "$SWIFTC" -target wasm32-unknown-none-wasm -enable-experimental-feature Embedded \
          -enable-experimental-feature Extern -wmo -Osize -parse-as-library -Xfrontend -disable-stack-protector \
          -module-name handler -c src/*.swift -o "$OBJECTS/handler.o"
        "$WASM_LD" --no-entry --strip-all --export=\#(ProjectTemplate.handler) --export=exthost_alloc --initial-memory=131072 \
          "$OBJECTS/handler.o" "$WASI_LIBC/libc.a" -o dist/main.wasm
        echo "dist/main.wasm: $(wc -c <dist/main.wasm) bytes"

        """#
}
