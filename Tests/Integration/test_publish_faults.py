"""Publishing under faults and at size (issue 6): 150 MiB through both strategies, S3 going away
mid-upload, the worker killed mid-upload. Nothing may be registered unless everything passed.

S3 here is the stack's moto; stopping it loses its objects, so the tests that do restart it
(`scripts/stack start` recreates the bucket) and only use objects they create afterwards.
"""
import os
import pathlib
import signal
import subprocess
import time
import uuid

import pytest

from apihelpers import assert_error, cli, create_key, psql
from bundlefactory import MIB, auth, finalize, initiate, manifest, pack, put_parts, put_presigned, unique_publisher, write_extension
from faulthelpers import assert_fsck_clean, db_now
from test_upload_proxy import ZSTD_MAGIC, send_head, tls_connection, unique_filename, wait_for_session_state

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def admin(stack):
    return create_key(stack, str(uuid.uuid4()), "admin")


def rows_for(stack, publisher):
    return int(psql(stack, f"SELECT count(*) FROM extensions WHERE publisher = '{publisher}'").strip())


def stack_pid(stack, name):
    return int(pathlib.Path(stack["EXTHOST_RUN_DIR"], "pids", f"{name}.pid").read_text().strip())


def restart_missing(stack):
    env = {**os.environ, **stack}
    subprocess.run([str(ROOT / "scripts" / "stack"), "start"], env=env, check=True, capture_output=True)


def test_a_150_mib_bundle_publishes_through_both_strategies(stack, http, base_url, admin, tmp_path):
    publisher = unique_publisher()
    bundle = pack(stack, write_extension(tmp_path / "big", manifest(publisher), padding=150 * MIB))
    size = bundle.stat().st_size
    assert size > 150 * MIB

    answer = initiate(http, base_url, admin, bundle).json()
    assert answer["strategy"] == "multipart"
    parts = put_parts(answer, bundle)
    first = finalize(http, base_url, admin, answer["uploadId"], parts=parts)
    assert first.status_code == 201, first.text
    assert first.json()["size"] == size

    with open(bundle, "rb") as body:
        proxied = http.post(f"{base_url}/api/ext-bundles/upload-proxy", params={"filename": bundle.name, "size": size},
                            data=body, headers={**auth(admin), "Content-Type": "application/zstd"})
    assert proxied.status_code == 201, proxied.text
    assert proxied.json()["contentHash"] == first.json()["contentHash"]
    again = finalize(http, base_url, admin, proxied.json()["uploadId"])
    assert again.status_code == 200 and again.json() == first.json()


def test_s3_stopping_mid_proxy_upload_is_a_clean_error_and_registers_nothing(stack, base_url, admin):
    filename = unique_filename("s3-gone")
    since = db_now(stack)
    moto = stack_pid(stack, "moto")
    try:
        with tls_connection(stack, base_url) as tls:
            send_head(tls, admin, filename, 40 * MIB, 40 * MIB, f"s3-gone-{time.time_ns()}")
            tls.sendall(ZSTD_MAGIC + os.urandom(9 * MIB))
            session = wait_for_session_state(stack, filename, "open")
            os.kill(moto, signal.SIGKILL)
            try:
                while True:
                    tls.sendall(os.urandom(1 * MIB))
            except OSError:
                pass
            answer = tls.recv(65536).decode(errors="replace")
        assert answer.startswith("HTTP/1.1 5"), answer[:200]
        assert "STORAGE_UNAVAILABLE" in answer or "UPLOAD_INTERRUPTED" in answer, answer[:400]
        failed = wait_for_session_state(stack, filename, "failed", seconds=60)
        assert failed["id"] == session["id"] and failed["contentHash"] == ""
    finally:
        restart_missing(stack)
    assert_fsck_clean(stack, since)


def test_s3_stopping_before_finalize_is_503_and_the_session_stays_retryable(stack, http, base_url, admin, tmp_path):
    since = db_now(stack)
    publisher = unique_publisher()
    bundle = pack(stack, write_extension(tmp_path / "src", manifest(publisher)))
    answer = initiate(http, base_url, admin, bundle).json()
    put_presigned(answer, bundle)
    os.kill(stack_pid(stack, "moto"), signal.SIGKILL)
    try:
        down = finalize(http, base_url, admin, answer["uploadId"])
        assert_error(down, 503, "STORAGE_UNAVAILABLE")
        assert rows_for(stack, publisher) == 0
        assert psql(stack, f"SELECT state FROM upload_sessions WHERE id = '{answer['uploadId']}'").strip() == "open"
    finally:
        restart_missing(stack)
    # moto lost the staging object with its memory: the upload is incomplete, not half-registered.
    assert_error(finalize(http, base_url, admin, answer["uploadId"]), 409, "UPLOAD_INCOMPLETE")
    assert rows_for(stack, publisher) == 0
    assert_fsck_clean(stack, since)


def test_a_worker_killed_mid_upload_registers_nothing_and_gc_cleans_staging(stack, base_url, admin):
    since = db_now(stack)
    filename = unique_filename("killed")
    api = stack_pid(stack, "exthost-api")
    try:
        with tls_connection(stack, base_url) as tls:
            send_head(tls, admin, filename, 30 * MIB, 30 * MIB, f"killed-{time.time_ns()}")
            tls.sendall(ZSTD_MAGIC + os.urandom(12 * MIB))
            session = wait_for_session_state(stack, filename, "open")
            time.sleep(0.5)
            os.kill(api, signal.SIGKILL)
            try:
                tls.sendall(os.urandom(1 * MIB))
                answer = tls.recv(65536).decode(errors="replace")
            except OSError:
                answer = ""
        assert not answer.startswith("HTTP/1.1 201"), answer[:200]
    finally:
        restart_missing(stack)
    # The worker died holding the session: it stays open, nothing is registered for it.
    assert psql(stack, f"SELECT state, coalesce(content_hash, '') FROM upload_sessions WHERE id = '{session['id']}'").strip() == "open|"
    psql(stack, f"UPDATE upload_sessions SET expires_at = now() - interval '1 minute' WHERE id = '{session['id']}'")
    report = cli(stack, "admin", "gc", "--json")
    assert session["id"] in report.stdout
    assert psql(stack, f"SELECT state FROM upload_sessions WHERE id = '{session['id']}'").strip() == "expired"
    assert cli(stack, "store", "head", f"staging/{session['id']}/bundle.tar.zst", check=False).returncode != 0
    assert_fsck_clean(stack, since)
