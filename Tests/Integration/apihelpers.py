"""Shared helpers for the integration tests: error-shape checks, API keys and catalog seeding."""
import contextlib
import json
import os
import pathlib
import subprocess
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]


def assert_error(response, status, code, field=None):
    """The response is the API's error document with this status and code (and field, if given)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    expected_members = {"code", "message", "requestId"} | ({"field"} if field is not None else set())
    assert set(body["error"]) == expected_members, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert body["error"]["requestId"] == response.headers["X-Request-Id"]
    if field is not None:
        assert body["error"]["field"] == field, body
    return body["error"]


def cli(stack, *args, check=True):
    """Runs the exthost CLI against the stack's environment."""
    env = dict(os.environ)
    env.update(stack)
    return subprocess.run([os.path.join(stack["EXTHOST_BIN_DIR"], "exthost"), *args], env=env,
                          capture_output=True, text=True, check=check)


def create_key(stack, tenant, role):
    return cli(stack, "admin", "create-key", "--tenant", tenant, "--role", role, "--name", f"it-{role}").stdout.strip()


def psql(stack, sql):
    """Runs SQL on the stack's database (test fixtures only; the product never builds SQL text)."""
    env = dict(os.environ)
    env.update(stack)
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env,
                          capture_output=True, text=True, check=True).stdout


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def seed_extension(stack, publisher, name, versions):
    """Publishes catalog rows directly: versions is [(version, capabilities, ui_or_None)].

    Returns the extension id. Publishing through the API is issue 6; these tests are about the
    registry and installs, so they write the rows the publish transaction would write.
    """
    ext_id = psql(stack, f"""
        INSERT INTO extensions (publisher, name, display_name) VALUES ({sql_literal(publisher)}, {sql_literal(name)}, 'Seeded')
        ON CONFLICT (publisher, name) DO UPDATE SET display_name = EXCLUDED.display_name RETURNING id""").strip()
    for version, capabilities, ui in versions:
        content_hash = "sha256:" + uuid.uuid4().hex + uuid.uuid4().hex
        ui_sql = sql_literal(json.dumps(ui)) + "::jsonb" if ui is not None else "NULL"
        psql(stack, f"""
            INSERT INTO bundles (content_hash, size, signature, signer) VALUES ('{content_hash}', 4096, '{{}}', {sql_literal("CN=" + publisher)});
            INSERT INTO extension_versions (extension_id, version, runtime, entry, endpoints, ui, capabilities, content_hash, manifest)
            VALUES ('{ext_id}', {sql_literal(version)}, 'exthost-wasm@1', 'dist/main.wasm', '[{{"method":"GET","path":"/hello"}}]',
                    {ui_sql}, ARRAY(SELECT jsonb_array_elements_text({sql_literal(json.dumps(capabilities))}::jsonb)), '{content_hash}', '{{}}')""")
    return ext_id


@contextlib.contextmanager
def workers_with(stack, **settings):
    """Restarts the stack's workers with `settings` added to their environment (scripts/stack
    restarts them when the environment changes), then restores what the stack had before."""
    def start(values):
        env = dict(os.environ)
        env.update(stack)
        for name in settings:
            env.pop(name, None)
        env.update(values)
        result = subprocess.run([str(ROOT / "scripts" / "stack"), "start"], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr

    start({name: str(value) for name, value in settings.items()})
    try:
        yield
    finally:
        start({name: stack[name] for name in settings if name in stack})


def metric(text, name, **labels):
    """The value of one series in a Prometheus text page, 0 when it is absent."""
    wanted = name + ("{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls `predicate` until it returns something truthy; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(interval)
