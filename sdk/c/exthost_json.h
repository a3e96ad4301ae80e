/*
 * exthost_json.h: just enough JSON and base64 for exthost-wasm@1 handlers written in C.
 *
 * It reads the JSON the host sends (the request document, host-call answers) without building a
 * tree: a value is a span of the original text (exthost_str), found by walking an object's
 * members and skipping nested values properly, so a key inside a nested object or inside a
 * string is never mistaken for a member. It writes JSON strings (escaping) and base64.
 *
 * Invariants: nothing here allocates or needs libc; every function is bounded by the lengths it
 * is given and never reads past them; malformed input makes a lookup fail (returns 0 or
 * EXTHOST_JSON_INVALID), never crash. Freestanding C (clang --target=wasm32 -ffreestanding
 * -nostdlib) and wasi-libc both work. exthost.h includes this file; it can also be used alone.
 */
#ifndef EXTHOST_JSON_H
#define EXTHOST_JSON_H

#include <stdint.h>

/* A span of bytes that this code does not own: usually a slice of the request or of a host answer. */
typedef struct {
    const char *ptr;
    uint32_t len;
} exthost_str;

/* A span over a string literal, e.g. EXTHOST_STR("notes"). */
#define EXTHOST_STR(literal) ((exthost_str){(literal), (uint32_t)(sizeof(literal) - 1)})

/* Returned by the functions below that answer a length, when their input is malformed. */
#define EXTHOST_JSON_INVALID UINT32_MAX

static inline exthost_str exthost_cstr(const char *text) {
    uint32_t n = 0;
    while (text[n]) n++;
    return (exthost_str){text, n};
}

static inline int exthost_str_equal(exthost_str a, exthost_str b) {
    if (a.len != b.len) return 0;
    for (uint32_t i = 0; i < a.len; i++)
        if (a.ptr[i] != b.ptr[i]) return 0;
    return 1;
}

static inline uint32_t exthost_json__skip_space(exthost_str text, uint32_t at) {
    while (at < text.len && (text.ptr[at] == ' ' || text.ptr[at] == '\t' || text.ptr[at] == '\n' || text.ptr[at] == '\r')) at++;
    return at;
}

/* The index just past the string that starts (at its quote) at `at`, or EXTHOST_JSON_INVALID. */
static inline uint32_t exthost_json__skip_string(exthost_str text, uint32_t at) {
    if (at >= text.len || text.ptr[at] != '"') return EXTHOST_JSON_INVALID;
    for (at++; at < text.len; at++) {
        if (text.ptr[at] == '\\') at++;
        else if (text.ptr[at] == '"') return at + 1;
    }
    return EXTHOST_JSON_INVALID;
}

/* The index just past the value that starts at `at` (after any white space), or
 * EXTHOST_JSON_INVALID. Objects and arrays are skipped by counting brackets outside strings,
 * which needs no stack, so nesting depth costs nothing. */
static inline uint32_t exthost_json__skip_value(exthost_str text, uint32_t at) {
    at = exthost_json__skip_space(text, at);
    if (at >= text.len) return EXTHOST_JSON_INVALID;
    char first = text.ptr[at];
    if (first == '"') return exthost_json__skip_string(text, at);
    if (first == '{' || first == '[') {
        uint32_t depth = 0;
        while (at < text.len) {
            char c = text.ptr[at];
            if (c == '"') {
                at = exthost_json__skip_string(text, at);
                if (at == EXTHOST_JSON_INVALID) return at;
                continue;
            }
            if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) return at + 1;
            }
            at++;
        }
        return EXTHOST_JSON_INVALID;
    }
    /* A number, true, false or null: runs to the next delimiter. */
    uint32_t start = at;
    while (at < text.len && text.ptr[at] != ',' && text.ptr[at] != '}' && text.ptr[at] != ']' && text.ptr[at] != ' ' &&
           text.ptr[at] != '\n' && text.ptr[at] != '\r' && text.ptr[at] != '\t')
        at++;
    return at > start ? at : EXTHOST_JSON_INVALID;
}

/* Finds the member `name` of the JSON object `object` (its own members only, not nested ones)
 * and sets *value to the member's raw JSON text (a string keeps its quotes). Names are compared
 * as written, so a name the sender escaped is not found; the host never escapes plain ASCII. */
