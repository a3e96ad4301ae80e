"""Registry, installs and tenant isolation through the real nginx (issue 5)."""
import concurrent.futures
import json
import select
import subprocess
import time
import uuid

import pytest

from apihelpers import assert_error, create_key, psql, seed_extension, wait_for

CAPS_V1 = ["storage", "http"]


@pytest.fixture(scope="module")
def world(stack):
    """Two tenants with an admin and a member key each, and a seeded extension with two versions."""
    tenants = {"a": str(uuid.uuid4()), "b": str(uuid.uuid4())}
    keys = {(t, role): create_key(stack, tenant, role) for t, tenant in tenants.items() for role in ("admin", "member")}
    publisher = "it" + uuid.uuid4().hex[:8] + ".tools"
    ext_id = seed_extension(stack, publisher, "hello", [
        ("1.0.0", CAPS_V1, {"type": "iframe", "entry": "ui/index.html"}),
        ("2.0.0", ["storage"], None),
    ])
    return {"tenants": tenants, "keys": keys, "ext_id": ext_id, "ext": publisher + ".hello"}


def auth(world, tenant, role):
    return {"Authorization": "Bearer " + world["keys"][(tenant, role)]}


def install(http, base_url, world, tenant="a", **body):
    payload = {"extensionId": world["ext"], "version": "1.0.0"}
    payload.update(body)
    response = http.post(f"{base_url}/api/installs", json=payload, headers=auth(world, tenant, "admin"))
    assert response.status_code == 201, response.text
    return response.json()


def uninstall(http, base_url, world, tenant, install_id):
    http.delete(f"{base_url}/api/installs/{install_id}", headers=auth(world, tenant, "admin"))


# ---------------------------------------------------------------- catalog

def test_catalog_lists_versions_with_hashes_signer_and_capabilities(http, base_url, world):
    response = http.get(f"{base_url}/api/extensions", headers=auth(world, "a", "member"))
    assert response.status_code == 200
    entry = next(e for e in response.json()["extensions"] if e["id"] == world["ext_id"])
    assert entry["qualifiedName"] == world["ext"]
    assert [v["version"] for v in entry["versions"]] == ["1.0.0", "2.0.0"]
    first = entry["versions"][0]
    assert first["contentHash"].startswith("sha256:") and len(first["contentHash"]) == 71
    assert first["size"] == 4096 and first["signer"].startswith("CN=it")
    assert first["capabilities"] == CAPS_V1 and first["ui"]["entry"] == "ui/index.html"
    assert first["endpoints"] == [{"method": "GET", "path": "/hello"}]


def test_catalog_entry_by_uuid_and_by_publisher_name(http, base_url, world):
    by_id = http.get(f"{base_url}/api/extensions/{world['ext_id'].upper()}", headers=auth(world, "b", "member"))
    by_name = http.get(f"{base_url}/api/extensions/{world['ext']}", headers=auth(world, "b", "member"))
    assert by_id.status_code == by_name.status_code == 200
    assert by_id.json() == by_name.json()
    assert_error(http.get(f"{base_url}/api/extensions/nobody.nothing", headers=auth(world, "a", "member")), 404, "EXTENSION_NOT_FOUND")
    assert_error(http.get(f"{base_url}/api/extensions/{uuid.uuid4()}", headers=auth(world, "a", "member")), 404, "EXTENSION_NOT_FOUND")
    assert_error(http.get(f"{base_url}/api/extensions/nodot", headers=auth(world, "a", "member")), 400, "INVALID_PARAMETER", field="id")


