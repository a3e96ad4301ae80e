"""The gateway under hostile guests, through nginx → exthost-runner → WasmKit (issue 8, "Tests").

Each guest is WAT text assembled by Debian's wat2wasm, published and installed with `exthost
publish DIR --install` (so it also passes finalize's MODULE_INVALID check: `memory`,
`exthost_alloc` and the handlers have the ABI's types). The guests:

- HOSTILE: a spinning loop, a memory bomb, a trap, an oversize response, a response that is not
  JSON, and a response that tries to set headers nginx or the browser would act on;
- STATE: hides each request's body in linear memory and in mutable globals the module does not
  export, and answers with what it found there first. Two tenants install it; whatever A sent
  must never reach B. STATE_FRESH is the same guest plus a `table.set` the engine cannot undo,
  so it runs on the fresh-instance path instead of the reuse-with-reset path
  (docs/execution.md "Instances: reuse with reset, or fresh").
"""
import base64
import json
import os
import pathlib
import re
import subprocess
import time
import uuid

import pytest
import requests

from apihelpers import assert_error, cli, create_key, workers_with
from bundlefactory import auth, unique_publisher

MIB = 1 << 20
# The deadline the timeout test restarts the workers with.
DEADLINE_MS = 1000
# How far past the deadline a spinning guest may still answer. The bound is fuel, calibrated
# at 2.5e5 units/ms for the cheapest loop (docs/execution.md): an oversubscribed CPU slows the
# loop and stretches it in proportion (1.5x measured with a full build beside the tests), a
# slower CI machine stretches it again, and nginx, FastCGI and Python add milliseconds. 4 s
# (5x the deadline) keeps the test meaningful: the default deadline is 10 s and an unbounded
# loop never answers.
DEADLINE_SLACK_MS = 4000
RUNS = 5


def wat_string(data):
    """A WAT string literal holding exactly `data` (every byte hex-escaped)."""
    return '"' + "".join(f"\\{byte:02x}" for byte in data) + '"'


def packed(pointer, length):
    """A handler's i64 result: `(pointer << 32) | length`."""
    return (pointer << 32) | length


def response_segment(address, document):
    """A data segment at `address` holding `document` as JSON, and the handler result that returns it."""
    data = json.dumps(document, separators=(",", ":")).encode()
    return f"(data (i32.const {address}) {wat_string(data)})", packed(address, len(data))


OK_DATA, OK = response_segment(1024, {"status": 200, "text": "ok"})
NOT_JSON = b"this is not JSON {"
HEADERS_DATA, HEADERS = response_segment(2048, {
    "status": 201,
    "headers": {
        "X-Custom": "kept", "X-Accel-Redirect": "/internal/secret", "X-Accel-Buffering": "no",
        "X-Accel-Expires": "0", "Status": "500", "Set-Cookie": "session=stolen", "Connection": "close",
        "Transfer-Encoding": "chunked", "X-Split": "a\r\nX-Injected: 1", "X-Newline": "b\nX-Injected: 2",
    },
    "text": "created",
})
STRIPPED = ["X-Accel-Redirect", "X-Accel-Buffering", "X-Accel-Expires", "Set-Cookie", "Status", "X-Split", "X-Newline",
            "X-Injected"]

HOSTILE = f"""(module
  (memory (export "memory") 2)
  {OK_DATA}
  (data (i32.const 1536) {wat_string(NOT_JSON)})
  {HEADERS_DATA}
  ;; Requests land on the second page (the gateway's requests here are far below 64 KiB).
  (func (export "exthost_alloc") (param i32) (result i32) (i32.const 65536))
  (func (export "ok") (param i32 i32) (result i64) (i64.const {OK}))
  ;; No host calls, nothing but a back edge: only fuel can stop it.
  (func (export "spin") (param i32 i32) (result i64) (loop $forever (br $forever)) (i64.const 0))
  ;; Grows until the limit refuses (-1), then writes past the end of memory.
  (func (export "bomb") (param i32 i32) (result i64)
    (block $refused
      (loop $grow
        (br_if $refused (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $grow)))
    (i32.store (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))
    (i64.const 0))
  (func (export "trap") (param i32 i32) (result i64) (unreachable))
  ;; 10 MiB + 1 byte of response from a memory grown to hold it.
  (func (export "huge") (param i32 i32) (result i64)
    (drop (memory.grow (i32.const 176)))
    (i64.const {packed(0, 10 * MIB + 1)}))
  (func (export "not_json") (param i32 i32) (result i64) (i64.const {packed(1536, len(NOT_JSON))}))
  (func (export "headers") (param i32 i32) (result i64) (i64.const {HEADERS})))
"""
HOSTILE_ENDPOINTS = ["ok", "spin", "bomb", "trap", "huge", "not_json", "headers"]

