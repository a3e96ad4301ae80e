"""EXTHOST_SECRETS_KEY rotation (issue 13 item 4): the workers open secrets with the current key or a
key of EXTHOST_SECRETS_KEY_PREVIOUS, `exthost admin rotate-secrets` re-seals them under the current key,
and afterwards the old key alone fails closed."""
import json
import secrets as random_secrets
import uuid

import pytest
import requests

from apihelpers import cli, create_key, psql, workers_with
from bundlefactory import unique_publisher
from test_execute import host_call_extension

SECRET = "sealed-under-the-first-key"


def session(stack):
    http = requests.Session()
    http.trust_env = False
    http.verify = stack["EXTHOST_CA"]
    return http


def sealed_rows(stack):
    """Every stored secret's ciphertext fingerprint, to prove what changed and what did not."""
    return psql(stack, "SELECT install_id, name, md5(nonce || ciphertext || tag) FROM install_secrets ORDER BY 1, 2")


@pytest.fixture(scope="module")
def guest(stack, base_url, tmp_path_factory):
    """The host-call guest with secrets.get granted and one secret, sealed under the stack's key (A)."""
    tenant = str(uuid.uuid4())
    admin = create_key(stack, tenant, "admin")
    publisher = unique_publisher("rot")
    directory = host_call_extension(tmp_path_factory.mktemp("rotation") / "rotation", "rotation", publisher, ["cap:secrets.get"])
    result = cli({**stack, "EXTHOST_API_KEY": admin}, "publish", str(directory), "--install", "--grant", "cap:secrets.get",
                 "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    install_id = json.loads(result.stdout)["install"]["id"]
    with session(stack) as http:
        stored = http.put(f"{base_url}/api/installs/{install_id}/secrets", json={"apiToken": SECRET},
                          headers={"Authorization": "Bearer " + admin})
        assert stored.status_code == 200, stored.text
    return {"admin": admin, "install": install_id, "path": f"{publisher}.rotation/call"}


def secrets_get(stack, base_url, guest):
    with session(stack) as http:
        response = http.post(f"{base_url}/api/ext/{guest['path']}", data=json.dumps({"op": "secrets.get", "name": "apiToken"}),
                             headers={"Authorization": "Bearer " + guest["admin"]})
    assert response.status_code == 200, response.text
    return json.loads(response.content)


def rotate(stack, current, previous=None, *args):
    env = {**stack, "EXTHOST_SECRETS_KEY": current, "EXTHOST_SECRETS_KEY_PREVIOUS": previous or ""}
    return cli(env, "admin", "rotate-secrets", *args, check=False)


def test_rotation_keeps_secrets_readable_and_retires_the_old_key(stack, base_url, guest):
    key_a, key_b = stack["EXTHOST_SECRETS_KEY"], random_secrets.token_hex(32)
    assert secrets_get(stack, base_url, guest) == {"ok": SECRET}

    # Step 1: the workers get the new key as current and the old one as previous.
    with workers_with(stack, EXTHOST_SECRETS_KEY=key_b, EXTHOST_SECRETS_KEY_PREVIOUS=key_a):
        assert secrets_get(stack, base_url, guest) == {"ok": SECRET}

        # Step 2: count, re-encrypt in small batches, and count again.
        before = sealed_rows(stack)
        dry = rotate(stack, key_b, key_a, "--dry-run")
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert " to re-encrypt" in dry.stdout and "(dry run)" in dry.stdout and " 0 to re-encrypt" not in dry.stdout
        assert sealed_rows(stack) == before, "a dry run changed stored secrets"
        done = rotate(stack, key_b, key_a, "--batch-size", "1")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "re-encrypted" in done.stdout and "0 unreadable" in done.stdout
        assert done.stderr.count("scanned ") >= 1, done.stderr
        assert key_a not in done.stdout + done.stderr and key_b not in done.stdout + done.stderr
        again = rotate(stack, key_b, key_a, "--dry-run")
        assert " 0 to re-encrypt" in again.stdout, again.stdout
        assert secrets_get(stack, base_url, guest) == {"ok": SECRET}

    # Step 3: the old key is no longer needed...
    with workers_with(stack, EXTHOST_SECRETS_KEY=key_b):
        assert secrets_get(stack, base_url, guest) == {"ok": SECRET}
    # ...and no longer enough: the worker with only the old key fails closed.
    with workers_with(stack, EXTHOST_SECRETS_KEY=key_a):
        answer = secrets_get(stack, base_url, guest)
        assert answer["error"]["code"] == "unavailable", answer
        assert SECRET not in json.dumps(answer)

    # Rotate back so the stack's own key opens everything again for the other tests.
    back = rotate(stack, key_a, key_b)
    assert back.returncode == 0, back.stdout + back.stderr
    assert secrets_get(stack, base_url, guest) == {"ok": SECRET}


def test_secrets_no_key_opens_fail_the_rotation_and_stay_untouched(stack, base_url, guest):
    before = sealed_rows(stack)
    result = rotate(stack, random_secrets.token_hex(32), random_secrets.token_hex(32))
    assert result.returncode == 1
    assert "unreadable: tenant " in result.stderr and f"install {guest['install']} secret apiToken" in result.stderr
    assert "open with no configured key" in result.stderr and "EXTHOST_SECRETS_KEY_PREVIOUS" in result.stderr
    assert sealed_rows(stack) == before
    assert secrets_get(stack, base_url, guest) == {"ok": SECRET}


def test_bad_key_settings_are_refused_with_a_clear_error(stack):
    key = stack["EXTHOST_SECRETS_KEY"]
    for previous, expected in ((key, "repeats EXTHOST_SECRETS_KEY"), ("not-a-key", "entry 1 of EXTHOST_SECRETS_KEY_PREVIOUS")):
        result = rotate(stack, key, previous, "--dry-run")
        assert result.returncode == 1, result.stdout
        assert "SECRETS_KEY_PREVIOUS_INVALID" in result.stderr and expected in result.stderr, result.stderr
        assert key not in result.stderr
    result = cli({**stack, "EXTHOST_SECRETS_KEY": ""}, "admin", "rotate-secrets", check=False)
    assert result.returncode == 1 and "EXTHOST_SECRETS_KEY is not set" in result.stderr
