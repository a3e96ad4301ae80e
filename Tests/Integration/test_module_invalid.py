"""Bad wasm modules are refused at publish time: 422 MODULE_INVALID (issue 8, item 4).

Finalize reads the manifest's `entry` out of the staged bundle and checks it against
exthost-wasm@1 before anything is stored or registered. The bundles here are packed with GNU tar
+ zstd (`pack_with_tar`), because `exthost pack` runs the same check and would refuse them;
modules are written as WAT and assembled by Debian's wat2wasm. The CLI's own reports (`pack`,
`verify`) are checked at the end.
"""
import json
import os
import subprocess
import uuid

import pytest

from apihelpers import cli, create_key, psql
from bundlefactory import abi_wat, auth, content_hash, finalize, manifest, pack_with_tar, unique_publisher, upload, write_extension

# Pieces of a module; each bad module below leaves one out or gets one wrong.
MEMORY = '(memory (export "memory") 1)'
ALLOC = '(func (export "exthost_alloc") (param i32) (result i32) (i32.const 2048))'
HELLO = '(func (export "hello") (param i32 i32) (result i64) (i64.const 0))'


def wat_module(*fields):
    return "(module\n  " + "\n  ".join(fields) + ")\n"


def wasm(text, check=True):
    """Assembles WAT text with wat2wasm (`check=False` keeps a body that does not validate)."""
    args = ["wat2wasm", "-", "--output=-"] + ([] if check else ["--no-check"])
    result = subprocess.run(args, input=text.encode(), capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


BAD_MODULES = {
    "bad_import": (wasm(wat_module('(import "env" "abort" (func))', MEMORY, ALLOC, HELLO)),
                   ["import env.abort: imports may come only from exthost and wasi_snapshot_preview1"]),
    "wrong_host_signature": (wasm(wat_module('(import "exthost" "call" (func (param i32) (result i32)))', MEMORY, ALLOC, HELLO)),
                             ["import exthost.call: must have type (i32,i32)->(i64)"]),
    "missing_handler": (wasm(wat_module(MEMORY, ALLOC)),
                        ["export hello: missing (must be a function of type (i32,i32)->(i64))"]),
    "wrong_handler_signature": (wasm(wat_module(MEMORY, ALLOC, '(func (export "hello") (param i32) (result i32) (i32.const 0))')),
                                ["export hello: has type (i32)->(i32), must be (i32,i32)->(i64)"]),
    "missing_alloc": (wasm(wat_module(MEMORY, HELLO)),
                      ["export exthost_alloc: missing (must be a function of type (i32)->(i32))"]),
    "missing_memory": (wasm(wat_module(ALLOC, HELLO)),
                       ['export memory: missing (the module must export its memory as "memory")']),
}


@pytest.fixture(scope="module")
def admin(stack):
    return create_key(stack, str(uuid.uuid4()), "admin")


@pytest.fixture()
def publisher():
    return unique_publisher("mod")


def bundle_with_module(tmp_path, publisher, module, document=None):
    """A bundle (GNU tar, unchecked) whose dist/main.wasm is `module`."""
    directory = write_extension(tmp_path / "src", document or manifest(publisher))
    (directory / "dist" / "main.wasm").write_bytes(module)
    return pack_with_tar(directory)


def module_issues(response):
    """The `issues` of a 422 MODULE_INVALID answer, after checking the error document's shape."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "requestId", "issues"}, error
    assert error["code"] == "MODULE_INVALID"
    assert error["requestId"] == response.headers["X-Request-Id"]
    assert error["message"].startswith("the module does not match exthost-wasm@1")
    assert all(isinstance(issue, str) for issue in error["issues"])
    return error["issues"]


def assert_nothing_published(stack, http, base_url, admin, publisher, bundle, upload_id):
    """Not in the catalog, no registry rows, no canonical object; the session is open for a retry."""
    listed = http.get(f"{base_url}/api/extensions/{publisher}.hello", headers=auth(admin))
    assert listed.status_code == 404, listed.text
    assert psql(stack, f"SELECT count(*) FROM extensions WHERE publisher = '{publisher}'").strip() == "0"
    assert psql(stack, f"SELECT count(*) FROM bundles WHERE content_hash = '{content_hash(bundle)}'").strip() == "0"
    head = cli(stack, "store", "head", f"sha256/{content_hash(bundle).removeprefix('sha256:')}/bundle.tar.zst", check=False)
    assert head.returncode != 0 and "OBJECT_NOT_FOUND" in head.stderr, head.stdout + head.stderr
    assert psql(stack, f"SELECT state FROM upload_sessions WHERE id = '{upload_id}'").strip() == "open"


@pytest.mark.parametrize("case", sorted(BAD_MODULES))
def test_an_abi_mismatch_is_422_module_invalid_and_nothing_is_published(stack, http, base_url, admin, tmp_path, publisher, case):
    module, expected = BAD_MODULES[case]
    bundle = bundle_with_module(tmp_path, publisher, module)
    answer = upload(http, base_url, admin, bundle)

    assert module_issues(finalize(http, base_url, admin, answer["uploadId"])) == expected
    assert_nothing_published(stack, http, base_url, admin, publisher, bundle, answer["uploadId"])


def test_every_problem_is_listed_at_once(stack, http, base_url, admin, tmp_path, publisher):
    module = wasm(wat_module('(import "env" "abort" (func))', '(import "exthost" "sleep" (func))', MEMORY,
                             '(func (export "hello") (param i32 i32) (result i32) (i32.const 0))'))
    bundle = bundle_with_module(tmp_path, publisher, module)
    answer = upload(http, base_url, admin, bundle)

    assert module_issues(finalize(http, base_url, admin, answer["uploadId"])) == [
        "import env.abort: imports may come only from exthost and wasi_snapshot_preview1",
        "import exthost.sleep: exthost has no such function",
        "export exthost_alloc: missing (must be a function of type (i32)->(i32))",
        "export hello: has type (i32,i32)->(i32), must be (i32,i32)->(i64)",
    ]
    assert_nothing_published(stack, http, base_url, admin, publisher, bundle, answer["uploadId"])


def test_a_function_body_that_does_not_validate_is_422(stack, http, base_url, admin, tmp_path, publisher):
    # The ABI is met, but the handler's body leaves an i32 where it declares an i64.
    module = wasm(wat_module(MEMORY, ALLOC, '(func (export "hello") (param i32 i32) (result i64) (i32.const 0))'), check=False)
    bundle = bundle_with_module(tmp_path, publisher, module)
    answer = upload(http, base_url, admin, bundle)

    issues = module_issues(finalize(http, base_url, admin, answer["uploadId"]))
    assert len(issues) == 1 and issues[0].startswith("the module does not validate"), issues
    assert_nothing_published(stack, http, base_url, admin, publisher, bundle, answer["uploadId"])


def test_garbage_bytes_are_422(stack, http, base_url, admin, tmp_path, publisher):
    bundle = bundle_with_module(tmp_path, publisher, os.urandom(600))
    answer = upload(http, base_url, admin, bundle)

    issues = module_issues(finalize(http, base_url, admin, answer["uploadId"]))
    assert len(issues) == 1 and issues[0].startswith("the module does not parse"), issues
    assert_nothing_published(stack, http, base_url, admin, publisher, bundle, answer["uploadId"])


def test_a_module_that_does_not_export_another_endpoints_handler_is_422(stack, http, base_url, admin, tmp_path, publisher):
    endpoints = [{"method": "GET", "path": "/hello/:name", "handler": "hello"},
                 {"method": "POST", "path": "/notes", "handler": "create_note"}]
    document = manifest(publisher, api={"endpoints": endpoints})
    bundle = bundle_with_module(tmp_path, publisher, wasm(abi_wat(["hello"])), document)
    answer = upload(http, base_url, admin, bundle)

    assert module_issues(finalize(http, base_url, admin, answer["uploadId"])) == [
        "export create_note: missing (must be a function of type (i32,i32)->(i64))"]


def test_a_proxied_upload_is_checked_too(stack, http, base_url, admin, tmp_path, publisher):
    # upload-proxy staging cannot change, so finalize stops reading right after the entry.
    bundle = bundle_with_module(tmp_path, publisher, BAD_MODULES["missing_alloc"][0])
    query = {"filename": "bad.tar.zst", "size": str(os.path.getsize(bundle))}
    with open(bundle, "rb") as body:
        proxied = http.post(f"{base_url}/api/ext-bundles/upload-proxy", params=query, data=body,
                            headers={**auth(admin), "Content-Type": "application/zstd"})
    assert proxied.status_code == 201, proxied.text
    upload_id = proxied.json()["uploadId"]

    assert module_issues(finalize(http, base_url, admin, upload_id)) == BAD_MODULES["missing_alloc"][1]
    assert_nothing_published(stack, http, base_url, admin, publisher, bundle, upload_id)


def test_a_valid_module_publishes(stack, http, base_url, admin, tmp_path, publisher):
    bundle = bundle_with_module(tmp_path, publisher, wasm(abi_wat(["hello"])))
    answer = upload(http, base_url, admin, bundle)
    response = finalize(http, base_url, admin, answer["uploadId"])
    assert response.status_code == 201, response.text
    assert http.get(f"{base_url}/api/extensions/{publisher}.hello", headers=auth(admin)).status_code == 200


def test_a_ui_only_extension_needs_no_module(stack, http, base_url, admin, tmp_path, publisher):
    # No endpoints: the entry is not required, so not even garbage at dist/main.wasm is judged.
    document = manifest(publisher)
    del document["api"]
    bundle = bundle_with_module(tmp_path, publisher, b"not wasm", document)
    answer = upload(http, base_url, admin, bundle)
    response = finalize(http, base_url, admin, answer["uploadId"])
    assert response.status_code == 201, response.text


# ---------------------------------------------------------------- the CLI runs the same check

def test_exthost_pack_refuses_a_bad_module_with_every_problem(stack, tmp_path, publisher):
    directory = write_extension(tmp_path / "src", manifest(publisher))
    (directory / "dist" / "main.wasm").write_bytes(BAD_MODULES["wrong_handler_signature"][0])
    out = tmp_path / "out.tar.zst"
    result = cli(stack, "pack", str(directory), "-o", str(out), check=False)
    assert result.returncode != 0
    assert "MODULE_INVALID" in result.stderr, result.stderr
    assert BAD_MODULES["wrong_handler_signature"][1][0] in result.stderr
    assert not out.exists()


def test_exthost_publish_refuses_a_bad_module_before_uploading(stack, tmp_path, publisher):
    tenant = str(uuid.uuid4())
    directory = write_extension(tmp_path / "src", manifest(publisher))
    (directory / "dist" / "main.wasm").write_bytes(BAD_MODULES["bad_import"][0])
    result = cli({**stack, "EXTHOST_API_KEY": create_key(stack, tenant, "admin")}, "publish", str(directory), check=False)
    assert result.returncode != 0
    assert "MODULE_INVALID" in result.stderr and "import env.abort" in result.stderr, result.stderr
    assert psql(stack, f"SELECT count(*) FROM upload_sessions WHERE tenant_id = '{tenant}'").strip() == "0"


def test_exthost_verify_reports_module_invalid(stack, tmp_path, publisher):
    bundle = bundle_with_module(tmp_path, publisher, BAD_MODULES["missing_alloc"][0])
    text = cli(stack, "verify", str(bundle), check=False)
    assert text.returncode == 1
    assert "module     FAILED: MODULE_INVALID: dist/main.wasm, 1 problem(s)" in text.stdout, text.stdout
    assert "  " + BAD_MODULES["missing_alloc"][1][0] in text.stdout

    as_json = cli(stack, "verify", str(bundle), "--json", check=False)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["module"]["checked"] is True
    assert report["module"]["error"]["code"] == "MODULE_INVALID"
    assert report["module"]["error"]["issues"] == BAD_MODULES["missing_alloc"][1]


def test_exthost_verify_passes_a_valid_module(stack, tmp_path, publisher):
    bundle = bundle_with_module(tmp_path, publisher, wasm(abi_wat(["hello"])))
    text = cli(stack, "verify", str(bundle), check=False)
    assert text.returncode == 0, text.stdout + text.stderr
    assert "module     ok: dist/main.wasm matches exthost-wasm@1" in text.stdout
    report = json.loads(cli(stack, "verify", str(bundle), "--json").stdout)
    assert report["ok"] is True and report["module"] == {"checked": True, "entry": "dist/main.wasm"}
