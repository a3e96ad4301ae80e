"""`exthost publish` end to end through nginx (issue 6, items 7 and 8).

The CLI packs, signs, uploads (presigned PUT, presigned multipart, or the upload proxy),
finalizes and installs against the running stack. A small fake API on loopback covers what the
real stack cannot be made to do on demand: a storage part that fails and is sent again.
"""
import hashlib
import http.server
import json
import os
import pathlib
import pty
import socket
import subprocess
import threading
import uuid

import pytest

from apihelpers import cli, create_key
from bundlefactory import MIB, content_hash, keygen, manifest, pack, unique_publisher, write_extension

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_MULTIPART_THRESHOLD = 64 * MIB
REPORT_KEYS = {"extension", "version", "contentHash", "size", "signature", "created", "uploadId", "strategy"}


@pytest.fixture(scope="module")
def tenant(stack):
    tenant_id = str(uuid.uuid4())
    return {"id": tenant_id, "admin": create_key(stack, tenant_id, "admin"), "member": create_key(stack, tenant_id, "member")}


def publish(stack, key, *args, expect=0):
    """Runs `exthost publish` with the key in EXTHOST_API_KEY (and EXTHOST_URL/EXTHOST_CA from the stack)."""
    result = cli({**stack, "EXTHOST_API_KEY": key}, "publish", *map(str, args), check=False)
    assert result.returncode == expect, f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert key not in result.stdout + result.stderr, "the API key was printed"
    return result


def publish_json(stack, key, *args):
    result = publish(stack, key, *args, "--json")
    return json.loads(result.stdout), result


def get(http, base_url, key, path):
    response = http.get(base_url + path, headers={"Authorization": "Bearer " + key})
    assert response.status_code == 200, response.text
    return response.json()


def catalog_version(http, base_url, key, qualified_name, version):
    entry = get(http, base_url, key, f"/api/extensions/{qualified_name}")
    return next(v for v in entry["versions"] if v["version"] == version)


def source(tmp_path, publisher, version="1.0.0", name="hello", **kwargs):
    fields = {key: kwargs.pop(key) for key in list(kwargs) if key not in ("padding", "note")}
    return write_extension(tmp_path / f"{name}-{version}", manifest(publisher, name, version, **fields), **kwargs)


# ---------------------------------------------------------------- the three upload paths

def test_publish_a_directory_unsigned_with_the_json_report(stack, http, base_url, tenant, tmp_path):
    publisher = unique_publisher()
    directory = source(tmp_path, publisher)
    report, _ = publish_json(stack, tenant["admin"], directory)
    assert set(report) == REPORT_KEYS
    assert report["strategy"] == "presigned-put"
    assert report["extension"]["publisher"] == publisher and report["extension"]["name"] == "hello"
    assert report["version"]["version"] == "1.0.0" and report["version"]["id"]
    assert report["signature"] == {"verified": False, "signer": None}
    uuid.UUID(report["uploadId"])
    # `exthost pack` is reproducible: the hash publish declared is the one pack gives.
    bundle = pack(stack, directory, tmp_path / "same.tar.zst")
    assert report["contentHash"] == content_hash(bundle) and report["size"] == os.path.getsize(bundle)
    listed = catalog_version(http, base_url, tenant["member"], f"{publisher}.hello", "1.0.0")
    assert listed["contentHash"] == report["contentHash"] and listed["signer"] is None


def test_publish_a_directory_signed_with_keys(stack, http, base_url, tenant, tmp_path):
    publisher = unique_publisher()
    key, cert = keygen(stack, tmp_path / "keys", publisher)
    report, result = publish_json(stack, tenant["admin"], source(tmp_path, publisher), "--sign-key", key, "--cert", cert)
    assert report["signature"] == {"verified": True, "signer": publisher}
    assert f"as CN={publisher}" in result.stderr
    assert catalog_version(http, base_url, tenant["member"], f"{publisher}.hello", "1.0.0")["signer"] == publisher


def test_publish_a_prebuilt_bundle_uses_its_sig_file(stack, tenant, tmp_path):
    publisher = unique_publisher()
    key, cert = keygen(stack, tmp_path / "keys", publisher)
    bundle = pack(stack, source(tmp_path, publisher), tmp_path / "prebuilt.tar.zst")
    cli(stack, "sign", bundle, "--key", key, "--cert", cert)
    report, result = publish_json(stack, tenant["admin"], bundle)
    assert report["contentHash"] == content_hash(bundle)
    assert report["signature"] == {"verified": True, "signer": publisher}
    assert f"signature from {bundle}.sig" in result.stderr


