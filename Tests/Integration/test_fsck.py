"""`exthost admin fsck` against the real stack: it passes a consistent registry, and finds what
it promises to find (docs/faults.md): a row without its object, a partial cache tree, orphans
(as warnings), and it fails closed when the database or the store cannot be reached."""
import os
import pathlib
import shutil
import tempfile
import time
import uuid

import pytest

from apihelpers import cli, create_key
from bundlefactory import manifest, publish, unique_publisher, write_extension
from faulthelpers import assert_fsck_clean, db_now, fsck


@pytest.fixture(scope="module")
def admin(stack):
    return create_key(stack, str(uuid.uuid4()), "admin")


@pytest.fixture()
def published(stack, http, base_url, admin, tmp_path):
    since = db_now(stack)
    source = write_extension(tmp_path / "src", manifest(unique_publisher("fsck")))
    bundle, response = publish(stack, http, base_url, admin, source)
    assert response.status_code == 201, response.text
    hex_digits = response.json()["contentHash"].removeprefix("sha256:")
    key = f"{stack.get('BUNDLE_STORE_BASE', 'sha256/')}{hex_digits}/bundle.tar.zst"
    return {"since": since, "bundle": bundle, "hash": response.json()["contentHash"], "key": key, "source": source}


def codes(report, severity):
    return {(finding["code"], finding["subject"]) for finding in report["findings"] if finding["severity"] == severity}


def test_a_published_bundle_is_clean_and_counted(stack, published):
    report = assert_fsck_clean(stack, published["since"])
    assert report["checked"]["bundle rows"] >= 1
    assert report["exitCode"] == 0 and report["failures"] == []


def test_a_row_whose_object_is_gone_is_an_error_until_the_object_is_back(stack, published):
    cli(stack, "store", "rm", published["key"])
    try:
        code, report = fsck(stack, published["since"])
        assert code == 1 and report["status"] == "inconsistent", report
        assert ("MISSING_OBJECT", published["hash"]) in codes(report, "error")
        human = cli(stack, "admin", "fsck", "--since", published["since"], check=False)
        assert human.returncode == 1
        assert f"error: MISSING_OBJECT {published['hash']}" in human.stdout
        assert "fsck: inconsistent" in human.stdout.splitlines()[-1]
    finally:
        cli(stack, "store", "put", published["key"], str(published["bundle"]))
    assert_fsck_clean(stack, published["since"])


def test_an_object_without_a_row_is_only_a_warning(stack, published):
    orphan_key = f"{stack.get('BUNDLE_STORE_BASE', 'sha256/')}{uuid.uuid4().hex}{uuid.uuid4().hex}/bundle.tar.zst"
    cli(stack, "store", "put", orphan_key, str(published["bundle"]))
    try:
        report = assert_fsck_clean(stack, published["since"])
        assert ("ORPHAN_OBJECT", orphan_key) in codes(report, "warning")
    finally:
        cli(stack, "store", "rm", orphan_key)


def test_a_partial_cache_tree_is_an_error(stack, published):
    cache = pathlib.Path(tempfile.mkdtemp(prefix="fsck-cache-", dir="/tmp"))
    try:
        hex_digits = published["hash"].removeprefix("sha256:")
        (cache / "tmp" / "tmp-abandoned").mkdir(parents=True)
        old = time.time() - 3600
        os.utime(cache / "tmp" / "tmp-abandoned", (old, old))
        (cache / "sha256" / hex_digits / "ui").mkdir(parents=True)  # no manifest.json: half a tree
        link_dir = cache / "ext-ui" / str(uuid.uuid4())
        link_dir.mkdir(parents=True)
        (link_dir / hex_digits).symlink_to(f"../../sha256/{hex_digits}/ui")
        code, report = fsck(stack, published["since"], "--cache-dir", str(cache))
        assert code == 1, report
        assert {found for found, _ in codes(report, "error")} == {
            "CACHE_STAGING_LEFTOVER", "CACHE_INCOMPLETE_TREE", "CACHE_DANGLING_LINK"}, report
        # The tree is completed the way cachefill would: fsck passes.
        shutil.rmtree(cache / "tmp" / "tmp-abandoned")
        shutil.copy(published["source"] / "manifest.json", cache / "sha256" / hex_digits / "manifest.json")
        report = assert_fsck_clean(stack, published["since"], "--cache-dir", str(cache))
        assert report["checked"]["cache trees"] == 1
        assert ("CACHE_UNKNOWN_LINK", f"{link_dir.name} {published['hash']}") in codes(report, "warning")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def extracted_cache(stack, published):
    """A cache dir holding the published bundle's tree the way cachefill leaves it (same extractor)."""
    cache = pathlib.Path(tempfile.mkdtemp(prefix="fsck-verify-", dir="/tmp"))
    tree = cache / "sha256" / published["hash"].removeprefix("sha256:")
    tree.parent.mkdir(parents=True)
    cli(stack, "extract", str(published["bundle"]), str(tree))
    return cache, tree


