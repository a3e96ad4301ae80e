// The notes extension's API (exthost-wasm@1, sdk/c/exthost.h): notes kept in the install's
// key-value storage with optimistic revisions, the install's config and secret, and one
// outbound fetch. Freestanding C, no libc: build.sh compiles it to dist/main.wasm.
//
// A note is stored under its id in the namespace "notes" as {"title":"…","text":"…"}; the
// storage revision is the note's version, sent as ETag and expected back in If-Match (or a
// "revision" member) by PUT and DELETE, so two editors never overwrite each other silently.
#include "exthost.h"

#define NOTES "notes"
#define MAX_TITLE_BYTES 200u
#define MAX_TEXT_BYTES 65536u
#define MAX_ID_BYTES 128u

// ------------------------------------------------------------------------------------ answers

static exthost_result respond_buf(int status, exthost_str headers, const exthost_buf *json) {
    exthost_str text = exthost_buf_str(json);
    if (!exthost_present(text)) return exthost_respond_error(500, "OUT_OF_MEMORY", "the answer did not fit in memory");
    return exthost_respond_text_with(status, headers, text.ptr, text.len);
}

static exthost_result respond_json_buf(int status, const exthost_buf *json) {
    return respond_buf(status, EXTHOST_STR("{\"content-type\":\"application/json\"}"), json);
}

// A host call that failed in a way this extension cannot fix: 403 when a capability was not
// granted (the tenant admin can grant it), otherwise 502, with the host's error object as it came.
static exthost_result host_failure(const char *op, exthost_answer answer) {
    int status = exthost_answer_is(answer, "capability_denied") ? 403 : 502;
    exthost_buf json = exthost_buf_make(96 + answer.error_code.len + answer.error.len);
    exthost_buf_append_cstr(&json, "{\"error\":{\"code\":\"HOST_CALL_FAILED\",\"message\":\"");
    exthost_buf_append_cstr(&json, op);
    exthost_buf_append_cstr(&json, " failed: ");
    exthost_buf_append_json_chars(&json, answer.error_code);
    exthost_buf_append_cstr(&json, "\",\"hostError\":");
    exthost_buf_append_str(&json, exthost_present(answer.error) ? answer.error : EXTHOST_STR("null"));
    exthost_buf_append_cstr(&json, "}}");
    return respond_json_buf(status, &json);
}

// The "revision" of a storage conflict; 0 when the key does not exist (the host sends null).
static int64_t conflicting_revision(exthost_answer answer) {
    exthost_str raw;
    int64_t revision;
    return exthost_json_member(answer.error, "revision", &raw) && exthost_json_int(raw, &revision) ? revision : 0;
}

static exthost_result revision_conflict(int64_t current) {
    exthost_buf json = exthost_buf_make(160);
    exthost_buf_append_cstr(&json, "{\"error\":{\"code\":\"REVISION_CONFLICT\",\"message\":\"the note changed since that revision; "
                                   "read it again and retry\",\"revision\":");
    exthost_buf_append_int(&json, current);
    exthost_buf_append_cstr(&json, "}}");
    return respond_json_buf(409, &json);
}

static exthost_result note_not_found(void) {
    return exthost_respond_error(404, "NOTE_NOT_FOUND", "no note with that id");
}

// {"id":…,"title":…,"text":…,"revision":n} from a stored value, with the revision as ETag.
static exthost_result respond_note(int status, exthost_str id, exthost_str stored, int64_t revision) {
    exthost_str title = EXTHOST_STR("\"\""), text = EXTHOST_STR("\"\"");
    exthost_json_member(stored, "title", &title);
    exthost_json_member(stored, "text", &text);
    exthost_buf json = exthost_buf_make(64 + EXTHOST_JSON_ESCAPED_MAX(id.len) + title.len + text.len);
    exthost_buf_append_cstr(&json, "{\"id\":");
    exthost_buf_append_json_string(&json, id);
    exthost_buf_append_cstr(&json, ",\"title\":");
    exthost_buf_append_str(&json, title);
    exthost_buf_append_cstr(&json, ",\"text\":");
    exthost_buf_append_str(&json, text);
    exthost_buf_append_cstr(&json, ",\"revision\":");
    exthost_buf_append_int(&json, revision);
    exthost_buf_append_cstr(&json, "}");
    exthost_buf headers = exthost_buf_make(96);
    exthost_buf_append_cstr(&headers, "{\"content-type\":\"application/json\",\"etag\":\"\\\"");
    exthost_buf_append_int(&headers, revision);
    exthost_buf_append_cstr(&headers, "\\\"\"}");
    return respond_buf(status, exthost_buf_str(&headers), &json);
}

