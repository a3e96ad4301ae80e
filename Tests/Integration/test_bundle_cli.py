"""The bundle CLI end to end, and its interop with GNU tar, the zstd CLI and the openssl CLI (issue 3).

Needs no stack, only the exthost binary: EXTHOST_BIN_DIR names its directory (default
<repo>/.build/release). The shell commands of docs/extension-author-guide.md are the scripts in
GUIDE below; the tests run them as written, and test_the_guide_shows_exactly_the_tested_commands
checks that the guide shows these and no others.
"""
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import tarfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE_PATH = ROOT / "docs" / "extension-author-guide.md"
MIB = 1 << 20

# The manifest of the guide's example (the guide shows it in a ```json block).
MANIFEST = """{
  "name": "hello",
  "publisher": "acme",
  "version": "1.0.0",
  "runtime": "exthost-wasm@1",
  "capabilities": ["cap:log.emit"],
  "ui": { "type": "iframe", "entry": "ui/index.html" },
  "api": {
    "endpoints": [
      { "method": "GET", "path": "/hello/:name", "handler": "hello" }
    ]
  }
}
"""

# Every command of the author guide, by section. Scripts run with bash in the directory that
# holds my-extension/, with exthost on the PATH.
GUIDE = {
    "layout": r"""
mkdir -p my-extension/dist my-extension/ui
cat > hello.wat <<'WAT'
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "exthost_alloc") (param $len i32) (result i32)
    (local $start i32)
    (local.set $start (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $start))
  (data (i32.const 16) "{\"status\":200,\"text\":\"Hello from acme\"}")
  (func (export "hello") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 39))))
WAT
wat2wasm hello.wat -o my-extension/dist/main.wasm
printf '<!doctype html>\n<p>Hello from acme</p>\n' > my-extension/ui/index.html
""",
    "keygen": "exthost keygen --publisher acme --out keys",
    "keygen_ca": r"""
exthost keygen --ca --out ca
exthost keygen --publisher acme --type ecdsa-p256 --ca-cert ca/ca.cert.pem --ca-key ca/ca.key.pem --out keys-from-ca
""",
    "pack": "exthost pack my-extension -o bundle.tar.zst",
    "sign": "exthost sign bundle.tar.zst --key keys/key.pem --cert keys/cert.pem",
    "sign_with_ca_key": "exthost sign bundle.tar.zst --key keys-from-ca/key.pem --cert keys-from-ca/cert.pem",
    "verify": "exthost verify bundle.tar.zst --trust-bundle keys/cert.pem",
    "verify_with_ca": "exthost verify bundle.tar.zst --trust-bundle ca/ca.cert.pem",
    "verify_env": "SIGNING_TRUST_BUNDLE=keys/cert.pem exthost verify bundle.tar.zst",
    "verify_json": "exthost verify bundle.tar.zst --json",
    "inspect": "exthost inspect bundle.tar.zst",
    "inspect_json": "exthost inspect bundle.tar.zst --json",
    "digest": r"""
exthost digest bundle.tar.zst
sha256sum bundle.tar.zst
""",
    "extract": "exthost extract bundle.tar.zst unpacked",
    "tar_create": "tar --zstd -cf tar-bundle.tar.zst -C my-extension .",
    "tar_verify": "exthost verify tar-bundle.tar.zst",
    "tar_reproducible": r"""
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX \
    -cf - -C my-extension . | zstd -q -f -T1 -12 -o tar-bundle.tar.zst
""",
    "tar_extract": r"""
mkdir unpacked-by-tar
tar --zstd -xf bundle.tar.zst -C unpacked-by-tar
""",
    "message": "printf 'sha256:%s' \"$(sha256sum bundle.tar.zst | cut -d' ' -f1)\" > message.txt",
    "openssl_cert": "openssl req -x509 -key key.pem -subj /CN=acme -days 365 -out cert.pem",
    "write_sig": r"""
python3 -c 'import base64, json, sys; print(json.dumps({"algorithm": sys.argv[1], "signature": base64.b64encode(open("signature.bin", "rb").read()).decode(), "certificate": open("cert.pem").read()}))' "$algorithm" > bundle.tar.zst.sig
""",
    "verify_pinned": "exthost verify bundle.tar.zst --trust-bundle cert.pem",
    "read_sig": r"""
python3 -c 'import json; print(json.load(open("bundle.tar.zst.sig"))["signature"])' | base64 -d > signature.bin
openssl x509 -in cert.pem -pubkey -noout > public.pem
""",
}

