"""Builds, signs and uploads extension bundles for the publishing integration tests.

Each function does one step a publisher takes, with the real tools: `exthost pack`, `keygen` and
`sign`, GNU tar + zstd for bundles `exthost pack` would refuse, openssl for signatures made
outside exthost, and plain HTTP to the presigned URLs that initiate-upload answers.

    directory = write_extension(tmp_path / "src", manifest("acme", "hello", "1.0.0"))
    bundle = pack(stack, directory)
    answer = upload(http, base_url, admin_key, bundle)
    response = finalize(http, base_url, admin_key, answer["uploadId"], signature=sign(stack, bundle, *keys))
"""
import base64
import functools
import hashlib
import json
import os
import pathlib
import subprocess
import uuid

import requests

MIB = 1 << 20



def abi_wat(handlers):
    """WAT text of the smallest module finalize accepts (exthost-wasm@1): it exports `memory`,
    `exthost_alloc(i32) -> i32` and one `(i32, i32) -> i64` export per handler name; each
    handler answers 200 with an empty text body."""
    response = '{"status":200,"text":""}'
    escaped = response.replace('"', '\\"')
    exports = "".join(f'\n  (func (export "{name}") (param i32 i32) (result i64) (i64.const {(1024 << 32) | len(response)}))'
                      for name in sorted(set(handlers)))
    return f"""(module
  (memory (export "memory") 1)
  (data (i32.const 1024) "{escaped}")
  (func (export "exthost_alloc") (param i32) (result i32) (i32.const 2048)){exports})
"""