// ------------------------------------------------------------------------------------ input

typedef struct {
    exthost_str value; // {"title":…,"text":…} ready to store
    int64_t revision;  // the body's "revision", -1 when absent
    const char *problem;
} note_input;

// Reads {"title": "…", "text"?: "…", "revision"?: n} from the request body. The strings are
// decoded and escaped again, so what is stored is always valid JSON whatever the client sent.
static note_input read_note_input(const exthost_request *request) {
    note_input input = {{0, 0}, -1, 0};
    exthost_str body = exthost_body(request), raw;
    if (!exthost_present(body) || body.len == 0 || body.ptr[0] != '{') {
        input.problem = "the body must be a JSON object {\"title\": \"…\", \"text\": \"…\"}";
        return input;
    }
    exthost_str title = exthost_json_member(body, "title", &raw) ? exthost_string(raw) : (exthost_str){0, 0};
    exthost_str text = exthost_json_member(body, "text", &raw) ? exthost_string(raw) : EXTHOST_STR("");
    if (!exthost_present(title) || title.len == 0 || title.len > MAX_TITLE_BYTES) {
        input.problem = "title must be a string of 1 to 200 bytes";
        return input;
    }
    if (!exthost_present(text) || text.len > MAX_TEXT_BYTES) {
        input.problem = "text must be a string of at most 65536 bytes";
        return input;
    }
    if (exthost_json_member(body, "revision", &raw) && (!exthost_json_int(raw, &input.revision) || input.revision < 1)) {
        input.problem = "revision must be a whole number of at least 1";
        return input;
    }
    exthost_buf value = exthost_buf_make(32 + EXTHOST_JSON_ESCAPED_MAX(title.len) + EXTHOST_JSON_ESCAPED_MAX(text.len));
    exthost_buf_append_cstr(&value, "{\"title\":");
    exthost_buf_append_json_string(&value, title);
    exthost_buf_append_cstr(&value, ",\"text\":");
    exthost_buf_append_json_string(&value, text);
    exthost_buf_append_cstr(&value, "}");
    input.value = exthost_buf_str(&value);
    if (!exthost_present(input.value)) input.problem = "the note did not fit in memory";
    return input;
}

// The revision an If-Match header names (3, "3" or W/"3"); -1 when there is none, 0 when it is
// not a revision.
static int64_t if_match_revision(const exthost_request *request) {
    exthost_str header = exthost_header(request, "if-match");
    if (!exthost_present(header)) return -1;
    if (header.len >= 2 && header.ptr[0] == 'W' && header.ptr[1] == '/') header = (exthost_str){header.ptr + 2, header.len - 2};
    if (header.len >= 2 && header.ptr[0] == '"' && header.ptr[header.len - 1] == '"') header = (exthost_str){header.ptr + 1, header.len - 2};
    int64_t revision;
    return exthost_json_int(header, &revision) && revision >= 1 ? revision : 0;
}

static exthost_str note_id(const exthost_request *request) {
    exthost_str id = exthost_param(request, "id");
    return exthost_present(id) && id.len <= MAX_ID_BYTES ? id : (exthost_str){0, 0};
}

// ------------------------------------------------------------------------------------ handlers