# Per signature algorithm: make a key, sign message.txt into signature.bin, and check
# signature.bin with public.pem (docs/signing.md).
OPENSSL = {
    "ed25519": {
        "key": "openssl genpkey -algorithm ed25519 -out key.pem",
        "sign": "openssl pkeyutl -sign -inkey key.pem -rawin -in message.txt -out signature.bin",
        "check": "openssl pkeyutl -verify -pubin -inkey public.pem -rawin -in message.txt -sigfile signature.bin",
        "exthost_sign": "exthost sign bundle.tar.zst --key key.pem --cert cert.pem",
    },
    "ecdsa-p256-sha256": {
        "key": "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem",
        "sign": "openssl dgst -sha256 -sign key.pem -out signature.bin message.txt",
        "check": "openssl dgst -sha256 -verify public.pem -signature signature.bin message.txt",
        "exthost_sign": "exthost sign bundle.tar.zst --key key.pem --cert cert.pem",
    },
    "rsa-pkcs1-sha256": {
        "key": "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem",
        "sign": "openssl dgst -sha256 -sign key.pem -out signature.bin message.txt",
        "check": "openssl dgst -sha256 -verify public.pem -signature signature.bin message.txt",
        "exthost_sign": "exthost sign bundle.tar.zst --key key.pem --cert cert.pem --algorithm rsa-pkcs1-sha256",
    },
    "rsa-pss-sha256": {
        "key": "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem",
        "sign": "openssl dgst -sha256 -sign key.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
                "-out signature.bin message.txt",
        "check": "openssl dgst -sha256 -verify public.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
                 "-signature signature.bin message.txt",
        "exthost_sign": "exthost sign bundle.tar.zst --key key.pem --cert cert.pem",
    },
}


@dataclasses.dataclass
class CLI:
    """Runs exthost, and shell scripts with exthost on the PATH; asserts on the exit status."""

    bin_dir: pathlib.Path

    def env(self, extra=None):
        env = dict(os.environ)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env.pop("SIGNING_TRUST_BUNDLE", None)
        env.update(extra or {})
        return env

    def _finish(self, what, result, expect):
        if expect is not None:
            assert result.returncode == expect, (
                f"{what} exited {result.returncode}, expected {expect}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
        return result

    def run(self, *args, cwd, expect=0, env=None):
        result = subprocess.run([str(self.bin_dir / "exthost"), *map(str, args)], cwd=cwd, env=self.env(env),
                                capture_output=True, text=True, timeout=60)
        return self._finish("exthost " + " ".join(map(str, args)), result, expect)

    def sh(self, script, cwd, expect=0, env=None):
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=self.env(env),
                                capture_output=True, text=True, timeout=60)
        return self._finish(script.strip(), result, expect)

    def verify_json(self, *args, cwd, expect, env=None):
        return json.loads(self.run("verify", *args, "--json", cwd=cwd, expect=expect, env=env).stdout)


@pytest.fixture(scope="module")
def cli():
    bin_dir = pathlib.Path(os.environ.get("EXTHOST_BIN_DIR") or ROOT / ".build" / "release")
    binary = bin_dir / "exthost"
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"no exthost binary at {binary}: build it (swift build -c release --product exthost) "
                    "or set EXTHOST_BIN_DIR to the directory that holds it", pytrace=False)
    missing = [tool for tool in ("bash", "tar", "zstd", "openssl", "sha256sum", "base64") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"these tools must be installed for the interop tests: {', '.join(missing)}", pytrace=False)
    return CLI(bin_dir)


@pytest.fixture(scope="module")
def keys(cli, tmp_path_factory):
    """A dev CA that issued `acme` keys of each type, and another CA that issued `foreign` (also CN=acme)."""
    root = tmp_path_factory.mktemp("keys")
    cli.run("keygen", "--ca", "--out", "ca", cwd=root)
    cli.run("keygen", "--ca", "--out", "other-ca", cwd=root)
    for key_type in ("ed25519", "ecdsa-p256", "rsa-2048"):
        cli.run("keygen", "--publisher", "acme", "--type", key_type, "--ca-cert", "ca/ca.cert.pem",
                "--ca-key", "ca/ca.key.pem", "--out", key_type, cwd=root)
    cli.run("keygen", "--publisher", "acme", "--ca-cert", "other-ca/ca.cert.pem", "--ca-key", "other-ca/ca.key.pem",
            "--out", "foreign", cwd=root)
    return root


def lay_out(cli, directory):
    """The guide's example extension in `directory`/my-extension."""
    cli.sh(GUIDE["layout"], cwd=directory)
    (directory / "my-extension" / "manifest.json").write_text(MANIFEST)
    return directory / "my-extension"


@pytest.fixture()
def work(cli, tmp_path):
    """A directory holding the guide's my-extension/ and bundle.tar.zst packed from it."""
    lay_out(cli, tmp_path)
    cli.sh(GUIDE["pack"], cwd=tmp_path)
    return tmp_path


