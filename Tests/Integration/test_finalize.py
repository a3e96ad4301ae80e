"""POST /api/ext-bundles/finalize through nginx, Postgres and moto (issue 6, item 3).

Bundles are built, signed and uploaded by bundlefactory with the real CLI and the presigned URLs
initiate-upload answers. Tests that need other server settings (a trust bundle, a low multipart
threshold) restart the stack's workers with them and restore the previous settings afterwards.
"""
import concurrent.futures
import os
import urllib.parse
import uuid

import pytest

from apihelpers import assert_error, cli, create_key, psql, workers_with
from bundlefactory import (MIB, auth, content_hash, finalize, initiate, keygen, keygen_ca, manifest, pack, pack_with_tar,
                           put_parts, put_presigned, sign, sign_with_openssl, unique_publisher, upload, write_extension)

ANSWER_KEYS = {"extension", "version", "contentHash", "size", "signature"}


@pytest.fixture(scope="module")
def world(stack):
    """Two tenants with an admin and a member key each."""
    tenants = {"a": str(uuid.uuid4()), "b": str(uuid.uuid4())}
    keys = {(t, role): create_key(stack, tenant, role) for t, tenant in tenants.items() for role in ("admin", "member")}
    return {"tenants": tenants, "keys": keys}


@pytest.fixture()
def admin(world):
    return world["keys"][("a", "admin")]


@pytest.fixture()
def publisher():
    return unique_publisher()


@pytest.fixture()
def signing_keys(stack, tmp_path, publisher):
    return keygen(stack, tmp_path / "keys", publisher)


def source(tmp_path, publisher, version="1.0.0", name="src", **options):
    return write_extension(tmp_path / name, manifest(publisher, version=version), **options)


def store_object(stack, key):
    """`exthost store head KEY` as a dict (size, etag, …), or None when the object does not exist."""
    result = cli(stack, "store", "head", key, check=False)
    if result.returncode != 0:
        assert "OBJECT_NOT_FOUND" in result.stderr, result.stderr
        return None
    return dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)


def canonical_key(hash_text, name="bundle.tar.zst"):
    return f"sha256/{hash_text.removeprefix('sha256:')}/{name}"


def session_state(stack, upload_id):
    return psql(stack, f"SELECT state FROM upload_sessions WHERE id = '{upload_id}'").strip()


def version_rows(stack, publisher):
    return psql(stack, f"""
        SELECT v.version, v.content_hash, b.size, b.signer FROM extension_versions v
        JOIN extensions e ON e.id = v.extension_id JOIN bundles b ON b.content_hash = v.content_hash
        WHERE e.publisher = '{publisher}' ORDER BY v.version""").split()


# ---------------------------------------------------------------- the happy path

def test_presigned_upload_and_finalize_register_store_and_clean_up(stack, http, base_url, admin, tmp_path, publisher, signing_keys):
    bundle = pack(stack, source(tmp_path, publisher))
    signature = sign(stack, bundle, *signing_keys)
    answer = upload(http, base_url, admin, bundle)
    assert answer["strategy"] == "presigned-put"
    staging = f"staging/{answer['uploadId']}/bundle.tar.zst"
    assert store_object(stack, staging) is not None

    response = finalize(http, base_url, admin, answer["uploadId"], signature=signature)

    assert response.status_code == 201, response.text
    body = response.json()
    digest = content_hash(bundle)
    size = os.path.getsize(bundle)
    assert set(body) == ANSWER_KEYS
    assert body["extension"]["publisher"] == publisher and body["extension"]["name"] == "hello"
    assert body["version"]["version"] == "1.0.0"
    assert body["contentHash"] == digest and body["size"] == size
    assert body["signature"] == {"verified": True, "signer": publisher}
    assert version_rows(stack, publisher) == [f"1.0.0|{digest}|{size}|{publisher}"]
    assert psql(stack, f"SELECT id FROM extensions WHERE publisher = '{publisher}'").strip() == body["extension"]["id"]
    assert psql(stack, f"SELECT signature->>'algorithm' FROM bundles WHERE content_hash = '{digest}'").strip() == "ed25519"
    assert store_object(stack, canonical_key(digest))["size"] == str(size)
    manifest_copy = tmp_path / "manifest.json"
    cli(stack, "store", "get", canonical_key(digest, "manifest.json"), manifest_copy)
    assert manifest_copy.read_bytes() == (tmp_path / "src" / "manifest.json").read_bytes()
    assert store_object(stack, staging) is None
    assert session_state(stack, answer["uploadId"]) == "finalized"
    catalog = http.get(f"{base_url}/api/extensions/{publisher}.hello", headers=auth(admin))
    assert [(v["version"], v["contentHash"], v["signer"]) for v in catalog.json()["versions"]] == [("1.0.0", digest, publisher)]