def test_publish_a_bundle_with_a_sig_of_other_bytes_is_refused_by_the_server(stack, tenant, tmp_path):
    publisher = unique_publisher()
    key, cert = keygen(stack, tmp_path / "keys", publisher)
    first = pack(stack, source(tmp_path, publisher), tmp_path / "first.tar.zst")
    cli(stack, "sign", first, "--key", key, "--cert", cert)
    second = pack(stack, source(tmp_path, publisher, note="changed"), tmp_path / "second.tar.zst")
    (tmp_path / "second.tar.zst.sig").write_bytes((tmp_path / "first.tar.zst.sig").read_bytes())
    result = publish(stack, tenant["admin"], second, expect=1)
    assert "SIGNATURE_INVALID" in result.stderr and "hint: " in result.stderr
    assert "abandoned upload" in result.stderr


def test_publish_via_the_upload_proxy(stack, http, base_url, tenant, tmp_path):
    publisher = unique_publisher()
    report, _ = publish_json(stack, tenant["admin"], source(tmp_path, publisher), "--via-proxy")
    assert set(report) == REPORT_KEYS and report["strategy"] == "proxy"
    assert catalog_version(http, base_url, tenant["member"], f"{publisher}.hello", "1.0.0")["contentHash"] == report["contentHash"]


def test_publish_above_the_multipart_threshold_uploads_parts(stack, http, base_url, tenant, tmp_path):
    # The private stack may lower the threshold (EXTHOST_MULTIPART_THRESHOLD, at least 5 MiB).
    threshold = int(stack.get("EXTHOST_MULTIPART_THRESHOLD") or DEFAULT_MULTIPART_THRESHOLD)
    publisher = unique_publisher()
    directory = source(tmp_path, publisher, padding=threshold + 7 * MIB)
    report, result = publish_json(stack, tenant["admin"], directory)
    assert report["strategy"] == "multipart"
    assert report["size"] > threshold
    bundle = pack(stack, directory, tmp_path / "big.tar.zst")
    assert report["contentHash"] == content_hash(bundle)
    listed = catalog_version(http, base_url, tenant["member"], f"{publisher}.hello", "1.0.0")
    assert listed["contentHash"] == report["contentHash"] and listed["size"] == report["size"]
    assert f"uploaded {report['size']} bytes" in result.stderr


# ---------------------------------------------------------------- install

def test_install_with_grants_then_a_new_version_moves_the_install(stack, http, base_url, tenant, tmp_path):
    publisher = unique_publisher()
    caps = ["cap:log.emit", "cap:storage.kv"]
    report, result = publish_json(stack, tenant["admin"], source(tmp_path, publisher, capabilities=caps),
                                  "--install", "--grant", "cap:log.emit", "--grant", "cap:storage.kv")
    install = report["install"]
    assert install["extensionId"] == report["extension"]["id"] and install["version"] == "1.0.0"
    assert install["tenantId"] == tenant["id"] and install["enabled"] is True
    assert sorted(install["grantedCapabilities"]) == caps
    assert install["uiUrl"].startswith(f"/ext-ui/{report['extension']['id']}/")
    listed = [i for i in get(http, base_url, tenant["member"], "/api/installs")["installs"] if i["id"] == install["id"]]
    assert listed and sorted(listed[0]["grantedCapabilities"]) == caps and listed[0]["version"] == "1.0.0"
    assert "installed for the key's tenant: install " + install["id"] in result.stderr

    # The tenant has it installed already: publish --install moves that install to 2.0.0.
    again = publish(stack, tenant["admin"], source(tmp_path, publisher, version="2.0.0", capabilities=caps), "--install")
    assert f"installed by moving the tenant's existing install {install['id']} from 1.0.0 to 2.0.0" in again.stdout
    mine = [i for i in get(http, base_url, tenant["member"], "/api/installs")["installs"] if i["extensionId"] == install["extensionId"]]
    assert [(i["id"], i["version"]) for i in mine] == [(install["id"], "2.0.0")]
    assert sorted(mine[0]["grantedCapabilities"]) == caps, "grants are kept when --grant is not given"