# What STATE holds before any request: "pristine" in both hidden globals' view and in memory.
PRISTINE = b"pristine"
STATE_PREFIX = b'{"status":200,"headers":{"X-Stash":"'
STATE_MIDDLE = b'"},"body":"'
BODY_KEY = b'"body":"'
OUT = 8192


def state_wat(fresh_path, selftest=False):
    """The state-hiding guest. `remember` answers {"status":200,"headers":{"X-Stash": <the 8
    bytes in $stash>},"body": <the base64 text at 4096, $seen_len bytes long>}, then stores this
    request's base64 body there (at most 2048 bytes) and its first 8 bytes in $stash. Neither
    global is exported; the engine must still put both back (or use a fresh instance).

    `selftest` adds an export that calls `remember` twice in one instance and returns 1 when
    the second answer shows the first request's body: proof that the guest really keeps state,
    so that a pristine answer through the gateway means the engine reset it."""
    prefix_end = OUT + len(STATE_PREFIX)
    middle_end = prefix_end + 8 + len(STATE_MIDDLE)
    poison = """
  ;; Never called, but a table.set anywhere means a memory copy cannot undo a request.
  (table 1 funcref)
  (func $poison (table.set 0 (i32.const 0) (ref.null func)))""" if fresh_path else ""
    request = b'{"http":{"body":"' + base64.b64encode(b"selftest secret") + b'"}}'
    check = f"""
  (data (i32.const 16384) {wat_string(request)})
  (func (export "selftest") (result i32)
    (drop (call $remember (i32.const 16384) (i32.const {len(request)})))
    (drop (call $remember (i32.const 16384) (i32.const {len(request)})))
    (i32.and
      (i64.eq (i64.load (i32.const {prefix_end})) (i64.const {int.from_bytes(base64.b64encode(b"selftest secret")[:8], "little")}))
      (i64.eq (i64.load (i32.const {middle_end})) (i64.const {int.from_bytes(base64.b64encode(b"selftest secret")[:8], "little")}))))""" if selftest else ""
    return f"""(module
  (memory (export "memory") 2)
  (global $stash (mut i64) (i64.const {int.from_bytes(PRISTINE, "little")}))
  (global $seen_len (mut i32) (i32.const {len(base64.b64encode(PRISTINE))}))
  (data (i32.const 4096) {wat_string(base64.b64encode(PRISTINE))})
  (data (i32.const 1024) {wat_string(STATE_PREFIX)})
  (data (i32.const 1152) {wat_string(STATE_MIDDLE)}){poison}{check}
  (func (export "exthost_alloc") (param i32) (result i32) (i32.const 65536))
  (func $copy (param $to i32) (param $from i32) (param $count i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $count)))
        (i32.store8 (local.get $to) (i32.load8_u (local.get $from)))
        (local.set $to (i32.add (local.get $to) (i32.const 1)))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $next))))
  (func $remember (export "remember") (param $request i32) (param $length i32) (result i64)
    (local $end i32) (local $at i32) (local $body i32) (local $count i32)
    ;; The answer: what this instance holds now.
    (call $copy (i32.const {OUT}) (i32.const 1024) (i32.const {len(STATE_PREFIX)}))
    (i64.store (i32.const {prefix_end}) (global.get $stash))
    (call $copy (i32.const {prefix_end + 8}) (i32.const 1152) (i32.const {len(STATE_MIDDLE)}))
    (call $copy (i32.const {middle_end}) (i32.const 4096) (global.get $seen_len))
    (local.set $end (i32.add (i32.const {middle_end}) (global.get $seen_len)))
    (i32.store8 (local.get $end) (i32.const 34))
    (i32.store8 (i32.add (local.get $end) (i32.const 1)) (i32.const 125))
    ;; Find "body":" in the request JSON.
    (local.set $at (local.get $request))
    (block $found
      (loop $scan
        (br_if $found (i32.gt_u (i32.add (local.get $at) (i32.const 8)) (i32.add (local.get $request) (local.get $length))))
        (if (i64.eq (i64.load (local.get $at)) (i64.const {int.from_bytes(BODY_KEY, "little")}))
          (then (local.set $body (i32.add (local.get $at) (i32.const 8))) (br $found)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $scan)))
    ;; Hide the body: its base64 text at 4096, its length and first 8 bytes in the globals.
    (if (local.get $body)
      (then
        (block $closed
          (loop $measure
            (br_if $closed (i32.ge_u (i32.add (local.get $body) (local.get $count)) (i32.add (local.get $request) (local.get $length))))
            (br_if $closed (i32.eq (i32.load8_u (i32.add (local.get $body) (local.get $count))) (i32.const 34)))
            (br_if $closed (i32.ge_u (local.get $count) (i32.const 2048)))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (br $measure)))
        (if (i32.ge_u (local.get $count) (i32.const 8))
          (then
            (call $copy (i32.const 4096) (local.get $body) (local.get $count))
            (global.set $seen_len (local.get $count))
            (global.set $stash (i64.load (local.get $body)))))))
    (i64.or (i64.shl (i64.const {OUT}) (i64.const 32))
            (i64.extend_i32_u (i32.sub (i32.add (local.get $end) (i32.const 2)) (i32.const {OUT})))))
)
"""


