"""API key expiry warnings (issue 13 item 4): a key that expires within EXTHOST_KEY_EXPIRY_WARNING_DAYS
(default 14) gets an RFC 9111 `Warning: 299 - "..."` header from the API and the extension gateway, the CLI
shows it once, list-keys marks it, and a metric counts such requests; an expired key is still 401."""
import json
import re
import uuid

import pytest
import requests

from apihelpers import assert_error, cli, metric, psql, workers_with
from bundlefactory import unique_publisher
from test_execute import host_call_extension

WARNING = re.compile(r'^299 - "API key ([0-9a-f-]{36}) expires at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ); '
                     r'create a new key and revoke this one"$')


@pytest.fixture()
def http(stack):
    with requests.Session() as session:
        session.trust_env = False
        session.verify = stack["EXTHOST_CA"]
        yield session


def key_expiring_in(stack, tenant, lifetime, role="admin"):
    result = cli(stack, "admin", "create-key", "--tenant", tenant, "--role", role, "--expires-in", lifetime, "--json")
    created = json.loads(result.stdout)
    return created["key"], created["id"], created["expiresAt"]


def expire(stack, key_id):
    """Moves a key's life into the past (a key must expire after it was created)."""
    psql(stack, "UPDATE api_keys SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 minute' "
                f"WHERE id = '{key_id}'")


@pytest.fixture(scope="module")
def guest(stack, tmp_path_factory):
    """A tenant with the host-call guest installed (for the gateway's answers)."""
    tenant = str(uuid.uuid4())
    admin, _, _ = key_expiring_in(stack, tenant, "365d")
    publisher = unique_publisher("exp")
    directory = host_call_extension(tmp_path_factory.mktemp("expiry") / "expiry", "expiry", publisher, ["cap:config.read"])
    result = cli({**stack, "EXTHOST_API_KEY": admin}, "publish", str(directory), "--install", "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"tenant": tenant, "path": f"{publisher}.expiry/call"}


def test_a_key_expiring_in_two_days_is_warned_by_the_api_and_the_gateway(stack, base_url, http, guest):
    key, key_id, expires_at = key_expiring_in(stack, guest["tenant"], "2d")
    before = http.get(f"{base_url}/metrics").text, http.get(f"{base_url}/runner/metrics").text
    listed = http.get(f"{base_url}/api/installs", headers={"Authorization": "Bearer " + key})
    assert listed.status_code == 200, listed.text
    match = WARNING.match(listed.headers.get("Warning", ""))
    assert match, listed.headers
    assert match.group(1) == key_id and match.group(2) == expires_at[:19] + "Z"
    assert key not in listed.headers["Warning"] and key[4:12] not in listed.headers["Warning"]

    executed = http.post(f"{base_url}/api/ext/{guest['path']}", data=json.dumps({"op": "config.get"}),
                         headers={"Authorization": "Bearer " + key})
    assert executed.status_code == 200, executed.text
    assert WARNING.match(executed.headers.get("Warning", "")), executed.headers

    name = "exthost_api_key_expiring_requests_total"
    assert metric(http.get(f"{base_url}/metrics").text, name) >= metric(before[0], name) + 1
    assert metric(http.get(f"{base_url}/runner/metrics").text, name) >= metric(before[1], name) + 1


def test_a_key_expiring_in_thirty_days_gets_no_warning(stack, base_url, http, guest):
    key, _, _ = key_expiring_in(stack, guest["tenant"], "30d")
    listed = http.get(f"{base_url}/api/installs", headers={"Authorization": "Bearer " + key})
    assert listed.status_code == 200 and "Warning" not in listed.headers
    executed = http.post(f"{base_url}/api/ext/{guest['path']}", data=json.dumps({"op": "config.get"}),
                         headers={"Authorization": "Bearer " + key})
    assert executed.status_code == 200 and "Warning" not in executed.headers


def test_an_expired_key_is_refused_as_before(stack, base_url, http, guest):
    key, key_id, _ = key_expiring_in(stack, guest["tenant"], "2d")
    expire(stack, key_id)
    refused = http.get(f"{base_url}/api/installs", headers={"Authorization": "Bearer " + key})
    assert_error(refused, 401, "INVALID_API_KEY")
    assert "Warning" not in refused.headers


def test_the_cli_prints_the_warning_once_and_list_keys_marks_keys(stack, guest, tmp_path):
    key, key_id, _ = key_expiring_in(stack, guest["tenant"], "2d")
    # `exthost publish --install` makes several API calls with the key: the warning shows once.
    directory = host_call_extension(tmp_path / "again", "again", unique_publisher("exp"), ["cap:config.read"])
    result = cli({**stack, "EXTHOST_API_KEY": key}, "publish", str(directory), "--install", "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count(f"warning: API key {key_id} expires at ") == 1, result.stderr
    assert "warning" not in result.stdout
    json.loads(result.stdout)

    expired, expired_id, _ = key_expiring_in(stack, guest["tenant"], "2d", role="member")
    expire(stack, expired_id)
    listed = cli(stack, "admin", "list-keys", "--tenant", guest["tenant"], "--json")
    states = {entry["id"]: entry["state"] for entry in json.loads(listed.stdout)}
    assert states[key_id] == "expiring" and states[expired_id] == "expired"
    assert list(states.values()).count("active") >= 1
    table = cli(stack, "admin", "list-keys", "--tenant", guest["tenant"]).stdout
    assert "STATE" in table.splitlines()[0]
    assert any(key_id in line and " expiring " in line for line in table.splitlines())
    wider = cli({**stack, "EXTHOST_KEY_EXPIRY_WARNING_DAYS": "400"}, "admin", "list-keys", check=False)
    assert wider.returncode == 1 and "EXTHOST_KEY_EXPIRY_WARNING_DAYS must be" in wider.stderr


def test_the_window_is_a_setting_and_zero_turns_warnings_off(stack, base_url, http, guest):
    key, _, _ = key_expiring_in(stack, guest["tenant"], "30d")
    with workers_with(stack, EXTHOST_KEY_EXPIRY_WARNING_DAYS="31"):
        assert WARNING.match(http.get(f"{base_url}/api/installs", headers={"Authorization": "Bearer " + key}).headers.get("Warning", ""))
    short, _, _ = key_expiring_in(stack, guest["tenant"], "1d")
    with workers_with(stack, EXTHOST_KEY_EXPIRY_WARNING_DAYS="0"):
        assert "Warning" not in http.get(f"{base_url}/api/installs", headers={"Authorization": "Bearer " + short}).headers