@functools.cache
def abi_module(handlers=("hello",)):
    """The binary of `abi_wat(handlers)`, assembled once by Debian's wat2wasm (wabt)."""
    result = subprocess.run(["wat2wasm", "-", "--output=-"], input=abi_wat(handlers).encode(), capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def manifest_handlers(manifest_document):
    """The handler names of the manifest's endpoints (none for a UI-only or malformed manifest)."""
    endpoints = (manifest_document.get("api") or {}).get("endpoints") if isinstance(manifest_document, dict) else None
    if not isinstance(endpoints, list):
        return ()
    return tuple(sorted({e["handler"] for e in endpoints if isinstance(e, dict) and isinstance(e.get("handler"), str)}))


# A valid exthost-wasm@1 module for manifest()'s endpoint (handler "hello"), so finalize's module
# check (422 MODULE_INVALID otherwise) accepts the bundles these tests publish.
EMPTY_WASM = abi_module(("hello",))


def unique_publisher(prefix="it"):
    """A publisher name no other test run uses, so catalog rows never collide across runs."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def manifest(publisher, name="hello", version="1.0.0", **fields):
    """A valid manifest v2 document with one endpoint and an iframe UI; `fields` add or replace members."""
    document = {
        "name": name,
        "publisher": publisher,
        "version": version,
        "runtime": "exthost-wasm@1",
        "capabilities": ["cap:log.emit"],
        "ui": {"type": "iframe", "entry": "ui/index.html"},
        "api": {"endpoints": [{"method": "GET", "path": "/hello/:name", "handler": "hello"}]},
    }
    document.update(fields)
    return document


def write_extension(directory, manifest_document, padding=0, note=""):
    """Writes an extension source tree: manifest.json, dist/main.wasm and ui/index.html.

    dist/main.wasm exports every handler the manifest's endpoints name (`abi_module`).
    `padding` adds that many random (incompressible) bytes as assets/padding.bin, for bundles of
    a given size; `note` changes ui/index.html, for a second bundle with other content.
    """
    directory = pathlib.Path(directory)
    (directory / "dist").mkdir(parents=True, exist_ok=True)
    (directory / "ui").mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(json.dumps(manifest_document, indent=2))
    (directory / "dist" / "main.wasm").write_bytes(abi_module(manifest_handlers(manifest_document)))
    (directory / "ui" / "index.html").write_text(f"<!doctype html>\n<p>hello {note}</p>\n")
    if padding:
        (directory / "assets").mkdir(exist_ok=True)
        with open(directory / "assets" / "padding.bin", "wb") as out:
            remaining = padding
            while remaining:
                chunk = min(remaining, 4 * MIB)
                out.write(os.urandom(chunk))
                remaining -= chunk
    return directory


def exthost(stack, *args):
    """Runs the exthost CLI with the stack's environment; raises with its stderr on failure."""
    env = dict(os.environ)
    env.update(stack)
    result = subprocess.run([os.path.join(stack["EXTHOST_BIN_DIR"], "exthost"), *map(str, args)], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"exthost {' '.join(map(str, args))} failed:\n{result.stderr}"
    return result.stdout


def pack(stack, directory, out=None):
    """`exthost pack DIR -o OUT` (reproducible; refuses an invalid manifest). Returns the bundle path."""
    out = pathlib.Path(out or f"{directory}.tar.zst")
    exthost(stack, "pack", directory, "-o", out)
    return out


def pack_with_tar(directory, out=None):
    """Packs with GNU tar + zstd, checking nothing: for bundles finalize must refuse."""
    out = pathlib.Path(out or f"{directory}.tar.zst")
    subprocess.run(["tar", "--zstd", "-cf", str(out), "-C", str(directory), "."], check=True)
    return out


def content_hash(path):
    """`sha256:<hex>` of the file's bytes, as exthost names bundles."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(MIB), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def keygen(stack, out_dir, publisher, ca_dir=None):
    """`exthost keygen --publisher P` (self-signed, or issued by the CA in `ca_dir`). Returns (key, cert)."""
    args = ["keygen", "--publisher", publisher, "--out", out_dir]
    if ca_dir is not None:
        args += ["--ca-cert", pathlib.Path(ca_dir) / "ca.cert.pem", "--ca-key", pathlib.Path(ca_dir) / "ca.key.pem"]
    exthost(stack, *args)
    return pathlib.Path(out_dir) / "key.pem", pathlib.Path(out_dir) / "cert.pem"


def keygen_ca(stack, out_dir):
    """`exthost keygen --ca`: a development CA. Returns the directory (ca.key.pem, ca.cert.pem)."""
    exthost(stack, "keygen", "--ca", "--out", out_dir)
    return pathlib.Path(out_dir)


def sign(stack, bundle, key, cert):
    """`exthost sign` and the `.sig` document it writes, ready to send as finalize's `signature`."""
    exthost(stack, "sign", bundle, "--key", key, "--cert", cert)
    return json.loads(pathlib.Path(f"{bundle}.sig").read_text())


def sign_with_openssl(bundle, key, cert, message=None):
    """An Ed25519 signature made by the openssl CLI over `message` (default: the bundle's
    `sha256:<hex>`), without exthost's checks: for signatures finalize must refuse."""
    text = message if message is not None else content_hash(bundle)
    message_file = pathlib.Path(f"{bundle}.message")
    message_file.write_bytes(text.encode())
    raw = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", str(key), "-in", str(message_file)],
                         check=True, capture_output=True).stdout
    return {"algorithm": "ed25519", "signature": base64.b64encode(raw).decode(),
            "certificate": pathlib.Path(cert).read_text()}


def auth(api_key):
    return {"Authorization": "Bearer " + api_key}


def initiate(http, base_url, api_key, bundle, declared_hash=None, size=None):
    """POST /api/ext-bundles/initiate-upload for the file; returns the response (201 on success)."""
    body = {"filename": pathlib.Path(bundle).name, "size": size if size is not None else os.path.getsize(bundle)}
    if declared_hash is not None:
        body["declaredHash"] = declared_hash
    return http.post(f"{base_url}/api/ext-bundles/initiate-upload", json=body, headers=auth(api_key))


def _store_session():
    # Presigned URLs point at S3 (moto over http here) or, with the file store, at the api through
    # nginx (https with the stack's CA); proxies from the environment must not apply.
    session = requests.Session()
    session.trust_env = False
    session.verify = _stack_ca() or True
    return session


@functools.cache
def _stack_ca():
    from conftest import _stack_env
    return _stack_env().get("EXTHOST_CA")


def put_presigned(answer, bundle, status=200):
    """PUTs the whole file to the presigned URL of a presigned-put answer, streamed, with its
    headers; the store must answer `status`."""
    with _store_session() as session, open(bundle, "rb") as body:
        response = session.request(answer["method"], answer["url"], data=body, headers=answer["headers"])
    assert response.status_code == status, response.text
    return response


def put_parts(answer, bundle):
    """PUTs each part of a multipart answer to its URL; returns `[{partNumber, etag}]` for finalize."""
    parts = []
    with _store_session() as session, open(bundle, "rb") as source:
        for part in answer["parts"]:
            source.seek((part["partNumber"] - 1) * answer["partSize"])
            response = session.put(part["url"], data=source.read(answer["partSize"]))
            assert response.status_code == 200, response.text
            parts.append({"partNumber": part["partNumber"], "etag": response.headers["ETag"]})
    return parts


def upload(http, base_url, api_key, bundle, declared_hash=None):
    """initiate-upload, then the bytes to the store. Returns the initiate answer, plus `parts`
    replaced by the `[{partNumber, etag}]` list for a multipart upload."""
    response = initiate(http, base_url, api_key, bundle, declared_hash)
    assert response.status_code == 201, response.text
    answer = response.json()
    if answer["strategy"] == "multipart":
        answer["parts"] = put_parts(answer, bundle)
    else:
        put_presigned(answer, bundle)
    return answer


def finalize(http, base_url, api_key, upload_id, **fields):
    """POST /api/ext-bundles/finalize {uploadId, **fields}; returns the response."""
    body = {"uploadId": upload_id, **fields}
    return http.post(f"{base_url}/api/ext-bundles/finalize", json=body, headers=auth(api_key))


def publish(stack, http, base_url, api_key, directory, signature_keys=None):
    """Packs, (signs,) uploads and finalizes `directory`; returns (bundle path, finalize response)."""
    bundle = pack(stack, directory)
    fields = {}
    if signature_keys is not None:
        fields["signature"] = sign(stack, bundle, *signature_keys)
    answer = upload(http, base_url, api_key, bundle)
    if answer["strategy"] == "multipart":
        fields["parts"] = answer["parts"]
    return bundle, finalize(http, base_url, api_key, answer["uploadId"], **fields)
