"""The file bundle store (issue 9): the same publishing contract with EXTHOST_BUNDLE_STORE=file.

The module restarts the stack's workers with the file store (scripts/stack restarts whatever
sees its environment change) and restores the S3 store afterwards. Uploads go to the api's own
signed URLs (`PUT /api/ext-bundles/upload/{id}` and `…/parts/{n}`), used here by plain curl.
"""
import json
import pathlib
import subprocess
import time
import urllib.parse
import uuid

import pytest

from apihelpers import assert_error, cli, create_key, workers_with
from bundlefactory import MIB, auth, finalize, initiate, manifest, pack, unique_publisher, write_extension


@pytest.fixture(scope="module")
def file_store(stack):
    bundle_dir = pathlib.Path(stack["EXTHOST_RUN_DIR"], "bundles-file-store-test")
    with workers_with(stack, EXTHOST_BUNDLE_STORE="file", EXTHOST_BUNDLE_DIR=str(bundle_dir),
                      EXTHOST_MULTIPART_THRESHOLD=str(5 * MIB)):
        yield bundle_dir


@pytest.fixture(scope="module")
def admin(stack, file_store):
    return create_key(stack, str(uuid.uuid4()), "admin")


def curl_put(stack, url, path, expect):
    """PUTs the file with plain curl (as any client would) and returns (status, ETag)."""
    out = subprocess.run(
        ["curl", "-sS", "--cacert", stack["EXTHOST_CA"], "-T", str(path), "-D", "-", "-o", "/dev/null", url],
        capture_output=True, text=True, check=True).stdout
    status = int(out.split()[1])
    assert status == expect, out
    etag = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.lower().startswith("etag:")), None)
    return status, etag


def bundle(stack, tmp_path, padding=0):
    publisher = unique_publisher()
    directory = write_extension(tmp_path / "src", manifest(publisher), padding=padding)
    return pack(stack, directory)


def test_presigned_put_goes_to_the_api_and_finalize_writes_the_tree(stack, base_url, http, admin, file_store, tmp_path):
    path = bundle(stack, tmp_path)
    answer = initiate(http, base_url, admin, path).json()
    assert answer["strategy"] == "presigned-put"
    assert answer["url"].startswith(base_url + "/api/ext-bundles/upload/" + answer["uploadId"] + "?")
    curl_put(stack, answer["url"], path, 200)
    done = finalize(http, base_url, admin, answer["uploadId"])
    assert done.status_code == 201, done.text
    hex_ = done.json()["contentHash"].removeprefix("sha256:")
    stored = file_store / "sha256" / hex_ / "bundle.tar.zst"
    assert stored.read_bytes() == path.read_bytes()
    assert (file_store / "sha256" / hex_ / "manifest.json").exists()
    assert not (file_store / "staging" / answer["uploadId"]).exists() or not any((file_store / "staging" / answer["uploadId"]).iterdir())


def test_altered_expired_and_replayed_urls_are_403(stack, base_url, http, admin, file_store, tmp_path):
    path = bundle(stack, tmp_path)
    answer = initiate(http, base_url, admin, path).json()
    url = urllib.parse.urlsplit(answer["url"])
    query = dict(urllib.parse.parse_qsl(url.query))
    other = str(uuid.uuid4())
    tampered = [
        url._replace(query=urllib.parse.urlencode({**query, "signature": "0" * len(query["signature"])})).geturl(),
        url._replace(query=urllib.parse.urlencode({**query, "expires": str(int(query["expires"]) + 3600)})).geturl(),
        url._replace(path=url.path.replace(answer["uploadId"], other)).geturl(),
        url._replace(query=urllib.parse.urlencode({**query, "expires": "1000000000"})).geturl(),
        url._replace(query="").geturl(),
    ]
    for bad in tampered:
        response = http.put(bad, data=path.read_bytes())
        assert_error(response, 403, "UPLOAD_URL_INVALID")
    curl_put(stack, answer["url"], path, 200)
    replay = http.put(answer["url"], data=path.read_bytes())
    assert_error(replay, 403, "UPLOAD_URL_USED")
    assert finalize(http, base_url, admin, answer["uploadId"]).status_code == 201