def sha256(path):
    return "sha256:" + hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def tree(root):
    """Relative path -> (kind, bytes, executable) for everything below `root`, never following links."""
    root = pathlib.Path(root)
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = ("link", os.readlink(path), False)
        elif path.is_dir():
            found[relative] = ("dir", b"", True)
        else:
            found[relative] = ("file", path.read_bytes(), bool(path.stat().st_mode & 0o111))
    return found


def structure_code(cli, bundle, cwd):
    report = cli.verify_json(bundle, cwd=cwd, expect=1)
    assert report["ok"] is False
    return report["structure"]["code"]


def signature_error(report):
    assert report["ok"] is False, report
    assert report["manifestIssues"] == []
    return report["signature"]["error"]["code"]


# ----------------------------------------------------------------------------------------------
# The author's path: keygen, pack, sign, verify, inspect, digest, extract


def test_author_walkthrough(cli, tmp_path):
    lay_out(cli, tmp_path)
    cli.sh(GUIDE["keygen"], cwd=tmp_path)
    packed = cli.sh(GUIDE["pack"], cwd=tmp_path).stdout
    bundle = tmp_path / "bundle.tar.zst"
    content_hash = sha256(bundle)
    assert packed.splitlines()[0] == f"{content_hash}  {bundle.stat().st_size} bytes  bundle.tar.zst"
    assert packed.splitlines()[1].startswith("acme.hello 1.0.0, 5 entries")

    signed = cli.sh(GUIDE["sign"], cwd=tmp_path).stdout
    assert f"ed25519 over {content_hash} by CN=acme" in signed
    signature = json.loads((tmp_path / "bundle.tar.zst.sig").read_text())
    assert set(signature) == {"algorithm", "signature", "certificate"}
    assert signature["certificate"] == (tmp_path / "keys" / "cert.pem").read_text()

    verified = cli.sh(GUIDE["verify"], cwd=tmp_path).stdout
    assert "structure  ok" in verified
    assert "manifest   ok: acme.hello 1.0.0" in verified
    assert "signature  ok: CN=acme, ed25519, trusted by keys/cert.pem" in verified
    assert "trusted by" in cli.sh(GUIDE["verify_env"], cwd=tmp_path).stdout

    report = json.loads(cli.sh(GUIDE["verify_json"], cwd=tmp_path).stdout)
    assert report["ok"] is True
    assert report["contentHash"] == content_hash
    assert report["size"] == bundle.stat().st_size
    assert report["manifest"]["publisher"] == "acme"
    assert report["signature"]["signer"] == "acme"
    assert report["signature"]["trusted"] is False  # no trust bundle given

    inspected = cli.sh(GUIDE["inspect"], cwd=tmp_path).stdout
    assert f"content hash  {content_hash}" in inspected
    for line in ("dist/main.wasm", "manifest.json", "ui/index.html", "acme.hello 1.0.0 (exthost-wasm@1)",
                 "GET /hello/:name -> hello"):
        assert line in inspected
    details = json.loads(cli.sh(GUIDE["inspect_json"], cwd=tmp_path).stdout)
    assert details["contentHash"] == content_hash
    assert details["size"] == bundle.stat().st_size
    assert [(e["path"], e["type"], e["mode"]) for e in details["entries"]] == [
        ("dist", "directory", "755"), ("dist/main.wasm", "file", "644"), ("manifest.json", "file", "644"),
        ("ui", "directory", "755"), ("ui/index.html", "file", "644")]
    assert details["fileBytes"] == sum(e["size"] for e in details["entries"])
    assert details["manifest"]["api"]["endpoints"][0]["handler"] == "hello"
    assert details["manifestIssues"] == []

    ours, theirs = cli.sh(GUIDE["digest"], cwd=tmp_path).stdout.splitlines()
    assert ours == f"{content_hash}  bundle.tar.zst"
    assert "sha256:" + theirs == ours

    assert content_hash in cli.sh(GUIDE["extract"], cwd=tmp_path).stdout
    assert tree(tmp_path / "unpacked") == tree(tmp_path / "my-extension")
    again = cli.sh(GUIDE["extract"], cwd=tmp_path, expect=1)
    assert "EXTRACT_DESTINATION_EXISTS" in again.stdout + again.stderr


def test_keygen_makes_each_key_type_and_a_dev_ca(cli, keys):
    ca = keys / "ca" / "ca.cert.pem"
    assert (keys / "ca" / "ca.key.pem").stat().st_mode & 0o777 == 0o600
    kinds = {"ed25519": "ED25519", "ecdsa-p256": "prime256v1", "rsa-2048": "2048 bit"}
    for key_type, marker in kinds.items():
        directory = keys / key_type
        assert (directory / "key.pem").stat().st_mode & 0o777 == 0o600
        assert marker in cli.sh("openssl pkey -in key.pem -noout -text", cwd=directory).stdout
        assert "CN = acme" in cli.sh("openssl x509 -in cert.pem -noout -subject", cwd=directory).stdout
        verdict = cli.sh(f"openssl verify -x509_strict -CAfile {ca} cert.pem", cwd=directory).stdout
        assert verdict.strip() == "cert.pem: OK"
    refused = cli.run("keygen", "--publisher", "acme", "--out", "ed25519", cwd=keys, expect=None)
    assert refused.returncode != 0, "keygen must not overwrite a key without --force"