def test_an_unsigned_bundle_is_accepted_without_a_trust_bundle(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    answer = upload(http, base_url, admin, bundle, declared_hash=content_hash(bundle))
    response = finalize(http, base_url, admin, answer["uploadId"])
    assert response.status_code == 201, response.text
    assert response.json()["signature"] == {"verified": False, "signer": None}


def test_replaying_a_finalize_answers_200_with_the_same_body(stack, http, base_url, admin, tmp_path, publisher, signing_keys):
    bundle = pack(stack, source(tmp_path, publisher))
    answer = upload(http, base_url, admin, bundle)
    first = finalize(http, base_url, admin, answer["uploadId"], signature=sign(stack, bundle, *signing_keys))
    assert first.status_code == 201, first.text

    replay = finalize(http, base_url, admin, answer["uploadId"])

    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert_error(finalize(http, base_url, admin, answer["uploadId"], declaredHash="sha256:" + "0" * 64),
                 400, "HASH_MISMATCH", field="declaredHash")


def test_the_same_content_and_version_from_a_second_upload_answers_200(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    first = finalize(http, base_url, admin, upload(http, base_url, admin, bundle)["uploadId"])
    assert first.status_code == 201, first.text
    stored = store_object(stack, canonical_key(first.json()["contentHash"]))

    second_upload = upload(http, base_url, admin, bundle)
    second = finalize(http, base_url, admin, second_upload["uploadId"])

    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert store_object(stack, canonical_key(first.json()["contentHash"])) == stored
    assert store_object(stack, f"staging/{second_upload['uploadId']}/bundle.tar.zst") is None
    assert len(version_rows(stack, publisher)) == 1


def test_the_same_version_with_other_content_is_409_and_the_first_stays(stack, http, base_url, admin, tmp_path, publisher):
    first_bundle = pack(stack, source(tmp_path, publisher))
    first = finalize(http, base_url, admin, upload(http, base_url, admin, first_bundle)["uploadId"])
    assert first.status_code == 201, first.text
    other_bundle = pack(stack, source(tmp_path, publisher, name="other", note="changed"))
    other_upload = upload(http, base_url, admin, other_bundle)

    error = assert_error(finalize(http, base_url, admin, other_upload["uploadId"]), 409, "VERSION_EXISTS")

    assert first.json()["contentHash"] in error["message"]
    assert version_rows(stack, publisher) == [f"1.0.0|{content_hash(first_bundle)}|{os.path.getsize(first_bundle)}|"]
    assert session_state(stack, other_upload["uploadId"]) == "open"


def test_a_re_put_to_the_upload_url_after_finalize_cannot_replace_the_published_bundle(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    answer = upload(http, base_url, admin, bundle)
    first = finalize(http, base_url, admin, answer["uploadId"])
    assert first.status_code == 201, first.text
    stored = store_object(stack, canonical_key(first.json()["contentHash"]))
    forged = tmp_path / "forged.tar.zst"
    forged.write_bytes(os.urandom(os.path.getsize(bundle)))
    put_presigned(answer, forged)

    replay = finalize(http, base_url, admin, answer["uploadId"])

    assert replay.status_code == 200 and replay.json() == first.json()
    assert store_object(stack, canonical_key(first.json()["contentHash"])) == stored
    copy = tmp_path / "copy.tar.zst"
    cli(stack, "store", "get", canonical_key(first.json()["contentHash"]), copy)
    assert copy.read_bytes() == bundle.read_bytes()


def test_the_presigned_put_is_write_once_so_staging_cannot_change_before_finalize(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    answer = upload(http, base_url, admin, bundle)
    # The header is signed, so on S3 a PUT without it fails the signature and one with it is
    # refused once the object exists.
    assert answer["headers"]["If-None-Match"] == "*"
    signed = urllib.parse.parse_qs(urllib.parse.urlsplit(answer["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert "if-none-match" in signed and "content-length" in signed
    forged = tmp_path / "forged.tar.zst"
    forged.write_bytes(os.urandom(os.path.getsize(bundle)))
    put_presigned(answer, forged, status=412)

    published = finalize(http, base_url, admin, answer["uploadId"])

    assert published.status_code == 201, published.text
    copy = tmp_path / "copy.tar.zst"
    cli(stack, "store", "get", canonical_key(published.json()["contentHash"]), copy)
    assert copy.read_bytes() == bundle.read_bytes()


# ---------------------------------------------------------------- rejected bundles and signatures

def test_a_signature_over_other_content_is_422_and_a_corrected_retry_publishes(stack, http, base_url, admin, tmp_path, publisher, signing_keys):
    bundle = pack(stack, source(tmp_path, publisher))
    other = pack(stack, source(tmp_path, publisher, version="2.0.0", name="other"))
    answer = upload(http, base_url, admin, bundle)

    assert_error(finalize(http, base_url, admin, answer["uploadId"], signature=sign(stack, other, *signing_keys)),
                 422, "SIGNATURE_INVALID")

    assert session_state(stack, answer["uploadId"]) == "open"
    assert version_rows(stack, publisher) == []
    retry = finalize(http, base_url, admin, answer["uploadId"], signature=sign(stack, bundle, *signing_keys))
    assert retry.status_code == 201, retry.text


def test_a_malformed_signature_document_is_422(stack, http, base_url, admin, tmp_path, publisher, signing_keys):
    bundle = pack(stack, source(tmp_path, publisher))
    signature = sign(stack, bundle, *signing_keys)
    signature["signature"] = "not base64!"
    answer = upload(http, base_url, admin, bundle)
    assert_error(finalize(http, base_url, admin, answer["uploadId"], signature=signature), 422, "SIGNATURE_MALFORMED")
    assert session_state(stack, answer["uploadId"]) == "open"


def test_a_certificate_of_another_publisher_is_422_signer_mismatch(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    key, cert = keygen(stack, tmp_path / "intruder", "intruder")
    answer = upload(http, base_url, admin, bundle)
    assert_error(finalize(http, base_url, admin, answer["uploadId"], signature=sign_with_openssl(bundle, key, cert)),
                 422, "SIGNER_MISMATCH")
    assert version_rows(stack, publisher) == []


def test_a_bad_manifest_is_422_with_every_issue(stack, http, base_url, admin, tmp_path, publisher):
    directory = write_extension(tmp_path / "src", manifest(publisher, name="Bad_Name", version="1.x", bogus=True))
    bundle = pack_with_tar(directory)
    answer = upload(http, base_url, admin, bundle)

    response = finalize(http, base_url, admin, answer["uploadId"])

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "MANIFEST_INVALID"
    assert {issue["path"] for issue in error["issues"]} >= {"name", "version", "bogus"}
    assert all(set(issue) == {"path", "code", "message"} for issue in error["issues"])
    assert session_state(stack, answer["uploadId"]) == "open"


def test_a_declared_endpoint_without_its_wasm_entry_is_422(stack, http, base_url, admin, tmp_path, publisher):
    directory = source(tmp_path, publisher)
    (directory / "dist" / "main.wasm").unlink()
    answer = upload(http, base_url, admin, pack_with_tar(directory))
    error = finalize(http, base_url, admin, answer["uploadId"]).json()["error"]
    assert error["code"] == "MANIFEST_INVALID"
    assert [issue["code"] for issue in error["issues"]] == ["ENTRY_MISSING"]


def test_bytes_that_are_not_zstd_are_422(stack, http, base_url, admin, tmp_path):
    junk = tmp_path / "junk.tar.zst"
    junk.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    answer = upload(http, base_url, admin, junk)
    assert_error(finalize(http, base_url, admin, answer["uploadId"]), 422, "ZSTD_CORRUPT")


def test_a_declared_hash_that_differs_is_400_hash_mismatch(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    wrong = "sha256:" + "ab" * 32
    answer = upload(http, base_url, admin, bundle, declared_hash=wrong)

    assert_error(finalize(http, base_url, admin, answer["uploadId"]), 400, "HASH_MISMATCH", field="declaredHash")
    assert_error(finalize(http, base_url, admin, answer["uploadId"], declaredHash="sha256:" + "cd" * 32),
                 400, "HASH_MISMATCH", field="declaredHash")

    assert version_rows(stack, publisher) == []
    corrected = finalize(http, base_url, admin, answer["uploadId"], declaredHash=content_hash(bundle))
    assert corrected.status_code == 201, corrected.text


def test_a_size_other_than_declared_is_400_size_mismatch(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    response = initiate(http, base_url, admin, bundle, size=os.path.getsize(bundle) + 10)
    answer = response.json()
    # moto does not check the signed Content-Length the way S3 does: send the real length.
    answer["headers"] = {k: v for k, v in answer["headers"].items() if k.lower() != "content-length"}
    put_presigned(answer, bundle)

    assert_error(finalize(http, base_url, admin, answer["uploadId"]), 400, "SIZE_MISMATCH", field="size")
    assert version_rows(stack, publisher) == []


def test_finalize_before_the_upload_is_409_upload_incomplete_then_succeeds(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    answer = initiate(http, base_url, admin, bundle).json()

    assert_error(finalize(http, base_url, admin, answer["uploadId"]), 409, "UPLOAD_INCOMPLETE")

    assert session_state(stack, answer["uploadId"]) == "open"
    put_presigned(answer, bundle)
    assert finalize(http, base_url, admin, answer["uploadId"]).status_code == 201


# ---------------------------------------------------------------- requests, keys and tenants

def test_the_body_is_checked_field_by_field(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher))
    answer = upload(http, base_url, admin, bundle)
    upload_id = answer["uploadId"]
    assert_error(finalize(http, base_url, admin, upload_id, extra=1), 400, "UNKNOWN_FIELD", field="extra")
    assert_error(finalize(http, base_url, admin, "not-a-uuid"), 400, "INVALID_FIELD", field="uploadId")
    assert_error(finalize(http, base_url, admin, upload_id, declaredHash="sha256:ABC"), 400, "INVALID_FIELD", field="declaredHash")
    assert_error(finalize(http, base_url, admin, upload_id, parts=[{"partNumber": 0, "etag": "x"}]),
                 400, "INVALID_FIELD", field="parts[0].partNumber")
    assert_error(finalize(http, base_url, admin, upload_id, parts=[{"partNumber": 1, "etag": "x"}]),
                 400, "INVALID_FIELD", field="parts")
    assert session_state(stack, upload_id) == "open"


def test_a_member_key_is_403(stack, http, base_url, world, admin, tmp_path, publisher):
    answer = upload(http, base_url, admin, pack(stack, source(tmp_path, publisher)))
    assert_error(finalize(http, base_url, world["keys"][("a", "member")], answer["uploadId"]), 403, "FORBIDDEN")
    assert session_state(stack, answer["uploadId"]) == "open"


def test_another_tenants_upload_is_404(stack, http, base_url, world, admin, tmp_path, publisher):
    answer = upload(http, base_url, admin, pack(stack, source(tmp_path, publisher)))
    assert_error(finalize(http, base_url, world["keys"][("b", "admin")], answer["uploadId"]), 404, "UPLOAD_NOT_FOUND")
    assert_error(finalize(http, base_url, admin, str(uuid.uuid4())), 404, "UPLOAD_NOT_FOUND")
    assert session_state(stack, answer["uploadId"]) == "open"


def test_an_aborted_upload_is_409_upload_closed(stack, http, base_url, admin, tmp_path, publisher):
    answer = upload(http, base_url, admin, pack(stack, source(tmp_path, publisher)))
    aborted = http.post(f"{base_url}/api/ext-bundles/abort", json={"uploadId": answer["uploadId"]}, headers=auth(admin))
    assert aborted.status_code == 200, aborted.text
    assert_error(finalize(http, base_url, admin, answer["uploadId"]), 409, "UPLOAD_CLOSED")


def test_two_concurrent_finalizes_of_one_upload_make_one_set_of_rows(stack, http, base_url, admin, tmp_path, publisher):
    bundle = pack(stack, source(tmp_path, publisher, padding=4 * MIB))
    answer = upload(http, base_url, admin, bundle)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: finalize(http, base_url, admin, answer["uploadId"]), range(2)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([200, 201], [201, 409]), [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "FINALIZE_IN_PROGRESS"
            assert response.headers["Retry-After"]
    assert len(version_rows(stack, publisher)) == 1
    digest = content_hash(bundle)
    assert psql(stack, f"SELECT count(*) FROM bundles WHERE content_hash = '{digest}'").strip() == "1"


# ---------------------------------------------------------------- server settings

def test_multipart_upload_is_completed_by_finalize(stack, http, base_url, admin, tmp_path, publisher):
    with workers_with(stack, EXTHOST_MULTIPART_THRESHOLD=5 * MIB, EXTHOST_MAX_BUNDLE_BYTES=40 * MIB):
        bundle = pack(stack, source(tmp_path, publisher, padding=33 * MIB))
        answer = initiate(http, base_url, admin, bundle).json()
        assert answer["strategy"] == "multipart" and len(answer["parts"]) == 3, answer
        parts = put_parts(answer, bundle)

        assert_error(finalize(http, base_url, admin, answer["uploadId"]), 400, "MISSING_FIELD", field="parts")
        wrong = [dict(part, etag='"' + "0" * 32 + '"') for part in parts]
        assert_error(finalize(http, base_url, admin, answer["uploadId"], parts=wrong), 422, "MULTIPART_INVALID")
        response = finalize(http, base_url, admin, answer["uploadId"], parts=parts)

        assert response.status_code == 201, response.text
        assert response.json()["size"] == os.path.getsize(bundle)
        assert response.json()["contentHash"] == content_hash(bundle)
        assert store_object(stack, canonical_key(content_hash(bundle)))["size"] == str(os.path.getsize(bundle))
        assert store_object(stack, f"staging/{answer['uploadId']}/bundle.tar.zst") is None

        oversized = tmp_path / "oversized.bin"
        oversized.write_bytes(os.urandom(41 * MIB))
        small = initiate(http, base_url, admin, bundle, size=1000).json()
        small["headers"] = {}
        put_presigned(small, oversized)
        assert_error(finalize(http, base_url, admin, small["uploadId"]), 413, "BUNDLE_TOO_LARGE")


def test_with_a_trust_bundle_finalize_fails_closed(stack, http, base_url, admin, tmp_path, publisher):
    ca = keygen_ca(stack, tmp_path / "ca")
    trusted = keygen(stack, tmp_path / "trusted", publisher, ca_dir=ca)
    self_signed = keygen(stack, tmp_path / "self", publisher)
    bundle = pack(stack, source(tmp_path, publisher))

    with workers_with(stack, SIGNING_TRUST_BUNDLE=ca / "ca.cert.pem"):
        answer = upload(http, base_url, admin, bundle)
        assert_error(finalize(http, base_url, admin, answer["uploadId"]), 422, "SIGNATURE_REQUIRED")
        assert_error(finalize(http, base_url, admin, answer["uploadId"], signature=sign(stack, bundle, *self_signed)),
                     422, "SIGNER_UNTRUSTED")
        assert version_rows(stack, publisher) == []
        response = finalize(http, base_url, admin, answer["uploadId"], signature=sign(stack, bundle, *trusted))

    assert response.status_code == 201, response.text
    assert response.json()["signature"] == {"verified": True, "signer": publisher}