def test_multipart_parts_go_to_signed_part_urls(stack, base_url, http, admin, file_store, tmp_path):
    path = bundle(stack, tmp_path, padding=20 * MIB)
    answer = initiate(http, base_url, admin, path).json()
    assert answer["strategy"] == "multipart" and len(answer["parts"]) >= 2
    parts = []
    with open(path, "rb") as source:
        for part in answer["parts"]:
            source.seek((part["partNumber"] - 1) * answer["partSize"])
            chunk = tmp_path / f"part{part['partNumber']}"
            chunk.write_bytes(source.read(answer["partSize"]))
            _, etag = curl_put(stack, part["url"], chunk, 200)
            parts.append({"partNumber": part["partNumber"], "etag": etag})
    done = finalize(http, base_url, admin, answer["uploadId"], parts=parts)
    assert done.status_code == 201, done.text
    stored = file_store / "sha256" / done.json()["contentHash"].removeprefix("sha256:") / "bundle.tar.zst"
    assert stored.read_bytes() == path.read_bytes()


def test_upload_proxy_streams_into_the_file_store(stack, base_url, http, admin, file_store, tmp_path):
    path = bundle(stack, tmp_path)
    size = path.stat().st_size
    response = http.post(f"{base_url}/api/ext-bundles/upload-proxy", params={"filename": path.name, "size": size},
                         data=path.read_bytes(), headers={**auth(admin), "Content-Type": "application/zstd"})
    assert response.status_code == 201, response.text
    done = finalize(http, base_url, admin, response.json()["uploadId"])
    assert done.status_code == 201, done.text
    assert (file_store / "sha256" / response.json()["contentHash"].removeprefix("sha256:") / "bundle.tar.zst").exists()



def test_an_installed_ui_is_filled_from_the_file_store(stack, base_url, http, admin, file_store, tmp_path):
    """cachefill reads the canonical object from the file store exactly as from S3."""
    path = bundle(stack, tmp_path)
    answer = initiate(http, base_url, admin, path).json()
    curl_put(stack, answer["url"], path, 200)
    published = finalize(http, base_url, admin, answer["uploadId"]).json()
    install = http.post(f"{base_url}/api/installs", headers=auth(admin), json={
        "extensionId": published["extension"]["id"], "version": published["version"]["version"]}).json()
    deadline = time.monotonic() + 20
    while True:
        page = http.get(base_url + install["uiUrl"])
        if page.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert page.status_code == 200, page.text
    assert "hello" in page.text and page.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_migrate_store_copies_every_bundle_to_s3_with_verification(stack, base_url, http, admin, file_store, tmp_path):
    path = bundle(stack, tmp_path)
    answer = initiate(http, base_url, admin, path).json()
    curl_put(stack, answer["url"], path, 200)
    digest = finalize(http, base_url, admin, answer["uploadId"]).json()["contentHash"].removeprefix("sha256:")
    from_file = {**stack, "EXTHOST_BUNDLE_STORE": "file", "EXTHOST_BUNDLE_DIR": str(file_store)}

    first = cli(from_file, "admin", "migrate-store", "--to", "s3", "--json")
    report = json.loads(first.stdout)
    assert report["failed"] == 0 and report["copied"] >= 2, first.stdout
    s3_only = {key: value for key, value in stack.items() if key != "EXTHOST_BUNDLE_STORE"}
    head = cli(s3_only, "store", "head", f"sha256/{digest}/bundle.tar.zst")
    assert f"size: {path.stat().st_size}" in head.stdout

    again = json.loads(cli(from_file, "admin", "migrate-store", "--to", "s3", "--json").stdout)
    assert again["copied"] == 0 and again["present"] == report["copied"] + report["present"]

    # A file-store object whose bytes do not match its key is reported and never copied.
    forged = "ab" * 32
    (file_store / "sha256" / forged).mkdir(parents=True)
    (file_store / "sha256" / forged / "bundle.tar.zst").write_bytes(b"not the bytes of that hash")
    try:
        bad = cli(from_file, "admin", "migrate-store", "--to", "s3", "--json", check=False)
        assert bad.returncode == 1
        failures = json.loads(bad.stdout)["failures"]
        assert [f["key"] for f in failures] == [f"sha256/{forged}/bundle.tar.zst"] and "hash" in failures[0]["reason"]
        assert cli(s3_only, "store", "head", f"sha256/{forged}/bundle.tar.zst", check=False).returncode != 0
    finally:
        (file_store / "sha256" / forged / "bundle.tar.zst").unlink()
        (file_store / "sha256" / forged).rmdir()
