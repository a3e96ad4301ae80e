"""`http.fetch` through nginx → exthost-runner → WasmKit → libcurl (issue 8, item 2; docs/egress.md).

The HOST_CALL_GUEST of test_execute.py hands each POSTed host call to `exthost.call` and
answers with the host's answer. The runner is restarted with an EXT_EGRESS_ALLOWLIST naming
a Python upstream on 127.0.0.1; every refusal must be decided without connecting, so the
upstream (and a silent listener on a second port) must see no request at all.
"""
import base64
import contextlib
import http.server
import json
import socket
import threading
import time
import uuid

import pytest
import requests

from apihelpers import cli, create_key, workers_with
from bundlefactory import unique_publisher
from test_execute import host_call_extension

MIB = 1 << 20
DEFAULT_FETCH_CAP = 5 * MIB


class Upstream(http.server.ThreadingHTTPServer):
    """The allowlisted server: records every request it receives."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), UpstreamHandler)
        self.seen = []
        self.port = self.server_address[1]


class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def route(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append((self.command, self.path))
        extra = []
        if self.path.startswith("/echo"):
            status = 200
            out = json.dumps({"method": self.command, "path": self.path, "body": base64.b64encode(body).decode(),
                              "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
            extra = [("Content-Type", "application/json"), ("X-Multi", "a"), ("X-Multi", "b")]
        elif self.path == "/redirect":
            status, out, extra = 302, b"", [("Location", "/echo")]
        elif self.path == "/big":
            status, out = 200, b"x" * (DEFAULT_FETCH_CAP + 1)
        elif self.path == "/slow":
            time.sleep(5)
            status, out = 200, b"late"
        else:
            status, out = 404, b"no"
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        try:
            self.wfile.write(out)
        except OSError:
            pass  # the runner gave up (too large, timeout)

    do_GET = do_POST = do_PUT = do_DELETE = route


@pytest.fixture(scope="module")
def upstream():
    server = Upstream()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture()
def silent_port():
    """A port on 127.0.0.1 that listens but never accepts: yields (port, count of connections so far)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)

    def connections():
        count = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                listener.accept()[0].close()
                count += 1
        return count

    yield listener.getsockname()[1], connections
    listener.close()


def allowlist_for(upstream):
    return f"http://127.0.0.1:{upstream.port},http://localhost:{upstream.port},*.example.test"


