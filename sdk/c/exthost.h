/*
 * exthost.h: the exthost-wasm@1 ABI for extension handlers written in C (docs/extension-abi.md).
 *
 * One header, no library to link. It declares the host's imports (exthost.log, exthost.call),
 * defines the exthost_alloc export, turns a handler body into an export with EXTHOST_HANDLER,
 * reads the request document, writes the response document and wraps every host call:
 *
 *     #include "exthost.h"
 *
 *     EXTHOST_HANDLER(hello) {                   // manifest: {"handler": "hello", ...}
 *         exthost_str name = exthost_param(request, "name");
 *         return exthost_respond_text(200, name.ptr, name.len);
 *     }
 *
 * Build, freestanding (no libc; what the examples use):
 *
 *     clang --target=wasm32 -O2 -ffreestanding -nostdlib -I sdk/c \
 *           -Wl,--no-entry -Wl,--strip-all -o dist/main.wasm src/main.c
 *
 * wasi-libc works too (Debian's wasi-libc: /usr/include/wasm32-wasi, /usr/lib/wasm32-wasi). The
 * Swift toolchain's clang ships no compiler-rt builtins for wasm32, so link libc alone with
 * -nodefaultlibs; code that needs a builtin (128-bit integers, long double arithmetic) then fails
 * to link unless Debian's libclang-rt-dev-wasm32 is installed:
 *
 *     clang --target=wasm32-wasi --sysroot=/ -isystem /usr/include/wasm32-wasi \
 *           -L/usr/lib/wasm32-wasi -mexec-model=reactor -nodefaultlibs -lc -O2 -I sdk/c \
 *           -Wl,--strip-all -o dist/main.wasm src/main.c
 *
 * Memory: without libc, exthost_alloc is a bump allocator over the memory after __heap_base and
 * never frees. That is enough because the host restores the instance's memory and globals to
 * their state right after instantiation after every request (or uses a fresh instance), so
 * each request starts with an empty heap. The same reset means a global never carries anything
 * from one request to the next: keep state in storage. With wasi-libc, exthost_alloc is malloc.
 *
 * Invariants: spans (exthost_str) point into the request, into a host answer or into memory
 * from exthost_alloc, all valid until the handler returns; an absent value is a span with a
 * NULL ptr (exthost_present() is 0); a helper that runs out of memory answers a failure (a NULL
 * span, an answer with error_code "out_of_memory", a zero result) instead of writing past a
 * buffer. Include this header in one .c file of the module; other files define
 * EXTHOST_NO_ALLOC_DEFINITION before including it.
 */
#ifndef EXTHOST_H
#define EXTHOST_H

#include <stdint.h>

#include "exthost_json.h"

#if defined(__wasi__)
#include <stdlib.h>
#endif

/* ---------------------------------------------------------------------------------------------
 * Imports (module "exthost") and the exthost_alloc export */

__attribute__((import_module("exthost"), import_name("log")))
void exthost_import_log(int32_t level, const void *ptr, uint32_t len);

__attribute__((import_module("exthost"), import_name("call")))
uint64_t exthost_import_call(const void *ptr, uint32_t len);

uint32_t exthost_alloc(uint32_t len);

#ifndef EXTHOST_NO_ALLOC_DEFINITION
#if defined(__wasi__)
__attribute__((export_name("exthost_alloc")))
uint32_t exthost_alloc(uint32_t len) {
    return (uint32_t)(uintptr_t)malloc(len ? len : 1);
}
#else
extern unsigned char __heap_base;
static uint32_t exthost__heap_top;

/* Hands out 8-byte aligned blocks from __heap_base upwards, growing memory when needed; 0 when
 * memory cannot grow (the host's memory limit). */
__attribute__((export_name("exthost_alloc")))
uint32_t exthost_alloc(uint32_t len) {
    if (exthost__heap_top == 0) exthost__heap_top = (uint32_t)(uintptr_t)&__heap_base;
    uint32_t start = (exthost__heap_top + 7u) & ~7u;
    uint32_t end = start + len;
    if (end < start) return 0;
    uint32_t available = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > available) {
        uint32_t pages = (end - available + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (__SIZE_TYPE__)-1) return 0;
    }
    exthost__heap_top = end;
    return start;
}
#endif
#endif

static inline int exthost_present(exthost_str value) {
    return value.ptr != 0;
}