// GET /notes[?after=ID]: {"notes":[{"id","title","revision"}…],"next":ID|null}, 100 at a time.
EXTHOST_HANDLER(list_notes) {
    enum { page = 100 };
    exthost_answer listed = exthost_storage_list(NOTES, (exthost_str){0, 0}, exthost_query(request, "after"), page);
    exthost_str keys;
    if (!listed.ok) return host_failure("storage.list", listed);
    if (!exthost_json_member(listed.value, "keys", &keys)) return exthost_respond_error(502, "BAD_HOST_ANSWER", "storage.list answered no keys");
    exthost_buf json = exthost_buf_make(4096);
    exthost_buf_append_cstr(&json, "{\"notes\":[");
    uint32_t cursor = 0, listed_keys = 0, count = 0;
    exthost_str key_raw, last = {0, 0};
    while (exthost_json_array_next(keys, &cursor, &key_raw)) {
        exthost_str id = exthost_string(key_raw), stored, title, revision;
        last = key_raw;
        listed_keys++;
        exthost_answer note = exthost_storage_get(NOTES, id);
        if (exthost_answer_is(note, "not_found")) continue; // deleted since the list was taken
        if (!note.ok) return host_failure("storage.get", note);
        if (!exthost_json_member(note.value, "value", &stored) || !exthost_json_member(stored, "title", &title) ||
            !exthost_json_member(note.value, "revision", &revision))
            continue;
        exthost_buf_append_cstr(&json, count++ ? ",{\"id\":" : "{\"id\":");
        exthost_buf_append_str(&json, key_raw);
        exthost_buf_append_cstr(&json, ",\"title\":");
        exthost_buf_append_str(&json, title);
        exthost_buf_append_cstr(&json, ",\"revision\":");
        exthost_buf_append_str(&json, revision);
        exthost_buf_append_cstr(&json, "}");
    }
    exthost_buf_append_cstr(&json, "],\"next\":");
    // A full page may have more after it; a short one is the end.
    exthost_buf_append_str(&json, listed_keys == page ? last : EXTHOST_STR("null"));
    exthost_buf_append_cstr(&json, "}");
    return respond_json_buf(200, &json);
}

// POST /notes {"title","text"}: 201 with the new note. Its id is the request id, unique per
// request (a client that resends its own X-Request-Id gets 409 instead of a duplicate).
EXTHOST_HANDLER(create_note) {
    note_input input = read_note_input(request);
    if (input.problem) return exthost_respond_error(400, "INVALID_NOTE", input.problem);
    exthost_str id = exthost_string(exthost_context(request, "requestId"));
    if (!exthost_present(id)) return exthost_respond_error(500, "NO_REQUEST_ID", "the request has no requestId");
    exthost_answer put = exthost_storage_put(NOTES, id, input.value, 0);
    if (exthost_answer_is(put, "conflict")) return exthost_respond_error(409, "NOTE_EXISTS", "a note with this request id exists");
    if (exthost_answer_is(put, "quota_exceeded")) return exthost_respond_error(507, "STORAGE_FULL", "the install's storage quota is used up");
    if (!put.ok) return host_failure("storage.put", put);
    exthost_log(EXTHOST_LOG_INFO, "note created");
    return respond_note(201, id, input.value, 1);
}

// GET /notes/:id
EXTHOST_HANDLER(get_note) {
    exthost_str id = note_id(request), stored, revision_raw;
    int64_t revision;
    if (!exthost_present(id)) return note_not_found();
    exthost_answer got = exthost_storage_get(NOTES, id);
    if (exthost_answer_is(got, "not_found")) return note_not_found();
    if (!got.ok) return host_failure("storage.get", got);
    if (!exthost_json_member(got.value, "value", &stored) || !exthost_json_member(got.value, "revision", &revision_raw) ||
        !exthost_json_int(revision_raw, &revision))
        return exthost_respond_error(502, "BAD_HOST_ANSWER", "storage.get answered no value or revision");
    return respond_note(200, id, stored, revision);
}

// PUT /notes/:id {"title","text","revision"?} with If-Match or "revision": 200 with the note at
// its new revision; 409 when the note is at another revision, 428 without a revision.
EXTHOST_HANDLER(update_note) {
    exthost_str id = note_id(request);
    if (!exthost_present(id)) return note_not_found();
    note_input input = read_note_input(request);
    if (input.problem) return exthost_respond_error(400, "INVALID_NOTE", input.problem);
    int64_t revision = if_match_revision(request);
    if (revision == 0) return exthost_respond_error(400, "INVALID_REVISION", "If-Match must name a revision, e.g. \"3\"");
    if (revision < 0) revision = input.revision;
    if (revision < 0) return exthost_respond_error(428, "REVISION_REQUIRED", "send the revision you edited in If-Match or \"revision\"");
    exthost_answer put = exthost_storage_put(NOTES, id, input.value, revision);
    if (exthost_answer_is(put, "conflict")) {
        int64_t current = conflicting_revision(put);
        return current ? revision_conflict(current) : note_not_found();
    }
    if (exthost_answer_is(put, "quota_exceeded")) return exthost_respond_error(507, "STORAGE_FULL", "the install's storage quota is used up");
    exthost_str written;
    int64_t new_revision;
    if (!put.ok) return host_failure("storage.put", put);
    if (!exthost_json_member(put.value, "revision", &written) || !exthost_json_int(written, &new_revision))
        return exthost_respond_error(502, "BAD_HOST_ANSWER", "storage.put answered no revision");
    return respond_note(200, id, input.value, new_revision);
}