@pytest.fixture(scope="module")
def fetch_guest(stack, base_url, upstream, tmp_path_factory):
    """The host-call guest with cap:http.fetch granted to tenant A and not to tenant B; the
    runner restarted with the test allowlist for the module's tests."""
    publisher = unique_publisher("egress")
    directory = host_call_extension(tmp_path_factory.mktemp("egress") / "egress", "egress", publisher, ["cap:http.fetch"])
    granted, ungranted = create_key(stack, str(uuid.uuid4()), "admin"), create_key(stack, str(uuid.uuid4()), "admin")
    result = cli({**stack, "EXTHOST_API_KEY": granted}, "publish", str(directory), "--install",
                 "--grant", "cap:http.fetch", "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    extension_id = json.loads(result.stdout)["extension"]["id"]
    session = requests.Session()
    session.trust_env = False
    session.verify = stack["EXTHOST_CA"]
    installed = session.post(f"{base_url}/api/installs", headers={"Authorization": "Bearer " + ungranted},
                             json={"extensionId": extension_id, "version": "1.0.0", "grantedCapabilities": []})
    assert installed.status_code == 201, installed.text
    session.close()
    allowlist = allowlist_for(upstream)
    with workers_with(stack, EXT_EGRESS_ALLOWLIST=allowlist):
        yield {"granted": granted, "ungranted": ungranted, "path": f"{publisher}.egress/call",
               "stack": {**stack, "EXT_EGRESS_ALLOWLIST": allowlist}}


def post_call(http, base_url, guest, document, key=None):
    return http.post(f"{base_url}/api/ext/{guest['path']}", data=json.dumps(document),
                     headers={"Authorization": "Bearer " + (key or guest["granted"])})


def fetch(http, base_url, guest, url, key=None, **members):
    response = post_call(http, base_url, guest, {"op": "http.fetch", "method": "GET", "url": url, **members}, key)
    assert response.status_code == 200, response.text
    return json.loads(response.content)


def error_code(answer):
    assert set(answer) == {"error"}, answer
    assert answer["error"]["message"], answer
    return answer["error"]["code"]


def test_get_round_trips_status_headers_and_body(http, base_url, fetch_guest, upstream):
    answer = fetch(http, base_url, fetch_guest, f"http://127.0.0.1:{upstream.port}/echo?q=1#fragment",
                   headers={"X-Test": "yes", "Host": "evil.example", "Connection": "close"})
    ok = answer["ok"]
    assert ok["status"] == 200
    assert ok["headers"]["content-type"] == "application/json"
    assert ok["headers"]["x-multi"] == "a, b"
    assert all(name == name.lower() for name in ok["headers"])
    echo = json.loads(base64.b64decode(ok["body"]))
    assert echo["method"] == "GET" and echo["path"] == "/echo?q=1"
    assert echo["headers"]["x-test"] == "yes"
    assert echo["headers"]["host"] == f"127.0.0.1:{upstream.port}"


def test_post_sends_its_body(http, base_url, fetch_guest, upstream):
    payload = bytes(range(256)) * 8
    answer = fetch(http, base_url, fetch_guest, f"http://127.0.0.1:{upstream.port}/echo", method="POST",
                   headers={"Content-Type": "application/octet-stream"}, body=base64.b64encode(payload).decode())
    echo = json.loads(base64.b64decode(answer["ok"]["body"]))
    assert echo["method"] == "POST"
    assert base64.b64decode(echo["body"]) == payload
    assert echo["headers"]["content-type"] == "application/octet-stream"


def test_an_install_without_the_grant_is_denied(http, base_url, fetch_guest, upstream):
    upstream.seen.clear()
    answer = fetch(http, base_url, fetch_guest, f"http://127.0.0.1:{upstream.port}/echo", key=fetch_guest["ungranted"])
    assert error_code(answer) == "capability_denied"
    assert upstream.seen == []


def test_hosts_not_on_the_allowlist_are_not_allowed(http, base_url, fetch_guest, upstream, silent_port):
    port, connections = silent_port
    upstream.seen.clear()
    for url in ["https://example.com/",
                f"http://127.0.0.1:{port}/",       # the allowlisted address on another port
                f"http://127.0.0.2:{upstream.port}/",
                "http://a.example.test/"]:          # an https-only entry asked for plain http
        assert error_code(fetch(http, base_url, fetch_guest, url)) == "not_allowed", url
    assert upstream.seen == [] and connections() == 0


def test_ssrf_targets_are_refused_without_connecting(http, base_url, fetch_guest, upstream, silent_port):
    port, connections = silent_port
    upstream.seen.clear()
    for url in [f"http://[::1]:{upstream.port}/echo", "http://[::1]/", "http://169.254.169.254/latest/meta-data/",
                "http://10.0.0.1/", "http://0x7f000001/", "http://2130706433/", f"http://0x7f000001:{port}/",
                f"http://2130706433:{port}/", "http://127.1/", f"http://[::ffff:127.0.0.1]:{upstream.port}/echo",
                f"http://localhost:{upstream.port}/echo"]:  # allowlisted by name, resolves to loopback
        assert error_code(fetch(http, base_url, fetch_guest, url)) == "not_allowed", url
    assert upstream.seen == [] and connections() == 0


def test_other_spellings_of_the_allowlisted_address_are_that_address(http, base_url, fetch_guest, upstream):
    # curl reads 0x7f000001 and 2130706433 as 127.0.0.1, and so does the allowlist.
    for host in ["0x7f000001", "2130706433", "127.1"]:
        answer = fetch(http, base_url, fetch_guest, f"http://{host}:{upstream.port}/echo")
        assert answer["ok"]["status"] == 200, (host, answer)


def test_userinfo_and_other_schemes_are_invalid_urls(http, base_url, fetch_guest, upstream):
    upstream.seen.clear()
    for url in [f"http://user:pw@127.0.0.1:{upstream.port}/echo", f"ftp://127.0.0.1:{upstream.port}/", "file:///etc/passwd",
                "not a url", "#fragment"]:
        assert error_code(fetch(http, base_url, fetch_guest, url)) == "invalid_url", url
    bad_header = fetch(http, base_url, fetch_guest, f"http://127.0.0.1:{upstream.port}/echo", headers={"X-A": "a\r\nX-B: b"})
    assert error_code(bad_header) == "invalid_request"
    assert upstream.seen == []


def test_a_redirect_is_returned_not_followed(http, base_url, fetch_guest, upstream):
    upstream.seen.clear()
    answer = fetch(http, base_url, fetch_guest, f"http://127.0.0.1:{upstream.port}/redirect")
    assert answer["ok"]["status"] == 302
    assert answer["ok"]["headers"]["location"] == "/echo"
    assert upstream.seen == [("GET", "/redirect")]


def test_an_oversized_body_is_too_large(http, base_url, fetch_guest, upstream):
    assert error_code(fetch(http, base_url, fetch_guest, f"http://127.0.0.1:{upstream.port}/big")) == "too_large"


def test_a_slow_upstream_ends_with_the_request_deadline(http, base_url, fetch_guest, upstream):
    # The fetch gets the time left before the deadline; when it runs out the deadline has
    # passed, so the gateway stops the guest: 504 EXTENSION_TIMEOUT, not a late 200.
    with workers_with(fetch_guest["stack"], EXT_EGRESS_ALLOWLIST=fetch_guest["stack"]["EXT_EGRESS_ALLOWLIST"],
                      EXT_GATEWAY_TIMEOUT_MS=1500):
        # The restarted runner loads the module once, inside the first request's deadline:
        # warmed first, the timed request is the fetch alone.
        assert fetch(http, base_url, fetch_guest, f"http://127.0.0.1:{upstream.port}/echo")["ok"]["status"] == 200
        start = time.monotonic()
        response = post_call(http, base_url, fetch_guest, {"op": "http.fetch", "method": "GET",
                                                            "url": f"http://127.0.0.1:{upstream.port}/slow"})
        elapsed = time.monotonic() - start
    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "EXTENSION_TIMEOUT"
    assert 1.4 < elapsed < 3.5, elapsed


def test_an_unset_allowlist_denies_everything(http, base_url, fetch_guest, upstream):
    upstream.seen.clear()
    with workers_with(fetch_guest["stack"], EXT_EGRESS_ALLOWLIST=""):
        answer = fetch(http, base_url, fetch_guest, f"http://127.0.0.1:{upstream.port}/echo")
    assert error_code(answer) == "not_allowed"
    assert upstream.seen == []