@pytest.mark.parametrize("key_type,algorithm", [
    ("ed25519", "ed25519"), ("ecdsa-p256", "ecdsa-p256-sha256"), ("rsa-2048", "rsa-pss-sha256")])
def test_each_exthost_key_signs_and_verifies_through_the_ca(cli, keys, work, key_type, algorithm):
    cli.run("sign", "bundle.tar.zst", "--key", keys / key_type / "key.pem", "--cert", keys / key_type / "cert.pem",
            cwd=work)
    report = cli.verify_json("bundle.tar.zst", "--trust-bundle", keys / "ca" / "ca.cert.pem", cwd=work, expect=0)
    assert report["signature"] == {
        "checked": True, "signer": "acme", "algorithm": algorithm, "trusted": True,
        "certificateFingerprint": report["signature"]["certificateFingerprint"]}


def test_a_dev_ca_issues_the_publisher_certificate(cli, tmp_path):
    lay_out(cli, tmp_path)
    cli.sh(GUIDE["pack"], cwd=tmp_path)
    cli.sh(GUIDE["keygen_ca"], cwd=tmp_path)
    cli.sh(GUIDE["sign_with_ca_key"], cwd=tmp_path)
    assert "ecdsa-p256-sha256, trusted by ca/ca.cert.pem" in cli.sh(GUIDE["verify_with_ca"], cwd=tmp_path).stdout


def test_pack_is_reproducible(cli, tmp_path):
    source = lay_out(cli, tmp_path)
    (source / "bin").mkdir()
    (source / "bin" / "tool").write_text("#!/bin/sh\n")
    (source / "bin" / "tool").chmod(0o755)
    cli.run("pack", source, "-o", "first.tar.zst", cwd=tmp_path)
    cli.run("pack", source, "-o", "second.tar.zst", cwd=tmp_path)
    first = (tmp_path / "first.tar.zst").read_bytes()
    assert (tmp_path / "second.tar.zst").read_bytes() == first

    # A copy with other mtimes and the modes a restrictive umask leaves packs to the same bytes.
    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    for number, path in enumerate(sorted(copy.rglob("*"))):
        if path.is_dir():
            path.chmod(0o700)
        else:
            path.chmod(0o700 if path.name == "tool" else 0o600)
        os.utime(path, (1_000_000 + number, 1_234_567_890 + 977 * number))
    cli.run("pack", copy, "-o", "copy.tar.zst", cwd=tmp_path)
    assert (tmp_path / "copy.tar.zst").read_bytes() == first

    # The execute bit is content: dropping it changes the bundle.
    (copy / "bin" / "tool").chmod(0o600)
    cli.run("pack", copy, "-o", "changed.tar.zst", cwd=tmp_path)
    assert (tmp_path / "changed.tar.zst").read_bytes() != first


def test_pack_refuses_an_invalid_manifest_listing_every_issue(cli, tmp_path):
    source = lay_out(cli, tmp_path)
    (source / "manifest.json").write_text(json.dumps({
        "name": "Hello World", "publisher": "acme", "version": "1.0", "runtime": "exthost-wasm@2",
        "capabilities": ["cap:log.emit", "cap:root"], "extra": True,
        "api": {"endpoints": [{"method": "FETCH", "path": "hello", "handler": "hello"}]}}))
    result = cli.run("pack", source, "-o", "bundle.tar.zst", cwd=tmp_path, expect=1)
    output = result.stdout + result.stderr
    for path, code in [("name", "INVALID_NAME"), ("version", "INVALID_VERSION"), ("runtime", "UNSUPPORTED_RUNTIME"),
                       ("capabilities[1]", "UNKNOWN_CAPABILITY"), ("extra", "UNKNOWN_FIELD"),
                       ("api.endpoints[0].method", "INVALID_METHOD"), ("api.endpoints[0].path", "INVALID_ENDPOINT_PATH")]:
        assert re.search(rf"^  {re.escape(path)}: .*\[{code}\]$", output, re.M), f"{path} [{code}] not listed:\n{output}"
    assert "nothing was packed" in output
    assert not (tmp_path / "bundle.tar.zst").exists()


def test_pack_refuses_a_manifest_naming_missing_files(cli, tmp_path):
    source = lay_out(cli, tmp_path)
    (source / "ui" / "index.html").unlink()
    result = cli.run("pack", source, "-o", "bundle.tar.zst", cwd=tmp_path, expect=1)
    assert re.search(r"^  ui\.entry: .*\[UI_ENTRY_MISSING\]$", result.stdout, re.M), result.stdout
    assert not (tmp_path / "bundle.tar.zst").exists()


