// The hello extension's API handler (exthost-wasm@1, sdk/c/exthost.h): GET /hello/:name answers
// {"message":"Hello, <name>!"}. Freestanding C, no libc: build.sh compiles it to dist/main.wasm.
#include "exthost.h"

EXTHOST_HANDLER(hello) {
    exthost_str name = exthost_param(request, "name");
    if (!exthost_present(name)) name = EXTHOST_STR("world");
    exthost_buf json = exthost_buf_make(32 + EXTHOST_JSON_ESCAPED_MAX(name.len));
    exthost_buf_append_cstr(&json, "{\"message\":\"Hello, ");
    exthost_buf_append_json_chars(&json, name);
    exthost_buf_append_cstr(&json, "!\"}");
    exthost_str text = exthost_buf_str(&json);
    if (!exthost_present(text)) return 0;
    return exthost_respond_json(200, text.ptr, text.len);
}
