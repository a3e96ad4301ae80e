"""Logs and metrics stay honest and hold no secrets (docs/security.md, "Log injection" and
"Secret exposure in logs, metrics and errors").

Each test runs a real flow through nginx, then reads what the stack's processes wrote to their
logs (`EXTHOST_LOG_DIR`) and what `/metrics` and `/runner/metrics` show.
"""
import http.client
import json
import pathlib
import ssl
import urllib.parse
import uuid

import pytest
import requests

from apihelpers import cli, create_key
from bundlefactory import unique_publisher
from test_execute import host_call_extension

SERVICE_LOGS = ("exthost-api.log", "exthost-runner.log", "cachefill.log")


def log_dir(stack):
    return pathlib.Path(stack["EXTHOST_LOG_DIR"])


def log_offsets(stack):
    """Where each log ends now, so a test reads only what it caused."""
    return {path.name: path.stat().st_size for path in log_dir(stack).glob("*.log")}


def written_since(stack, offsets, name):
    path = log_dir(stack) / name
    with open(path, "rb") as log:
        log.seek(offsets.get(name, 0))
        return log.read()


def raw_get(stack, base_url, path):
    """GET with the request line exactly as given (quotes and backslashes unescaped)."""
    url = urllib.parse.urlsplit(base_url)
    context = ssl.create_default_context(cafile=stack["EXTHOST_CA"])
    connection = http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_request_lines_cannot_forge_log_fields_or_lines(stack, base_url):
    offsets = log_offsets(stack)
    marker = uuid.uuid4().hex
    paths = [
        # Raw quotes and a backslash: only JSON escaping keeps them inside the path field.
        '/api/extensions/x","level":"critical","msg":"forged-' + marker + '\\',
        # Encoded CR/LF and a whole forged object: the log keeps the encoded form.
        "/api/x%0d%0a%7B%22msg%22%3A%22forged-" + marker + "%22%7D",
    ]
    for path in paths:
        assert 400 <= raw_get(stack, base_url, path) < 500
    text = written_since(stack, offsets, "exthost-api.log").decode("utf-8", errors="strict")
    # "=== … start" lines are scripts/stack's own markers, written when it starts a worker.
    lines = [line for line in text.splitlines() if line and not line.startswith("=== ")]
    entries = [json.loads(line) for line in lines]  # every line is one whole JSON object
    mentioning = [entry for entry in entries if marker in json.dumps(entry)]
    assert len(mentioning) == len(paths), f"each request is one line: {lines}"
    for entry in mentioning:
        assert entry["msg"] == "request" and entry["level"] == "info", entry
        assert entry["service"] == "exthost-api" and marker in entry["path"], entry
    assert any('"level":"critical"' in entry["path"] for entry in mentioning), "the raw quotes did not reach the log"


@pytest.fixture(scope="module")
def secret_flow(stack, base_url, tmp_path_factory):
    """A tenant that publishes the host-call guest, stores a secret and reads it back through
    `secrets.get`; also a request with a well-formed but unknown key. Returns what must never
    be written anywhere, with the log offsets from before the flow."""
    offsets = log_offsets(stack)
    tenant = str(uuid.uuid4())
    admin = create_key(stack, tenant, "admin")
    publisher = unique_publisher("sec")
    directory = host_call_extension(tmp_path_factory.mktemp("seclogs") / "seclogs", "seclogs", publisher,
                                    ["cap:secrets.get"])
    published = cli({**stack, "EXTHOST_API_KEY": admin}, "publish", str(directory), "--install",
                     "--grant", "cap:secrets.get", "--json", check=False)
    assert published.returncode == 0, published.stdout + published.stderr
    install_id = json.loads(published.stdout)["install"]["id"]
    secret = "secret-value-" + uuid.uuid4().hex
    session = requests.Session()
    session.trust_env = False
    session.verify = stack["EXTHOST_CA"]
    auth = {"Authorization": "Bearer " + admin}
    stored = session.put(f"{base_url}/api/installs/{install_id}/secrets", json={"apiToken": secret}, headers=auth)
    assert stored.status_code == 200, stored.text
    answer = session.post(f"{base_url}/api/ext/{publisher}.seclogs/call", headers=auth,
                          data=json.dumps({"op": "secrets.get", "name": "apiToken"}))
    assert answer.status_code == 200 and json.loads(answer.content) == {"ok": secret}, answer.text
    unknown = admin[:-8] + ("0" * 8 if not admin.endswith("0" * 8) else "1" * 8)
    refused = session.get(f"{base_url}/api/installs", headers={"Authorization": "Bearer " + unknown})
    assert refused.status_code == 401, refused.text
    metrics = session.get(f"{base_url}/metrics").text + session.get(f"{base_url}/runner/metrics").text
    session.close()
    never = {"the admin key": admin, "the refused key": unknown, "the install secret": secret,
             "EXTHOST_SECRETS_KEY": stack["EXTHOST_SECRETS_KEY"], "EXTHOST_UPLOAD_SIGNING_KEY": stack["EXTHOST_UPLOAD_SIGNING_KEY"]}
    return {"offsets": offsets, "never": never, "metrics": metrics}


def test_keys_and_secrets_never_reach_a_log(stack, secret_flow):
    checked = 0
    for name in (*SERVICE_LOGS, "nginx-access.log", "nginx-error.log"):
        if not (log_dir(stack) / name).exists():
            continue
        text = written_since(stack, secret_flow["offsets"], name).decode("utf-8", errors="replace")
        checked += len(text)
        for what, value in secret_flow["never"].items():
            assert value not in text, f"{what} is in {name}"
    # The flow itself was logged (publish, secrets PUT, execution), so the search had something to read.
    assert checked > 0 and "secrets" in written_since(stack, secret_flow["offsets"], "nginx-access.log").decode()


def test_keys_and_secrets_never_reach_the_metrics(secret_flow):
    assert "exthost_http_requests_total" in secret_flow["metrics"] or "exthost_" in secret_flow["metrics"]
    for what, value in secret_flow["never"].items():
        assert value not in secret_flow["metrics"], f"{what} is in the metrics"
