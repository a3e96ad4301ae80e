"""The author workflow (issue 12, items 1 and 2): `exthost new` and `exthost run`.

- Each template (c, wat, swift) goes from `exthost new` through its own ./build to a bundle that
  `exthost verify` accepts, runs locally with `exthost run` (directory and bundle), and, published
  with `exthost publish DIR --install`, answers through nginx with its UI served as text/html.
- The project carries exact copies of the SDK (C headers, iframe bridge).
- `exthost new` refuses an existing directory and names the validator's rule for a bad name.
- `exthost run` behaves as the gateway: endpoint matching (HEAD, OPTIONS, 404), limits from the
  environment (EXTENSION_TIMEOUT), config and secrets from flags, grants narrowed by --grant
  (capability_denied inside the handler), storage in memory, http.fetch only to --allow-host.
"""
import http.server
import json
import os
import pathlib
import subprocess
import threading
import uuid

import pytest

from apihelpers import cli, create_key
from bundlefactory import unique_publisher

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = ["c", "wat", "swift"]
NOTES = ROOT / "examples" / "notes"


def bin_dir():
    return os.environ.get("EXTHOST_BIN_DIR") or str(ROOT / ".build" / "release")


def exthost(*args, env=None, cwd=None):
    """Runs the CLI without the stack: `new` and `run` need no server."""
    return subprocess.run([os.path.join(bin_dir(), "exthost"), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    return result


def run_json(target, *args, env=None, expect=0):
    result = exthost("run", target, *args, "--json", env=env)
    assert result.returncode == expect, f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    return json.loads(result.stdout)


@pytest.fixture(scope="module", params=TEMPLATES)
def project(request, tmp_path_factory):
    """A project made by `exthost new` for one template, built with its script and packed."""
    template = request.param
    publisher = unique_publisher("aw")
    name = f"greeter-{template}"
    directory = tmp_path_factory.mktemp(f"new-{template}") / name
    ok(exthost("new", name, "--template", template, "--publisher", publisher, "--dir", directory))
    ok(subprocess.run([str(directory / "build")], capture_output=True, text=True))
    bundle = directory.parent / "bundle.tar.zst"
    ok(exthost("pack", directory, "-o", bundle))
    return {"template": template, "dir": directory, "bundle": bundle, "publisher": publisher, "name": name}


# ---------------------------------------------------------------------------------------------
# exthost new


def test_new_project_has_the_manifest_ui_and_an_executable_build(project):
    directory = project["dir"]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["name"] == project["name"] and manifest["publisher"] == project["publisher"]
    assert manifest["runtime"] == "exthost-wasm@1" and manifest["entry"] == "dist/main.wasm"
    assert manifest["api"]["endpoints"] == [{"method": "GET", "path": "/hello/:name", "handler": "hello"}]
    assert manifest["ui"]["entry"] == "ui/index.html"
    assert os.access(directory / "build", os.X_OK)
    page = (directory / "ui" / "index.html").read_text()
    assert '<script src="exthost-bridge.js"' in page and '<script src="app.js"' in page
    assert "exthost.api(" in (directory / "ui" / "app.js").read_text()


def test_new_project_carries_the_sdk_unchanged(project):
    directory = project["dir"]
    assert (directory / "ui" / "exthost-bridge.js").read_bytes() == (ROOT / "sdk" / "js" / "exthost-bridge.js").read_bytes(), \
        "the project's ui/exthost-bridge.js is not sdk/js/exthost-bridge.js"
    if project["template"] == "c":
        for header in ["exthost.h", "exthost_json.h"]:
            assert (directory / "sdk" / header).read_bytes() == (ROOT / "sdk" / "c" / header).read_bytes(), \
                f"the project's sdk/{header} is not sdk/c/{header}"


def test_new_project_passes_verify_as_generated(project):
    result = ok(exthost("verify", project["bundle"], "--json"))
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["module"]["checked"] is True, report


@pytest.mark.parametrize("source", ["dir", "bundle"])
def test_run_answers_the_greeting(project, source):
    report = run_json(project[source], "--request", "GET /hello/ada")
    assert report["ok"] is True
    assert report["endpoint"] == {"method": "GET", "path": "/hello/:name", "handler": "hello"}
    assert report["params"] == {"name": "ada"}
    assert report["response"]["status"] == 200
    assert report["response"]["headers"]["content-type"] == "application/json"
    assert json.loads(report["response"]["body"]) == {"message": "Hello, ada!"}
    assert report["logs"] == [{"level": "info", "source": "guest", "message": "hello called"}]
    assert report["fuelUsed"] > 0 and report["wallTimeMs"] > 0


def test_run_decodes_and_escapes_the_name(project):
    report = run_json(project["dir"], "--request", "GET /hello/a%22d%C3%A9%5C%20x")
    assert json.loads(report["response"]["body"]) == {"message": 'Hello, a"d\u00e9\\ x!'}


def test_run_prints_status_headers_body_log_fuel_and_time(project):
    result = ok(exthost("run", project["dir"], "--request", "GET /hello/ada"))
    lines = result.stdout.splitlines()
    assert lines[0] == "HTTP 200 OK"
    assert "content-type: application/json" in lines
    assert '{"message":"Hello, ada!"}' in lines
    assert "  info: hello called" in lines
    assert lines[-1].startswith("GET /hello/ada: handler hello (GET /hello/:name), fuel ") and lines[-1].endswith(" ms")


def test_new_refuses_an_existing_directory(tmp_path):
    directory = tmp_path / "taken"
    directory.mkdir()
    (directory / "keep.txt").write_text("mine")
    result = exthost("new", "taken", "--template", "c", "--dir", directory)
    assert result.returncode != 0 and "already exists" in result.stderr
    assert sorted(p.name for p in directory.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("args, rule", [
    (["Bad_Name"], "name must be 1-63 lowercase letters"),
    (["ok", "--publisher", "Acme Inc"], "publisher must be 1-63 lowercase letters"),
])
def test_new_applies_the_manifest_rules_to_name_and_publisher(tmp_path, args, rule):
    result = exthost("new", *args, "--template", "wat", "--dir", tmp_path / "p")
    assert result.returncode == 64 and rule in result.stderr, result.stderr
    assert not (tmp_path / "p").exists()


def test_new_rejects_an_unknown_template(tmp_path):
    result = exthost("new", "x", "--template", "rust", "--dir", tmp_path / "p")
    assert result.returncode == 64 and "template" in result.stderr


# ---------------------------------------------------------------------------------------------
# exthost run: the gateway's matching, errors and limits


def test_run_head_runs_get_without_a_body_and_options_lists_methods(project):
    head = run_json(project["dir"], "--request", "HEAD /hello/ada")
    assert head["endpoint"]["handler"] == "hello" and head["response"]["status"] == 200 and head["response"]["body"] == ""
    options = run_json(project["dir"], "--request", "OPTIONS /hello/ada")
    assert options["endpoint"] is None and options["response"]["status"] == 204
    assert options["response"]["headers"]["allow"] == "GET, HEAD, OPTIONS"


def test_run_unknown_endpoint_is_endpoint_not_found(project):
    report = run_json(project["dir"], "--request", "POST /hello/ada", expect=1)
    assert report["ok"] is False and report["error"]["code"] == "ENDPOINT_NOT_FOUND" and report["error"]["status"] == 404
    text = exthost("run", project["dir"], "--request", "GET /nowhere")
    assert text.returncode == 1 and "ENDPOINT_NOT_FOUND (404)" in text.stderr


def test_run_uses_the_fuel_limit_of_the_environment(project):
    # Enough for the host to place the request with exthost_alloc, not for the handler (a greeting
    # costs 10,000 to 450,000 units depending on the template).
    report = run_json(project["dir"], "--request", "GET /hello/ada", env={"EXT_FUEL_PER_REQUEST": "5000"}, expect=1)
    assert report["error"]["code"] == "EXTENSION_TIMEOUT" and report["error"]["status"] == 504
    bad = exthost("run", project["dir"], "--request", "GET /hello/ada", env={"EXT_FUEL_PER_REQUEST": "lots"})
    assert bad.returncode != 0 and "CONFIGURATION_INVALID" in bad.stderr


def test_run_refuses_a_grant_the_manifest_does_not_declare(project):
    result = exthost("run", project["dir"], "--request", "GET /hello/ada", "--grant", "cap:http.fetch")
    assert result.returncode != 0 and "does not declare" in result.stderr


def test_run_without_the_log_grant_drops_the_guest_lines(project):
    report = run_json(project["dir"], "--request", "GET /hello/ada", "--grant", "none")
    assert report["response"]["status"] == 200 and report["logs"] == []


def test_run_on_an_unbuilt_project_says_to_build(tmp_path):
    directory = tmp_path / "raw"
    ok(exthost("new", "raw", "--template", "wat", "--dir", directory))
    result = exthost("run", directory, "--request", "GET /hello/ada")
    assert result.returncode != 0 and "MODULE_MISSING" in result.stderr and "./build" in result.stderr


def test_run_lists_every_manifest_issue(tmp_path):
    directory = tmp_path / "broken"
    ok(exthost("new", "broken", "--template", "wat", "--dir", directory))
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["version"] = "one"
    manifest["colour"] = "blue"
    (directory / "manifest.json").write_text(json.dumps(manifest))
    result = exthost("run", directory, "--request", "GET /hello/ada")
    assert result.returncode != 0 and "MANIFEST_INVALID: manifest.json has 2 issue(s)" in result.stderr, result.stderr
    assert "  version: " in result.stderr and "  colour: " in result.stderr


# ---------------------------------------------------------------------------------------------
# exthost run: host calls, with the notes example


def test_run_notes_settings_reads_config_and_secret():
    report = run_json(NOTES, "--request", "GET /settings", "--config", "title=My notes", "--secret", "apiToken=tok-1")
    assert report["response"]["status"] == 200
    assert json.loads(report["response"]["body"]) == {"title": "My notes", "apiTokenSet": True}


def test_run_notes_config_json_values():
    report = run_json(NOTES, "--request", "GET /settings", "--config", 'title:={"nested":[1,2]}')
    assert json.loads(report["response"]["body"]) == {"title": {"nested": [1, 2]}, "apiTokenSet": False}


def test_run_grant_narrowing_answers_capability_denied_inside_the_handler():
    report = run_json(NOTES, "--request", "GET /settings", "--config", "title=T", "--secret", "apiToken=tok-1",
                      "--grant", "cap:config.read")
    assert report["ok"] is True and report["response"]["status"] == 403
    body = json.loads(report["response"]["body"])
    assert body["error"]["code"] == "HOST_CALL_FAILED" and body["error"]["hostError"]["code"] == "capability_denied"


def test_run_storage_is_in_memory_for_one_invocation(tmp_path):
    listed = run_json(NOTES, "--request", "GET /notes")
    assert listed["response"]["status"] == 200 and json.loads(listed["response"]["body"]) == {"notes": [], "next": None}
    note = tmp_path / "note.json"
    note.write_text(json.dumps({"title": "Hi", "text": "from a file"}))
    created = run_json(NOTES, "--request", "POST /notes", "--header", "Content-Type: application/json", "--body", f"@{note}")
    assert created["response"]["status"] == 201
    stored = json.loads(created["response"]["body"])
    assert stored["id"] == created["requestId"] and stored["title"] == "Hi" and stored["revision"] == 1
    assert {"level": "info", "source": "guest", "message": "note created"} in created["logs"]
    # Nothing outlives the run: the next invocation starts with empty storage.
    again = run_json(NOTES, "--request", f"GET /notes/{stored['id']}")
    assert again["response"]["status"] == 404


def test_run_body_text_and_bad_input_are_checked():
    bad = run_json(NOTES, "--request", "POST /notes", "--body", "not json")
    assert bad["response"]["status"] == 400
    assert exthost("run", NOTES, "--request", "GET").returncode != 0
    assert exthost("run", NOTES, "--request", "GET /notes", "--header", "no colon").returncode != 0


class QuoteHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"Simplicity is prerequisite for reliability."
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def quote_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuoteHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_run_http_fetch_reaches_only_allowed_hosts(quote_server):
    url = f"http://{quote_server}/quote"
    allowed = run_json(NOTES, "--request", "GET /quote", "--config", f"quoteUrl={url}", "--allow-host", f"http://{quote_server}")
    assert allowed["response"]["status"] == 200
    assert json.loads(allowed["response"]["body"]) == {"status": 200, "quote": "Simplicity is prerequisite for reliability."}
    refused = run_json(NOTES, "--request", "GET /quote", "--config", f"quoteUrl={url}")
    assert refused["response"]["status"] == 502
    assert json.loads(refused["response"]["body"])["error"]["hostError"]["code"] == "not_allowed"
    assert any(line["source"] == "host" and "FETCH_NOT_ALLOWED" in line["message"] and "--allow-host" in line["message"]
               for line in refused["logs"]), refused["logs"]
    # Loopback is reachable only when the entry names that literal address, as on the server.
    other_port = run_json(NOTES, "--request", "GET /quote", "--config", f"quoteUrl={url}", "--allow-host", "http://127.0.0.1:1")
    assert json.loads(other_port["response"]["body"])["error"]["hostError"]["code"] == "not_allowed"
    malformed = exthost("run", NOTES, "--request", "GET /quote", "--allow-host", "http://x/y")
    assert malformed.returncode != 0 and "CONFIGURATION_INVALID" in malformed.stderr


# ---------------------------------------------------------------------------------------------
# Published through the local stack


@pytest.fixture(scope="module")
def tenant(stack):
    tenant_id = str(uuid.uuid4())
    return {"id": tenant_id, "admin": create_key(stack, tenant_id, "admin"), "member": create_key(stack, tenant_id, "member")}


def test_published_project_answers_through_nginx_and_serves_its_ui(project, stack, tenant, http, base_url):
    result = cli({**stack, "EXTHOST_API_KEY": tenant["admin"]}, "publish", str(project["dir"]), "--install",
                 "--grant", "cap:log.emit", "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    extension = f"{project['publisher']}.{project['name']}"
    answer = http.get(f"{base_url}/api/ext/{extension}/hello/ada", headers={"Authorization": "Bearer " + tenant["member"]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"message": "Hello, ada!"}
    ui = report["install"]["uiUrl"]
    page = http.get(base_url + ui)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html"), (ui, page.status_code)
    assert "exthost-bridge.js" in page.text
    base = ui if ui.endswith("/") else ui.rsplit("/", 1)[0] + "/"
    bridge = http.get(base_url + base + "exthost-bridge.js")
    assert bridge.status_code == 200 and bridge.content == (ROOT / "sdk" / "js" / "exthost-bridge.js").read_bytes()