def test_a_grant_the_manifest_does_not_declare_is_shown_with_its_code(stack, tenant, tmp_path):
    result = publish(stack, tenant["admin"], source(tmp_path, unique_publisher()), "--install", "--grant", "cap:http.fetch", expect=1)
    assert "CAPABILITY_NOT_DECLARED" in result.stderr and "--grant only capabilities" in result.stderr


# ---------------------------------------------------------------- republishing

def test_republishing_the_same_version_and_content_is_an_idempotent_success(stack, tenant, tmp_path):
    directory = source(tmp_path, unique_publisher())
    first, _ = publish_json(stack, tenant["admin"], directory)
    second, _ = publish_json(stack, tenant["admin"], directory)
    assert (second["extension"], second["version"], second["contentHash"]) == (first["extension"], first["version"], first["contentHash"])
    assert "already published with this exact content" in publish(stack, tenant["admin"], directory).stdout


def test_other_content_under_a_published_version_is_version_exists(stack, tenant, tmp_path):
    publisher = unique_publisher()
    publish(stack, tenant["admin"], source(tmp_path, publisher))
    result = publish(stack, tenant["admin"], source(tmp_path / "other", publisher, note="other"), expect=1)
    assert "VERSION_EXISTS" in result.stderr
    assert "hint: this version is published with other content" in result.stderr
    assert result.stdout == ""


# ---------------------------------------------------------------- errors

def test_a_bad_key_is_shown_as_401_with_a_hint(stack, tenant, tmp_path):
    bad_key = "exh_" + "A" * 43
    result = publish(stack, bad_key, source(tmp_path, unique_publisher()), expect=1)
    assert "INVALID_API_KEY" in result.stderr and "answered 401" in result.stderr
    assert "hint: check --key (or EXTHOST_API_KEY)" in result.stderr
    assert "request id: " in result.stderr


def test_a_member_key_is_forbidden(stack, tenant, tmp_path):
    result = publish(stack, tenant["member"], source(tmp_path, unique_publisher()), expect=1)
    assert "FORBIDDEN" in result.stderr and "answered 403" in result.stderr and "admin key" in result.stderr


def test_an_invalid_manifest_lists_every_issue_and_uploads_nothing(stack, tenant, tmp_path):
    directory = source(tmp_path, unique_publisher())
    (directory / "manifest.json").write_text(json.dumps({
        "name": "Bad Name", "publisher": "acme", "version": "1.0", "runtime": "exthost-wasm@1", "extra": 1}))
    result = publish(stack, tenant["admin"], directory, expect=1)
    for path, code in [("name", "INVALID_NAME"), ("version", "INVALID_VERSION"), ("extra", "UNKNOWN_FIELD")]:
        assert f"  {path}: " in result.stderr and f"[{code}]" in result.stderr, result.stderr
    assert "nothing was packed" in result.stderr and "uploading" not in result.stderr


