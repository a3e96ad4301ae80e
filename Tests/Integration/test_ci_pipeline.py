"""The CI example of docs/examples/ci (issue 12, item 4) against the local stack.

pipeline.sh builds, packs, signs, publishes, installs and smoke-calls a copy of examples/hello
under a publisher no other run uses, with a key from `exthost admin create-key` and signing
material from `exthost keygen`; the GitHub Actions and GitLab CI files must parse and run that
script with the secrets the README documents.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import uuid

import pytest
import yaml

from apihelpers import cli, create_key
from bundlefactory import unique_publisher

ROOT = pathlib.Path(__file__).resolve().parents[2]
CI = ROOT / "docs" / "examples" / "ci"
PIPELINE = CI / "pipeline.sh"
STAGES = ["==> build", "==> pack", "==> sign", "==> publish", "==> install", "==> smoke", "==> done"]
# What a CI system must provide as secrets; pipeline.sh reads each under the same name.
SECRETS = ["EXTHOST_URL", "EXTHOST_API_KEY", "EXTHOST_SIGN_KEY", "EXTHOST_SIGN_CERT", "EXTHOST_CA"]
GRANTS = "cap:context.read,cap:log.emit"


def clang():
    found = shutil.which("clang") or "/opt/swift/usr/bin/clang"
    if not os.access(found, os.X_OK):
        pytest.fail("no clang with the wasm32 target: put the Swift toolchain's clang on the PATH", pytrace=False)
    return found


@pytest.fixture(scope="module")
def author(stack, tmp_path_factory):
    """A copy of examples/hello under a fresh publisher, its signing material and an admin key."""
    root = tmp_path_factory.mktemp("ci")
    publisher = unique_publisher("ci")
    extension = root / "hello"
    shutil.copytree(ROOT / "examples" / "hello", extension)
    manifest = json.loads((extension / "manifest.json").read_text())
    manifest["publisher"] = publisher
    (extension / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    # What a repository holds besides the extension; none of it may reach the bundle.
    (extension / ".git").mkdir()
    (extension / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (extension / "ci").mkdir()
    shutil.copy(PIPELINE, extension / "ci" / "pipeline.sh")
    cli(stack, "keygen", "--publisher", publisher, "--out", str(root / "keys"))
    tenant = str(uuid.uuid4())
    return {"root": root, "extension": extension, "publisher": publisher, "keys": root / "keys",
            "admin": create_key(stack, tenant, "admin"), "member": create_key(stack, tenant, "member")}


def run_pipeline(stack, author, tmp_path, *args, expect=0, **overrides):
    """Runs pipeline.sh as a CI job would: settings in the environment, the key PEM as text."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EXTHOST_")}
    env.update({
        "EXTHOST_URL": stack["EXTHOST_URL"],
        "EXTHOST_CA": stack["EXTHOST_CA"],
        "EXTHOST_API_KEY": author["admin"],
        "EXTHOST_SIGN_KEY": (author["keys"] / "key.pem").read_text(),
        "EXTHOST_SIGN_CERT": str(author["keys"] / "cert.pem"),
        "EXTHOST_CLI": os.path.join(stack["EXTHOST_BIN_DIR"], "exthost"),
        "EXTHOST_GRANTS": GRANTS,
        "EXTHOST_WORK_DIR": str(tmp_path / "out"),
        "CLANG": clang(),
        "EXTHOST_SDK": str(ROOT / "sdk"),
        "TMPDIR": str(tmp_path / "tmp"),
    })
    env.update(overrides)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    result = subprocess.run(["bash", str(PIPELINE), *args], env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == expect, f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert author["admin"] not in output and author["member"] not in output, "the API key was printed"
    assert list((tmp_path / "tmp").iterdir()) == [], "the private directory of signing material was left behind"
    return result


def stage_lines(stdout):
    return [line for line in stdout.splitlines() if line.startswith("==> ")]


def test_the_pipeline_publishes_installs_and_smoke_calls(stack, http, base_url, author, tmp_path):
    extension_id = f"{author['publisher']}.hello"
    result = run_pipeline(stack, author, tmp_path, str(author["extension"]), "/hello/ci")
    out = result.stdout
    assert [line.split(":")[0] for line in stage_lines(out)] == STAGES, out
    assert "dist/main.wasm:" in out  # build.sh ran
    assert f"{extension_id} 1.0.0, 6 entries" in out  # manifest, dist/, ui/ and nothing else
    assert "ed25519 over sha256:" in out and f"by CN={author['publisher']}" in out
    assert re.search(rf"^published {re.escape(extension_id)} 1\.0\.0 \(sha256:[0-9a-f]{{64}}\)$", out, re.M), out
    assert re.search(rf"^installed {re.escape(extension_id)} 1\.0\.0 for the key's tenant: install [0-9a-f-]{{36}}, "
                     r"granted: cap:context\.read, cap:log\.emit$", out, re.M), out
    assert 'GET /hello/ci -> 200 {"message":"Hello, ci!"}' in out
    assert out.rstrip().endswith(f"==> done: {extension_id} 1.0.0 is published, installed and answering")

    inspected = cli(stack, "inspect", str(tmp_path / "out" / "bundle.tar.zst"), "--json").stdout
    paths = [entry["path"] for entry in json.loads(inspected)["entries"]]
    assert paths == ["dist", "dist/main.wasm", "manifest.json", "ui", "ui/index.html", "ui/style.css"]

    # Not just the script's word: the endpoint answers through nginx with the tenant's key.
    response = http.get(f"{base_url}/api/ext/{extension_id}/hello/ada",
                        headers={"Authorization": "Bearer " + author["admin"]})
    assert response.status_code == 200 and response.json() == {"message": "Hello, ada!"}

    # The same version again: publish is idempotent, the install stays, the smoke call passes.
    again = run_pipeline(stack, author, tmp_path, str(author["extension"]), "/hello/again").stdout
    assert [line.split(":")[0] for line in stage_lines(again)] == STAGES, again
    assert f"already published: {extension_id} 1.0.0 with this exact content, nothing changed" in again
    assert "finalized" in again and "already published with this content" in again
    assert 'GET /hello/again -> 200 {"message":"Hello, again!"}' in again


def test_a_wrong_api_key_fails_at_publish(stack, author, tmp_path):
    result = run_pipeline(stack, author, tmp_path, str(author["extension"]), "/hello/ci", expect=1,
                          EXTHOST_API_KEY="not-a-key-" + uuid.uuid4().hex)
    assert stage_lines(result.stdout)[-1] == "==> publish"
    assert f"pipeline: FAILED at publish: the server refused {author['publisher']}.hello: INVALID_API_KEY" in result.stderr
    assert "hint: check --key (or EXTHOST_API_KEY)" in result.stderr


def test_a_member_key_fails_at_publish(stack, author, tmp_path):
    result = run_pipeline(stack, author, tmp_path, str(author["extension"]), expect=1, EXTHOST_API_KEY=author["member"])
    assert "pipeline: FAILED at publish: " in result.stderr and ": FORBIDDEN" in result.stderr


def test_a_certificate_of_another_publisher_fails_at_sign(stack, author, tmp_path):
    cli(stack, "keygen", "--publisher", "someone-else", "--out", str(tmp_path / "other"))
    result = run_pipeline(stack, author, tmp_path, str(author["extension"]), expect=1,
                          EXTHOST_SIGN_KEY=(tmp_path / "other" / "key.pem").read_text(),
                          EXTHOST_SIGN_CERT=(tmp_path / "other" / "cert.pem").read_text())
    assert stage_lines(result.stdout)[-1] == "==> sign"
    assert "SIGNER_MISMATCH" in result.stderr
    assert "pipeline: FAILED at sign: exthost sign failed" in result.stderr


def test_a_failing_smoke_call_fails_the_pipeline(stack, author, tmp_path):
    result = run_pipeline(stack, author, tmp_path, str(author["extension"]), "/no/such/endpoint", expect=1)
    assert stage_lines(result.stdout)[-1] == "==> smoke"
    assert re.search(r"pipeline: FAILED at smoke: GET \S+/api/ext/\S+/no/such/endpoint answered 404, expected 200: "
                     r".*ENDPOINT_NOT_FOUND", result.stderr), result.stderr


def test_missing_settings_fail_before_any_stage(stack, author, tmp_path):
    for missing, message in [("EXTHOST_URL", "EXTHOST_URL is not set"), ("EXTHOST_API_KEY", "EXTHOST_API_KEY is not set"),
                             ("EXTHOST_SIGN_KEY", "EXTHOST_SIGN_KEY is not set")]:
        result = run_pipeline(stack, author, tmp_path, str(author["extension"]), expect=1, **{missing: ""})
        assert stage_lines(result.stdout) == []
        assert f"pipeline: FAILED at setup: {message}" in result.stderr
    result = run_pipeline(stack, author, tmp_path, str(tmp_path), expect=1)
    assert "manifest.json not found" in result.stderr


# ---------------------------------------------------------------- the CI system files

def test_the_github_actions_workflow_runs_the_pipeline_with_the_documented_secrets():
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    assert workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    steps = workflow["jobs"]["publish"]["steps"]
    runs = [step for step in steps if "pipeline.sh" in step.get("run", "")]
    assert len(runs) == 1, steps
    env = runs[0]["env"]
    for secret in SECRETS:
        assert env[secret] == "${{ secrets.%s }}" % secret
    assert any("exthost" in step.get("run", "") and "EXTHOST_CLI" in step["run"] for step in steps)


def test_the_gitlab_job_runs_the_pipeline_with_the_documented_variables():
    text = (CI / "gitlab-ci.yml").read_text()
    config = yaml.safe_load(text)
    job = config["publish-extension"]
    assert job["stage"] in config["stages"]
    assert any("pipeline.sh" in line for line in job["script"])
    for secret in SECRETS:
        # GitLab hands CI/CD variables to the job's environment: the file names each one it expects.
        assert re.search(rf"^#\s+{secret}\s", text, re.M), f"{secret} is not documented in gitlab-ci.yml"


def test_the_readme_documents_every_secret_the_pipeline_reads():
    readme = (CI / "README.md").read_text()
    script = PIPELINE.read_text()
    for secret in SECRETS:
        assert f"`{secret}`" in readme, f"README.md does not document {secret}"
        assert secret in script
    assert "pipeline.sh" in readme and "github-actions.yml" in readme and "gitlab-ci.yml" in readme