# ----------------------------------------------------------------------------------------------
# GNU tar and the zstd CLI


@pytest.mark.parametrize("tar_format", ["gnu", "posix", "ustar"])
def test_a_gnu_tar_bundle_passes_verify(cli, tmp_path, tar_format):
    source = lay_out(cli, tmp_path)
    cli.sh(f"tar --format={tar_format} --zstd -cf tar-bundle.tar.zst -C my-extension .", cwd=tmp_path)
    report = cli.verify_json("tar-bundle.tar.zst", cwd=tmp_path, expect=0)
    assert report["manifest"]["name"] == "hello"
    assert report["signature"] == {"checked": True, "signed": False}
    cli.run("extract", "tar-bundle.tar.zst", "unpacked", cwd=tmp_path)
    assert tree(tmp_path / "unpacked") == tree(source)


def test_the_guides_tar_commands(cli, tmp_path):
    lay_out(cli, tmp_path)
    cli.sh(GUIDE["tar_create"], cwd=tmp_path)
    assert "signature  none (accepted: no trust bundle configured)" in cli.sh(GUIDE["tar_verify"], cwd=tmp_path).stdout

    cli.sh(GUIDE["pack"], cwd=tmp_path)
    cli.sh(GUIDE["tar_extract"], cwd=tmp_path)
    assert tree(tmp_path / "unpacked-by-tar") == tree(tmp_path / "my-extension")


def test_gnu_tar_is_reproducible_with_the_guides_flags(cli, tmp_path):
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    for directory in (first_dir, second_dir):
        directory.mkdir()
        lay_out(cli, directory)
    for number, path in enumerate(sorted((second_dir / "my-extension").rglob("*"))):
        path.chmod(0o700 if path.is_dir() else 0o600)
        os.utime(path, (2_000_000 + number, 1_500_000_000 + 31 * number))
    for directory in (first_dir, second_dir):
        cli.sh(GUIDE["tar_reproducible"], cwd=directory)
        cli.sh(GUIDE["tar_verify"], cwd=directory)
    assert (first_dir / "tar-bundle.tar.zst").read_bytes() == (second_dir / "tar-bundle.tar.zst").read_bytes()
    # Without the flags the mtimes end up in the archive.
    for directory in (first_dir, second_dir):
        cli.sh(GUIDE["tar_create"], cwd=directory)
    assert (first_dir / "tar-bundle.tar.zst").read_bytes() != (second_dir / "tar-bundle.tar.zst").read_bytes()


def zstd_compress(tar_path):
    bundle = tar_path.with_suffix(".tar.zst")
    subprocess.run(["zstd", "-q", "-f", str(tar_path), "-o", str(bundle)], check=True)
    return bundle


def gnu_tar(directory, tar_path, *members):
    subprocess.run(["tar", "-cf", str(tar_path), "-C", str(directory), *members], check=True)
    return zstd_compress(tar_path)


def python_tar(tar_path, members, tar_format=tarfile.GNU_FORMAT):
    """A tar of (TarInfo, bytes) members, written by Python's tarfile exactly as given."""
    with tarfile.open(tar_path, "w", format=tar_format) as archive:
        for info, data in members:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return zstd_compress(tar_path)


def member(name, data=b"x", kind=tarfile.REGTYPE, **fields):
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info, (data if kind == tarfile.REGTYPE else b"")


MANIFEST_MEMBER = ("manifest.json", MANIFEST.encode())


def symlink_archive(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "manifest.json").write_text(MANIFEST)
    os.symlink("/etc/passwd", tmp_path / "src" / "passwd")
    return gnu_tar(tmp_path / "src", tmp_path / "evil.tar", ".")


def hardlink_archive(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "manifest.json").write_text(MANIFEST)
    os.link(tmp_path / "src" / "manifest.json", tmp_path / "src" / "copy.json")
    return gnu_tar(tmp_path / "src", tmp_path / "evil.tar", "manifest.json", "copy.json")


def fifo_archive(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "manifest.json").write_text(MANIFEST)
    os.mkfifo(tmp_path / "src" / "pipe")
    return gnu_tar(tmp_path / "src", tmp_path / "evil.tar", ".")


