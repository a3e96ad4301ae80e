"""`exthost admin gc` against the stack's Postgres and S3 (issue 6): expired sessions lose their
staging data and multipart uploads, stray staging objects go, orphan canonical objects are
reported and deleted only when asked and old enough.

gc looks at the whole bucket and registry: these tests only assert about the keys and sessions
they made themselves (other tests' leftovers may be listed too)."""
import json
import os
import time
import uuid

import boto3
import botocore.config
import pytest
import requests

from apihelpers import cli, create_key, psql, sql_literal

MIB = 1 << 20
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@pytest.fixture(scope="module")
def admin(stack):
    return create_key(stack, str(uuid.uuid4()), "admin")


@pytest.fixture(scope="module")
def s3(stack):
    return boto3.client(
        "s3", endpoint_url=stack["STORAGE_S3_ENDPOINT"], region_name=stack["STORAGE_S3_REGION"],
        aws_access_key_id=stack["STORAGE_S3_ACCESS_KEY"], aws_secret_access_key=stack["STORAGE_S3_SECRET_KEY"],
        config=botocore.config.Config(s3={"addressing_style": "path"}))


def gc(stack, *args):
    result = cli(stack, "admin", "gc", "--json", *args, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def item(section, key):
    """The report item for key in that section, or None."""
    return next((entry for entry in section if entry["key"] == key), None)


def exists(stack, s3, key):
    try:
        s3.head_object(Bucket=stack["STORAGE_S3_BUCKET"], Key=key)
        return True
    except s3.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] in ("404", "NoSuchKey"), error.response
        return False


def put(stack, s3, key, body=b"x"):
    s3.put_object(Bucket=stack["STORAGE_S3_BUCKET"], Key=key, Body=body)


def session_state(stack, upload_id):
    return psql(stack, f"SELECT state FROM upload_sessions WHERE id = '{upload_id}'").strip()


def expire(stack, upload_id, **columns):
    assignments = ", ".join([f"expires_at = now() - interval '1 minute'"] + [f"{k} = {v}" for k, v in columns.items()])
    psql(stack, f"UPDATE upload_sessions SET {assignments} WHERE id = '{upload_id}'")