static inline int exthost_json_member(exthost_str object, const char *name, exthost_str *value) {
    exthost_str wanted = exthost_cstr(name);
    uint32_t at = exthost_json__skip_space(object, 0);
    if (at >= object.len || object.ptr[at] != '{') return 0;
    at = exthost_json__skip_space(object, at + 1);
    if (at < object.len && object.ptr[at] == '}') return 0;
    while (at < object.len) {
        uint32_t key_end = exthost_json__skip_string(object, at);
        if (key_end == EXTHOST_JSON_INVALID) return 0;
        exthost_str key = {object.ptr + at + 1, key_end - at - 2};
        at = exthost_json__skip_space(object, key_end);
        if (at >= object.len || object.ptr[at] != ':') return 0;
        uint32_t value_start = exthost_json__skip_space(object, at + 1);
        uint32_t value_end = exthost_json__skip_value(object, value_start);
        if (value_end == EXTHOST_JSON_INVALID) return 0;
        if (exthost_str_equal(key, wanted)) {
            *value = (exthost_str){object.ptr + value_start, value_end - value_start};
            return 1;
        }
        at = exthost_json__skip_space(object, value_end);
        if (at >= object.len || object.ptr[at] != ',') return 0;
        at = exthost_json__skip_space(object, at + 1);
    }
    return 0;
}

/* Steps through a JSON array: start with *cursor = 0; each call sets *element to the next
 * element's raw text and returns 1, or returns 0 at the end (or on malformed input). */
static inline int exthost_json_array_next(exthost_str array, uint32_t *cursor, exthost_str *element) {
    uint32_t at = *cursor;
    if (at == 0) {
        at = exthost_json__skip_space(array, 0);
        if (at >= array.len || array.ptr[at] != '[') return 0;
        at++;
    } else {
        at = exthost_json__skip_space(array, at);
        if (at >= array.len || array.ptr[at] != ',') return 0;
        at++;
    }
    at = exthost_json__skip_space(array, at);
    if (at >= array.len || array.ptr[at] == ']') return 0;
    uint32_t end = exthost_json__skip_value(array, at);
    if (end == EXTHOST_JSON_INVALID) return 0;
    *element = (exthost_str){array.ptr + at, end - at};
    *cursor = end;
    return 1;
}

static inline int exthost_json_is_string(exthost_str raw) {
    return raw.len >= 2 && raw.ptr[0] == '"' && raw.ptr[raw.len - 1] == '"';
}

static inline int exthost_json_is_null(exthost_str raw) {
    return exthost_str_equal(raw, EXTHOST_STR("null"));
}

/* Parses a raw JSON number that is a whole number in int64 range (no fraction or exponent). */
static inline int exthost_json_int(exthost_str raw, int64_t *out) {
    uint32_t at = 0;
    int negative = raw.len > 0 && raw.ptr[0] == '-';
    if (negative) at++;
    if (at >= raw.len) return 0;
    uint64_t value = 0;
    for (; at < raw.len; at++) {
        char c = raw.ptr[at];
        if (c < '0' || c > '9') return 0;
        if (value > (UINT64_C(9223372036854775807) - (uint64_t)(c - '0')) / 10) return 0;
        value = value * 10 + (uint64_t)(c - '0');
    }
    *out = negative ? -(int64_t)value : (int64_t)value;
    return 1;
}

static inline int exthost_json__hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static inline int32_t exthost_json__hex4(exthost_str text, uint32_t at) {
    if (at + 4 > text.len) return -1;
    int32_t value = 0;
    for (uint32_t i = 0; i < 4; i++) {
        int digit = exthost_json__hex_digit(text.ptr[at + i]);
        if (digit < 0) return -1;
        value = value * 16 + digit;
    }
    return value;
}

static inline uint32_t exthost_json__put_utf8(char *out, uint32_t code_point) {
    if (code_point < 0x80) {
        out[0] = (char)code_point;
        return 1;
    }
    if (code_point < 0x800) {
        out[0] = (char)(0xC0 | (code_point >> 6));
        out[1] = (char)(0x80 | (code_point & 0x3F));
        return 2;
    }
    if (code_point < 0x10000) {
        out[0] = (char)(0xE0 | (code_point >> 12));
        out[1] = (char)(0x80 | ((code_point >> 6) & 0x3F));
        out[2] = (char)(0x80 | (code_point & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (code_point >> 18));
    out[1] = (char)(0x80 | ((code_point >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((code_point >> 6) & 0x3F));
    out[3] = (char)(0x80 | (code_point & 0x3F));
    return 4;
}

/* Decodes the raw JSON string `raw` (with its quotes) into `out` as UTF-8 and returns the
 * length, or EXTHOST_JSON_INVALID. The result is never longer than raw.len - 2, so an `out` of
 * raw.len bytes always suffices. */
static inline uint32_t exthost_json_unescape(exthost_str raw, char *out) {
    if (!exthost_json_is_string(raw)) return EXTHOST_JSON_INVALID;
    exthost_str inner = {raw.ptr + 1, raw.len - 2};
    uint32_t n = 0;
    for (uint32_t at = 0; at < inner.len; at++) {
        char c = inner.ptr[at];
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (++at >= inner.len) return EXTHOST_JSON_INVALID;
        switch (inner.ptr[at]) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            int32_t unit = exthost_json__hex4(inner, at + 1);
            if (unit < 0) return EXTHOST_JSON_INVALID;
            at += 4;
            uint32_t code_point = (uint32_t)unit;
            /* A high surrogate must be followed by \u and a low one: together one code point. */
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                int32_t low = (at + 2 < inner.len && inner.ptr[at + 1] == '\\' && inner.ptr[at + 2] == 'u')
                                  ? exthost_json__hex4(inner, at + 3) : -1;
                if (low < 0xDC00 || low > 0xDFFF) return EXTHOST_JSON_INVALID;
                code_point = 0x10000 + (((uint32_t)unit - 0xD800) << 10) + ((uint32_t)low - 0xDC00);
                at += 6;
            } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                return EXTHOST_JSON_INVALID;
            }
            n += exthost_json__put_utf8(out + n, code_point);
            break;
        }
        default: return EXTHOST_JSON_INVALID;
        }
    }
    return n;
}

