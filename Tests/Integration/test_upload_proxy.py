"""upload-proxy through the real nginx (issue 6): the body streams into a staging multipart upload
while it is hashed; every refusal leaves no session able to finalize and no multipart upload
behind; a worker's upload slots never starve the other endpoints."""
import hashlib
from http.client import HTTPResponse
import json
import os
import pathlib
import socket
import ssl
import time
import uuid

import boto3
import botocore.config
import pytest

from apihelpers import assert_error, cli, create_key, psql, sql_literal
from bundlefactory import content_hash, finalize, manifest, pack, unique_publisher, write_extension

MIB = 1 << 20
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
PROXY = "/api/ext-bundles/upload-proxy"
DEFAULT_CAP = 200 * MIB


@pytest.fixture(scope="module")
def tenant():
    return str(uuid.uuid4())


@pytest.fixture(scope="module")
def admin(stack, tenant):
    return create_key(stack, tenant, "admin")


@pytest.fixture(scope="module")
def s3(stack):
    return boto3.client(
        "s3", endpoint_url=stack["STORAGE_S3_ENDPOINT"], region_name=stack["STORAGE_S3_REGION"],
        aws_access_key_id=stack["STORAGE_S3_ACCESS_KEY"], aws_secret_access_key=stack["STORAGE_S3_SECRET_KEY"],
        config=botocore.config.Config(s3={"addressing_style": "path"}))


def zstd_like(size):
    """Bytes that pass upload-proxy's check (the zstd frame magic first); finalize judges the rest."""
    return ZSTD_MAGIC + os.urandom(size - len(ZSTD_MAGIC))


def unique_filename(label):
    return f"{label}-{uuid.uuid4().hex}.tar.zst"


