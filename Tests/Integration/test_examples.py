"""The examples authors copy (issue 8, item 5): examples/hello, examples/notes, the C SDK and the
iframe bridge.

- Each example's build.sh, run in a copy of the tree, reproduces the committed dist/main.wasm
  byte for byte, and notes' UI carries an identical copy of sdk/js/exthost-bridge.js.
- The bridge's client half speaks the protocol of docs/extension-author-guide.md (run in node).
- The C SDK also builds with Debian's wasi-libc, as sdk/c/exthost.h says, and the WAT example
  of docs/extension-abi.md runs.
- notes is published under a unique publisher with every capability granted, a config and a
  secret, and driven through nginx: CRUD with revisions, /settings, /quote (http.fetch to a
  local upstream on the egress allowlist) and its UI files.
"""
import http.server
import json
import pathlib
import re
import shutil
import subprocess
import threading
import uuid

import pytest
import requests

from apihelpers import assert_error, cli, create_key, workers_with
from bundlefactory import unique_publisher

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ["hello", "notes"]
NOTES_GRANTS = ["cap:storage.kv", "cap:config.read", "cap:secrets.get", "cap:http.fetch", "cap:log.emit"]
SECRET = "tok-" + uuid.uuid4().hex
QUOTE = "The best way out is always through."


def copy_of_the_tree(directory):
    """examples/ and sdk/ copied into `directory`, so build.sh finds the SDK where it expects it."""
    shutil.copytree(ROOT / "examples", directory / "examples")
    shutil.copytree(ROOT / "sdk", directory / "sdk")
    return directory


# ---------------------------------------------------------------------------------------------
# Builds