def test_every_api_route_needs_a_key(http, base_url, world):
    some = str(uuid.uuid4())
    for method, path in [("GET", "/api/extensions"), ("GET", f"/api/extensions/{world['ext']}"), ("GET", "/api/installs"),
                         ("POST", "/api/installs"), ("GET", f"/api/installs/{some}"), ("PATCH", f"/api/installs/{some}"),
                         ("DELETE", f"/api/installs/{some}"), ("PUT", f"/api/installs/{some}/secrets")]:
        missing = http.request(method, base_url + path, json={})
        assert_error(missing, 401, "UNAUTHENTICATED")
        assert missing.headers["WWW-Authenticate"].startswith('Bearer realm="exthost"')
        wrong = http.request(method, base_url + path, json={}, headers={"Authorization": "Bearer exh_" + "A" * 43})
        assert_error(wrong, 401, "INVALID_API_KEY")
        # No header chooses a tenant or a role.
        spoof = http.request(method, base_url + path, json={}, headers={"X-Tenant-Id": world["tenants"]["a"], "X-Role": "admin"})
        assert_error(spoof, 401, "UNAUTHENTICATED")


# ---------------------------------------------------------------- lifecycle

def test_full_install_lifecycle(http, base_url, world, stack):
    admin = auth(world, "a", "admin")
    created = http.post(f"{base_url}/api/installs", headers=admin, json={
        "extensionId": world["ext"], "version": "1.0.0", "config": {"theme": "dark"}, "grantedCapabilities": ["http"]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["Location"] == f"/api/installs/{body['id']}"
    assert set(body) == {"id", "tenantId", "extensionId", "extension", "version", "contentHash", "enabled",
                         "grantedCapabilities", "config", "uiUrl", "createdAt", "updatedAt"}
    assert body["tenantId"] == world["tenants"]["a"] and body["extensionId"] == world["ext_id"]
    assert body["enabled"] is True and body["grantedCapabilities"] == ["http"] and body["config"] == {"theme": "dark"}
    assert body["uiUrl"] == f"/ext-ui/{world['ext_id']}/{body['contentHash'][7:]}/index.html"
    try:
        assert http.get(f"{base_url}/api/installs/{body['id']}", headers=auth(world, "a", "member")).json() == body
        listed = http.get(f"{base_url}/api/installs", headers=auth(world, "a", "member")).json()["installs"]
        assert body["id"] in [i["id"] for i in listed]

        disabled = http.patch(f"{base_url}/api/installs/{body['id']}", headers=admin, json={"enabled": False})
        assert disabled.status_code == 200 and disabled.json()["enabled"] is False and "uiUrl" not in disabled.json()

        # 2.0.0 does not declare http: the upgrade must restate the grants it keeps.
        assert_error(http.patch(f"{base_url}/api/installs/{body['id']}", headers=admin, json={"version": "2.0.0"}),
                     422, "CAPABILITY_NOT_DECLARED", field="grantedCapabilities")
        upgraded = http.patch(f"{base_url}/api/installs/{body['id']}", headers=admin,
                              json={"version": "2.0.0", "grantedCapabilities": ["storage"], "enabled": True, "config": {}})
        assert upgraded.status_code == 200, upgraded.text
        up = upgraded.json()
        assert (up["version"], up["grantedCapabilities"], up["config"], up["enabled"]) == ("2.0.0", ["storage"], {}, True)
        assert up["contentHash"] != body["contentHash"] and "uiUrl" not in up  # 2.0.0 has no UI
        downgraded = http.patch(f"{base_url}/api/installs/{body['id']}", headers=admin, json={"version": "1.0.0"})
        assert downgraded.status_code == 200 and downgraded.json()["contentHash"] == body["contentHash"]

        secrets = http.put(f"{base_url}/api/installs/{body['id']}/secrets", headers=admin,
                           json={"API_TOKEN": "it-plaintext-secret-value", "OTHER": "x"})
        assert secrets.status_code == 200, secrets.text
        assert secrets.json() == {"installId": body["id"], "secrets": ["API_TOKEN", "OTHER"]}
        assert "it-plaintext-secret-value" not in secrets.text
        removed = http.put(f"{base_url}/api/installs/{body['id']}/secrets", headers=admin, json={"OTHER": None})
        assert removed.json()["secrets"] == ["API_TOKEN"]
        assert http.get(f"{base_url}/api/installs/{body['id']}/secrets", headers=auth(world, "a", "member")).json()["secrets"] == ["API_TOKEN"]
        raw = psql(stack, f"SELECT encode(nonce, 'hex') || encode(ciphertext, 'escape') || encode(tag, 'hex') FROM install_secrets WHERE install_id = '{body['id']}'")
        assert raw.strip() and "it-plaintext-secret-value" not in raw
    finally:
        deleted = http.delete(f"{base_url}/api/installs/{body['id']}", headers=admin)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(http.get(f"{base_url}/api/installs/{body['id']}", headers=admin), 404, "INSTALL_NOT_FOUND")
    assert psql(stack, f"SELECT count(*) FROM install_secrets WHERE install_id = '{body['id']}'").strip() == "0"


def test_mutations_notify_exthost_installs(http, base_url, world, stack):
    # psql reads its commands from the pipe: the mutations start only once it answered after its
    # LISTEN, and the last command, sent after them, makes it print what arrived meanwhile.
    listener = subprocess.Popen(
        ["psql", "-X", "-q", "-At"], stdin=subprocess.PIPE,
        env={**__import__("os").environ, **stack}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        listener.stdin.write("LISTEN exthost_installs;\nSELECT 'listening';\n")
        listener.stdin.flush()
        assert select.select([listener.stdout], [], [], 30)[0], "psql did not answer within 30 s"
        assert listener.stdout.readline() == "listening\n"
        body = install(http, base_url, world, tenant="b")
        http.patch(f"{base_url}/api/installs/{body['id']}", headers=auth(world, "b", "admin"), json={"enabled": False})
        uninstall(http, base_url, world, "b", body["id"])
        listener.stdin.write("SELECT 'done';\n")
        listener.stdin.close()
        assert select.select([listener.stdout], [], [], 30)[0], "psql did not answer within 30 s"
        out = listener.stdout.read()
        assert listener.wait(timeout=30) == 0, out
    finally:
        if listener.poll() is None:
            listener.kill()
    payloads = [json.loads(line.split('payload "', 1)[1].rsplit('" received', 1)[0])
                for line in out.splitlines() if "exthost_installs" in line and "payload" in line]
    mine = [p for p in payloads if p["installId"] == body["id"]]
    assert [(p["op"], p["enabled"]) for p in mine] == [("created", True), ("updated", False), ("deleted", False)], out
    assert all(p["contentHash"] == body["contentHash"] for p in mine)


# ---------------------------------------------------------------- tenant isolation

def test_tenant_isolation_matrix(http, base_url, world):
    """Tenant A's keys against tenant B's install, every verb: 404 (admin) or 403 (member writes)."""
    theirs = install(http, base_url, world, tenant="b")
    try:
        target = f"{base_url}/api/installs/{theirs['id']}"
        for role in ("admin", "member"):
            headers = auth(world, "a", role)
            assert theirs["id"] not in [i["id"] for i in http.get(f"{base_url}/api/installs", headers=headers).json()["installs"]]
            assert_error(http.get(target, headers=headers), 404, "INSTALL_NOT_FOUND")
            assert_error(http.get(target + "/secrets", headers=headers), 404, "INSTALL_NOT_FOUND")
            writes = [("PATCH", target, {"enabled": False}), ("DELETE", target, None), ("PUT", target + "/secrets", {"X": "y"})]
            for method, url, payload in writes:
                expected = (404, "INSTALL_NOT_FOUND") if role == "admin" else (403, "FORBIDDEN")
                assert_error(http.request(method, url, json=payload, headers=headers), *expected)
        # Tenant B's install is untouched and B can still see it.
        after = http.get(target, headers=auth(world, "b", "member"))
        assert after.status_code == 200 and after.json() == theirs
    finally:
        uninstall(http, base_url, world, "b", theirs["id"])


def test_member_keys_are_forbidden_to_write_before_any_lookup(http, base_url, world):
    member = auth(world, "a", "member")
    for method, path, payload in [("POST", "/api/installs", {"extensionId": "x.y", "version": "1"}),
                                  ("PATCH", "/api/installs/not-a-uuid", {}), ("DELETE", f"/api/installs/{uuid.uuid4()}", None),
                                  ("PUT", "/api/installs/not-a-uuid/secrets", {"X": "y"}), ("POST", "/api/installs", "not json")]:
        response = http.request(method, base_url + path, headers=member,
                                **({"data": payload} if isinstance(payload, str) else {"json": payload}))
        assert_error(response, 403, "FORBIDDEN")


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("body, status, code, field", [
    ('{"extensionId": ', 400, "INVALID_JSON", "extensionId"),
    ('[1, 2]', 400, "INVALID_TYPE", "$"),
    ('{"version": "1.0.0"}', 400, "MISSING_FIELD", "extensionId"),
    ('{"extensionId": 7, "version": "1.0.0"}', 400, "INVALID_TYPE", "extensionId"),
    ('{"extensionId": "EXT", "version": ["1"]}', 400, "INVALID_TYPE", "version"),
    ('{"extensionId": "EXT", "version": "1.0.0", "enabled": "yes"}', 400, "INVALID_TYPE", "enabled"),
    ('{"extensionId": "EXT", "version": "1.0.0", "config": []}', 400, "INVALID_TYPE", "config"),
    ('{"extensionId": "EXT", "version": "1.0.0", "grantedCapabilities": ["http", 3]}', 400, "INVALID_TYPE", "grantedCapabilities[1]"),
    ('{"extensionId": "EXT", "version": "1.0.0", "config": {"a": "x\\u0000"}}', 400, "INVALID_FIELD", "config.a"),
    ('{"extensionId": "EXT", "version": "1.0.0", "tenantId": "00000000-0000-4000-8000-000000000000"}', 400, "UNKNOWN_FIELD", "tenantId"),
    ('{"extensionId": "EXT", "version": "1.0.0", "a": 1, "a": 2}', 400, "JSON_DUPLICATE_KEY", "a"),
    ('{"extensionId": "not an id", "version": "1.0.0"}', 400, "INVALID_FIELD", "extensionId"),
    ('{"extensionId": "nobody.nothing", "version": "1.0.0"}', 404, "EXTENSION_NOT_FOUND", None),
    ('{"extensionId": "EXT", "version": "9.9.9\'; DROP TABLE installs; --"}', 404, "VERSION_NOT_FOUND", "version"),
    ('{"extensionId": "EXT", "version": "2.0.0", "grantedCapabilities": ["http"]}', 422, "CAPABILITY_NOT_DECLARED", "grantedCapabilities"),
])
def test_bad_install_requests_name_the_field(http, base_url, world, body, status, code, field):
    headers = {**auth(world, "a", "admin"), "Content-Type": "application/json"}
    response = http.post(f"{base_url}/api/installs", data=body.replace("EXT", world["ext"]).encode(), headers=headers)
    assert_error(response, status, code, field=field)
    assert world["ext_id"] not in [i["extensionId"] for i in http.get(f"{base_url}/api/installs", headers=headers).json()["installs"]]


def test_bad_ids_duplicates_and_oversize_bodies(http, base_url, world):
    admin = auth(world, "a", "admin")
    for method in ("GET", "PATCH", "DELETE"):
        assert_error(http.request(method, f"{base_url}/api/installs/12345", json={}, headers=admin), 400, "INVALID_PARAMETER", field="id")
    assert_error(http.patch(f"{base_url}/api/installs/{uuid.uuid4()}", json={}, headers=admin), 404, "INSTALL_NOT_FOUND")
    first = install(http, base_url, world)
    try:
        again = http.post(f"{base_url}/api/installs", json={"extensionId": world["ext_id"], "version": "2.0.0"}, headers=admin)
        assert_error(again, 409, "ALREADY_INSTALLED")
        target = f"{base_url}/api/installs/{first['id']}"
        assert_error(http.patch(target, json={"enabled": False, "colour": 1}, headers=admin), 400, "UNKNOWN_FIELD", field="colour")
        assert_error(http.put(target + "/secrets", json={"bad name": "x"}, headers=admin), 400, "INVALID_FIELD", field='$["bad name"]')
        assert_error(http.put(target + "/secrets", json={"N": 5}, headers=admin), 400, "INVALID_TYPE", field="N")
        assert_error(http.put(target + "/secrets", json={}, headers=admin), 400, "INVALID_FIELD", field="$")
        big = b'{"enabled": true, "config": {"pad": "' + b"x" * (1024 * 1024) + b'"}}'
        assert_error(http.patch(target, data=big, headers={**admin, "Content-Type": "application/json"}), 413, "PAYLOAD_TOO_LARGE")
        config = http.patch(target, json={"config": {"pad": "x" * (70 * 1024)}}, headers=admin)
        assert_error(config, 400, "INVALID_FIELD", field="config")
        # Nothing above changed the install.
        assert http.get(target, headers=admin).json() == first
    finally:
        uninstall(http, base_url, world, "a", first["id"])


def test_sql_metacharacters_in_every_string_field_are_stored_verbatim(http, base_url, world, stack):
    nasty = "'; DROP TABLE installs; -- \\ \" $1 %s ? \u00e9 \u2028"
    ext = seed_extension(stack, "it" + uuid.uuid4().hex[:6] + ".q", "quote-x", [("1.0.0-" + "a'b", ["x'y"], None)])
    admin = auth(world, "a", "admin")
    created = http.post(f"{base_url}/api/installs", headers=admin, json={
        "extensionId": ext, "version": "1.0.0-a'b", "config": {nasty: [nasty, {"k": nasty}]}, "grantedCapabilities": ["x'y"]})
    assert created.status_code == 201, created.text
    try:
        body = http.get(f"{base_url}/api/installs/{created.json()['id']}", headers=admin).json()
        assert body["config"] == {nasty: [nasty, {"k": nasty}]} and body["grantedCapabilities"] == ["x'y"]
        assert body["version"] == "1.0.0-a'b"
        secrets = http.put(f"{base_url}/api/installs/{body['id']}/secrets", headers=admin, json={"S": nasty})
        assert secrets.status_code == 200 and secrets.json()["secrets"] == ["S"]
    finally:
        uninstall(http, base_url, world, "a", created.json()["id"])


# ---------------------------------------------------------------- load and recovery

def test_pool_serves_100_concurrent_requests(http, base_url, world, stack):
    headers = auth(world, "a", "member")

    def one(_):
        import requests
        with requests.Session() as session:
            session.trust_env = False
            session.verify = stack["EXTHOST_CA"]
            return session.get(f"{base_url}/api/installs", headers=headers).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(one, range(100)))
    assert statuses == [200] * 100


def test_postgres_restart_answers_503_then_recovers_without_restarting_workers(http, base_url, world, stack):
    import os
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2]
    pid_before = pathlib.Path(stack["EXTHOST_RUN_DIR"], "pids", "exthost-api.pid").read_text().strip()
    headers = auth(world, "a", "member")
    subprocess.run([str(root / "scripts" / "stack"), "postgres", "stop"], check=True, capture_output=True)
    try:
        down = http.get(f"{base_url}/api/installs", headers=headers)
        assert_error(down, 503, "DATABASE_UNAVAILABLE")
        assert down.headers["Retry-After"]
        # Both pools say they are not ready, naming the database and nothing else.
        for path in ("/readyz", "/runner/readyz"):
            not_ready = http.get(f"{base_url}{path}")
            assert not_ready.status_code == 503 and not_ready.json()["error"]["code"] == "NOT_READY", not_ready.text
            checks = not_ready.json()["error"]["checks"]
            assert checks["database"] == "DATABASE_UNAVAILABLE" and all(v == "ok" for k, v in checks.items() if k != "database"), checks
            assert not_ready.headers["Retry-After"] == "5"
    finally:
        subprocess.run([str(root / "scripts" / "stack"), "postgres", "start"], check=True, capture_output=True)
    deadline = time.monotonic() + 20
    while True:
        response = http.get(f"{base_url}/api/installs", headers=headers)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert response.status_code == 200, response.text
    # Another pooled session from before the restart may still answer one request 503.
    wait_for(lambda: http.get(f"{base_url}/readyz").status_code == 200, 30, "/readyz to answer 200 again")
    assert pathlib.Path(stack["EXTHOST_RUN_DIR"], "pids", "exthost-api.pid").read_text().strip() == pid_before
    assert os.path.exists(f"/proc/{pid_before}")
