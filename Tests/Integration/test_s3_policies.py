"""The S3 policies of docs/policies/, enforced by the SigV4-checking moto ("moto-auth").

Each test makes an IAM user in moto-auth whose only policy is one of the shipped files (bucket
name substituted) and sends real requests with `exthost store`, i.e. through the product's own
S3 client and SigV4 signer. moto evaluates the Action and Resource of identity policies and the
Principal "*" statements of bucket policies; it ignores condition operators other than
StringEquals and answers every signed listing with SignatureDoesNotMatch, so what rests on a
condition or on ListBucket is verified by reading only (docs/security.md, "S3 least privilege").
"""
import json
import os
import pathlib
import re
import subprocess
import uuid

import boto3
import botocore.exceptions
import pytest

from apihelpers import ROOT, cli, create_key, workers_with
from bundlefactory import manifest, unique_publisher, write_extension

POLICIES = ROOT / "docs" / "policies"
SHIPPED_BUCKET = "example-exthost-bundles"
WRITTEN = {}


def _policy(name, bucket):
    return (POLICIES / name).read_text().replace(SHIPPED_BUCKET, bucket)


@pytest.fixture(scope="module")
def moto_auth(stack):
    for key in ("STORAGE_S3_AUTH_ENDPOINT", "STORAGE_S3_AUTH_ACCESS_KEY", "STORAGE_S3_AUTH_SECRET_KEY"):
        assert stack.get(key), f"scripts/stack env did not print {key}: the stack has no moto-auth"
    admin = dict(endpoint_url=stack["STORAGE_S3_AUTH_ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id=stack["STORAGE_S3_AUTH_ACCESS_KEY"],
                 aws_secret_access_key=stack["STORAGE_S3_AUTH_SECRET_KEY"])
    return {"iam": boto3.client("iam", **admin), "s3": boto3.client("s3", **admin), "endpoint": admin["endpoint_url"],
            "admin": (admin["aws_access_key_id"], admin["aws_secret_access_key"])}


@pytest.fixture(scope="module")
def bucket(moto_auth):
    """A bucket of its own, so a bucket policy here cannot disturb other tests of the stack."""
    name = "exthost-policies-" + uuid.uuid4().hex[:12]
    moto_auth["s3"].create_bucket(Bucket=name)
    yield name
    # moto-auth refuses signed listings, so the objects are removed by the keys the tests wrote.
    for key in WRITTEN.pop(name, set()):
        moto_auth["s3"].delete_object(Bucket=name, Key=key)
    try:
        moto_auth["s3"].delete_bucket(Bucket=name)
    except botocore.exceptions.ClientError as error:
        # A test that failed half-way may leave an object; moto forgets it with the stack.
        assert error.response["Error"]["Code"] == "BucketNotEmpty", error


class Identity:
    """One IAM user of moto-auth with one shipped policy, used through `exthost store`."""

    def __init__(self, stack, moto_auth, bucket, credentials):
        self.stack, self.moto_auth, self.bucket = stack, moto_auth, bucket
        self.key_id, self.secret = credentials

    def store(self, *args):
        env = dict(os.environ)
        env.update(self.stack)
        env.update(STORAGE_S3_ENDPOINT=self.moto_auth["endpoint"], STORAGE_S3_BUCKET=self.bucket,
                   STORAGE_S3_REGION="us-east-1", STORAGE_S3_FORCE_PATH_STYLE="true",
                   STORAGE_S3_ACCESS_KEY=self.key_id, STORAGE_S3_SECRET_KEY=self.secret)
        env.pop("STORAGE_S3_SESSION_TOKEN", None)
        return subprocess.run([os.path.join(self.stack["EXTHOST_BIN_DIR"], "exthost"), "store", *args],
                              env=env, capture_output=True, text=True)

    def allowed(self, *args):
        result = self.store(*args)
        assert result.returncode == 0, f"exthost store {' '.join(args)} was refused: {result.stderr}"
        if args[0] == "put":
            WRITTEN.setdefault(self.bucket, set()).add(args[1])
        return result

    def denied(self, *args, answer="AccessDenied (HTTP 403)"):
        """Refused by a policy: AccessDenied, not a signature or connection problem. moto answers a
        bucket-policy refusal with a bare 403 (no error document), hence `answer`."""
        result = self.store(*args)
        assert result.returncode != 0, f"exthost store {' '.join(args)} succeeded but the policy should deny it"
        assert answer in result.stderr, result.stderr
        return result


@pytest.fixture(scope="module")
def identities(stack, moto_auth, bucket):
    iam = moto_auth["iam"]
    made = {}
    suffix = uuid.uuid4().hex[:8]
    for role in ("exthost-api", "exthost-cachefill", "exthost-gc"):
        user = f"{role}-{suffix}"
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName=role, PolicyDocument=_policy(f"{role}.json", bucket))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        made[role] = (user, key["AccessKeyId"], Identity(stack, moto_auth, bucket, (key["AccessKeyId"], key["SecretAccessKey"])))
    made["admin"] = (None, None, Identity(stack, moto_auth, bucket, moto_auth["admin"]))
    yield {role: identity for role, (_, _, identity) in made.items()}
    for role, (user, key_id, _) in made.items():
        if user is None:
            continue
        iam.delete_access_key(UserName=user, AccessKeyId=key_id)
        iam.delete_user_policy(UserName=user, PolicyName=role)
        iam.delete_user(UserName=user)