@pytest.mark.parametrize("name", EXAMPLES)
def test_build_script_reproduces_the_committed_wasm(name, tmp_path):
    copy = copy_of_the_tree(tmp_path / "somewhere" / "else")
    example = copy / "examples" / name
    (example / "dist" / "main.wasm").unlink()
    result = subprocess.run([str(example / "build.sh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    committed = (ROOT / "examples" / name / "dist" / "main.wasm").read_bytes()
    assert (example / "dist" / "main.wasm").read_bytes() == committed, f"examples/{name}/build.sh does not reproduce dist/main.wasm"


def test_notes_ui_carries_the_sdk_bridge_unchanged():
    bridge = (ROOT / "sdk" / "js" / "exthost-bridge.js").read_bytes()
    assert (ROOT / "examples" / "notes" / "ui" / "exthost-bridge.js").read_bytes() == bridge, \
        "run examples/notes/build.sh: ui/exthost-bridge.js differs from sdk/js/exthost-bridge.js"
    manifest = json.loads((ROOT / "examples" / "notes" / "manifest.json").read_text())
    assert "ui/exthost-bridge.js" in manifest["assets"]


# ---------------------------------------------------------------------------------------------
# sdk/c/exthost_json.h, compiled for this machine (it needs no wasm host)


JSON_HELPER_CHECKS = r"""
#include <assert.h>
#include <string.h>
#include "exthost_json.h"

static exthost_str member(exthost_str object, const char *name) {
    exthost_str value = {0, 0};
    return exthost_json_member(object, name, &value) ? value : (exthost_str){0, 0};
}

static int is(exthost_str span, const char *text) { return span.ptr && span.len == strlen(text) && !memcmp(span.ptr, text, span.len); }

int main(void) {
    /* A member is found among the object's own members only, never inside a nested value or a string. */
    exthost_str doc = exthost_cstr("{\"context\":{\"config\":{\"params\":{\"id\":\"evil\"}},\"s\":\"\\\"params\\\":}\"},"
                                   " \"http\" : {\"method\":\"GET\"} , \"params\":{\"id\":\"a\\u00e9\\ud83d\\ude00\\n\"}}");
    exthost_str params = member(doc, "params");
    assert(is(params, "{\"id\":\"a\\u00e9\\ud83d\\ude00\\n\"}"));
    assert(is(member(member(doc, "http"), "method"), "\"GET\""));
    assert(!member(doc, "id").ptr && !member(doc, "config").ptr);
    char out[64];
    exthost_str id = member(params, "id");
    uint32_t n = exthost_json_unescape(id, out);
    assert(n == 8 && !memcmp(out, "a\xc3\xa9\xf0\x9f\x98\x80\n", 8));
    assert(exthost_json_unescape(exthost_cstr("\"\\ud83d\""), out) == EXTHOST_JSON_INVALID); /* lone surrogate */
    assert(exthost_json_unescape(exthost_cstr("\"\\q\""), out) == EXTHOST_JSON_INVALID);
    char escaped[EXTHOST_JSON_ESCAPED_MAX(8)];
    n = exthost_json_escape("a\"\\\n\x01\xc3\xa9", 7, escaped);
    assert(n == 17 && !memcmp(escaped, "\"a\\\"\\\\\\n\\u0001\xc3\xa9\"", n));
    /* Malformed or truncated input is "not found", never a read past the end. */
    assert(!member(exthost_cstr("{\"a\":\"x"), "a").ptr && !member(exthost_cstr("{\"a\" 1}"), "a").ptr);
    assert(!member(exthost_cstr("[1]"), "a").ptr && !member(exthost_cstr("{}"), "a").ptr);
    assert(!member((exthost_str){"{\"a\":{\"b\":1}", 11}, "a").ptr); /* cut inside the value */
    /* Arrays, numbers. */
    exthost_str array = exthost_cstr("[ \"a\", {\"b\":[1,\"]\"]} , 3 ]"), element;
    uint32_t cursor = 0, count = 0;
    while (exthost_json_array_next(array, &cursor, &element)) count++;
    assert(count == 3 && is(element, "3"));
    int64_t value = 0;
    assert(exthost_json_int(exthost_cstr("-42"), &value) && value == -42);
    assert(!exthost_json_int(exthost_cstr("9223372036854775808"), &value) && !exthost_json_int(exthost_cstr("1.5"), &value));
    /* Base64 round trip, padding optional on input, bad characters refused. */
    char encoded[16], decoded[16];
    n = exthost_base64_encode("hello!?", 7, encoded);
    assert(n == 12 && !memcmp(encoded, "aGVsbG8hPw==", 12));
    assert(exthost_base64_decode(encoded, 10, decoded) == 7 && !memcmp(decoded, "hello!?", 7));
    assert(exthost_base64_decode("aGV*", 4, decoded) == EXTHOST_JSON_INVALID);
    return 0;
}
"""


def test_the_json_helpers_keep_to_their_invariants(tmp_path):
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    source = tmp_path / "checks.c"
    source.write_text(JSON_HELPER_CHECKS)
    built = subprocess.run([compiler, "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined", "-I", str(ROOT / "sdk" / "c"),
                            "-o", str(tmp_path / "checks"), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    ran = subprocess.run([str(tmp_path / "checks")], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr


# ---------------------------------------------------------------------------------------------
# The bridge's client half, in node with a stand-in window


BRIDGE_HARNESS = r"""
const assert = require("assert");
const listeners = [];
const posted = [];
const parent = { postMessage: (message, origin) => posted.push({ message, origin }) };
global.window = { parent, addEventListener: (type, f) => { if (type === "message") listeners.push(f); } };
require(process.argv[2]);
const exthost = window.exthost;
const deliver = (source, data) => listeners.forEach((f) => f({ source, data }));

(async () => {
  const answer = exthost.api("post", "/notes", { headers: { "If-Match": "3" }, body: { title: "a" } });
  assert.deepStrictEqual(posted[0], { origin: "*", message: { exthost: 1, type: "api", id: 1, method: "POST", path: "/notes",
    headers: { "if-match": "3", "content-type": "application/json" }, body: '{"title":"a"}' } });
  // Only the parent's answer with the right id settles the call.
  deliver({}, { exthost: 1, type: "api-response", id: 1, status: 500, headers: {}, body: "forged" });
  deliver(parent, { exthost: 1, type: "api-response", id: 99, status: 500, headers: {}, body: "other" });
  deliver(parent, { exthost: 1, type: "api-response", id: 1, status: 201, headers: { etag: '"1"' }, body: '{"id":"x"}' });
  assert.deepStrictEqual(await answer, { status: 201, headers: { etag: '"1"' }, body: '{"id":"x"}' });

  const refused = exthost.api("GET", "/notes");
  deliver(parent, { exthost: 1, type: "api-response", id: 2, error: { code: "FORBIDDEN", message: "no" } });
  await assert.rejects(refused, (error) => error.code === "FORBIDDEN");
  await assert.rejects(exthost.api("GET", "notes"), (error) => error.code === "INVALID_PATH");

  exthost.timeoutMs = 20;
  await assert.rejects(exthost.api("GET", "/slow"), (error) => error.code === "BRIDGE_TIMEOUT");

  exthost.ready();
  exthost.resize(120.5);
  exthost.navigate("/settings");
  assert.deepStrictEqual(posted.slice(-3).map((p) => p.message), [
    { type: "ready", exthost: 1 }, { type: "resize", height: 121, exthost: 1 }, { type: "navigate", path: "/settings", exthost: 1 }]);
  console.log("bridge ok");
})().catch((error) => { console.error(error); process.exit(1); });
"""


def test_bridge_client_posts_the_protocol_and_settles_each_call_once(tmp_path):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    harness = tmp_path / "harness.js"
    harness.write_text(BRIDGE_HARNESS)
    result = subprocess.run([node, str(harness), str(ROOT / "sdk" / "js" / "exthost-bridge.js")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bridge ok" in result.stdout


# ---------------------------------------------------------------------------------------------
# Modules published through the stack


def session_for(stack):
    session = requests.Session()
    session.trust_env = False
    session.verify = stack["EXTHOST_CA"]
    return session


@pytest.fixture(scope="module")
def tenant_admin(stack):
    return create_key(stack, str(uuid.uuid4()), "admin")


def publish_and_install(stack, admin, directory, grants):
    """Publishes `directory` under a unique publisher (its manifest rewritten) and installs it
    for the key's tenant with `grants`; returns the extension id and the install."""
    publisher = unique_publisher("ex")
    manifest_path = directory / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["publisher"] = publisher
    manifest_path.write_text(json.dumps(manifest))
    arguments = [argument for capability in grants for argument in ("--grant", capability)]
    result = cli({**stack, "EXTHOST_API_KEY": admin}, "publish", str(directory), "--install", *arguments, "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return f"{publisher}.{manifest['name']}", json.loads(result.stdout)["install"]


def call(stack, admin, extension, path):
    with session_for(stack) as session:
        return session.get(f"{stack['EXTHOST_URL'].rstrip('/')}/api/ext/{extension}{path}", headers={"Authorization": "Bearer " + admin})


def test_the_sdk_works_with_wasi_libc(stack, tenant_admin, tmp_path):
    """The wasi-libc command of sdk/c/exthost.h links a module that passes the ABI check and runs."""
    directory = tmp_path / "wasi"
    (directory / "dist").mkdir(parents=True)
    source = tmp_path / "main.c"
    source.write_text(
        '#include <stdio.h>\n#include "exthost.h"\n'
        'EXTHOST_HANDLER(count) {\n'
        '    char text[64];\n'
        '    int n = snprintf(text, sizeof text, "%d params, %.1f", 0, 2.5);\n'
        '    return exthost_respond_text(200, text, (uint32_t)n);\n}\n')
    subprocess.run(["clang", "--target=wasm32-wasi", "--sysroot=/", "-isystem", "/usr/include/wasm32-wasi",
                    "-L/usr/lib/wasm32-wasi", "-mexec-model=reactor", "-nodefaultlibs", "-lc", "-O2",
                    "-I", str(ROOT / "sdk" / "c"), "-Wl,--strip-all", "-o", str(directory / "dist" / "main.wasm"),
                    str(source)], check=True, capture_output=True)
    (directory / "manifest.json").write_text(json.dumps({
        "name": "wasi", "publisher": "acme", "version": "1.0.0", "runtime": "exthost-wasm@1",
        "api": {"endpoints": [{"method": "GET", "path": "/count", "handler": "count"}]}}))
    extension, _ = publish_and_install(stack, tenant_admin, directory, [])
    response = call(stack, tenant_admin, extension, "/count")
    assert response.status_code == 200, response.text
    assert response.text == "0 params, 2.5"


def test_the_abi_docs_wat_example_runs(stack, tenant_admin, tmp_path):
    text = (ROOT / "docs" / "extension-abi.md").read_text()
    wat = re.search(r"^```wat\n(.*?)^```$", text, re.S | re.M).group(1)
    directory = tmp_path / "ping"
    (directory / "dist").mkdir(parents=True)
    (tmp_path / "ping.wat").write_text(wat)
    subprocess.run(["wat2wasm", str(tmp_path / "ping.wat"), "-o", str(directory / "dist" / "main.wasm")], check=True, capture_output=True)
    (directory / "manifest.json").write_text(json.dumps({
        "name": "ping", "publisher": "acme", "version": "1.0.0", "runtime": "exthost-wasm@1", "capabilities": ["cap:log.emit"],
        "api": {"endpoints": [{"method": "GET", "path": "/ping", "handler": "ping"}]}}))
    extension, _ = publish_and_install(stack, tenant_admin, directory, ["cap:log.emit"])
    for _ in range(3):  # the instance is reset between requests, so the bump allocator starts over
        response = call(stack, tenant_admin, extension, "/ping")
        assert response.status_code == 200, response.text
        assert response.text == "pong"


# ---------------------------------------------------------------------------------------------
# notes through nginx


class QuoteHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = QUOTE.encode() if self.path == "/quote" else b"missing"
        self.send_response(200 if self.path == "/quote" else 404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def quote_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuoteHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def notes(stack, base_url, tenant_admin, quote_server, tmp_path_factory):
    """examples/notes published under a unique publisher, installed with every grant, a config
    with title and quoteUrl, and the secret apiToken."""
    directory = tmp_path_factory.mktemp("notes") / "notes"
    shutil.copytree(ROOT / "examples" / "notes", directory)
    extension, install = publish_and_install(stack, tenant_admin, directory, NOTES_GRANTS)
    auth = {"Authorization": "Bearer " + tenant_admin}
    title = "Team notes " + uuid.uuid4().hex[:6]
    config = {"title": title, "quoteUrl": f"http://127.0.0.1:{quote_server}/quote"}
    with session_for(stack) as session:
        patched = session.patch(f"{base_url}/api/installs/{install['id']}", json={"config": config}, headers=auth)
        assert patched.status_code == 200, patched.text
        stored = session.put(f"{base_url}/api/installs/{install['id']}/secrets", json={"apiToken": SECRET}, headers=auth)
        assert stored.status_code == 200, stored.text
    return {"admin": tenant_admin, "base": f"{base_url}/api/ext/{extension}", "title": title, "install": install,
            "quote_port": quote_server}


def request(http, notes, method, path, **kwargs):
    headers = {"Authorization": "Bearer " + notes["admin"], **kwargs.pop("headers", {})}
    return http.request(method, notes["base"] + path, headers=headers, **kwargs)


def test_notes_crud_with_revisions(http, notes):
    created = request(http, notes, "POST", "/notes", json={"title": "Groceries", "text": "milk\n\"oat\""})
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["title"] == "Groceries" and note["text"] == "milk\n\"oat\"" and note["revision"] == 1
    assert created.headers["ETag"] == '"1"'
    path = "/notes/" + note["id"]

    got = request(http, notes, "GET", path)
    assert got.status_code == 200, got.text
    assert got.json() == note

    listed = request(http, notes, "GET", "/notes")
    assert listed.status_code == 200, listed.text
    assert {"id": note["id"], "title": "Groceries", "revision": 1} in listed.json()["notes"]

    updated = request(http, notes, "PUT", path, json={"title": "Groceries", "text": "bread"}, headers={"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.json() == {**note, "text": "bread", "revision": 2}
    by_member = request(http, notes, "PUT", path, json={"title": "Food", "text": "", "revision": 2})
    assert by_member.status_code == 200, by_member.text
    assert by_member.json()["revision"] == 3

    stale = request(http, notes, "PUT", path, json={"title": "Lost update"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409, stale.text
    assert stale.json()["error"]["code"] == "REVISION_CONFLICT" and stale.json()["error"]["revision"] == 3
    assert request(http, notes, "GET", path).json()["title"] == "Food"
    assert request(http, notes, "PUT", path, json={"title": "No revision"}).status_code == 428
    assert request(http, notes, "DELETE", path, headers={"If-Match": '"2"'}).status_code == 409

    deleted = request(http, notes, "DELETE", path, headers={"If-Match": '"3"'})
    assert deleted.status_code == 204, deleted.text
    missing = request(http, notes, "GET", path)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOTE_NOT_FOUND"
    assert request(http, notes, "DELETE", path).status_code == 404
    assert request(http, notes, "PUT", path, json={"title": "x"}, headers={"If-Match": "1"}).status_code == 404
    assert note["id"] not in [entry["id"] for entry in request(http, notes, "GET", "/notes").json()["notes"]]


def test_notes_rejects_bad_input(http, notes):
    for body in [b"not json", json.dumps({"text": "no title"}).encode(), json.dumps({"title": ""}).encode(),
                 json.dumps({"title": "x" * 201}).encode(), json.dumps({"title": 5}).encode()]:
        response = request(http, notes, "POST", "/notes", data=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "INVALID_NOTE"


def test_settings_show_the_title_and_only_whether_the_secret_is_set(http, notes):
    response = request(http, notes, "GET", "/settings")
    assert response.status_code == 200, response.text
    assert response.json() == {"title": notes["title"], "apiTokenSet": True}
    assert SECRET not in response.text


def test_an_unknown_endpoint_of_notes_is_the_gateways_404(http, notes):
    assert_error(request(http, notes, "PATCH", "/notes/x"), 404, "ENDPOINT_NOT_FOUND")


def test_quote_fetches_the_configured_url_through_the_allowlist(stack, http, notes):
    with workers_with(stack, EXT_EGRESS_ALLOWLIST=f"http://127.0.0.1:{notes['quote_port']}"):
        response = request(http, notes, "GET", "/quote")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": 200, "quote": QUOTE}


def test_quote_outside_the_allowlist_is_a_502_with_the_hosts_code(http, notes):
    response = request(http, notes, "GET", "/quote")
    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == "HOST_CALL_FAILED"
    assert error["hostError"]["code"] == "not_allowed"


def test_notes_ui_is_served_with_its_bridge(http, base_url, notes):
    ui_url = notes["install"]["uiUrl"]
    page = http.get(base_url + ui_url)
    assert page.status_code == 200, page.text
    assert 'src="exthost-bridge.js"' in page.text
    bridge = http.get(base_url + ui_url.rsplit("/", 1)[0] + "/exthost-bridge.js")
    assert bridge.status_code == 200
    assert bridge.content == (ROOT / "sdk" / "js" / "exthost-bridge.js").read_bytes()