// DELETE /notes/:id, conditional when If-Match is sent: 204, 404, or 409.
EXTHOST_HANDLER(delete_note) {
    exthost_str id = note_id(request), deleted;
    if (!exthost_present(id)) return note_not_found();
    int64_t revision = if_match_revision(request);
    if (revision == 0) return exthost_respond_error(400, "INVALID_REVISION", "If-Match must name a revision, e.g. \"3\"");
    exthost_answer answer = exthost_storage_delete(NOTES, id, revision > 0 ? revision : EXTHOST_ANY_REVISION);
    if (exthost_answer_is(answer, "conflict")) {
        int64_t current = conflicting_revision(answer);
        return current ? revision_conflict(current) : note_not_found();
    }
    if (!answer.ok) return host_failure("storage.delete", answer);
    if (!exthost_json_member(answer.value, "deleted", &deleted) || !exthost_str_equal(deleted, EXTHOST_STR("true"))) return note_not_found();
    return exthost_respond(204, (exthost_str){0, 0}, 0, 0);
}

// GET /settings: {"title": <config title or null>, "apiTokenSet": bool}. The secret itself is
// read only to learn whether it is set; it never leaves this function.
EXTHOST_HANDLER(settings) {
    (void)request;
    exthost_answer title = exthost_config_get("title");
    if (!title.ok && !exthost_answer_is(title, "not_found")) return host_failure("config.get", title);
    exthost_answer token = exthost_secret_get("apiToken");
    if (!token.ok && !exthost_answer_is(token, "not_found")) return host_failure("secrets.get", token);
    int token_set = token.ok && token.value.len > 2; // "" is not a token
    exthost_buf json = exthost_buf_make(64 + title.value.len);
    exthost_buf_append_cstr(&json, "{\"title\":");
    exthost_buf_append_str(&json, title.ok ? title.value : EXTHOST_STR("null"));
    exthost_buf_append_cstr(&json, token_set ? ",\"apiTokenSet\":true}" : ",\"apiTokenSet\":false}");
    return respond_json_buf(200, &json);
}

// GET /quote: fetches the URL in config "quoteUrl" and answers {"status": upstream status,
// "quote": upstream body as text}; a failed fetch is 502 with the host's error.
EXTHOST_HANDLER(quote) {
    (void)request;
    exthost_answer configured = exthost_config_get("quoteUrl");
    if (exthost_answer_is(configured, "not_found")) return exthost_respond_error(503, "QUOTE_NOT_CONFIGURED", "set quoteUrl in the install's config");
    if (!configured.ok) return host_failure("config.get", configured);
    exthost_str url = exthost_string(configured.value);
    if (!exthost_present(url)) return exthost_respond_error(503, "QUOTE_NOT_CONFIGURED", "quoteUrl must be a string");
    exthost_answer fetched = exthost_http_fetch("GET", url, EXTHOST_STR("{\"accept\":\"text/plain\"}"), 0, 0);
    if (!fetched.ok) return host_failure("http.fetch", fetched);
    exthost_str status, body_raw;
    if (!exthost_json_member(fetched.value, "status", &status) || !exthost_json_member(fetched.value, "body", &body_raw))
        return exthost_respond_error(502, "BAD_HOST_ANSWER", "http.fetch answered no status or body");
    exthost_str encoded = exthost_string(body_raw);
    char *text = exthost_alloc_bytes(encoded.len / 4 * 3 + 3);
    uint32_t text_len = text ? exthost_base64_decode(encoded.ptr, encoded.len, text) : EXTHOST_JSON_INVALID;
    if (text_len == EXTHOST_JSON_INVALID) return exthost_respond_error(502, "BAD_HOST_ANSWER", "http.fetch answered a body that is not base64");
    exthost_buf json = exthost_buf_make(32 + status.len + EXTHOST_JSON_ESCAPED_MAX(text_len));
    exthost_buf_append_cstr(&json, "{\"status\":");
    exthost_buf_append_str(&json, status);
    exthost_buf_append_cstr(&json, ",\"quote\":");
    exthost_buf_append_json_string(&json, (exthost_str){text, text_len});
    exthost_buf_append_cstr(&json, "}");
    return respond_json_buf(200, &json);
}
