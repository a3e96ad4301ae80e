// The hello extension's API handler for the exthost-wasm@1 ABI: GET /hello/:name answers
// {"message":"Hello, <name>!"}. Freestanding C, no libc: build.sh compiles it to dist/main.wasm.
//
// The host copies the request JSON into memory it gets from exthost_alloc, calls the handler
// export with (ptr, len), and reads the response JSON at the (ptr << 32) | len it returns.
// The host restores the instance after every request, so the bump allocator never frees.
#include <stdint.h>

extern unsigned char __heap_base;
static uint32_t heap_top;

__attribute__((export_name("exthost_alloc")))
uint32_t exthost_alloc(uint32_t len) {
    if (heap_top == 0) heap_top = (uint32_t)(uintptr_t)&__heap_base;
    uint32_t start = (heap_top + 7u) & ~7u;
    uint32_t end = start + len;
    if (end < start) return 0;
    uint32_t available = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > available) {
        uint32_t pages = (end - available + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (__SIZE_TYPE__)-1) return 0;
    }
    heap_top = end;
    return start;
}

static int is_name_byte(uint8_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// Where `needle` starts in haystack[from..len), or -1.
static int32_t find(const uint8_t *haystack, uint32_t len, uint32_t from, const char *needle) {
    uint32_t n = 0;
    while (needle[n]) n++;
    for (uint32_t i = from; i + n <= len; i++) {
        uint32_t j = 0;
        while (j < n && haystack[i + j] == (uint8_t)needle[j]) j++;
        if (j == n) return (int32_t)i;
    }
    return -1;
}

// The ":name" capture of the request's "params", kept to safe characters so it needs no
// JSON escaping; "world" when there is none.
static uint32_t requested_name(const uint8_t *request, uint32_t len, const uint8_t **name) {
    int32_t params = find(request, len, 0, "\"params\"");
    int32_t key = params < 0 ? -1 : find(request, len, (uint32_t)params, "\"name\"");
    if (key >= 0) {
        uint32_t i = (uint32_t)key + 6;
        while (i < len && (request[i] == ' ' || request[i] == ':')) i++;
        if (i < len && request[i] == '"') {
            uint32_t start = ++i;
            while (i < len && i - start < 64 && is_name_byte(request[i])) i++;
            if (i > start) {
                *name = request + start;
                return i - start;
            }
        }
    }
    *name = (const uint8_t *)"world";
    return 5;
}

static uint32_t append(uint8_t *out, uint32_t at, const uint8_t *bytes, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) out[at + i] = bytes[i];
    return at + count;
}

static uint32_t append_text(uint8_t *out, uint32_t at, const char *text) {
    uint32_t n = 0;
    while (text[n]) n++;
    return append(out, at, (const uint8_t *)text, n);
}

__attribute__((export_name("hello")))
uint64_t hello(uint32_t ptr, uint32_t len) {
    const uint8_t *name;
    uint32_t name_len = requested_name((const uint8_t *)(uintptr_t)ptr, len, &name);
    uint8_t *out = (uint8_t *)(uintptr_t)exthost_alloc(256);
    if (!out) return 0;
    uint32_t n = append_text(out, 0, "{\"status\":200,\"headers\":{\"content-type\":\"application/json\"},"
                                      "\"text\":\"{\\\"message\\\":\\\"Hello, ");
    n = append(out, n, name, name_len);
    n = append_text(out, n, "!\\\"}\"}");
    return ((uint64_t)(uintptr_t)out << 32) | n;
}
