"""API keys end to end (issue 5, item 4): the `exthost admin create-key | revoke-key | list-keys`
CLI against the stack's Postgres, and the keys it issues at the real nginx.

Every test uses tenants of its own (fresh uuids), so it sees only its own keys in the shared
database. The binary comes from EXTHOST_BIN_DIR (default <repo>/.build/release).
"""
import datetime
import hashlib
import json
import re
import time
import uuid

import pytest

from apihelpers import assert_error, cli

TOKEN = re.compile(r"^exh_[A-Za-z0-9_-]{43}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
CHALLENGE = 'Bearer realm="exthost"'


def admin(stack, *args, check=True):
    return cli(stack, "admin", *args, check=check)


def create(stack, tenant, role="admin", *extra):
    """Creates a key the way the docs show (`KEY=$(...)`) and returns (key, stderr)."""
    result = admin(stack, "create-key", "--tenant", tenant, "--role", role, *extra)
    return result.stdout, result.stderr


def listed(stack, tenant):
    return json.loads(admin(stack, "list-keys", "--tenant", tenant, "--json").stdout)


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


@pytest.fixture()
def tenant():
    return str(uuid.uuid4())


def test_create_key_prints_only_the_key_on_stdout(stack, tenant):
    stdout, stderr = create(stack, tenant, "admin", "--name", "ci")
    assert stdout.endswith("\n") and stdout.count("\n") == 1, repr(stdout)
    key = stdout.strip()
    assert TOKEN.match(key), key
    [record] = listed(stack, tenant)
    assert record["id"] in stderr
    assert tenant in stderr and "role admin" in stderr and "expires never" in stderr
    assert "store it now: it is not shown again" in stderr
    assert key not in stderr


def test_create_key_json(stack, tenant):
    before = datetime.datetime.now(datetime.timezone.utc)
    result = admin(stack, "create-key", "--tenant", tenant.upper(), "--role", "member", "--name", "reader",
                   "--expires-in", "12h", "--json")
    document = json.loads(result.stdout)
    assert set(document) == {"id", "key", "tenantId", "role", "name", "expiresAt"}
    assert UUID.match(document["id"]) and TOKEN.match(document["key"])
    assert document["tenantId"] == tenant, "the tenant is stored in canonical lowercase form"
    assert (document["role"], document["name"]) == ("member", "reader")
    assert RFC3339_UTC.match(document["expiresAt"])
    lifetime = parse_time(document["expiresAt"]) - before
    assert datetime.timedelta(hours=12) - datetime.timedelta(minutes=1) < lifetime < datetime.timedelta(hours=12, minutes=1)
    assert "store it now" in result.stderr


@pytest.mark.parametrize("spelling, seconds", [("90d", 90 * 86400), ("30m", 1800), ("3600s", 3600)])
def test_expires_in_units(stack, tenant, spelling, seconds):
    document = json.loads(admin(stack, "create-key", "--tenant", tenant, "--role", "member", "--expires-in", spelling,
                                "--json").stdout)
    [record] = listed(stack, tenant)
    lifetime = parse_time(document["expiresAt"]) - parse_time(record["createdAt"])
    assert abs(lifetime.total_seconds() - seconds) < 1


def test_list_keys_table_and_json_never_show_keys_or_digests(stack, tenant):
    admin_key, _ = create(stack, tenant, "admin", "--name", "ops")
    member_key, _ = create(stack, tenant, "member", "--name", "reader", "--expires-in", "90d")
    other, _ = create(stack, str(uuid.uuid4()), "admin")
    secrets = [k.strip() for k in (admin_key, member_key, other)]
    forbidden = secrets + [s[4:] for s in secrets] + [hashlib.sha256(s.encode()).hexdigest() for s in secrets]

    table = admin(stack, "list-keys", "--tenant", tenant).stdout
    lines = table.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["ID", "TENANT", "ROLE", "NAME", "STATE", "CREATED", "EXPIRES", "REVOKED", "LAST USED"]
    assert len(lines) == 3
    assert "ops" in lines[1] and "admin" in lines[1] and "reader" in lines[2] and "member" in lines[2]
    records = listed(stack, tenant)
    assert [r["name"] for r in records] == ["ops", "reader"]
    for record in records:
        assert set(record) == {"id", "tenantId", "role", "name", "state", "createdAt", "expiresAt", "revokedAt", "lastUsedAt"}
        assert record["tenantId"] == tenant and RFC3339_UTC.match(record["createdAt"])
    everything = table + admin(stack, "list-keys", "--json").stdout
    for secret in forbidden:
        assert secret not in everything


def test_revoke_by_key_and_by_id(stack, tenant):
    first, _ = create(stack, tenant)
    second, _ = create(stack, tenant)
    first_id, second_id = (r["id"] for r in listed(stack, tenant))

    assert admin(stack, "revoke-key", first.strip()).stdout == f"revoked {first_id}\n"
    assert admin(stack, "revoke-key", second_id.upper()).stdout == f"revoked {second_id}\n"
    records = listed(stack, tenant)
    assert all(RFC3339_UTC.match(r["revokedAt"]) for r in records)
    table = admin(stack, "list-keys", "--tenant", tenant).stdout
    rows = [line.split() for line in table.splitlines()[1:]]
    assert all(row[4] == "revoked" for row in rows), "STATE column says revoked"
    assert all("-" != row[7] for row in rows), "REVOKED column filled"

    again = admin(stack, "revoke-key", first_id, check=False)
    assert again.returncode == 1 and again.stdout == ""
    assert "no unrevoked API key matches" in again.stderr


@pytest.mark.parametrize("argument", [str(uuid.uuid4()), "exh_" + "A" * 43, "not-a-key"])
def test_revoke_unknown_key_fails_clearly(stack, argument):
    result = admin(stack, "revoke-key", argument, check=False)
    assert result.returncode == 1
    assert "no unrevoked API key matches" in result.stderr
    if argument == "not-a-key":
        assert "exh_" in result.stderr and "UUID" in result.stderr


@pytest.mark.parametrize("arguments, message", [
    (["--tenant", "acme", "--role", "admin"], "--tenant must be a UUID"),
    (["--tenant", "123", "--role", "member"], "--tenant must be a UUID"),
    (["--tenant", "{tenant}", "--role", "root"], "'admin' and 'member'"),
    (["--tenant", "{tenant}"], "--role"),
    (["--tenant", "{tenant}", "--role", "admin", "--expires-in", "5y"], "--expires-in must be a whole number"),
    (["--tenant", "{tenant}", "--role", "admin", "--expires-in", "0d"], "--expires-in must be a whole number"),
])
def test_bad_arguments_are_usage_errors(stack, tenant, arguments, message):
    result = admin(stack, "create-key", *[a.replace("{tenant}", tenant) for a in arguments], check=False)
    assert result.returncode == 64, result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    assert listed(stack, tenant) == []


def test_list_keys_with_a_bad_tenant_is_a_usage_error(stack):
    result = admin(stack, "list-keys", "--tenant", "acme", check=False)
    assert result.returncode == 64 and "--tenant must be a UUID" in result.stderr


def test_name_with_sql_metacharacters_round_trips(stack, tenant):
    hostile = "Robert'); DROP TABLE api_keys; -- \"q\" $1 %s 💥"
    document = json.loads(admin(stack, "create-key", "--tenant", tenant, "--role", "admin", "--name", hostile,
                                "--json").stdout)
    assert document["name"] == hostile
    assert [r["name"] for r in listed(stack, tenant)] == [hostile]


def test_unreachable_database_is_a_clear_error(stack, tenant):
    result = admin(stack, "create-key", "--tenant", tenant, "--role", "admin",
                   "--database-url", "postgresql:///exthost?host=/nonexistent-exthost-dir", check=False)
    assert result.returncode == 1
    assert "cannot create the key: the database is unreachable" in result.stderr
    assert result.stdout == ""


def test_help_texts_explain_with_examples(stack):
    overview = admin(stack, "--help").stdout
    for command in ("create-key", "revoke-key", "list-keys"):
        assert command in overview
    create_help = admin(stack, "create-key", "--help").stdout
    for phrase in ("--tenant", "--role", "--expires-in", "90d", "--json", "KEY=$(exthost admin create-key",
                   "Authorization: Bearer", "admin", "member", "SHA-256"):
        assert phrase in create_help, phrase
    assert 'exthost admin revoke-key "$KEY"' in admin(stack, "revoke-key", "--help").stdout
    assert "--tenant" in admin(stack, "list-keys", "--help").stdout


# The keys at the real nginx: the bearer middleware in front of /api/installs.

def test_a_new_key_authenticates_until_revoked(stack, http, base_url, tenant):
    key, _ = create(stack, tenant, "member")
    headers = {"Authorization": f"Bearer {key.strip()}"}
    assert http.get(f"{base_url}/api/installs", headers=headers).status_code == 200
    [record] = listed(stack, tenant)
    assert record["lastUsedAt"] is not None and RFC3339_UTC.match(record["lastUsedAt"])

    admin(stack, "revoke-key", key.strip())
    response = http.get(f"{base_url}/api/installs", headers=headers)
    assert_error(response, 401, "INVALID_API_KEY")
    assert response.headers["WWW-Authenticate"] == CHALLENGE + ', error="invalid_token"'


def test_missing_and_malformed_credentials(http, base_url):
    response = http.get(f"{base_url}/api/installs")
    assert_error(response, 401, "UNAUTHENTICATED")
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    basic = http.get(f"{base_url}/api/installs", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_error(basic, 401, "UNAUTHENTICATED")
    for bogus in ("Bearer nope", "Bearer exh_" + "A" * 43, "bearer"):
        assert_error(http.get(f"{base_url}/api/installs", headers={"Authorization": bogus}), 401, "INVALID_API_KEY")


def test_an_expired_key_stops_working(stack, http, base_url, tenant):
    key, _ = create(stack, tenant, "admin", "--expires-in", "2s")
    time.sleep(3)
    response = http.get(f"{base_url}/api/installs", headers={"Authorization": f"Bearer {key.strip()}"})
    assert_error(response, 401, "INVALID_API_KEY")
    [record] = listed(stack, tenant)
    assert parse_time(record["expiresAt"]) < datetime.datetime.now(datetime.timezone.utc)


def test_a_member_key_cannot_write(stack, http, base_url, tenant):
    key, _ = create(stack, tenant, "member")
    response = http.post(f"{base_url}/api/installs", headers={"Authorization": f"Bearer {key.strip()}"},
                         json={"extensionId": "acme.hello", "version": "1.0.0"})
    assert_error(response, 403, "FORBIDDEN")