/* The most bytes exthost_json_escape writes for `len` input bytes (quotes included). */
#define EXTHOST_JSON_ESCAPED_MAX(len) ((uint32_t)(len) * 6u + 2u)

/* Writes `text` escaped for the inside of a JSON string, without the quotes, into `out` (room
 * for EXTHOST_JSON_ESCAPED_MAX(len) - 2 bytes) and returns the length. Bytes of 0x80 and up are
 * copied as they are, so UTF-8 input stays UTF-8; control characters become \u00XX. */
static inline uint32_t exthost_json_escape_chars(const char *text, uint32_t len, char *out) {
    static const char hex[] = "0123456789abcdef";
    uint32_t n = 0;
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (c == '\r') {
            out[n++] = '\\';
            out[n++] = 'r';
        } else if (c == '\t') {
            out[n++] = '\\';
            out[n++] = 't';
        } else if (c < 0x20 || c == 0x7F) {
            out[n++] = '\\';
            out[n++] = 'u';
            out[n++] = '0';
            out[n++] = '0';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        } else {
            out[n++] = (char)c;
        }
    }
    return n;
}

/* Writes `text` as a quoted JSON string into `out` (room for EXTHOST_JSON_ESCAPED_MAX(len)
 * bytes) and returns the length. */
static inline uint32_t exthost_json_escape(const char *text, uint32_t len, char *out) {
    out[0] = '"';
    uint32_t n = 1 + exthost_json_escape_chars(text, len, out + 1);
    out[n++] = '"';
    return n;
}

/* The length of the base64 text for `len` bytes (with padding). */
#define EXTHOST_BASE64_ENCODED_LEN(len) ((((uint32_t)(len) + 2u) / 3u) * 4u)

/* Writes `len` bytes as base64 (RFC 4648, with padding, no line breaks) and returns the length. */
static inline uint32_t exthost_base64_encode(const void *bytes, uint32_t len, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = (const unsigned char *)bytes;
    uint32_t n = 0;
    for (uint32_t i = 0; i < len; i += 3) {
        uint32_t chunk = (uint32_t)in[i] << 16;
        if (i + 1 < len) chunk |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) chunk |= in[i + 2];
        out[n++] = alphabet[(chunk >> 18) & 63];
        out[n++] = alphabet[(chunk >> 12) & 63];
        out[n++] = i + 1 < len ? alphabet[(chunk >> 6) & 63] : '=';
        out[n++] = i + 2 < len ? alphabet[chunk & 63] : '=';
    }
    return n;
}

static inline int exthost_base64__value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes base64 (padding optional) into `out` (room for len * 3 / 4 bytes) and returns the
 * length, or EXTHOST_JSON_INVALID for a character outside the alphabet or a bad length. */
static inline uint32_t exthost_base64_decode(const char *text, uint32_t len, void *out) {
    unsigned char *bytes = (unsigned char *)out;
    while (len > 0 && text[len - 1] == '=') len--;
    if (len % 4 == 1) return EXTHOST_JSON_INVALID;
    uint32_t n = 0, bits = 0, count = 0;
    for (uint32_t i = 0; i < len; i++) {
        int value = exthost_base64__value(text[i]);
        if (value < 0) return EXTHOST_JSON_INVALID;
        bits = (bits << 6) | (uint32_t)value;
        count += 6;
        if (count >= 8) {
            count -= 8;
            bytes[n++] = (unsigned char)(bits >> count);
        }
    }
    return n;
}

#endif /* EXTHOST_JSON_H */