MALICIOUS = {
    "symlink": (symlink_archive, "ARCHIVE_SYMLINK"),
    "hardlink": (hardlink_archive, "ARCHIVE_HARDLINK"),
    "fifo": (fifo_archive, "ARCHIVE_FIFO"),
    "dot-dot": (lambda t: python_tar(t / "evil.tar", [member(*MANIFEST_MEMBER), member("../x")]),
                "ARCHIVE_PATH_TRAVERSAL"),
    "dot-dot-inside": (lambda t: python_tar(t / "evil.tar", [member(*MANIFEST_MEMBER), member("ui/../../x")]),
                       "ARCHIVE_PATH_TRAVERSAL"),
    "pax-path-escape": (lambda t: python_tar(t / "evil.tar", [member(*MANIFEST_MEMBER), member("d" * 120 + "/../../x")],
                                             tarfile.PAX_FORMAT), "ARCHIVE_PATH_TRAVERSAL"),
    "absolute": (lambda t: python_tar(t / "evil.tar", [member(*MANIFEST_MEMBER), member("/etc/cron.d/x")]),
                 "ARCHIVE_ABSOLUTE_PATH"),
    "duplicate": (lambda t: python_tar(t / "evil.tar", [member(*MANIFEST_MEMBER), member(*MANIFEST_MEMBER)]),
                  "ARCHIVE_DUPLICATE_PATH"),
    "device": (lambda t: python_tar(t / "evil.tar", [member(*MANIFEST_MEMBER), member("null", kind=tarfile.CHRTYPE,
                                                                                     devmajor=1, devminor=3)]),
               "ARCHIVE_DEVICE"),
}


@pytest.mark.parametrize("kind", MALICIOUS)
def test_malicious_archives_are_refused_with_their_code(cli, tmp_path, kind):
    build, code = MALICIOUS[kind]
    bundle = build(tmp_path)
    assert structure_code(cli, bundle, tmp_path) == code
    human = cli.run("verify", bundle, cwd=tmp_path, expect=1).stdout
    assert f"structure  FAILED: {code}: " in human
    failed = cli.run("extract", bundle, tmp_path / "out", cwd=tmp_path, expect=None)
    assert failed.returncode != 0 and code in failed.stdout + failed.stderr
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("tmp-")) == []


