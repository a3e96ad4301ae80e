/// A project whose handler is hand-written WebAssembly text, assembled by Debian's `wat2wasm`
/// (wabt): no SDK, every byte of the ABI in view.
enum WATTemplate {
    static func files(_ identity: ProjectIdentity) -> [ProjectFile] {
        [
            ProjectFile("src/main.wat", handler(identity)),
            ProjectFile("build", buildScript, executable: true),
        ]
    }

    /// Reads the name straight out of the request document, whose `params` member the host
    /// serializes last and compactly (`"params":{"name":"…"}`).
    static func handler(_ identity: ProjectIdentity) -> String {
        #"""
        ;; \#(identity.extensionId): GET /hello/:name answers {"message":"Hello, NAME!"}.
        ;; exthost-wasm@1 by hand (docs/extension-abi.md): memory, exthost_alloc and the handler
        ;; export; ./build assembles it into dist/main.wasm with wat2wasm.
        (module
          (import "exthost" "log" (func $log (param i32 i32 i32)))
          (memory (export "memory") 1)
          ;; The host restores memory and globals after every request, so the heap starts empty
          ;; each time and a bump allocator that never frees is enough.
          (global $heap (mut i32) (i32.const 1024))

          (data (i32.const 16) "\"params\":{\"name\":\"")
          (data (i32.const 48) "{\"status\":200,\"headers\":{\"content-type\":\"application/json\"},\"text\":\"{\\\"message\\\":\\\"Hello, ")
          (data (i32.const 144) "!\\\"}\"}")
          (data (i32.const 160) "world")
          (data (i32.const 176) "hello called")

          ;; 0 when memory cannot grow (the host's memory limit).
          (func $alloc (export "exthost_alloc") (param $len i32) (result i32)
            (local $start i32) (local $end i32) (local $pages i32)
            (local.set $start (global.get $heap))
            (local.set $end (i32.add (local.get $start) (local.get $len)))
            (if (i32.or (i32.lt_u (local.get $end) (local.get $start)) (i32.gt_u (local.get $end) (i32.const 0xffff0000)))
              (then (return (i32.const 0))))
            (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
            (if (i32.gt_u (local.get $pages) (memory.size))
              (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
                (then (return (i32.const 0))))))
            (global.set $heap (local.get $end))
            (local.get $start))

          ;; The offset just past "params":{"name":" in the request, or -1 when there is none.
          (func $find_name (param $ptr i32) (param $len i32) (result i32)
            (local $at i32) (local $i i32)
            (if (i32.lt_u (local.get $len) (i32.const 18)) (then (return (i32.const -1))))
            (loop $scan
              (local.set $i (i32.const 0))
              (block $mismatch
                (loop $compare
                  (br_if $mismatch (i32.ne (i32.load8_u (i32.add (local.get $ptr) (i32.add (local.get $at) (local.get $i))))
                                           (i32.load8_u (i32.add (i32.const 16) (local.get $i)))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $compare (i32.lt_u (local.get $i) (i32.const 18))))
                (return (i32.add (local.get $at) (i32.const 18))))
              (local.set $at (i32.add (local.get $at) (i32.const 1)))
              (br_if $scan (i32.le_u (local.get $at) (i32.sub (local.get $len) (i32.const 18)))))
            (i32.const -1))

          ;; How many bytes of JSON string contents (escapes kept) start at $start, before its closing quote.
          (func $string_length (param $start i32) (param $end i32) (result i32)
            (local $at i32) (local $byte i32)
            (local.set $at (local.get $start))
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
                (local.set $byte (i32.load8_u (local.get $at)))
                (br_if $done (i32.eq (local.get $byte) (i32.const 34)))
                ;; a backslash escapes the next byte, which may be a quote
                (local.set $at (i32.add (local.get $at) (select (i32.const 2) (i32.const 1) (i32.eq (local.get $byte) (i32.const 92)))))
                (br $next)))
            (i32.sub (select (local.get $end) (local.get $at) (i32.gt_u (local.get $at) (local.get $end))) (local.get $start)))

          ;; Copies $len bytes from $from to $out; with $escape, a backslash goes before each quote
          ;; and backslash (JSON string contents nested in another JSON string). Returns the end.
          (func $copy (param $from i32) (param $len i32) (param $out i32) (param $escape i32) (result i32)
            (local $byte i32) (local $end i32)
            (local.set $end (i32.add (local.get $from) (local.get $len)))
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $from) (local.get $end)))
                (local.set $byte (i32.load8_u (local.get $from)))
                (if (i32.and (local.get $escape) (i32.or (i32.eq (local.get $byte) (i32.const 34)) (i32.eq (local.get $byte) (i32.const 92))))
                  (then
                    (i32.store8 (local.get $out) (i32.const 92))
                    (local.set $out (i32.add (local.get $out) (i32.const 1)))))
                (i32.store8 (local.get $out) (local.get $byte))
                (local.set $out (i32.add (local.get $out) (i32.const 1)))
                (local.set $from (i32.add (local.get $from) (i32.const 1)))
                (br $next)))
            (local.get $out))

          ;; The handler: (request pointer, length) -> (response pointer << 32) | length.
          (func (export "\#(ProjectTemplate.handler)") (param $ptr i32) (param $len i32) (result i64)
            (local $found i32) (local $name i32) (local $name_len i32) (local $out i32) (local $end i32)
            (call $log (i32.const 1) (i32.const 176) (i32.const 12))
            (local.set $found (call $find_name (local.get $ptr) (local.get $len)))
            (if (i32.eq (local.get $found) (i32.const -1))
              (then
                (local.set $name (i32.const 160))
                (local.set $name_len (i32.const 5)))
              (else
                (local.set $name (i32.add (local.get $ptr) (local.get $found)))
                (local.set $name_len (call $string_length (local.get $name) (i32.add (local.get $ptr) (local.get $len))))))
            ;; the fixed prefix and suffix, and at most two bytes per byte of the name
            (local.set $out (call $alloc (i32.add (i32.const 96) (i32.shl (local.get $name_len) (i32.const 1)))))
            (if (i32.eqz (local.get $out)) (then (unreachable)))
            (local.set $end (call $copy (i32.const 48) (i32.const 90) (local.get $out) (i32.const 0)))
            (local.set $end (call $copy (local.get $name) (local.get $name_len) (local.get $end) (i32.const 1)))
            (local.set $end (call $copy (i32.const 144) (i32.const 6) (local.get $end) (i32.const 0)))
            (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
                    (i64.extend_i32_u (i32.sub (local.get $end) (local.get $out)))))
        )

        """#
    }

    static let buildScript = """
        #!/usr/bin/env bash
        # Assembles src/main.wat into dist/main.wasm with wat2wasm (Debian: apt install wabt), or $WAT2WASM.
        set -euo pipefail
        cd "$(dirname "${BASH_SOURCE[0]}")"
        WAT2WASM=${WAT2WASM:-wat2wasm}
        mkdir -p dist
        "$WAT2WASM" src/main.wat -o dist/main.wasm
        echo "dist/main.wasm: $(wc -c <dist/main.wasm) bytes"

        """
}