static inline char *exthost_alloc_bytes(uint32_t len) {
    return (char *)(uintptr_t)exthost_alloc(len);
}

/* ---------------------------------------------------------------------------------------------
 * Building JSON text in memory from exthost_alloc */

/* An output buffer in memory from exthost_alloc that grows by moving to a block twice as large
 * (the old block is not reused: the heap is reset after the request anyway). `cap` is a hint;
 * a good one saves the moves. If memory runs out, `failed` is set and nothing more is written,
 * so a document is either complete or marked failed. */
typedef struct {
    char *data;
    uint32_t len;
    uint32_t cap;
    int failed;
} exthost_buf;

static inline exthost_buf exthost_buf_make(uint32_t cap) {
    char *data = exthost_alloc_bytes(cap);
    return (exthost_buf){data, 0, data ? cap : 0, data == 0};
}

/* The slow path of exthost_buf_reserve, kept out of line so every append stays small. */
__attribute__((noinline)) static int exthost_buf__grow(exthost_buf *buf, uint32_t more) {
    uint32_t wanted = buf->len + more;
    uint32_t doubled = buf->cap <= UINT32_MAX / 2 ? buf->cap * 2 : UINT32_MAX;
    uint32_t cap = doubled > wanted ? doubled : wanted;
    char *data = wanted < buf->len ? 0 : exthost_alloc_bytes(cap);
    if (!data) {
        buf->failed = 1;
        return 0;
    }
    for (uint32_t i = 0; i < buf->len; i++) data[i] = buf->data[i];
    buf->data = data;
    buf->cap = cap;
    return 1;
}

/* Makes room for `more` bytes after the current end; 0 when it cannot. */
static inline int exthost_buf_reserve(exthost_buf *buf, uint32_t more) {
    if (buf->failed) return 0;
    return more <= buf->cap - buf->len || exthost_buf__grow(buf, more);
}

static inline char *exthost_buf__claim(exthost_buf *buf, uint32_t len) {
    if (!exthost_buf_reserve(buf, len)) return 0;
    char *at = buf->data + buf->len;
    buf->len += len;
    return at;
}

static inline void exthost_buf_append(exthost_buf *buf, const void *bytes, uint32_t len) {
    char *at = exthost_buf__claim(buf, len);
    if (!at) return;
    for (uint32_t i = 0; i < len; i++) at[i] = ((const char *)bytes)[i];
}

static inline void exthost_buf_append_str(exthost_buf *buf, exthost_str text) {
    exthost_buf_append(buf, text.ptr, text.len);
}

static inline void exthost_buf_append_cstr(exthost_buf *buf, const char *text) {
    exthost_buf_append_str(buf, exthost_cstr(text));
}


/* Appends `text` escaped for the inside of a JSON string (no quotes), to build a string from parts. */
static inline void exthost_buf_append_json_chars(exthost_buf *buf, exthost_str text) {
    if (text.len > UINT32_MAX / 6u) buf->failed = 1;
    if (!exthost_buf_reserve(buf, text.len * 6u)) return;
    buf->len += exthost_json_escape_chars(text.ptr, text.len, buf->data + buf->len);
}

/* Appends `text` as a quoted, escaped JSON string. */
static inline void exthost_buf_append_json_string(exthost_buf *buf, exthost_str text) {
    exthost_buf_append(buf, "\"", 1);
    exthost_buf_append_json_chars(buf, text);
    exthost_buf_append(buf, "\"", 1);
}

/* Appends `len` bytes as base64 (no quotes). */
static inline void exthost_buf_append_base64(exthost_buf *buf, const void *bytes, uint32_t len) {
    char *at = exthost_buf__claim(buf, EXTHOST_BASE64_ENCODED_LEN(len));
    if (at) exthost_base64_encode(bytes, len, at);
}

static inline void exthost_buf_append_int(exthost_buf *buf, int64_t value) {
    char digits[20];
    uint32_t n = 0;
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0) exthost_buf_append(buf, "-", 1);
    char *at = exthost_buf__claim(buf, n);
    if (!at) return;
    for (uint32_t i = 0; i < n; i++) at[i] = digits[n - 1 - i];
}

static inline exthost_str exthost_buf_str(const exthost_buf *buf) {
    return buf->failed ? (exthost_str){0, 0} : (exthost_str){buf->data, buf->len};
}

/* ---------------------------------------------------------------------------------------------
 * The request document:
 * {"context":{…},"http":{"method","path","query","headers","body"},"params":{…}} */