def stream_bomb(bundle, header, zeros, trailer):
    """zstd-compresses header + `zeros` zero bytes + trailer without holding them in memory."""
    with subprocess.Popen(["zstd", "-q", "-f", "-1", "-o", str(bundle)], stdin=subprocess.PIPE) as zstd:
        zstd.stdin.write(header)
        chunk = bytes(MIB)
        for _ in range(zeros // MIB):
            zstd.stdin.write(chunk)
        zstd.stdin.write(trailer)
        zstd.stdin.close()
        assert zstd.wait() == 0
    return bundle


def test_a_400_mib_file_is_refused_from_its_header(cli, tmp_path):
    manifest = tarfile.TarInfo("manifest.json")
    manifest.size = len(MANIFEST)
    header = manifest.tobuf(tarfile.GNU_FORMAT) + MANIFEST.encode().ljust(512, b"\0")
    big = tarfile.TarInfo("zeros.bin")
    big.size = 400 * MIB
    bundle = stream_bomb(tmp_path / "bomb.tar.zst", header + big.tobuf(tarfile.GNU_FORMAT), 400 * MIB, bytes(1024))
    assert bundle.stat().st_size < MIB
    started = time.monotonic()
    assert structure_code(cli, bundle, tmp_path) == "ARCHIVE_TOO_LARGE"
    assert time.monotonic() - started < 5


def test_a_zstd_bomb_stops_at_the_expansion_cap(cli, tmp_path):
    # A valid little archive followed by 400 MiB of zeros: tar allows zero padding after the end
    # marker, so only the cap on decompressed bytes stops it.
    manifest = tarfile.TarInfo("manifest.json")
    manifest.size = len(MANIFEST)
    header = manifest.tobuf(tarfile.GNU_FORMAT) + MANIFEST.encode().ljust(512, b"\0")
    bundle = stream_bomb(tmp_path / "bomb.tar.zst", header, 400 * MIB, b"")
    assert bundle.stat().st_size < MIB
    started = time.monotonic()
    assert structure_code(cli, bundle, tmp_path) == "BUNDLE_TOO_LARGE_EXPANDED"
    assert time.monotonic() - started < 15


def test_truncated_and_padded_bundles_are_refused(cli, work):
    data = (work / "bundle.tar.zst").read_bytes()
    (work / "truncated.tar.zst").write_bytes(data[: len(data) // 2])
    assert structure_code(cli, "truncated.tar.zst", work) == "ZSTD_TRUNCATED"
    (work / "short.tar.zst").write_bytes(data[:-1])
    assert structure_code(cli, "short.tar.zst", work) == "ZSTD_TRUNCATED"
    (work / "garbage.tar.zst").write_bytes(data + b"garbage")
    assert structure_code(cli, "garbage.tar.zst", work) == "ZSTD_TRAILING_DATA"
    (work / "two-frames.tar.zst").write_bytes(data + data)
    assert structure_code(cli, "two-frames.tar.zst", work) == "ZSTD_TRAILING_DATA"


# ----------------------------------------------------------------------------------------------
# The openssl CLI, both ways, for each algorithm


@pytest.mark.parametrize("algorithm", OPENSSL)
def test_openssl_signatures_verify_in_exthost(cli, work, algorithm):
    commands = OPENSSL[algorithm]
    cli.sh("\n".join([commands["key"], GUIDE["openssl_cert"], GUIDE["message"], commands["sign"],
                      f"algorithm={algorithm}", GUIDE["write_sig"]]), cwd=work)
    assert (work / "message.txt").read_bytes() == sha256(work / "bundle.tar.zst").encode()
    assert len((work / "message.txt").read_bytes()) == 71

    verified = cli.sh(GUIDE["verify_pinned"], cwd=work).stdout
    assert f"signature  ok: CN=acme, {algorithm}, trusted by cert.pem" in verified

    # The same signature over other bytes does not verify.
    (work / "my-extension" / "ui" / "index.html").write_text("<p>changed</p>\n")
    cli.run("pack", "my-extension", "-o", "changed.tar.zst", cwd=work)
    report = cli.verify_json("changed.tar.zst", "--signature", "bundle.tar.zst.sig", "--trust-bundle", "cert.pem",
                             cwd=work, expect=1)
    assert signature_error(report) == "SIGNATURE_INVALID"


@pytest.mark.parametrize("algorithm", OPENSSL)
def test_exthost_signatures_verify_with_openssl(cli, work, algorithm):
    commands = OPENSSL[algorithm]
    cli.sh("\n".join([commands["key"], GUIDE["openssl_cert"], GUIDE["message"]]), cwd=work)
    cli.sh(commands["exthost_sign"], cwd=work)
    assert json.loads((work / "bundle.tar.zst.sig").read_text())["algorithm"] == algorithm
    cli.sh(GUIDE["read_sig"], cwd=work)
    checked = cli.sh(commands["check"], cwd=work).stdout
    assert checked.strip() in ("Verified OK", "Signature Verified Successfully")

    # The check can fail: one flipped bit and openssl refuses it.
    signature = bytearray((work / "signature.bin").read_bytes())
    signature[len(signature) // 2] ^= 0x01
    (work / "signature.bin").write_bytes(bytes(signature))
    assert cli.sh(commands["check"], cwd=work, expect=None).returncode != 0


# ----------------------------------------------------------------------------------------------
# Refusals of `exthost verify`


def test_a_tampered_bundle_is_refused(cli, keys, work):
    cli.run("sign", "bundle.tar.zst", "--key", keys / "ed25519" / "key.pem", "--cert", keys / "ed25519" / "cert.pem",
            cwd=work)
    trust = keys / "ca" / "ca.cert.pem"
    cli.verify_json("bundle.tar.zst", "--trust-bundle", trust, cwd=work, expect=0)
    data = bytearray((work / "bundle.tar.zst").read_bytes())
    for offset in (len(data) // 2, len(data) - 1):
        tampered = bytearray(data)
        tampered[offset] ^= 0x20
        (work / "bundle.tar.zst").write_bytes(bytes(tampered))
        report = cli.verify_json("bundle.tar.zst", "--trust-bundle", trust, cwd=work, expect=1)
        code = report["structure"]["code"] if "structure" in report else signature_error(report)
        assert code in ("SIGNATURE_INVALID", "ZSTD_CORRUPT"), report


def test_a_certificate_for_another_publisher_is_refused(cli, work):
    commands = OPENSSL["ed25519"]
    cli.sh("\n".join([commands["key"], GUIDE["openssl_cert"].replace("/CN=acme", "/CN=mallory"), GUIDE["message"],
                      commands["sign"], "algorithm=ed25519", GUIDE["write_sig"]]), cwd=work)
    for trust in ([], ["--trust-bundle", "cert.pem"]):
        report = cli.verify_json("bundle.tar.zst", *trust, cwd=work, expect=1)
        assert signature_error(report) == "SIGNER_MISMATCH"
        assert '"mallory"' in report["signature"]["error"]["message"]
    refused = cli.run("sign", "bundle.tar.zst", "--key", "key.pem", "--cert", "cert.pem", cwd=work, expect=None)
    assert refused.returncode != 0
    assert "SIGNER_MISMATCH" in refused.stdout + refused.stderr


def test_a_certificate_from_another_ca_is_untrusted(cli, keys, work):
    cli.run("sign", "bundle.tar.zst", "--key", keys / "foreign" / "key.pem", "--cert", keys / "foreign" / "cert.pem",
            cwd=work)
    report = cli.verify_json("bundle.tar.zst", "--trust-bundle", keys / "ca" / "ca.cert.pem", cwd=work, expect=1)
    assert signature_error(report) == "SIGNER_UNTRUSTED"
    trusted = cli.verify_json("bundle.tar.zst", "--trust-bundle", keys / "other-ca" / "ca.cert.pem", cwd=work, expect=0)
    assert trusted["signature"]["trusted"] is True


def test_a_trust_bundle_requires_a_signature(cli, keys, work):
    report = cli.verify_json("bundle.tar.zst", "--trust-bundle", keys / "ca" / "ca.cert.pem", cwd=work, expect=1)
    assert signature_error(report) == "SIGNATURE_REQUIRED"
    assert cli.verify_json("bundle.tar.zst", cwd=work, expect=0)["signature"] == {"checked": True, "signed": False}


def test_signing_trust_bundle_is_read_from_the_environment(cli, keys, work):
    env = {"SIGNING_TRUST_BUNDLE": str(keys / "ca" / "ca.cert.pem")}
    assert signature_error(cli.verify_json("bundle.tar.zst", cwd=work, expect=1, env=env)) == "SIGNATURE_REQUIRED"
    cli.run("sign", "bundle.tar.zst", "--key", keys / "ecdsa-p256" / "key.pem", "--cert",
            keys / "ecdsa-p256" / "cert.pem", cwd=work)
    assert cli.verify_json("bundle.tar.zst", cwd=work, expect=0, env=env)["signature"]["trusted"] is True
    other = {"SIGNING_TRUST_BUNDLE": str(keys / "other-ca" / "ca.cert.pem")}
    assert signature_error(cli.verify_json("bundle.tar.zst", cwd=work, expect=1, env=other)) == "SIGNER_UNTRUSTED"
    # --trust-bundle wins over the environment.
    cli.verify_json("bundle.tar.zst", "--trust-bundle", keys / "ca" / "ca.cert.pem", cwd=work, expect=0, env=other)


def test_a_malformed_signature_file_is_refused(cli, keys, work):
    cli.run("sign", "bundle.tar.zst", "--key", keys / "ed25519" / "key.pem", "--cert", keys / "ed25519" / "cert.pem",
            cwd=work)
    signature = json.loads((work / "bundle.tar.zst.sig").read_text())
    cases = {
        "SIGNATURE_MALFORMED": dict(signature, signature=signature["signature"] + "\n"),
        "SIGNATURE_ALGORITHM_UNSUPPORTED": dict(signature, algorithm="ecdsa"),
        "SIGNATURE_ALGORITHM_MISMATCH": dict(signature, algorithm="ecdsa-p256-sha256"),
        "CERTIFICATE_INVALID": dict(signature, certificate="-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
    }
    for code, document in cases.items():
        (work / "bundle.tar.zst.sig").write_text(json.dumps(document))
        report = cli.verify_json("bundle.tar.zst", cwd=work, expect=1)
        assert report["ok"] is False and report["signature"]["error"]["code"] == code, report
    (work / "bundle.tar.zst.sig").write_text(json.dumps(signature) + " {}")
    assert cli.verify_json("bundle.tar.zst", cwd=work, expect=1)["signature"]["error"]["code"] == "SIGNATURE_MALFORMED"


def test_a_manifest_problem_is_reported_before_the_signature(cli, keys, tmp_path):
    source = lay_out(cli, tmp_path)
    (source / "manifest.json").write_text(MANIFEST.replace('"1.0.0"', '"1.0"'))
    cli.sh("tar --zstd -cf tar-bundle.tar.zst -C my-extension .", cwd=tmp_path)
    report = cli.verify_json("tar-bundle.tar.zst", "--trust-bundle", keys / "ca" / "ca.cert.pem", cwd=tmp_path, expect=1)
    assert [issue["path"] for issue in report["manifestIssues"]] == ["version"]
    assert report["signature"] == {"checked": False}
    human = cli.run("verify", "tar-bundle.tar.zst", cwd=tmp_path, expect=1).stdout
    assert "manifest   FAILED: 1 issue(s)" in human


# ----------------------------------------------------------------------------------------------
# The guide shows what these tests run


def guide_commands(text):
    """Each command line of the ```sh blocks of the guide (continuations joined, comments dropped)."""
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```$", text, re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            line = " ".join(line.split())
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def commands_the_tests_run():
    scripts = list(GUIDE.values()) + [command for commands in OPENSSL.values() for command in commands.values()]
    scripts += [f"algorithm={name}" for name in OPENSSL]
    return set(guide_commands("```sh\n" + "\n".join(scripts) + "\n```\n"))


def test_the_guide_shows_exactly_the_tested_commands():
    assert GUIDE_PATH.is_file(), f"{GUIDE_PATH} is missing"
    text = GUIDE_PATH.read_text()
    shown = guide_commands(text)
    tested = commands_the_tests_run()
    untested = [command for command in shown if command not in tested]
    assert untested == [], "the guide shows commands no test runs"
    unshown = sorted(tested - set(shown))
    assert unshown == [], "the guide lacks commands the tests run for it"
    assert "```json\n" + MANIFEST + "```" in text, "the guide's manifest is not the tested one"