def upload(http, base_url, key, body, *, size=None, filename=None, declared=None,
           content_type="application/zstd", params=None, request_id=None):
    """POSTs body (bytes, a file or a generator, which goes chunked) to upload-proxy."""
    query = {"filename": filename or unique_filename("it"), "size": str(len(body) if size is None else size)}
    if declared is not None:
        query["declaredHash"] = declared
    query.update(params or {})
    headers = {"Authorization": f"Bearer {key}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if request_id is not None:
        headers["X-Request-Id"] = request_id
    return http.post(f"{base_url}{PROXY}", params=query, data=body, headers=headers, timeout=300)


def session_by_filename(stack, filename):
    """(id, state, multipart_id, content_hash) of the session opened for filename, or None."""
    row = psql(stack, f"""SELECT id, state, coalesce(multipart_id, ''), coalesce(content_hash, ''), strategy, declared_size
                          FROM upload_sessions WHERE filename = {sql_literal(filename)}""").strip()
    if not row:
        return None
    upload_id, state, multipart_id, content_hash, strategy, declared_size = row.split("|")
    return {"id": upload_id, "state": state, "multipartId": multipart_id, "contentHash": content_hash,
            "strategy": strategy, "declaredSize": int(declared_size)}


def wait_for_session_state(stack, filename, state, seconds=20):
    deadline = time.time() + seconds
    session = None
    while time.time() < deadline:
        session = session_by_filename(stack, filename)
        if session and session["state"] == state:
            return session
        time.sleep(0.1)
    raise AssertionError(f"session of {filename} is {session}, expected state {state}")


def staging_key(upload_id):
    return f"staging/{upload_id}/bundle.tar.zst"


def staged_size(stack, upload_id):
    """The staging object's size from `exthost store head`, None when there is none."""
    result = cli(stack, "store", "head", staging_key(upload_id), check=False)
    if result.returncode != 0:
        assert "OBJECT_NOT_FOUND" in result.stderr or "NOT_FOUND" in result.stderr, result.stderr
        return None
    return int(next(line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("size: ")))


def open_multipart_uploads(stack, s3, upload_id):
    listing = s3.list_multipart_uploads(Bucket=stack["STORAGE_S3_BUCKET"], Prefix=f"staging/{upload_id}/")
    return listing.get("Uploads", [])


def worker_environment(stack):
    pid = pathlib.Path(stack["EXTHOST_RUN_DIR"], "pids", "exthost-api.pid").read_text().strip()
    pairs = pathlib.Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return pid, dict(p.decode().split("=", 1) for p in pairs if b"=" in p)


def status_kib(pid, field):
    line = next(l for l in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith(field + ":"))
    return int(line.split()[1])


def reset_peak_rss(pid):
    """Resets the worker's VmHWM to its current RSS (needs root or the worker's user)."""
    try:
        pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def log_lines(stack, request_id, seconds=5):
    log = pathlib.Path(stack["EXTHOST_RUN_DIR"], "logs", "exthost-api.log")
    deadline = time.time() + seconds
    while True:
        lines = [json.loads(l) for l in log.read_text().splitlines() if request_id in l]
        if any(line["msg"] == "request" for line in lines) or time.time() > deadline:
            return lines
        time.sleep(0.05)


def tls_connection(stack, base_url, source="127.0.0.1"):
    host, port = base_url.split("//")[1].split(":")
    context = ssl.create_default_context(cafile=stack["EXTHOST_CA"])
    raw = socket.create_connection((host, int(port)), timeout=30, source_address=(source, 0))
    return context.wrap_socket(raw, server_hostname="localhost")


def send_head(tls, key, filename, size, content_length, request_id):
    tls.sendall((f"POST {PROXY}?filename={filename}&size={size} HTTP/1.1\r\nHost: localhost\r\n"
                 f"Authorization: Bearer {key}\r\nContent-Type: application/zstd\r\n"
                 f"Content-Length: {content_length}\r\nX-Request-Id: {request_id}\r\n\r\n").encode())


# ---- success ------------------------------------------------------------------------------------

def test_150_mib_upload_streams_into_staging_with_its_hash(http, base_url, stack, admin, tmp_path):
    path = tmp_path / "bundle.tar.zst"
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for index in range(150):
            chunk = (ZSTD_MAGIC + os.urandom(MIB - 4)) if index == 0 else os.urandom(MIB)
            digest.update(chunk)
            out.write(chunk)
    content_hash = "sha256:" + digest.hexdigest()
    filename = unique_filename("big")
    rid = f"proxy-big-{time.time_ns()}"
    pid, _ = worker_environment(stack)
    peak_reset = reset_peak_rss(pid)
    rss_before = status_kib(pid, "VmRSS")
    with open(path, "rb") as body:
        response = upload(http, base_url, admin, body, size=150 * MIB, filename=filename, declared=content_hash, request_id=rid)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["contentHash"] == content_hash
    assert answer["size"] == 150 * MIB and answer["strategy"] == "proxy"
    assert answer["expiresAt"].endswith("Z")

    session = session_by_filename(stack, filename)
    assert session == {"id": answer["uploadId"], "state": "open", "multipartId": session["multipartId"],
                       "contentHash": content_hash, "strategy": "proxy", "declaredSize": 150 * MIB}
    assert staged_size(stack, answer["uploadId"]) == 150 * MIB

    # One line per stage, each naming the request and the upload.
    stages = {line["msg"]: line for line in log_lines(stack, rid)}
    received, hashed = stages["upload-proxy received"], stages["upload-proxy hashed"]
    assert received["uploadId"] == hashed["uploadId"] == answer["uploadId"]
    assert received["bytes"] == hashed["bytes"] == str(150 * MIB)
    assert received["parts"] == "19"  # 18 parts of 8 MiB and one of 6 MiB
    assert float(received["ms"]) > 0 and float(hashed["ms"]) > 0
    assert hashed["contentHash"] == content_hash

    # The body is streamed: the upload adds at most its slot's 8 MiB part buffer (and the
    # HTTP client's buffers) to the worker, nowhere near the 150 MiB it moved.
    peak = status_kib(pid, "VmHWM")
    if peak_reset:
        assert peak - rss_before < 24 * 1024, f"exthost-api peak RSS rose from {rss_before} to {peak} KiB during a 150 MiB upload"
    else:
        assert peak < 96 * 1024, f"exthost-api lifetime peak RSS {peak} KiB after a 150 MiB upload"


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/zstd; charset=binary", "Application/ZSTD"])
def test_accepted_content_types(http, base_url, stack, admin, content_type):
    body = zstd_like(4096)
    response = upload(http, base_url, admin, body, content_type=content_type)
    assert response.status_code == 201, response.text
    assert response.json()["contentHash"] == "sha256:" + hashlib.sha256(body).hexdigest()
    assert staged_size(stack, response.json()["uploadId"]) == 4096


def test_chunked_body_of_the_declared_size_is_accepted(http, base_url, stack, admin):
    body = zstd_like(9 * MIB + 5)
    response = upload(http, base_url, admin, (body[i:i + MIB] for i in range(0, len(body), MIB)), size=len(body))
    assert response.status_code == 201, response.text
    assert response.json()["contentHash"] == "sha256:" + hashlib.sha256(body).hexdigest()
    assert staged_size(stack, response.json()["uploadId"]) == len(body)


def test_a_proxied_bundle_is_published_by_finalize(http, base_url, stack, admin, tmp_path):
    bundle = pack(stack, write_extension(tmp_path / "src", manifest(unique_publisher("proxy")), padding=12 * MIB))
    digest = content_hash(bundle)
    with open(bundle, "rb") as body:
        response = upload(http, base_url, admin, body, size=os.path.getsize(bundle), declared=digest)
    assert response.status_code == 201, response.text
    upload_id = response.json()["uploadId"]
    finalized = finalize(http, base_url, admin, upload_id)
    assert finalized.status_code == 201, finalized.text
    assert finalized.json()["contentHash"] == digest and finalized.json()["size"] == os.path.getsize(bundle)
    assert staged_size(stack, upload_id) is None
    assert psql(stack, f"SELECT state FROM upload_sessions WHERE id = '{upload_id}'").strip() == "finalized"


def test_abort_after_a_proxy_upload_removes_staging(http, base_url, stack, admin):
    response = upload(http, base_url, admin, zstd_like(1000))
    upload_id = response.json()["uploadId"]
    aborted = http.post(f"{base_url}/api/ext-bundles/abort", json={"uploadId": upload_id},
                        headers={"Authorization": f"Bearer {admin}"})
    assert aborted.status_code == 200, aborted.text
    assert aborted.json()["status"] == "aborted"
    assert staged_size(stack, upload_id) is None


# ---- refusals before the body ---------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "application/x-zstd-ish", None])
def test_other_content_types_are_415(http, base_url, stack, admin, content_type):
    filename = unique_filename("ctype")
    response = upload(http, base_url, admin, zstd_like(1000), filename=filename, content_type=content_type)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert session_by_filename(stack, filename) is None


def test_a_body_that_is_not_zstd_is_415(http, base_url, stack, admin):
    filename = unique_filename("notzstd")
    response = upload(http, base_url, admin, b"PK\x03\x04" + os.urandom(5000), filename=filename)
    assert_error(response, 415, "NOT_ZSTD")
    assert session_by_filename(stack, filename) is None


def test_a_complete_body_shorter_than_the_magic_is_415(http, base_url, admin):
    assert_error(upload(http, base_url, admin, ZSTD_MAGIC[:3]), 415, "NOT_ZSTD")


@pytest.mark.parametrize("params, field", [
    ({"filename": None}, "filename"),
    ({"size": None}, "size"),
    ({"size": "12abc"}, "size"),
    ({"size": "-5"}, "size"),
    ({"size": "0"}, "size"),
    ({"declaredHash": "md5:abc"}, "declaredHash"),
    ({"declaredHash": "sha256:" + "A" * 64}, "declaredHash"),
    ({"folder": "x"}, "folder"),
])
def test_bad_query_parameters_are_400_naming_the_parameter(http, base_url, admin, params, field):
    query = {"filename": "ok.tar.zst", "size": "1000"}
    query.update(params)
    query = {k: v for k, v in query.items() if v is not None}
    response = http.post(f"{base_url}{PROXY}", params=query, data=zstd_like(1000),
                         headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/zstd"})
    assert_error(response, 400, "INVALID_PARAMETER", field=field)


def test_a_repeated_parameter_is_400(http, base_url, admin):
    response = http.post(f"{base_url}{PROXY}?filename=a.tar.zst&size=1000&size=1000", data=zstd_like(1000),
                         headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/zstd"})
    assert_error(response, 400, "INVALID_PARAMETER", field="size")


def test_a_declared_size_over_the_cap_is_413_from_the_worker(http, base_url, stack, admin):
    _, environment = worker_environment(stack)
    cap = int(environment.get("EXTHOST_MAX_BUNDLE_BYTES") or DEFAULT_CAP)
    response = upload(http, base_url, admin, zstd_like(1000), size=cap + 1)
    assert_error(response, 413, "BUNDLE_TOO_LARGE")


def test_a_body_over_200_mib_is_413_from_nginx_before_any_byte(stack, base_url, admin):
    with tls_connection(stack, base_url) as tls:
        send_head(tls, admin, "big.tar.zst", 201 * MIB, 201 * MIB, f"nginx-413-{time.time_ns()}")
        response = HTTPResponse(tls)
        response.begin()
        assert response.status == 413
        assert response.getheader("Content-Type") == "application/json"
        error = json.loads(response.read())["error"]
        assert error["code"] == "PAYLOAD_TOO_LARGE" and error["requestId"] == response.getheader("X-Request-Id")


def test_a_content_length_other_than_size_is_refused_before_a_session(http, base_url, stack, admin):
    longer, shorter = unique_filename("cl-long"), unique_filename("cl-short")
    assert_error(upload(http, base_url, admin, zstd_like(2000), size=1000, filename=longer), 413, "BUNDLE_TOO_LARGE", field="size")
    assert_error(upload(http, base_url, admin, zstd_like(1000), size=2000, filename=shorter), 400, "SIZE_MISMATCH", field="size")
    assert session_by_filename(stack, longer) is None and session_by_filename(stack, shorter) is None


def test_member_and_missing_keys_are_refused(http, base_url, stack, tenant):
    member = create_key(stack, tenant, "member")
    assert_error(upload(http, base_url, member, zstd_like(1000)), 403, "FORBIDDEN")
    response = http.post(f"{base_url}{PROXY}?filename=a.tar.zst&size=1000", data=zstd_like(1000),
                         headers={"Content-Type": "application/zstd"})
    assert response.status_code == 401


# ---- refusals during and after the body: the session fails, no multipart upload is left -----------

def assert_failed_and_clean(stack, s3, filename):
    session = wait_for_session_state(stack, filename, "failed")
    assert session["contentHash"] == "" and session["strategy"] == "proxy"
    assert open_multipart_uploads(stack, s3, session["id"]) == []
    assert staged_size(stack, session["id"]) is None


def test_declared_hash_mismatch_is_400_and_fails_the_session(http, base_url, stack, s3, admin):
    filename = unique_filename("hash")
    body = zstd_like(9 * MIB)
    response = upload(http, base_url, admin, body, filename=filename, declared="sha256:" + "0" * 64)
    error = assert_error(response, 400, "HASH_MISMATCH", field="declaredHash")
    assert hashlib.sha256(body).hexdigest() in error["message"]
    assert_failed_and_clean(stack, s3, filename)


def test_a_chunked_body_longer_than_declared_is_413_and_fails_the_session(http, base_url, stack, s3, admin):
    filename = unique_filename("over")
    body = zstd_like(12 * MIB)
    response = upload(http, base_url, admin, (body[i:i + MIB] for i in range(0, len(body), MIB)), size=9 * MIB, filename=filename)
    assert_error(response, 413, "BUNDLE_TOO_LARGE", field="size")
    assert_failed_and_clean(stack, s3, filename)


def test_a_chunked_body_ending_short_is_size_mismatch_and_fails_the_session(http, base_url, stack, s3, admin):
    filename = unique_filename("short")
    body = zstd_like(9 * MIB)
    response = upload(http, base_url, admin, (body[i:i + MIB] for i in range(0, len(body), MIB)), size=10 * MIB, filename=filename)
    error = assert_error(response, 400, "SIZE_MISMATCH", field="size")
    assert str(9 * MIB) in error["message"]
    assert_failed_and_clean(stack, s3, filename)


def test_client_disconnect_mid_body_fails_the_session_and_aborts_the_multipart(stack, base_url, s3, admin):
    filename = unique_filename("gone")
    rid = f"proxy-gone-{time.time_ns()}"
    with tls_connection(stack, base_url) as tls:
        send_head(tls, admin, filename, 20 * MIB, 20 * MIB, rid)
        tls.sendall(ZSTD_MAGIC + os.urandom(10 * MIB - 4))
        # The first part (8 MiB) is in S3 before the client goes away.
        wait_for_session_state(stack, filename, "open")
    assert_failed_and_clean(stack, s3, filename)
    failed = [line for line in log_lines(stack, rid, seconds=20) if line["msg"] == "upload-proxy failed"]
    assert failed and failed[0]["code"] == "UPLOAD_INTERRUPTED" and failed[0]["uploadId"]


# ---- thread budget ----------------------------------------------------------------------------------

def test_busy_upload_slots_answer_429_while_other_endpoints_keep_answering(http, base_url, stack, s3, admin):
    _, environment = worker_environment(stack)
    slots = int(environment.get("EXTHOST_UPLOAD_SLOTS") or 4)
    # Each slow client comes from its own loopback address, so nginx's per-address
    # limit_conn (4) does not refuse them first: the worker's own budget is under test.
    drippers, filenames = [], []
    try:
        for index in range(slots):
            filename = unique_filename(f"drip{index}")
            tls = tls_connection(stack, base_url, source=f"127.0.0.{20 + index}")
            send_head(tls, admin, filename, 4 * MIB, 4 * MIB, f"drip-{index}-{time.time_ns()}")
            # Enough for the worker to open the session, then nothing more.
            tls.sendall(ZSTD_MAGIC + os.urandom(MIB // 2 - 4))
            drippers.append(tls)
            filenames.append(filename)
            # Its session exists once it holds a slot (taken before any byte is read).
            wait_for_session_state(stack, filename, "open")

        with tls_connection(stack, base_url, source=f"127.0.0.{20 + slots}") as probe:
            send_head(probe, admin, unique_filename("probe"), 1000, 1000, f"probe-{time.time_ns()}")
            probe.sendall(zstd_like(1000))
            response = HTTPResponse(probe)
            response.begin()
            payload = json.loads(response.read())
        assert response.status == 429, payload
        assert payload["error"]["code"] == "UPLOADS_BUSY"
        assert response.getheader("Retry-After") == "5"

        # Catalog calls take other threads: they answer while every slot is held.
        for _ in range(5):
            catalog = http.get(f"{base_url}/api/extensions", headers={"Authorization": f"Bearer {admin}"}, timeout=5)
            assert catalog.status_code == 200, catalog.text
    finally:
        for tls in drippers:
            tls.close()
    for filename in filenames:
        assert_failed_and_clean(stack, s3, filename)
    # The slots were given back on that failure path.
    assert upload(http, base_url, admin, zstd_like(1000)).status_code == 201