typedef struct {
    exthost_str document; /* the whole request JSON */
    exthost_str context;  /* raw object: requestId, extensionId; with cap:context.read also tenantId, installId, version, contentHash, config */
    exthost_str http;     /* raw object */
    exthost_str params;   /* raw object of the endpoint's :param / *rest captures, decoded */
    exthost_str method;   /* e.g. GET (the text inside the quotes) */
    exthost_str path;     /* the path after the extension id, still percent-encoded */
} exthost_request;

static inline exthost_str exthost__member_or_absent(exthost_str object, const char *name) {
    exthost_str value;
    return exthost_json_member(object, name, &value) ? value : (exthost_str){0, 0};
}

/* The contents of a JSON string value (unescaped into new memory only when it holds an escape);
 * absent when `raw` is not a string. */
static inline exthost_str exthost_string(exthost_str raw) {
    if (!exthost_json_is_string(raw)) return (exthost_str){0, 0};
    exthost_str inner = {raw.ptr + 1, raw.len - 2};
    uint32_t i = 0;
    while (i < inner.len && inner.ptr[i] != '\\') i++;
    if (i == inner.len) return inner;
    char *out = exthost_alloc_bytes(raw.len);
    if (!out) return (exthost_str){0, 0};
    uint32_t n = exthost_json_unescape(raw, out);
    return n == EXTHOST_JSON_INVALID ? (exthost_str){0, 0} : (exthost_str){out, n};
}

static inline exthost_request exthost_request_parse(const char *ptr, uint32_t len) {
    exthost_request request = {{ptr, len}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}};
    request.context = exthost__member_or_absent(request.document, "context");
    request.http = exthost__member_or_absent(request.document, "http");
    request.params = exthost__member_or_absent(request.document, "params");
    request.method = exthost_string(exthost__member_or_absent(request.http, "method"));
    request.path = exthost_string(exthost__member_or_absent(request.http, "path"));
    return request;
}

/* A path capture, e.g. exthost_param(request, "id") for /notes/:id. */
static inline exthost_str exthost_param(const exthost_request *request, const char *name) {
    return exthost_string(exthost__member_or_absent(request->params, name));
}

/* The first value of a query parameter or request header (`name` in lowercase for headers). */
static inline exthost_str exthost__first_value(exthost_str object, const char *name) {
    exthost_str raw = exthost__member_or_absent(object, name);
    uint32_t cursor = 0;
    exthost_str first;
    if (exthost_present(raw) && raw.ptr[0] == '[') return exthost_json_array_next(raw, &cursor, &first) ? exthost_string(first) : (exthost_str){0, 0};
    return exthost_string(raw);
}

static inline exthost_str exthost_query(const exthost_request *request, const char *name) {
    return exthost__first_value(exthost__member_or_absent(request->http, "query"), name);
}

static inline exthost_str exthost_header(const exthost_request *request, const char *lowercase_name) {
    return exthost__first_value(exthost__member_or_absent(request->http, "headers"), lowercase_name);
}

/* A member of the context as raw JSON, e.g. exthost_context(request, "requestId"). */
static inline exthost_str exthost_context(const exthost_request *request, const char *name) {
    return exthost__member_or_absent(request->context, name);
}

/* The request body's bytes, decoded from base64 into new memory; {"", 0} for an empty body,
 * absent when the body is not valid base64 or memory ran out. */
static inline exthost_str exthost_body(const exthost_request *request) {
    exthost_str encoded = exthost_string(exthost__member_or_absent(request->http, "body"));
    if (!exthost_present(encoded)) return (exthost_str){0, 0};
    char *out = exthost_alloc_bytes(encoded.len / 4 * 3 + 3);
    if (!out) return (exthost_str){0, 0};
    uint32_t n = exthost_base64_decode(encoded.ptr, encoded.len, out);
    return n == EXTHOST_JSON_INVALID ? (exthost_str){0, 0} : (exthost_str){out, n};
}

/* ---------------------------------------------------------------------------------------------
 * The response document: {"status":200,"headers":{…},"body":"<base64>"} or "text" for "body" */

/* What a handler export returns: (ptr << 32) | len of the response JSON. */
typedef uint64_t exthost_result;

static inline exthost_result exthost_result_of(exthost_str document) {
    return ((uint64_t)(uintptr_t)document.ptr << 32) | document.len;
}