def test_a_server_that_does_not_answer_is_named_without_the_key(stack, tenant, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"https://127.0.0.1:{port}"
    result = publish(stack, tenant["admin"], source(tmp_path, unique_publisher()), "--url", url, expect=1)
    assert f"cannot reach {url}/api/ext-bundles/initiate-upload" in result.stderr
    assert "UPSTREAM_CONNECT_FAILED" in result.stderr and "hint: check --url" in result.stderr


def test_missing_settings_are_usage_errors(stack, tmp_path):
    env = {k: v for k, v in stack.items() if k != "EXTHOST_API_KEY"}
    result = cli({**env, "EXTHOST_API_KEY": ""}, "publish", str(tmp_path), check=False)
    assert result.returncode == 64 and "EXTHOST_API_KEY" in result.stderr
    result = cli({**stack, "EXTHOST_API_KEY": "exh_x"}, "publish", str(tmp_path), "--grant", "cap:log.emit", check=False)
    assert result.returncode == 64 and "--grant needs --install" in result.stderr


# ---------------------------------------------------------------- progress

def test_progress_without_a_tty_is_one_plain_line_per_stage(stack, tenant, tmp_path):
    result = publish(stack, tenant["admin"], source(tmp_path, unique_publisher()), "--install")
    stages = [line.split(" ", 1)[0] for line in result.stderr.splitlines()]
    assert stages == ["packed", "uploading", "uploaded", "finalized", "installed"], result.stderr
    assert "\r" not in result.stderr and "\x1b" not in result.stderr


def test_progress_on_a_tty_is_one_line_redrawn_with_speed_and_eta(stack, tenant, tmp_path):
    leader, follower = pty.openpty()
    env = {**os.environ, **stack, "EXTHOST_API_KEY": tenant["admin"]}
    with subprocess.Popen([os.path.join(stack["EXTHOST_BIN_DIR"], "exthost"), "publish", str(source(tmp_path, unique_publisher(), padding=2 * MIB))],
                          env=env, stdout=subprocess.PIPE, stderr=follower) as process:
        os.close(follower)
        terminal = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the CLI closed the terminal
                break
            if not chunk:
                break
            terminal += chunk
        stdout = process.stdout.read().decode()
    os.close(leader)
    assert process.returncode == 0, terminal
    text = terminal.decode()
    assert "\r\x1b[2Kuploading  " in text and "100%" in text and "/s  ETA " in text, text
    assert "uploading 2" not in text, "the plain per-stage line is for non-terminals"
    assert text.rstrip().endswith(")"), "the live line is erased before the last stage line"
    assert stdout.startswith("published: ")


# ---------------------------------------------------------------- a failing part (fake API)

class FakeExthost(http.server.ThreadingHTTPServer):
    """initiate-upload answers two multipart part URLs on this same server; part 2 fails with
    500 `failures` times; finalize records its body and answers 201. With `strategy`
    presigned-put it answers one write-once URL instead, whose first `failures` PUTs are stored
    but their answers lost (the connection closes)."""

    def __init__(self, failures, strategy="multipart"):
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.failures = failures
        self.strategy = strategy
        self.calls = []
        self.parts = {}
        self.finalize_body = None
        self.aborted = []
        self.part_size = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class FakeHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, document, headers=()):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_POST(self):
        server = self.server
        server.calls.append(("POST", self.path, self.headers.get("Authorization")))
        document = json.loads(self.body())
        if self.path == "/api/ext-bundles/initiate-upload" and server.strategy == "presigned-put":
            self.answer(201, {"uploadId": "7d6f4c1e-0000-4000-8000-000000000001", "strategy": "presigned-put",
                              "url": f"{server.url}/staging/whole?X-Amz-Signature=s", "method": "PUT",
                              "headers": {"If-None-Match": "*"}, "expiresAt": "2099-01-01T00:00:00Z"})
        elif self.path == "/api/ext-bundles/initiate-upload":
            server.part_size = (document["size"] + 1) // 2
            self.answer(201, {"uploadId": "7d6f4c1e-0000-4000-8000-000000000001", "strategy": "multipart",
                              "partSize": server.part_size, "expiresAt": "2099-01-01T00:00:00Z",
                              "parts": [{"partNumber": n, "url": f"{server.url}/staging/part{n}?X-Amz-Signature=s"} for n in (1, 2)]})
        elif self.path == "/api/ext-bundles/finalize":
            server.finalize_body = document
            self.answer(201, {"extension": {"id": "e1", "publisher": "fake", "name": "hello"}, "version": {"id": "v1", "version": "1.0.0"},
                              "contentHash": document["declaredHash"], "size": 1, "signature": {"verified": False, "signer": None}})
        elif self.path == "/api/ext-bundles/abort":
            server.aborted.append(document["uploadId"])
            self.answer(200, {"uploadId": document["uploadId"], "status": "aborted"})
        else:
            self.answer(404, {"error": {"code": "NOT_FOUND", "message": "no route", "requestId": "r"}})

    def do_PUT(self):
        server = self.server
        server.calls.append(("PUT", self.path.split("?")[0], self.headers.get("Authorization")))
        data = self.body()
        if self.path.startswith("/staging/whole?"):
            self.put_once(data)
            return
        number = int(self.path.split("?")[0].removeprefix("/staging/part"))
        if number == 2 and server.failures > 0:
            server.failures -= 1
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        server.parts[number] = data
        self.send_response(200)
        self.send_header("ETag", f'"etag-{number}"')
        self.send_header("Content-Length", "0")
        self.end_headers()


    def put_once(self, data):
        server = self.server
        if self.headers.get("If-None-Match") == "*" and 0 in server.parts:
            self.send_response(412)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        server.parts[0] = data
        if server.failures > 0:
            server.failures -= 1
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("ETag", '"etag-whole"')
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture()
def fake_exthost(request):
    failures, strategy = request.param if isinstance(request.param, tuple) else (request.param, "multipart")
    server = FakeExthost(failures=failures, strategy=strategy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def fake_publish(stack, server, directory, expect):
    env = {**stack, "EXTHOST_URL": server.url, "EXTHOST_API_KEY": "exh_fake-key-for-the-fake-server"}
    return publish(env, env["EXTHOST_API_KEY"], directory, "--json", expect=expect)


@pytest.mark.parametrize("fake_exthost", [2], indirect=True)
def test_a_failed_part_is_sent_again_and_finalize_gets_every_etag(stack, fake_exthost, tmp_path):
    directory = source(tmp_path, "fake")
    result = fake_publish(stack, fake_exthost, directory, expect=0)
    bundle = pack(stack, directory, tmp_path / "fake.tar.zst").read_bytes()
    assert fake_exthost.parts[1] + fake_exthost.parts[2] == bundle
    assert fake_exthost.finalize_body == {
        "uploadId": "7d6f4c1e-0000-4000-8000-000000000001", "declaredHash": "sha256:" + hashlib.sha256(bundle).hexdigest(),
        "parts": [{"partNumber": 1, "etag": '"etag-1"'}, {"partNumber": 2, "etag": '"etag-2"'}]}
    assert "part 2 failed" in result.stderr and "(retry 1 of 3)" in result.stderr and "(retry 2 of 3)" in result.stderr
    assert json.loads(result.stdout)["strategy"] == "multipart"
    # The key goes to the API only, never to the storage URLs.
    assert {auth for method, path, auth in fake_exthost.calls if method == "PUT"} == {None}
    assert {auth for method, path, auth in fake_exthost.calls if method == "POST"} == {"Bearer exh_fake-key-for-the-fake-server"}


@pytest.mark.parametrize("fake_exthost", [99], indirect=True)
def test_a_part_that_keeps_failing_aborts_the_upload(stack, fake_exthost, tmp_path):
    result = fake_publish(stack, fake_exthost, source(tmp_path, "fake"), expect=1)
    assert "(retry 3 of 3)" in result.stderr and "STORAGE_UPLOAD_REJECTED" in result.stderr
    assert "X-Amz-Signature" not in result.stderr, "a presigned URL's query was printed"
    assert fake_exthost.aborted == ["7d6f4c1e-0000-4000-8000-000000000001"]
    assert fake_exthost.finalize_body is None and result.stdout == ""


@pytest.mark.parametrize("fake_exthost", [(1, "presigned-put")], indirect=True)
def test_a_write_once_put_whose_answer_was_lost_is_not_an_error_on_retry(stack, fake_exthost, tmp_path):
    directory = source(tmp_path, "fake")
    result = fake_publish(stack, fake_exthost, directory, expect=0)
    bundle = pack(stack, directory, tmp_path / "fake.tar.zst").read_bytes()
    assert fake_exthost.parts[0] == bundle
    assert [path for method, path, _ in fake_exthost.calls if method == "PUT"] == ["/staging/whole"] * 2
    assert "(retry 1 of 3)" in result.stderr and "was already stored by the attempt before" in result.stderr
    assert fake_exthost.finalize_body["uploadId"] == "7d6f4c1e-0000-4000-8000-000000000001"
    assert json.loads(result.stdout)["strategy"] == "presigned-put"


# ---------------------------------------------------------------- the sample

def test_the_sample_extension_packs_and_declares_its_ui_and_endpoint(stack, tmp_path):
    bundle = pack(stack, ROOT / "examples" / "hello", tmp_path / "hello.tar.zst")
    details = json.loads(cli(stack, "inspect", bundle, "--json").stdout)
    assert details["manifest"]["ui"]["entry"] == "ui/index.html"
    assert details["manifest"]["api"]["endpoints"] == [{"method": "GET", "path": "/hello/:name", "handler": "hello"}]
    paths = {entry["path"] for entry in details["entries"]}
    assert {"manifest.json", "ui/index.html", "dist/main.wasm"} <= paths