@pytest.fixture()
def body(tmp_path):
    path = tmp_path / "bundle.tar.zst"
    path.write_bytes(os.urandom(4096))
    return str(path)


def _keys():
    hex_digest = uuid.uuid4().hex * 2
    return f"staging/{uuid.uuid4()}/bundle.tar.zst", f"sha256/{hex_digest}/bundle.tar.zst"


def test_cachefill_credentials_read_canonical_objects_but_cannot_write_or_delete(identities, body, tmp_path):
    admin, cachefill = identities["admin"], identities["exthost-cachefill"]
    staging, canonical = _keys()
    admin.allowed("put", canonical, body)
    admin.allowed("put", staging, body)

    cachefill.allowed("get", canonical, str(tmp_path / "copy"))
    assert (tmp_path / "copy").read_bytes() == pathlib.Path(body).read_bytes()
    cachefill.denied("put", canonical, body)
    cachefill.denied("put", f"sha256/{uuid.uuid4().hex * 2}/bundle.tar.zst", body)
    cachefill.denied("put", f"staging/{uuid.uuid4()}/bundle.tar.zst", body)
    cachefill.denied("rm", canonical)
    cachefill.denied("rm", staging)
    cachefill.denied("get", staging, str(tmp_path / "staged"))
    admin.allowed("head", canonical)
    admin.allowed("head", staging)


def test_api_credentials_write_staging_and_create_canonical_objects_but_cannot_delete_them(identities, body, tmp_path):
    admin, api = identities["admin"], identities["exthost-api"]
    staging, canonical = _keys()
    api.allowed("put", staging, body)
    api.allowed("get", staging, str(tmp_path / "staged"))
    api.allowed("put", canonical, body, "--once")
    api.allowed("get", canonical, str(tmp_path / "published"))
    assert (tmp_path / "published").read_bytes() == pathlib.Path(body).read_bytes()

    api.denied("rm", canonical)
    admin.allowed("head", canonical)
    api.allowed("rm", staging)
    assert "OBJECT_NOT_FOUND" in admin.store("head", staging).stderr
    # Nothing outside the two prefixes.
    api.denied("put", f"elsewhere/{uuid.uuid4()}", body)


def test_gc_credentials_collect_staging_and_orphans_but_cannot_write_or_read(identities, body, tmp_path):
    admin, gc = identities["admin"], identities["exthost-gc"]
    staging, canonical = _keys()
    admin.allowed("put", staging, body)
    admin.allowed("put", canonical, body)

    gc.denied("put", f"staging/{uuid.uuid4()}/bundle.tar.zst", body)
    gc.denied("put", f"sha256/{uuid.uuid4().hex * 2}/bundle.tar.zst", body)
    gc.denied("get", canonical, str(tmp_path / "read"))
    gc.allowed("rm", staging)
    gc.allowed("rm", canonical)
    assert "OBJECT_NOT_FOUND" in admin.store("head", canonical).stderr


def test_the_bucket_policy_stops_even_a_full_rights_identity_from_replacing_or_deleting_canonical_objects(
        moto_auth, identities, body):
    admin = identities["admin"]
    staging, canonical = _keys()
    admin.allowed("put", canonical, body)
    policy = json.loads(_policy("bucket-policy.json", admin.bucket))
    # moto serves plain http on loopback and ignores the Bool operator, so this statement
    # would deny everything there; on S3 it refuses only requests without TLS.
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "DenyInsecureTransport"]
    moto_auth["s3"].put_bucket_policy(Bucket=admin.bucket, Policy=json.dumps(policy))
    try:
        admin.denied("put", canonical, body, answer="(PutObject): HTTP 403")
        admin.denied("rm", canonical, answer="(DeleteObject): HTTP 403")
        admin.allowed("head", canonical)
        admin.allowed("put", staging, body)
        admin.allowed("rm", staging)
    finally:
        moto_auth["s3"].delete_bucket_policy(Bucket=admin.bucket)
    admin.allowed("rm", canonical)