/* Any response: `headers_json` is a JSON object text such as
 * {"content-type":"text/csv","etag":"\"3\""} (absent for none), `body` any bytes. A zero
 * result (out of memory) is what the caller sees as 502 EXTENSION_BAD_RESPONSE. */
static inline exthost_result exthost_respond(int status, exthost_str headers_json, const void *body, uint32_t body_len) {
    exthost_buf out = exthost_buf_make(64 + headers_json.len + EXTHOST_BASE64_ENCODED_LEN(body_len));
    exthost_buf_append_cstr(&out, "{\"status\":");
    exthost_buf_append_int(&out, status);
    if (exthost_present(headers_json)) {
        exthost_buf_append_cstr(&out, ",\"headers\":");
        exthost_buf_append_str(&out, headers_json);
    }
    exthost_buf_append_cstr(&out, ",\"body\":\"");
    exthost_buf_append_base64(&out, body, body_len);
    exthost_buf_append_cstr(&out, "\"}");
    return exthost_result_of(exthost_buf_str(&out));
}

/* A UTF-8 body sent as "text" (readable in logs, and no larger than base64 for JSON, whose only
 * characters to escape are quotes and backslashes), with `headers_json` as in exthost_respond. */
static inline exthost_result exthost_respond_text_with(int status, exthost_str headers_json, const char *text, uint32_t len) {
    exthost_buf out = exthost_buf_make(64 + headers_json.len + len + len / 4);
    exthost_buf_append_cstr(&out, "{\"status\":");
    exthost_buf_append_int(&out, status);
    if (exthost_present(headers_json)) {
        exthost_buf_append_cstr(&out, ",\"headers\":");
        exthost_buf_append_str(&out, headers_json);
    }
    exthost_buf_append_cstr(&out, ",\"text\":");
    exthost_buf_append_json_string(&out, (exthost_str){text, len});
    exthost_buf_append_cstr(&out, "}");
    return exthost_result_of(exthost_buf_str(&out));
}

/* A JSON body (`json` must already be JSON text) with Content-Type application/json. */
static inline exthost_result exthost_respond_json(int status, const char *json, uint32_t len) {
    return exthost_respond_text_with(status, EXTHOST_STR("{\"content-type\":\"application/json\"}"), json, len);
}

/* A text/plain; charset=utf-8 body (the host's default for "text"). */
static inline exthost_result exthost_respond_text(int status, const char *text, uint32_t len) {
    return exthost_respond_text_with(status, (exthost_str){0, 0}, text, len);
}

/* {"error":{"code":CODE,"message":MESSAGE}} as JSON, the shape exthost's own errors have. */
static inline exthost_result exthost_respond_error(int status, const char *code, const char *message) {
    exthost_str code_text = exthost_cstr(code), message_text = exthost_cstr(message);
    exthost_buf json = exthost_buf_make(32 + EXTHOST_JSON_ESCAPED_MAX(code_text.len) + EXTHOST_JSON_ESCAPED_MAX(message_text.len));
    exthost_buf_append_cstr(&json, "{\"error\":{\"code\":");
    exthost_buf_append_json_string(&json, code_text);
    exthost_buf_append_cstr(&json, ",\"message\":");
    exthost_buf_append_json_string(&json, message_text);
    exthost_buf_append_cstr(&json, "}}");
    exthost_str text = exthost_buf_str(&json);
    return exthost_present(text) ? exthost_respond_json(status, text.ptr, text.len) : 0;
}

/* Defines the handler export `name` ((i32, i32) -> i64) around the body that follows, which
 * sees `const exthost_request *request` and returns an exthost_result. */
