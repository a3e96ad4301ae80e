"""The workers' Postgres roles (issue 13, item 2; docs/postgres.md, "Process roles").

Migration 2 creates exthost_api, exthost_runner and exthost_cachefill and grants each what its
process needs; scripts/stack starts every worker as its role. Here, on the stack's Postgres:
each worker is connected as its role; the runner's role cannot write the registry but can write
its storage and the execution log; cachefill's role can write nothing and can read and LISTEN;
and the whole flow through nginx (publish, install, UI, execute with storage, key use and
revocation, uninstall) works with the workers on those roles and without a permission error.
"""
import json
import os
import pathlib
import shutil
import subprocess
import uuid

import pytest

from apihelpers import cli, create_key, psql, wait_for
from bundlefactory import unique_publisher

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKER_ROLES = {"exthost-api": "exthost_api", "exthost-runner": "exthost_runner", "cachefill": "exthost_cachefill"}
ZERO = "00000000-0000-0000-0000-000000000000"

# Every registry table with a write the runner must not make (WHERE false: nothing would change
# even if the grant were there, but the permission check happens all the same).
REGISTRY_WRITES = [
    "INSERT INTO extensions (publisher, name) VALUES ('roles', 'test')",
    "UPDATE extensions SET description = 'x' WHERE false",
    "DELETE FROM extensions WHERE false",
    "INSERT INTO bundles (content_hash, size) VALUES ('sha256:' || repeat('0', 64), 1)",
    "UPDATE bundles SET size = 0 WHERE false",
    "DELETE FROM bundles WHERE false",
    "UPDATE extension_versions SET entry = 'x' WHERE false",
    "DELETE FROM extension_versions WHERE false",
    f"INSERT INTO api_keys (tenant_id, role, key_sha256) VALUES ('{ZERO}', 'admin', decode(repeat('00', 32), 'hex'))",
    "UPDATE api_keys SET revoked_at = now() WHERE false",
    "UPDATE api_keys SET role = 'admin' WHERE false",
    "DELETE FROM api_keys WHERE false",
    "UPDATE installs SET enabled = false WHERE false",
    "UPDATE installs SET granted_capabilities = '{}' WHERE false",
    "DELETE FROM installs WHERE false",
    "UPDATE install_secrets SET name = 'x' WHERE false",
    "DELETE FROM install_secrets WHERE false",
    "UPDATE upload_sessions SET state = 'aborted' WHERE false",
    "DELETE FROM upload_sessions WHERE false",
    "INSERT INTO exthost_schema_migrations (version, name) VALUES (999999, 'x')",
    "DELETE FROM exthost_schema_migrations WHERE false",
    "TRUNCATE installs CASCADE",
    "TRUNCATE execution_log",
    "DELETE FROM execution_log WHERE false",
    "UPDATE execution_log SET status = 200 WHERE false",
    "CREATE TABLE roles_test_runner (x int)",
]

# Everything cachefill's role might try: every table, every verb, DDL and a temporary table.
CACHEFILL_WRITES = REGISTRY_WRITES + [
    "INSERT INTO installs (tenant_id, extension_id, version_id) VALUES ('%s', '%s', '%s')" % (ZERO, ZERO, ZERO),
    "UPDATE extension_storage SET value = '' WHERE false",
    "DELETE FROM extension_storage WHERE false",
    f"INSERT INTO execution_log (tenant_id, install_id, request_id, method, path, status, duration_ms) "
    f"VALUES ('{ZERO}', '{ZERO}', 'r', 'GET', '/', 200, 0)",
    "UPDATE api_keys SET last_used_at = now() WHERE false",
    "CREATE TABLE roles_test_cachefill (x int)",
    "CREATE TEMPORARY TABLE roles_test_temp (x int)",
]


def psql_as(stack, role, sql, options=""):
    """Runs `sql` as `role` over the stack's socket (trust), returning the finished process;
    `options` are session settings at connection start (PGOPTIONS)."""
    env = {**os.environ, **stack, "PGUSER": role, "PGOPTIONS": options}
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env,
                          capture_output=True, text=True)


def assert_refused(stack, role, statement, *reasons, options=""):
    result = psql_as(stack, role, statement, options)
    assert result.returncode != 0, f"{role} was allowed: {statement}"
    assert any(reason in result.stderr for reason in reasons), f"{role}: {statement}: {result.stderr}"