def test_the_api_policy_is_enough_for_a_real_publish_through_the_upload_proxy(stack, moto_auth, identities, tmp_path):
    """exthost-api itself, restarted on moto-auth with only exthost-api.json, takes a proxied
    upload (multipart into staging/), finalizes it (reads staging, copies to sha256/ write-once,
    writes the manifest write-once, deletes staging) and registers it. Presigned PUTs are not
    tried: moto-auth answers presigned URLs with 500 (DESIGN §10)."""
    admin, api = identities["admin"], identities["exthost-api"]
    tenant_key = create_key(stack, str(uuid.uuid4()), "admin")
    publisher = unique_publisher("pol")
    directory = write_extension(tmp_path / publisher, manifest(publisher))
    with workers_with(stack, STORAGE_S3_ENDPOINT=moto_auth["endpoint"], STORAGE_S3_BUCKET=api.bucket,
                      STORAGE_S3_ACCESS_KEY=api.key_id, STORAGE_S3_SECRET_KEY=api.secret):
        result = cli({**stack, "EXTHOST_API_KEY": tenant_key}, "publish", str(directory), "--via-proxy", "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["strategy"] == "proxy" and report["created"], report
    hex_digest = report["contentHash"].removeprefix("sha256:")
    for name in ("bundle.tar.zst", "manifest.json"):
        key = f"sha256/{hex_digest}/{name}"
        admin.allowed("head", key)
        WRITTEN.setdefault(api.bucket, set()).add(key)
    assert "OBJECT_NOT_FOUND" in admin.store("head", f"staging/{report['uploadId']}/bundle.tar.zst").stderr


def _statements(name):
    return json.loads((POLICIES / name).read_text())["Statement"]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_the_policy_files_stay_least_privilege():
    bucket_arn = f"arn:aws:s3:::{SHIPPED_BUCKET}"
    allowed_resources = {bucket_arn, f"{bucket_arn}/staging/*", f"{bucket_arn}/sha256/*"}
    granted = {}
    for name in ("exthost-api.json", "exthost-cachefill.json", "exthost-gc.json"):
        for statement in _statements(name):
            assert statement["Effect"] == "Allow", (name, statement)
            for resource in _as_list(statement["Resource"]):
                assert resource in allowed_resources, f"{name}: {statement['Sid']} names {resource}"
                for action in _as_list(statement["Action"]):
                    assert "*" not in action, f"{name}: {statement['Sid']} grants the wildcard {action}"
                    granted.setdefault(name, set()).add((action, resource.removeprefix(bucket_arn)))
    canonical, staging = "/sha256/*", "/staging/*"
    assert granted["exthost-cachefill.json"] == {("s3:ListBucket", ""), ("s3:GetObject", canonical)}
    assert ("s3:DeleteObject", canonical) not in granted["exthost-api.json"]
    assert {("s3:PutObject", staging), ("s3:DeleteObject", staging), ("s3:PutObject", canonical)} <= granted["exthost-api.json"]
    create_only = [s for s in _statements("exthost-api.json") if s["Resource"] == f"{bucket_arn}/sha256/*" and "s3:PutObject" in _as_list(s["Action"])]
    assert create_only and all(s["Condition"] == {"Null": {"s3:if-none-match": "false"}} for s in create_only)
    assert not any(action.startswith(("s3:Put", "s3:Get")) for action, _ in granted["exthost-gc.json"])
    bucket_policy = {s["Sid"]: s for s in _statements("bucket-policy.json")}
    assert bucket_policy["DenyCanonicalOverwrite"]["Condition"] == {"Null": {"s3:if-none-match": "true"}}
    assert set(bucket_policy["DenyCanonicalDelete"]["Action"]) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert all(s["Effect"] == "Deny" for s in bucket_policy.values())


def _env_file_names(path):
    return {line.split("=", 1)[0].strip() for line in path.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#") and "=" in line}


def test_the_runner_gets_no_s3_credentials():
    unit = (ROOT / "systemd" / "exthost-runner.service").read_text()
    env_files = re.findall(r"^EnvironmentFile=(\S+)$", unit, re.MULTILINE)
    assert env_files == ["/etc/exthost/exthost.env", "/etc/exthost/runner.env"], env_files
    assert "STORAGE_S3" not in "".join(re.findall(r"^Environment=.*$", unit, re.MULTILINE))
    credentials = {"STORAGE_S3_ACCESS_KEY", "STORAGE_S3_SECRET_KEY", "STORAGE_S3_SESSION_TOKEN"}
    for name in ("exthost.env", "runner.env"):
        names = _env_file_names(ROOT / "systemd" / "env" / name)
        assert names and not names & credentials, f"systemd/env/{name} carries {names & credentials}"
    # The control: the files that should carry credentials are read the same way.
    for name in ("api.env", "cachefill.env"):
        assert {"STORAGE_S3_ACCESS_KEY", "STORAGE_S3_SECRET_KEY"} <= _env_file_names(ROOT / "systemd" / "env" / name)