def proxy_upload(http, base_url, admin, size=4096):
    body = ZSTD_MAGIC + os.urandom(size - 4)
    response = http.post(f"{base_url}/api/ext-bundles/upload-proxy", params={"filename": "gc.tar.zst", "size": str(size)},
                         data=body, headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/zstd"})
    assert response.status_code == 201, response.text
    return response.json()


def test_an_expired_session_loses_its_staging_object_and_is_marked_expired(stack, http, base_url, s3, admin):
    upload_id = proxy_upload(http, base_url, admin)["uploadId"]
    key = f"staging/{upload_id}/bundle.tar.zst"
    expire(stack, upload_id)

    dry = gc(stack, "--dry-run")
    assert dry["dryRun"] is True
    assert item(dry["expiredSessions"], key)["action"] == "would expire"
    assert session_state(stack, upload_id) == "open" and exists(stack, s3, key)

    report = gc(stack)
    entry = item(report["expiredSessions"], key)
    assert entry["action"] == "expired" and entry["uploadId"] == upload_id and entry["state"] == "open"
    assert session_state(stack, upload_id) == "expired"
    assert not exists(stack, s3, key)
    assert item(gc(stack)["expiredSessions"], key) is None


def test_an_expired_multipart_session_has_its_multipart_upload_aborted(stack, http, base_url, s3, admin):
    initiated = http.post(f"{base_url}/api/ext-bundles/initiate-upload", json={"filename": "big.tar.zst", "size": 100 * MIB},
                          headers={"Authorization": f"Bearer {admin}"})
    assert initiated.status_code == 201, initiated.text
    answer = initiated.json()
    assert answer["strategy"] == "multipart"
    with requests.Session() as direct:
        direct.trust_env = False
        assert direct.put(answer["parts"][0]["url"], data=os.urandom(answer["partSize"])).status_code == 200
    prefix = f"staging/{answer['uploadId']}/"
    listing = lambda: s3.list_multipart_uploads(Bucket=stack["STORAGE_S3_BUCKET"], Prefix=prefix).get("Uploads", [])
    assert len(listing()) == 1
    expire(stack, answer["uploadId"])

    assert item(gc(stack)["expiredSessions"], prefix + "bundle.tar.zst")["action"] == "expired"
    assert listing() == []
    assert session_state(stack, answer["uploadId"]) == "expired"


def test_a_finalizing_session_is_collected_only_once_its_claim_is_stale(stack, http, base_url, s3, admin):
    upload_id = proxy_upload(http, base_url, admin)["uploadId"]
    key = f"staging/{upload_id}/bundle.tar.zst"
    expire(stack, upload_id, state="'finalizing'", updated_at="now()")
    assert item(gc(stack)["expiredSessions"], key) is None
    assert exists(stack, s3, key) and session_state(stack, upload_id) == "finalizing"

    expire(stack, upload_id, updated_at="now() - interval '1 hour'")
    assert item(gc(stack)["expiredSessions"], key)["action"] == "expired"
    assert not exists(stack, s3, key) and session_state(stack, upload_id) == "expired"


def test_staging_objects_without_a_live_session_are_deleted(stack, http, base_url, s3, admin):
    live = proxy_upload(http, base_url, admin)["uploadId"]
    ended = proxy_upload(http, base_url, admin)["uploadId"]
    psql(stack, f"UPDATE upload_sessions SET state = 'aborted' WHERE id = '{ended}'")
    unknown_session = f"staging/{uuid.uuid4()}/bundle.tar.zst"
    odd = f"staging/notes-{uuid.uuid4().hex}.txt"
    put(stack, s3, unknown_session)
    put(stack, s3, odd)
    keys = {name: f"staging/{upload_id}/bundle.tar.zst" for name, upload_id in (("live", live), ("ended", ended))}

    dry = gc(stack, "--dry-run")
    assert item(dry["strayStaging"], unknown_session)["action"] == "would delete"
    assert exists(stack, s3, unknown_session)

    report = gc(stack)
    assert item(report["strayStaging"], unknown_session)["action"] == "deleted"
    assert item(report["strayStaging"], keys["ended"])["action"] == "deleted"
    assert item(report["strayStaging"], keys["live"]) is None
    assert odd in report["unknownKeys"]
    assert not exists(stack, s3, unknown_session) and not exists(stack, s3, keys["ended"])
    assert exists(stack, s3, keys["live"]) and exists(stack, s3, odd)
    s3.delete_object(Bucket=stack["STORAGE_S3_BUCKET"], Key=odd)


def test_orphan_canonical_objects_are_reported_and_deleted_only_when_asked_and_old_enough(stack, http, base_url, s3, admin):
    base = stack.get("BUNDLE_STORE_BASE") or "sha256/"
    orphan_hex = uuid.uuid4().hex + uuid.uuid4().hex
    orphan = [f"{base}{orphan_hex}/bundle.tar.zst", f"{base}{orphan_hex}/manifest.json"]
    registered_hex = uuid.uuid4().hex + uuid.uuid4().hex
    psql(stack, f"INSERT INTO bundles (content_hash, size, signature) VALUES ('sha256:{registered_hex}', 1, '{{}}')")
    registered = f"{base}{registered_hex}/bundle.tar.zst"
    # A hash a live upload session already knows: an in-flight finalize may be about to register it.
    pending_hex = proxy_upload(http, base_url, admin)["contentHash"].split(":", 1)[1]
    pending = f"{base}{pending_hex}/bundle.tar.zst"
    for key in orphan + [registered, pending]:
        put(stack, s3, key)

    report = gc(stack)
    for key in orphan:
        entry = item(report["orphans"], key)
        assert entry["action"] == "kept" and entry["contentHash"] == "sha256:" + orphan_hex
        assert entry["size"] == 1 and entry["ageSeconds"] >= 0
    assert item(report["orphans"], registered) is None and item(report["orphans"], pending) is None

    assert all(item(gc(stack, "--delete-orphans")["orphans"], key)["action"] == "kept" for key in orphan)
    time.sleep(2.1)
    assert all(item(gc(stack, "--delete-orphans", "--min-age", "1s", "--dry-run")["orphans"], key)["action"] == "would delete"
               for key in orphan)
    assert all(exists(stack, s3, key) for key in orphan)

    report = gc(stack, "--delete-orphans", "--min-age", "1s")
    assert all(item(report["orphans"], key)["action"] == "deleted" for key in orphan)
    assert not any(exists(stack, s3, key) for key in orphan)
    assert exists(stack, s3, registered) and exists(stack, s3, pending)


def test_text_report_and_bad_arguments(stack):
    result = cli(stack, "admin", "gc", "--dry-run")
    assert result.stdout.startswith("dry run: nothing was changed\n")
    for section in ("expired upload sessions:", "stray staging objects:", "orphan canonical objects:"):
        assert section in result.stdout
    refused = cli(stack, "admin", "gc", "--min-age", "yesterday", check=False)
    assert refused.returncode != 0 and "--min-age" in refused.stderr