def assert_allowed(stack, role, sql):
    result = psql_as(stack, role, sql)
    assert result.returncode == 0, f"{role}: {sql}: {result.stderr}"
    return result.stdout


def worker_pid(stack, name):
    return int(pathlib.Path(stack["EXTHOST_RUN_DIR"], "pids", f"{name}.pid").read_text().split()[0])


@pytest.fixture(scope="module")
def tenant(stack):
    tenant = str(uuid.uuid4())
    return {"id": tenant, "admin": create_key(stack, tenant, "admin"), "member": create_key(stack, tenant, "member")}


@pytest.fixture(scope="module")
def notes(stack, tenant, tmp_path_factory):
    """examples/notes published through nginx (exthost-api) and installed with storage granted."""
    directory = tmp_path_factory.mktemp("roles") / "notes"
    shutil.copytree(ROOT / "examples" / "notes", directory)
    publisher = unique_publisher("roles")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["publisher"] = publisher
    (directory / "manifest.json").write_text(json.dumps(manifest))
    result = cli({**stack, "EXTHOST_API_KEY": tenant["admin"]}, "publish", str(directory), "--install",
                 "--grant", "cap:storage.kv", "--grant", "cap:config.read", "--grant", "cap:secrets.get", "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    return {"name": f"{publisher}.notes", "install": report["install"], "extension_id": report["extension"]["id"]}


# ---------------------------------------------------------------------------------------------
# Who is connected as whom


def test_each_worker_runs_with_its_roles_database_url(stack):
    for name, role in WORKER_ROLES.items():
        environ = pathlib.Path(f"/proc/{worker_pid(stack, name)}/environ").read_bytes().split(b"\0")
        urls = [entry.decode() for entry in environ if entry.startswith(b"EXTHOST_DATABASE_URL=")]
        assert len(urls) == 1 and urls[0].endswith("&user=" + role), (name, urls)
    # The owner stays in the stack's environment for migrations, `exthost admin` and the tests.
    assert stack["EXTHOST_DATABASE_URL"].endswith("&user=postgres")


def test_pg_stat_activity_shows_each_role_connected_and_listening(stack, http, base_url, tenant):
    # One request to each pool, so that their connections exist.
    assert http.get(f"{base_url}/api/extensions", headers={"Authorization": "Bearer " + tenant["member"]}).status_code == 200
    assert http.get(f"{base_url}/runner/healthz").status_code == 200
    query = ("SELECT usename || ' ' || count(*) FILTER (WHERE query LIKE 'LISTEN%') FROM pg_stat_activity "
             "WHERE datname = 'exthost' AND usename LIKE 'exthost\\_%' GROUP BY usename ORDER BY usename")
    sessions = dict(line.split() for line in psql(stack, query).split("\n") if line)
    assert set(sessions) == set(WORKER_ROLES.values()), sessions
    # The runner and cachefill hold a LISTEN session each, as their own role.
    assert int(sessions["exthost_runner"]) >= 1 and int(sessions["exthost_cachefill"]) >= 1, sessions


# ---------------------------------------------------------------------------------------------
# What each role may write


@pytest.mark.parametrize("statement", REGISTRY_WRITES)
def test_the_runners_role_cannot_write_the_registry(stack, statement):
    assert_refused(stack, "exthost_runner", statement, "permission denied")


def test_the_runners_role_writes_its_storage_the_execution_log_and_key_use(stack, notes):
    install = notes["install"]
    tenant_id, install_id = install["tenantId"], install["id"]
    out = assert_allowed(stack, "exthost_runner", f"""
        BEGIN;
        INSERT INTO extension_storage (tenant_id, install_id, namespace, key, value) VALUES ('{tenant_id}', '{install_id}', 'roles', 'k', 'v');
        UPDATE extension_storage SET value = 'w', revision = revision + 1 WHERE install_id = '{install_id}' AND namespace = 'roles';
        SELECT revision FROM extension_storage WHERE install_id = '{install_id}' AND namespace = 'roles';
        DELETE FROM extension_storage WHERE install_id = '{install_id}' AND namespace = 'roles';
        INSERT INTO execution_log (tenant_id, install_id, request_id, method, path, status, duration_ms)
            VALUES ('{tenant_id}', '{install_id}', 'roles-test', 'GET', '/', 200, 0);
        UPDATE api_keys SET last_used_at = now() WHERE false;
        SELECT count(*) FROM installs WHERE id = '{install_id}';
        SELECT count(*) FROM install_secrets WHERE install_id = '{install_id}';
        ROLLBACK;""")
    assert out.split() == ["2", "1", "0"], out
    # It reads the execution log it writes no more than it needs: not at all.
    assert_refused(stack, "exthost_runner", "SELECT count(*) FROM execution_log", "permission denied")
    assert_refused(stack, "exthost_runner", "SELECT count(*) FROM upload_sessions", "permission denied")


@pytest.mark.parametrize("statement", [
    "UPDATE extensions SET name = 'renamed', description = 'x' WHERE false",
    "DELETE FROM extensions WHERE false",
    "UPDATE extension_versions SET content_hash = content_hash WHERE false",
    "DELETE FROM extension_versions WHERE false",
    "UPDATE bundles SET signature = NULL WHERE false",
    "DELETE FROM bundles WHERE false",
    "DELETE FROM api_keys WHERE false",
    "SELECT count(*) FROM extension_storage",
    "SELECT count(*) FROM execution_log",
    "TRUNCATE upload_sessions",
    "CREATE TABLE roles_test_api (x int)",
])
def test_the_api_role_cannot_rewrite_what_was_published_nor_touch_the_runners_data(stack, statement):
    assert_refused(stack, "exthost_api", statement, "permission denied")


@pytest.mark.parametrize("statement", CACHEFILL_WRITES)
def test_the_cachefill_role_cannot_write_anything(stack, statement):
    assert_refused(stack, "exthost_cachefill", statement, "permission denied", "read-only transaction")


def test_the_cachefill_role_is_refused_by_grants_even_when_it_leaves_read_only(stack):
    """default_transaction_read_only is a default a session may change: the grants must hold alone."""
    for statement in ["DELETE FROM installs WHERE false", "UPDATE bundles SET size = 0 WHERE false",
                      "INSERT INTO exthost_schema_migrations (version, name) VALUES (999999, 'x')"]:
        assert_refused(stack, "exthost_cachefill", statement, "permission denied", options="-c default_transaction_read_only=off")
    writable = psql_as(stack, "exthost_cachefill", "SHOW transaction_read_only", options="-c default_transaction_read_only=off")
    assert writable.stdout.strip() == "off", writable.stderr
    assert psql_as(stack, "exthost_cachefill", "SHOW default_transaction_read_only").stdout.strip() == "on"


def test_the_cachefill_role_reads_what_a_fill_needs_and_listens(stack, notes):
    out = assert_allowed(stack, "exthost_cachefill", f"""
        SELECT count(*) FROM installs i JOIN extension_versions v ON v.id = i.version_id
            JOIN bundles b ON b.content_hash = v.content_hash JOIN extensions e ON e.id = v.extension_id
            WHERE i.id = '{notes['install']['id']}';
        SELECT max(version) > 0 FROM exthost_schema_migrations;
        LISTEN exthost_installs;""")
    assert out.split() == ["1", "t"], out
    for secret in ["SELECT count(*) FROM api_keys", "SELECT count(*) FROM install_secrets", "SELECT count(*) FROM extension_storage"]:
        assert_refused(stack, "exthost_cachefill", secret, "permission denied")


# ---------------------------------------------------------------------------------------------
# The product on these roles


def test_the_whole_flow_works_with_every_worker_on_its_role(stack, http, base_url, tenant, notes):
    logs = {name: pathlib.Path(stack["EXTHOST_LOG_DIR"], f"{name}.log") for name in WORKER_ROLES}
    offsets = {name: log.stat().st_size for name, log in logs.items()}
    admin = {"Authorization": "Bearer " + tenant["admin"]}
    install = notes["install"]

    # exthost-api: config and a secret (UPDATE installs, INSERT install_secrets).
    patched = http.patch(f"{base_url}/api/installs/{install['id']}", json={"config": {"title": "Roles"}}, headers=admin)
    assert patched.status_code == 200, patched.text
    secret = http.put(f"{base_url}/api/installs/{install['id']}/secrets", json={"apiToken": "t-" + uuid.uuid4().hex}, headers=admin)
    assert secret.status_code == 200, secret.text

    # The UI: prefetched by cachefill (reading as its role), served by nginx.
    page = http.get(base_url + install["uiUrl"])
    assert page.status_code == 200, page.text

    # exthost-runner: a key used only here, storage through the host call, secrets and config.
    key = create_key(stack, tenant["id"], "member")
    member = {"Authorization": "Bearer " + key}
    ext = f"{base_url}/api/ext/{notes['name']}"
    created = http.post(f"{ext}/notes", json={"title": "kept", "text": "by exthost_runner"}, headers=member)
    assert created.status_code == 201, created.text
    note = created.json()
    assert http.get(f"{ext}/notes/{note['id']}", headers=member).json() == note
    updated = http.put(f"{ext}/notes/{note['id']}", json={"title": "kept", "text": "again"}, headers={**member, "If-Match": '"1"'})
    assert updated.status_code == 200 and updated.json()["revision"] == 2, updated.text
    settings = http.get(f"{ext}/settings", headers=member)
    assert settings.status_code == 200 and settings.json() == {"title": "Roles", "apiTokenSet": True}, settings.text
    request_id = settings.headers["X-Request-Id"]
    # The log is written in batches, later on a loaded machine.
    wait_for(lambda: psql(stack, f"SELECT count(*) FROM execution_log WHERE request_id = '{request_id}'").strip() == "1", 30,
             "the runner's execution-log row")
    used = psql(stack, f"SELECT last_used_at IS NOT NULL FROM api_keys WHERE key_sha256 = sha256(convert_to('{key}', 'UTF8'))")
    assert used.strip() == "t", "the runner did not note the key's last use (UPDATE (last_used_at) on api_keys)"

    # Revocation: the runner, LISTENing as its role, forgets the key it remembered at once.
    assert cli(stack, "admin", "revoke-key", key).stdout.startswith("revoked ")
    wait_for(lambda: http.get(f"{ext}/notes", headers=member).status_code == 401, 1, "the revoked key to be refused")

    # Uninstall by exthost_api: the storage rows go with it (the cascade runs as the owner).
    storage = f"SELECT count(*) FROM extension_storage WHERE install_id = '{install['id']}'"
    assert int(psql(stack, storage)) >= 1
    removed = http.delete(f"{base_url}/api/installs/{install['id']}", headers=admin)
    assert removed.status_code == 204, removed.text
    assert psql(stack, storage).strip() == "0"

    for name, log in logs.items():
        with log.open("rb") as handle:
            handle.seek(offsets[name])
            assert b"permission denied" not in handle.read(), f"{name} hit a missing grant: see {log}"


# ---------------------------------------------------------------------------------------------
# An owner without CREATEROLE


def test_migrate_without_createrole_prints_the_sql_to_run_and_succeeds_after_it(stack):
    """The roles are cluster-wide and exist already; cachefill's read-only default, removed for
    this test (and put back in any case), stands in for anything missing."""
    owner = "roles_owner_" + uuid.uuid4().hex[:8]
    database = "roles_db_" + uuid.uuid4().hex[:8]
    psql(stack, f"CREATE ROLE {owner} LOGIN")
    psql(stack, f"CREATE DATABASE {database} OWNER {owner}")
    url = stack["EXTHOST_DATABASE_URL"].replace("postgresql:///exthost?", f"postgresql:///{database}?")
    url = url.replace("&user=postgres", f"&user={owner}")
    assert database in url and owner in url
    restore = "ALTER ROLE exthost_cachefill SET default_transaction_read_only = on"
    try:
        psql(stack, "ALTER ROLE exthost_cachefill RESET default_transaction_read_only")
        refused = cli(stack, "admin", "migrate", "--database-url", url, check=False)
        assert refused.returncode != 0
        assert f"role {owner} may not create or alter roles" in refused.stderr, refused.stderr
        assert f"run: {restore}; then run `exthost admin migrate` again" in refused.stderr, refused.stderr
        assert "CREATE ROLE" not in refused.stderr
        # Nothing applied: migrations 1 and 2 are one transaction.
        assert cli(stack, "admin", "schema-version", "--database-url", url, check=False).stdout.startswith("database 0,")

        psql(stack, restore)
        applied = cli(stack, "admin", "migrate", "--database-url", url)
        assert "applied 0002 process_roles" in applied.stdout
        env = {**os.environ, **stack, "PGDATABASE": database}
        grants = subprocess.run(["psql", "-X", "-At", "-c", "SELECT has_table_privilege('exthost_runner', 'installs', 'SELECT'), "
                                 "has_table_privilege('exthost_runner', 'installs', 'DELETE')"], env=env, capture_output=True, text=True)
        assert grants.stdout.strip() == "t|f", grants.stdout + grants.stderr
    finally:
        psql(stack, restore)
        psql(stack, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        psql(stack, f"DROP ROLE IF EXISTS {owner}")