def assemble(text, path):
    result = subprocess.run(["wat2wasm", "-", "--output=" + str(path)], input=text.encode(), capture_output=True)
    assert result.returncode == 0, result.stderr.decode() + text


def publish_guest(stack, tmp_path_factory, admin, name, wat, handlers, grants=()):
    """Publishes `wat` as PUBLISHER.name with GET /<handler> for each handler, installed for the
    admin's tenant. Returns the extension's readable id."""
    publisher = unique_publisher("lim")
    directory = tmp_path_factory.mktemp(name) / name
    (directory / "dist").mkdir(parents=True)
    assemble(wat, directory / "dist" / "main.wasm")
    (directory / "manifest.json").write_text(json.dumps({
        "name": name, "publisher": publisher, "version": "1.0.0", "runtime": "exthost-wasm@1",
        "capabilities": ["cap:log.emit"],
        "api": {"endpoints": [{"method": "POST" if handler == "remember" else "GET", "path": "/" + handler, "handler": handler}
                              for handler in handlers]},
    }))
    result = cli({**stack, "EXTHOST_API_KEY": admin}, "publish", str(directory), "--install", "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return f"{publisher}.{name}"


def call(http, base_url, key, path, method="GET", **kwargs):
    return http.request(method, f"{base_url}/api/ext/{path}", headers=auth(key), timeout=60, **kwargs)


def runner_pid(stack):
    return int(pathlib.Path(stack["EXTHOST_RUN_DIR"], "pids", "exthost-runner.pid").read_text().split()[0])


def runner_metric(http, base_url, name):
    text = http.get(f"{base_url}/runner/metrics").text
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in /runner/metrics"
    return float(match.group(1))


@pytest.fixture(scope="module")
def hostile(stack, tmp_path_factory):
    tenant = str(uuid.uuid4())
    admin = create_key(stack, tenant, "admin")
    return {"key": admin, "name": publish_guest(stack, tmp_path_factory, admin, "hostile", HOSTILE, HOSTILE_ENDPOINTS)}


def assert_healthy(http, base_url, hostile, pid, stack):
    """The same runner process still serves an ordinary request."""
    response = call(http, base_url, hostile["key"], f"{hostile['name']}/ok")
    assert response.status_code == 200, response.text
    assert response.text == "ok"
    assert runner_pid(stack) == pid
    os.kill(pid, 0)


def assert_opaque(error):
    """An error message the client may see: no trap text, no wasm or engine internals."""
    text = json.dumps(error).lower()
    for internal in ("unreachable", "wasm", "trap", "stack", "0x", "fuel", "func", "memory.grow", ".swift"):
        assert internal not in text, error


def test_an_infinite_loop_is_504_within_the_deadline_and_the_worker_serves_the_next_request(stack, http, base_url, hostile):
    with workers_with(stack, EXT_GATEWAY_TIMEOUT_MS=DEADLINE_MS):
        pid = runner_pid(stack)
        # Warm the module cache, so the loop alone is timed.
        assert call(http, base_url, hostile["key"], f"{hostile['name']}/ok").status_code == 200
        for _ in range(2):
            started = time.monotonic()
            response = call(http, base_url, hostile["key"], f"{hostile['name']}/spin")
            elapsed_ms = (time.monotonic() - started) * 1000
            error = assert_error(response, 504, "EXTENSION_TIMEOUT")
            assert_opaque(error)
            assert elapsed_ms < DEADLINE_MS + DEADLINE_SLACK_MS, f"the loop ran {elapsed_ms:.0f} ms"
            assert_healthy(http, base_url, hostile, pid, stack)


def test_a_memory_bomb_is_502_out_of_memory_and_the_worker_stays_healthy(stack, http, base_url, hostile):
    pid = runner_pid(stack)
    for _ in range(3):
        error = assert_error(call(http, base_url, hostile["key"], f"{hostile['name']}/bomb"), 502, "EXTENSION_OUT_OF_MEMORY")
        assert_opaque(error)
        assert_healthy(http, base_url, hostile, pid, stack)


def test_a_trap_is_502_extension_failed_with_the_request_id_and_no_trace(stack, http, base_url, hostile):
    pid = runner_pid(stack)
    response = call(http, base_url, hostile["key"], f"{hostile['name']}/trap")
    error = assert_error(response, 502, "EXTENSION_FAILED")
    assert re.fullmatch(r"[0-9A-Za-z-]{8,}", error["requestId"]), error
    assert_opaque(error)
    assert_healthy(http, base_url, hostile, pid, stack)


def test_a_response_over_10_mib_is_502_bad_response(stack, http, base_url, hostile):
    error = assert_error(call(http, base_url, hostile["key"], f"{hostile['name']}/huge"), 502, "EXTENSION_BAD_RESPONSE")
    assert_opaque(error)
    assert_healthy(http, base_url, hostile, runner_pid(stack), stack)


def test_a_response_that_is_not_json_is_502_bad_response(stack, http, base_url, hostile):
    error = assert_error(call(http, base_url, hostile["key"], f"{hostile['name']}/not_json"), 502, "EXTENSION_BAD_RESPONSE")
    assert_opaque(error)
    assert_healthy(http, base_url, hostile, runner_pid(stack), stack)


def test_headers_nginx_or_the_browser_would_act_on_never_reach_the_client(stack, http, base_url, hostile):
    response = call(http, base_url, hostile["key"], f"{hostile['name']}/headers")
    assert response.status_code == 201, response.text
    assert response.text == "created"
    assert response.headers["X-Custom"] == "kept"
    for name in STRIPPED:
        assert name not in response.headers, (name, dict(response.headers))
    # The framing is the server's own: a Content-Length, and the client's connection kept.
    assert "Transfer-Encoding" not in response.headers
    assert response.headers["Content-Length"] == str(len("created"))
    assert response.headers["Connection"].lower() == "keep-alive"
    assert "session=stolen" not in json.dumps(dict(response.headers))
    assert not response.cookies


# ---------------------------------------------------------------- no state leaks

@pytest.fixture(scope="module", params=["reuse", "fresh"])
def state_guest(request, stack, tmp_path_factory):
    """STATE (or STATE_FRESH) published by tenant A and installed by tenants A and B."""
    fresh = request.param == "fresh"
    tenants = {"a": str(uuid.uuid4()), "b": str(uuid.uuid4())}
    keys = {t: create_key(stack, tenant, "admin") for t, tenant in tenants.items()}
    name = publish_guest(stack, tmp_path_factory, keys["a"], f"state{request.param}", state_wat(fresh), ["remember"])
    with requests.Session() as http:
        http.trust_env = False
        http.verify = stack["EXTHOST_CA"]
        installed = http.post(f"{stack['EXTHOST_URL'].rstrip('/')}/api/installs", headers=auth(keys["b"]),
                              json={"extensionId": name, "version": "1.0.0"})
        assert installed.status_code == 201, installed.text
    return {"keys": keys, "path": f"{name}/remember", "fresh": fresh}


def remember(http, base_url, guest, tenant, body):
    response = call(http, base_url, guest["keys"][tenant], guest["path"], method="POST", data=body)
    assert response.status_code == 200, response.text
    return response.headers["X-Stash"], response.content


@pytest.mark.parametrize("fresh_path", [False, True])
def test_the_state_guest_really_keeps_state_between_calls_of_one_instance(tmp_path, fresh_path):
    # Without a reset the second call sees the first one's body (wabt's interpreter, one
    # instance): so a pristine answer through the gateway is the engine's doing, not the guest's.
    module = tmp_path / "state.wasm"
    assemble(state_wat(fresh_path, selftest=True), module)
    result = subprocess.run(["wasm-interp", str(module), "--run-all-exports"], capture_output=True, text=True)
    assert result.stdout.strip() == "selftest() => i32:1", result.stdout + result.stderr


def test_no_state_leaks_from_one_tenant_to_the_next_request(stack, http, base_url, state_guest):
    counter = "exthost_wasm_fresh_instances_total" if state_guest["fresh"] else "exthost_wasm_instances_reused_total"
    # Instances are per runner thread, and nginx closes a kept upstream connection after 1000
    # requests: the next request may start on another thread without a warm instance. A round
    # that met such a switch (at most one in a few rounds) is counted again.
    for _ in range(2):
        before = runner_metric(http, base_url, counter)
        for run in range(RUNS):
            secret = f"tenant A secret {run} {uuid.uuid4().hex}".encode()
            assert remember(http, base_url, state_guest, "a", secret) == (PRISTINE.decode(), PRISTINE)
            assert remember(http, base_url, state_guest, "b", b"tenant B asks") == (PRISTINE.decode(), PRISTINE)
        # Each request went down the path under test: for reuse, every request but the one that
        # created the warm instance took it from the pool after its reset.
        if runner_metric(http, base_url, counter) >= before + 2 * RUNS - 1:
            break
    else:
        pytest.fail(f"{counter} rose by less than {2 * RUNS - 1} for {2 * RUNS} requests, twice")