def content_mismatches(report):
    return [finding for finding in report["findings"] if finding["code"] == "CACHE_CONTENT_MISMATCH"]


def test_verify_contents_finds_a_changed_or_added_file_until_the_tree_is_refilled(stack, published):
    cache, tree = extracted_cache(stack, published)
    verify = ("--cache-dir", str(cache), "--verify-contents")
    try:
        report = assert_fsck_clean(stack, published["since"], *verify)
        assert report["checked"]["cache trees verified"] == 1, report
        # Without the flag the files are not read: a changed byte passes the plain audit.
        index = tree / "ui" / "index.html"
        original = index.read_bytes()
        index.write_bytes(original[:5] + bytes([original[5] ^ 0x01]) + original[6:])
        assert "cache trees verified" not in assert_fsck_clean(stack, published["since"], "--cache-dir", str(cache))["checked"]
        code, report = fsck(stack, published["since"], *verify)
        assert code == 1 and report["status"] == "inconsistent", report
        [finding] = content_mismatches(report)
        assert finding["subject"] == published["hash"] and finding["severity"] == "error"
        assert "ui/index.html: differs from the bundle's at byte 5" in finding["message"], finding
        assert f"rm -rf {tree}" in finding["message"], finding
        human = cli(stack, "admin", "fsck", "--since", published["since"], *verify, check=False)
        assert human.returncode == 1 and f"error: CACHE_CONTENT_MISMATCH {published['hash']}" in human.stdout, human.stdout
        # The byte put back, a file added: still a mismatch, naming the new file.
        index.write_bytes(original)
        (tree / "ui" / "extra.js").write_text("alert(1)\n")
        code, report = fsck(stack, published["since"], *verify)
        assert code == 1, report
        [finding] = content_mismatches(report)
        assert "ui/extra.js: not in the bundle" in finding["message"], finding
        # Repaired the way the message says (cachefill would fill the tree again): clean.
        shutil.rmtree(tree)
        cli(stack, "extract", str(published["bundle"]), str(tree))
        report = assert_fsck_clean(stack, published["since"], *verify)
        assert report["checked"]["cache trees verified"] == 1
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def test_verify_contents_skips_a_tree_whose_object_is_gone_and_needs_a_cache(stack, published):
    cache, _ = extracted_cache(stack, published)
    cli(stack, "store", "rm", published["key"])
    try:
        code, report = fsck(stack, published["since"], "--cache-dir", str(cache), "--verify-contents")
        assert code == 1 and ("MISSING_OBJECT", published["hash"]) in codes(report, "error"), report
        assert content_mismatches(report) == [] and report["failures"] == [], report
        assert report["checked"]["cache trees not verified (no stored bundle)"] == 1, report
    finally:
        cli(stack, "store", "put", published["key"], str(published["bundle"]))
        shutil.rmtree(cache, ignore_errors=True)
    usage = cli(stack, "admin", "fsck", "--no-cache", "--verify-contents", check=False)
    assert usage.returncode == 64, usage.stdout + usage.stderr
    assert "--verify-contents" in usage.stderr and "--no-cache" in usage.stderr, usage.stderr


def test_an_unreachable_database_or_store_is_never_clean(stack, published):
    down = cli(stack, "admin", "fsck", "--json", "--database-url", "postgresql://127.0.0.1:1/exthost?connect_timeout=2", check=False)
    assert down.returncode == 2, down.stdout + down.stderr
    assert '"status" : "incomplete"' in down.stdout.replace('": "', '" : "') or '"incomplete"' in down.stdout
    assert "DATABASE_UNAVAILABLE" in down.stdout
    store_down = cli({**stack, "STORAGE_S3_ENDPOINT": "http://127.0.0.1:1"}, "admin", "fsck", "--since", published["since"], check=False)
    assert store_down.returncode == 2, store_down.stdout + store_down.stderr
    assert "cannot check: bundle rows:" in store_down.stdout
    missing_cache = cli(stack, "admin", "fsck", "--cache-dir", "/nonexistent/exthost-cache", check=False)
    assert missing_cache.returncode == 2 and "cannot read the cache tree" in missing_cache.stdout