#define EXTHOST_HANDLER(name)                                                                       \
    static exthost_result name##__exthost_handler(const exthost_request *request);                   \
    __attribute__((export_name(#name))) exthost_result name(uint32_t ptr, uint32_t len);             \
    exthost_result name(uint32_t ptr, uint32_t len) {                                                \
        exthost_request request = exthost_request_parse((const char *)(uintptr_t)ptr, len);          \
        return name##__exthost_handler(&request);                                                    \
    }                                                                                               \
    static exthost_result name##__exthost_handler(const exthost_request *request)

/* ---------------------------------------------------------------------------------------------
 * exthost.log */

enum { EXTHOST_LOG_DEBUG = 0, EXTHOST_LOG_INFO = 1, EXTHOST_LOG_WARNING = 2, EXTHOST_LOG_ERROR = 3 };

/* One log line (needs cap:log.emit; dropped otherwise). */
static inline void exthost_log(int level, const char *text) {
    exthost_str line = exthost_cstr(text);
    exthost_import_log(level, line.ptr, line.len);
}

/* ---------------------------------------------------------------------------------------------
 * exthost.call: {"op":…} answered by {"ok":…} or {"error":{"code","message"}} */

typedef struct {
    int ok;                 /* 1 when the host answered {"ok": …} */
    exthost_str value;      /* ok: the raw JSON of the "ok" member */
    exthost_str error_code; /* not ok: the code, e.g. not_found, conflict, capability_denied */
    exthost_str error;      /* not ok: the raw error object ({"code","message",…}) */
} exthost_answer;

static inline exthost_answer exthost__failure(const char *code) {
    return (exthost_answer){0, {0, 0}, exthost_cstr(code), {0, 0}};
}

/* Sends one host-call document and reads the answer. Besides the host's codes, two come from
 * this side: out_of_memory (the request could not be built) and invalid_answer. */
static inline exthost_answer exthost_call(exthost_str request_json) {
    if (!exthost_present(request_json)) return exthost__failure("out_of_memory");
    uint64_t packed = exthost_import_call(request_json.ptr, request_json.len);
    exthost_str answer = {(const char *)(uintptr_t)(uint32_t)(packed >> 32), (uint32_t)packed};
    exthost_answer result = {0, {0, 0}, {0, 0}, {0, 0}};
    if (exthost_json_member(answer, "ok", &result.value)) {
        result.ok = 1;
        return result;
    }
    exthost_str code;
    if (!exthost_json_member(answer, "error", &result.error) || !exthost_json_member(result.error, "code", &code) || !exthost_json_is_string(code))
        return exthost__failure("invalid_answer");
    result.error_code = (exthost_str){code.ptr + 1, code.len - 2};
    return result;
}

static inline int exthost_answer_is(exthost_answer answer, const char *code) {
    return !answer.ok && exthost_str_equal(answer.error_code, exthost_cstr(code));
}

/* Starts {"op":"<op>" in a buffer with room for `extra` more bytes. */
static inline exthost_buf exthost__call_start(const char *op, uint32_t extra) {
    exthost_buf buf = exthost_buf_make(32 + extra);
    exthost_buf_append_cstr(&buf, "{\"op\":\"");
    exthost_buf_append_cstr(&buf, op);
    exthost_buf_append_cstr(&buf, "\"");
    return buf;
}

/* Appends ,"name":<escaped text> when `text` is present. */
static inline void exthost__call_string(exthost_buf *buf, const char *name, exthost_str text) {
    if (!exthost_present(text)) return;
    exthost_buf_append_cstr(buf, ",\"");
    exthost_buf_append_cstr(buf, name);
    exthost_buf_append_cstr(buf, "\":");
    exthost_buf_append_json_string(buf, text);
}

static inline exthost_answer exthost__call_finish(exthost_buf *buf) {
    exthost_buf_append_cstr(buf, "}");
    return exthost_call(exthost_buf_str(buf));
}

/* config.get (cap:config.read): the value of `key` as raw JSON in .value; NULL for the whole
 * config object. not_found when the install's config has no such key. */
static inline exthost_answer exthost_config_get(const char *key) {
    exthost_str key_text = key ? exthost_cstr(key) : (exthost_str){0, 0};
    exthost_buf buf = exthost__call_start("config.get", 16 + EXTHOST_JSON_ESCAPED_MAX(key_text.len));
    exthost__call_string(&buf, "key", key_text);
    return exthost__call_finish(&buf);
}

/* secrets.get (cap:secrets.get): the secret as a JSON string in .value; not_found. */
static inline exthost_answer exthost_secret_get(const char *name) {
    exthost_str name_text = exthost_cstr(name);
    exthost_buf buf = exthost__call_start("secrets.get", 16 + EXTHOST_JSON_ESCAPED_MAX(name_text.len));
    exthost__call_string(&buf, "name", name_text);
    return exthost__call_finish(&buf);
}

/* For the if_revision arguments: write whatever the current revision is. 0 means "only if the key
 * is absent", n "only if the key is at revision n". */
#define EXTHOST_ANY_REVISION ((int64_t)-1)

static inline exthost_buf exthost__storage_start(const char *op, const char *namespace_name, exthost_str key, uint32_t extra) {
    exthost_str namespace_text = exthost_cstr(namespace_name);
    exthost_buf buf = exthost__call_start(op, 64 + EXTHOST_JSON_ESCAPED_MAX(namespace_text.len) + EXTHOST_JSON_ESCAPED_MAX(key.len) + extra);
    exthost__call_string(&buf, "namespace", namespace_text);
    exthost__call_string(&buf, "key", key);
    return buf;
}

static inline void exthost__storage_revision(exthost_buf *buf, int64_t if_revision) {
    if (if_revision < 0) return;
    exthost_buf_append_cstr(buf, ",\"ifRevision\":");
    exthost_buf_append_int(buf, if_revision);
}

/* storage.get (cap:storage.kv): .value is {"value": <JSON>, "revision": n}; not_found. */
static inline exthost_answer exthost_storage_get(const char *namespace_name, exthost_str key) {
    exthost_buf buf = exthost__storage_start("storage.get", namespace_name, key, 0);
    return exthost__call_finish(&buf);
}

/* storage.put: stores `value_json` (any JSON text); .value is {"revision": n}. conflict (its
 * error object holds the current "revision", null when the key is absent), quota_exceeded. */
static inline exthost_answer exthost_storage_put(const char *namespace_name, exthost_str key, exthost_str value_json, int64_t if_revision) {
    exthost_buf buf = exthost__storage_start("storage.put", namespace_name, key, value_json.len);
    exthost_buf_append_cstr(&buf, ",\"value\":");
    exthost_buf_append_str(&buf, value_json);
    exthost__storage_revision(&buf, if_revision);
    return exthost__call_finish(&buf);
}

/* storage.delete: .value is {"deleted": true|false}; conflict. */
static inline exthost_answer exthost_storage_delete(const char *namespace_name, exthost_str key, int64_t if_revision) {
    exthost_buf buf = exthost__storage_start("storage.delete", namespace_name, key, 0);
    exthost__storage_revision(&buf, if_revision);
    return exthost__call_finish(&buf);
}

/* storage.list: .value is {"keys": [...]}, in byte order, starting after `after`, at most
 * `limit` (0 for the host's default, 100; at most 1000). Absent prefix/after are left out. */
static inline exthost_answer exthost_storage_list(const char *namespace_name, exthost_str prefix, exthost_str after, uint32_t limit) {
    exthost_buf buf = exthost__storage_start("storage.list", namespace_name, (exthost_str){0, 0},
                                             32 + EXTHOST_JSON_ESCAPED_MAX(prefix.len) + EXTHOST_JSON_ESCAPED_MAX(after.len));
    exthost__call_string(&buf, "prefix", prefix);
    exthost__call_string(&buf, "after", after);
    if (limit) {
        exthost_buf_append_cstr(&buf, ",\"limit\":");
        exthost_buf_append_int(&buf, limit);
    }
    return exthost__call_finish(&buf);
}

/* http.fetch (cap:http.fetch, and the operator's EXT_EGRESS_ALLOWLIST): .value is
 * {"status": n, "headers": {…}, "body": "<base64>"}. `headers_json` is a JSON object text or
 * absent; `body` may be NULL. Errors: not_allowed, invalid_url, transport, too_large, timeout. */
static inline exthost_answer exthost_http_fetch(const char *method, exthost_str url, exthost_str headers_json, const void *body, uint32_t body_len) {
    exthost_str method_text = exthost_cstr(method);
    exthost_buf buf = exthost__call_start("http.fetch", 64 + EXTHOST_JSON_ESCAPED_MAX(method_text.len) + EXTHOST_JSON_ESCAPED_MAX(url.len) +
                                                            headers_json.len + EXTHOST_BASE64_ENCODED_LEN(body_len));
    exthost__call_string(&buf, "method", method_text);
    exthost__call_string(&buf, "url", url);
    if (exthost_present(headers_json)) {
        exthost_buf_append_cstr(&buf, ",\"headers\":");
        exthost_buf_append_str(&buf, headers_json);
    }
    if (body) {
        exthost_buf_append_cstr(&buf, ",\"body\":\"");
        exthost_buf_append_base64(&buf, body, body_len);
        exthost_buf_append_cstr(&buf, "\"");
    }
    return exthost__call_finish(&buf);
}

#endif /* EXTHOST_H */
