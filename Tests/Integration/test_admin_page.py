"""The admin page (/admin/, issue 10 item 6; docs/admin-page.md) in headless Chromium through nginx.

Each test drives the real page with selenium: paste a key, publish a bundle from the file inputs,
install it with a grant, toggle it, open its UI in the sandboxed iframe and talk to the bridge
host. What the page shows is checked against the API. Screenshots go to
$EXTHOST_RUN_DIR/artifacts/admin-*.png.
"""
import json
import pathlib
import shutil
import time
import uuid

import pytest

from apihelpers import create_key, workers_with
from bundlefactory import (MIB, auth, keygen, manifest, pack, pack_with_tar, sign_with_openssl, unique_publisher,
                           write_extension)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is installed by scripts/setup")
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SANDBOX = "allow-scripts allow-forms"
# A UI script that talks to the bridge host with raw messages (as a hostile UI could) and
# writes what it saw into <pre id="probe">: the host must forward its own calls, refuse a path
# that leaves /api/ext/<this extension>/, and the sandbox must keep it out of the admin page.
PROBE_JS = r"""
"use strict";
const results = {};
const pending = new Map();
window.addEventListener("message", (event) => {
  if (event.source !== window.parent || !event.data || event.data.type !== "api-response") return;
  const resolve = pending.get(event.data.id);
  if (resolve) { pending.delete(event.data.id); resolve(event.data); }
});
function call(id, method, path, headers) {
  return new Promise((resolve) => {
    pending.set(id, resolve);
    window.parent.postMessage({exthost: 1, type: "api", id, method, path, headers: headers || {}, body: null}, "*");
  });
}
function attempt(name, action) {
  try { action(); results[name] = "allowed"; } catch (error) { results[name] = "blocked"; }
}
(async () => {
  attempt("parentDocument", () => window.parent.document.title);
  attempt("sessionStorage", () => window.sessionStorage.length);
  results.origin = window.origin;
  const own = await call(1, "GET", "/hello/probe");
  results.own = {status: own.status, error: own.error || null, keyLeaked: JSON.stringify(own).includes("exh_")};
  results.escape = (await call(2, "GET", "/../../installs")).error;
  results.encoded = (await call(3, "GET", "/%2e%2e/%2e%2e/installs")).error;
  results.authHeader = (await call(4, "GET", "/hello/x", {Authorization: "Bearer exh_stolen"})).error;
  window.parent.postMessage({exthost: 1, type: "resize", height: 234}, "*");
  window.parent.postMessage({exthost: 1, type: "ready"}, "*");
  document.getElementById("probe").textContent = JSON.stringify(results);
})();
"""


@pytest.fixture(scope="module")
def artifacts(stack):
    directory = pathlib.Path(stack["EXTHOST_RUN_DIR"]) / "artifacts"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def browser(stack, artifacts):
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    assert chromium and chromedriver, "chromium and chromium-driver are missing: run scripts/setup"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600",
                     # the stack's self-signed certificate; for this test browser only
                     "--ignore-certificate-errors"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def tenant(stack):
    tenant_id = str(uuid.uuid4())
    return {"id": tenant_id, "admin": create_key(stack, tenant_id, "admin")}


class AdminPage:
    """The admin page in the test browser: the actions an admin takes and what the page shows."""

    def __init__(self, driver, base_url, artifacts):
        self.driver = driver
        self.base_url = base_url
        self.artifacts = artifacts

    def wait(self, condition, timeout=20, message=""):
        try:
            # Every refresh of the page replaces its table rows: a row found a moment ago may be gone.
            return WebDriverWait(self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda _: condition())
        except TimeoutException:
            self.screenshot("timeout")
            logs = "\n".join(entry["message"] for entry in self.driver.get_log("browser"))
            raise AssertionError(f"timed out waiting for {message}\nbrowser console:\n{logs}") from None

    def screenshot(self, name):
        self.driver.switch_to.default_content()
        self.driver.save_screenshot(str(self.artifacts / f"admin-{name}.png"))

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def found(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def open_with_key(self, key):
        self.driver.get(f"{self.base_url}/admin/")
        self.find("#api-key").send_keys(key)
        self.find("#key-save").click()
        self.wait(lambda: self.find("#key-status").text == "key set for this tab", message="the key to be taken")

    def upload(self, bundle, signature=None):
        self.driver.execute_script("document.getElementById('upload-form').reset();"
                                   "document.getElementById('upload-stage').textContent = '';")
        self.find("#bundle-file").send_keys(str(bundle))
        if signature is not None:
            self.find("#signature-file").send_keys(str(signature))
        self.find("#upload-button").click()
        self.wait(lambda: self.find("#upload-stage").text in ("done", "failed"), message="the upload to end")
        return self.find("#upload-stage").text

    def error(self):
        box = self.find("#message")
        assert box.get_attribute("class") == "error", box.text
        return {"code": box.find_element(By.CSS_SELECTOR, ".error-code").text,
                "issues": [item.text for item in box.find_elements(By.CSS_SELECTOR, ".issues li")],
                "text": box.text}

    def install_row(self, qualified_name):
        rows = self.found(f'#installs tr[data-extension="{qualified_name}"]')
        return rows[0] if rows else None

    def install(self, qualified_name, grants=None, offered=None):
        """Installs the extension from the catalog table, checking the boxes of `grants` (every
        offered capability when None); `offered`, when given, must be exactly the boxes shown."""
        button = f'#extensions button[data-extension="{qualified_name}"]'
        self.wait(lambda: self.found(button), message=f"{qualified_name} in the catalog")
        self.find(button).click()
        self.wait(lambda: self.find("#install-form").is_displayed(), message="the install form")
        boxes = {box.get_attribute("value"): box for box in self.found("#install-grants input[name=grant]")}
        if offered is not None:
            assert set(boxes) == set(offered)
        for capability in boxes if grants is None else grants:
            boxes[capability].click()
        self.find("#install-button").click()
        self.wait(lambda: self.install_row(qualified_name) is not None, message=f"the install of {qualified_name}")

    def open_ui(self, qualified_name):
        """Clicks the install's "Open UI" and returns the iframe element."""
        self.install_row(qualified_name).find_element(By.CSS_SELECTOR, 'button[data-action="open-ui"]').click()
        return self.wait(lambda: self.found("#extension-frame") and self.find("#extension-frame"), message="the iframe")


@pytest.fixture()
def page(browser, base_url, artifacts, tenant):
    admin = AdminPage(browser, base_url, artifacts)
    admin.open_with_key(tenant["admin"])
    return admin


def published_extension(stack, tmp_path, publisher, ui_files=None, capabilities=("cap:context.read", "cap:log.emit"),
                        padding=0):
    """A packed bundle of a fresh extension whose index.html carries a unique marker."""
    marker = f"marker-{uuid.uuid4().hex[:12]}"
    directory = write_extension(tmp_path / publisher, manifest(publisher, capabilities=list(capabilities)),
                                padding=padding, note=marker)
    for name, text in (ui_files or {}).items():
        (directory / "ui" / name).write_text(text)
    return pack(stack, directory), marker


def test_admin_page_headers(http, base_url):
    response = http.get(f"{base_url}/admin/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-src 'self'", "frame-ancestors 'none'",
                      "object-src 'none'"):
        assert directive in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # No inline script anywhere in the page: every script is a file of /admin/.
    assert "<script>" not in response.text and "<script type=\"module\">" not in response.text
    redirect = http.get(f"{base_url}/admin", allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"].endswith("/admin/")


def test_publish_install_toggle_and_open_ui(stack, http, base_url, tenant, page, tmp_path):
    publisher = unique_publisher("adm")
    qualified = f"{publisher}.hello"
    bundle, marker = published_extension(stack, tmp_path, publisher)

    assert page.upload(bundle) == "done", page.find("#message").text
    result = page.find("#upload-result").text
    assert f"Published {qualified} 1.0.0" in result
    # The dev stack's store is moto over http: this https page uploads through the proxy.
    assert "proxy" in result
    page.wait(lambda: page.found(f'#extensions tr[data-extension="{qualified}"]'), message="the extension in the list")
    page.screenshot("1-published")

    listed = http.get(f"{base_url}/api/extensions/{qualified}", headers=auth(tenant["admin"]))
    assert listed.status_code == 200, listed.text
    content_hash = listed.json()["versions"][0]["contentHash"]
    assert result.count(content_hash) == 1

    page.install(qualified, grants=["cap:log.emit"], offered=["cap:context.read", "cap:log.emit"])
    page.screenshot("2-installed")

    installs = http.get(f"{base_url}/api/installs", headers=auth(tenant["admin"])).json()["installs"]
    (install,) = [i for i in installs if i["extension"] == qualified]
    assert install["grantedCapabilities"] == ["cap:log.emit"]
    assert install["enabled"] is True

    def toggle_to(enabled):
        page.install_row(qualified).find_element(By.CSS_SELECTOR, 'button[data-action="toggle"]').click()
        page.wait(lambda: page.install_row(qualified) is not None
                  and page.install_row(qualified).get_attribute("data-enabled") == str(enabled).lower(),
                  message=f"the install to be {'enabled' if enabled else 'disabled'}")
        seen = http.get(f"{base_url}/api/installs/{install['id']}", headers=auth(tenant["admin"])).json()
        assert seen["enabled"] is enabled

    toggle_to(False)
    assert not page.install_row(qualified).find_elements(By.CSS_SELECTOR, 'button[data-action="open-ui"]')
    page.screenshot("3-disabled")
    toggle_to(True)

    frame = page.open_ui(qualified)
    assert frame.get_attribute("sandbox") == SANDBOX
    assert frame.get_attribute("src").startswith(f"{base_url}/ext-ui/{install['extensionId']}/")
    page.wait(lambda: frame.get_attribute("data-loaded") == "true", message="the iframe to load")
    page.driver.switch_to.frame(frame)
    try:
        page.wait(lambda: marker in page.driver.find_element(By.TAG_NAME, "body").text, message="the UI's page in the iframe")
        # The sandbox gives the UI an opaque origin, whatever the iframe element says.
        assert page.driver.execute_script("return window.origin") == "null"
    finally:
        page.driver.switch_to.default_content()
    page.screenshot("4-ui-open")


def test_bridge_host_forwards_only_to_the_extension(stack, http, base_url, tenant, page, tmp_path):
    publisher = unique_publisher("adb")
    qualified = f"{publisher}.hello"
    ui = {"index.html": '<!doctype html><script src="probe.js" defer></script><pre id="probe"></pre>\n',
          "probe.js": PROBE_JS}
    bundle, _ = published_extension(stack, tmp_path, publisher, ui_files=ui)
    assert page.upload(bundle) == "done", page.find("#message").text
    page.install(qualified, grants=[])

    # Record every request the admin page makes from here on.
    page.driver.execute_script("""
        window.__fetched = [];
        const original = window.fetch;
        window.fetch = (url, init) => { window.__fetched.push(String(url)); return original(url, init); };""")
    frame = page.open_ui(qualified)
    page.wait(lambda: frame.get_attribute("data-ready") == "true", message="the probe's ready message")
    page.driver.switch_to.frame(frame)
    try:
        probe = json.loads(page.wait(lambda: page.driver.find_element(By.ID, "probe").text, message="the probe's results"))
    finally:
        page.driver.switch_to.default_content()
    page.screenshot("5-bridge-probe")

    assert probe["origin"] == "null"
    assert probe["parentDocument"] == "blocked" and probe["sessionStorage"] == "blocked"
    assert probe["own"] == {"status": 200, "error": None, "keyLeaked": False}
    assert probe["escape"]["code"] == "INVALID_PATH"
    assert probe["encoded"]["code"] == "INVALID_PATH"
    assert probe["authHeader"]["code"] == "HEADER_NOT_ALLOWED"
    assert frame.size["height"] == 234 + 2  # the resize message, plus the iframe's 1px border

    fetched = page.driver.execute_script("return window.__fetched")
    extension_id = http.get(f"{base_url}/api/extensions/{qualified}", headers=auth(tenant["admin"])).json()["id"]
    assert fetched == [f"{base_url}/api/ext/{extension_id}/hello/probe"], fetched

    # The same message from any window but the iframe's is ignored.
    page.driver.execute_script("window.postMessage({exthost: 1, type: 'api', id: 9, method: 'GET', path: '/hello/top'}, '*');")
    time.sleep(0.5)
    assert page.driver.execute_script("return window.__fetched.length") == 1


def test_bad_signature_shows_the_error_code(stack, page, tmp_path):
    publisher = unique_publisher("ads")
    bundle, _ = published_extension(stack, tmp_path, publisher)
    key, cert = keygen(stack, tmp_path / "keys", publisher)
    signature = tmp_path / "bundle.tar.zst.sig"
    signature.write_text(json.dumps(sign_with_openssl(bundle, key, cert, message="sha256:" + "0" * 64)))

    assert page.upload(bundle, signature) == "failed"
    error = page.error()
    page.screenshot("6-bad-signature")
    assert error["code"] == "SIGNATURE_INVALID", error
    assert "request id:" in error["text"]


def test_bad_manifest_lists_every_issue(stack, page, tmp_path):
    document = manifest(unique_publisher("adm"), version="not-semver", color="blue")
    bundle = pack_with_tar(write_extension(tmp_path / "bad", document))

    assert page.upload(bundle) == "failed"
    error = page.error()
    page.screenshot("7-bad-manifest")
    assert error["code"] == "MANIFEST_INVALID", error
    assert len(error["issues"]) >= 2, error
    assert any("$.color" in issue or "color" in issue for issue in error["issues"]), error
    assert any("version" in issue for issue in error["issues"]), error


def test_module_invalid_lists_the_problems(stack, page, tmp_path):
    publisher = unique_publisher("adw")
    directory = write_extension(tmp_path / "src", manifest(publisher))
    (directory / "dist" / "main.wasm").write_bytes(b"\0asm\x01\0\0\0")  # a valid, empty module
    bundle = pack_with_tar(directory)

    assert page.upload(bundle) == "failed"
    error = page.error()
    page.screenshot("8-module-invalid")
    assert error["code"] == "MODULE_INVALID", error
    assert any("exthost_alloc" in issue for issue in error["issues"]), error
    assert any("memory" in issue for issue in error["issues"]), error


def test_signature_file_that_is_not_json(stack, page, tmp_path):
    bundle, _ = published_extension(stack, tmp_path, unique_publisher("adj"))
    signature = tmp_path / "garbage.sig"
    signature.write_text("not a signature")
    assert page.upload(bundle, signature) == "failed"
    assert page.error()["code"] == "SIGNATURE_FILE_INVALID"


def test_forget_key_empties_the_page(stack, page, tmp_path):
    bundle, _ = published_extension(stack, tmp_path, unique_publisher("adk"))
    assert page.upload(bundle) == "done", page.find("#message").text
    page.wait(lambda: page.found("#extensions tbody tr"), message="the catalog")
    assert page.driver.execute_script("return sessionStorage.length") == 1
    page.find("#key-forget").click()
    assert page.find("#key-status").text == "no key"
    assert page.found("#installs tbody tr") == [] and page.found("#extensions tbody tr") == []
    assert page.driver.execute_script("return sessionStorage.length") == 0
    page.find("#refresh").click()
    page.wait(lambda: page.find("#message").is_displayed(), message="the error")
    assert page.error()["code"] == "NO_API_KEY"
    page.driver.refresh()
    assert page.find("#key-status").text == "no key"


def test_direct_uploads_to_a_same_origin_store_and_the_size_cap(stack, page, tmp_path):
    """With the file store the presigned URLs are this origin's: the page PUTs there itself,
    whole or in parts; a bundle over EXTHOST_MAX_BUNDLE_BYTES is refused before any byte moves."""
    bundle_dir = pathlib.Path(stack["EXTHOST_RUN_DIR"], "bundles-admin-page-test")
    with workers_with(stack, EXTHOST_BUNDLE_STORE="file", EXTHOST_BUNDLE_DIR=str(bundle_dir),
                      EXTHOST_MULTIPART_THRESHOLD=str(5 * MIB), EXTHOST_MAX_BUNDLE_BYTES=str(8 * MIB)):
        small, _ = published_extension(stack, tmp_path, unique_publisher("adf"))
        assert page.upload(small) == "done", page.find("#message").text
        assert page.find("#upload-result").text.endswith("unsigned, presigned-put)")

        large, _ = published_extension(stack, tmp_path, unique_publisher("adf"), padding=6 * MIB)
        assert page.upload(large) == "done", page.find("#message").text
        assert page.find("#upload-result").text.endswith("unsigned, multipart)")
        assert page.find("#upload-bar").get_attribute("value") == "100"
        page.screenshot("9-multipart")

        too_large, _ = published_extension(stack, tmp_path, unique_publisher("adf"), padding=9 * MIB)
        assert page.upload(too_large) == "failed"
        error = page.error()
        page.screenshot("10-too-large")
        assert error["code"] == "BUNDLE_TOO_LARGE", error


NOTES = ROOT / "examples" / "notes"


@pytest.mark.skipif(not (NOTES / "dist" / "main.wasm").is_file(), reason="examples/notes is not built")
def test_notes_round_trip_through_the_bridge(stack, http, base_url, tenant, page, tmp_path):
    """The notes example's UI adds a note through exthost-bridge.js and this page's bridge host;
    the note is then in the extension's storage, as its API shows."""
    publisher = unique_publisher("adn")
    source = shutil.copytree(NOTES, tmp_path / "notes", ignore=shutil.ignore_patterns("*.sig", "*.tar.zst"))
    document = json.loads((source / "manifest.json").read_text())
    document["publisher"] = publisher
    (source / "manifest.json").write_text(json.dumps(document, indent=2))
    qualified = f"{publisher}.notes"

    assert page.upload(pack(stack, source)) == "done", page.find("#message").text
    page.install(qualified, grants=["cap:storage.kv", "cap:config.read", "cap:secrets.get", "cap:log.emit"])
    frame = page.open_ui(qualified)
    page.wait(lambda: frame.get_attribute("data-ready") == "true", message="the notes UI to be ready")

    title = f"note {uuid.uuid4().hex[:8]}"
    page.driver.switch_to.frame(frame)
    try:
        page.wait(lambda: "note" in page.driver.find_element(By.ID, "status").text, message="the notes list")
        page.driver.find_element(By.CSS_SELECTOR, "#new-note input[name=title]").send_keys(title)
        page.driver.find_element(By.CSS_SELECTOR, "#new-note textarea[name=text]").send_keys("through the bridge")
        page.driver.find_element(By.CSS_SELECTOR, "#new-note button[type=submit]").click()
        page.wait(lambda: title in page.driver.find_element(By.ID, "notes").text, message="the new note in the UI")
    finally:
        page.driver.switch_to.default_content()
    page.screenshot("11-notes")

    listed = http.get(f"{base_url}/api/ext/{qualified}/notes", headers=auth(tenant["admin"]))
    assert listed.status_code == 200, listed.text
    assert title in [note["title"] for note in listed.json()["notes"]]


@pytest.mark.parametrize("template", ["c", "wat", "swift"])
def test_a_new_projects_ui_loads_in_the_admin_page_and_greets_through_the_bridge(stack, tenant, page, tmp_path, template):
    """Issue 12's "done when": `exthost new` → `./build` → upload and install in this page → its
    UI opens in the sandboxed iframe, reaches its API through the bridge and shows the greeting."""
    import subprocess
    publisher = unique_publisher("new")
    binary = pathlib.Path(stack["EXTHOST_BIN_DIR"], "exthost")
    created = subprocess.run([str(binary), "new", "greeter", "--template", template, "--publisher", publisher,
                              "--dir", str(tmp_path / "greeter")], capture_output=True, text=True)
    assert created.returncode == 0, created.stdout + created.stderr
    built = subprocess.run([str(tmp_path / "greeter" / "build")], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    qualified = f"{publisher}.greeter"
    assert page.upload(pack(stack, tmp_path / "greeter")) == "done", page.find("#message").text
    page.install(qualified, grants=["cap:log.emit"])
    frame = page.open_ui(qualified)
    assert frame.get_attribute("sandbox") == "allow-scripts allow-forms"
    page.wait(lambda: frame.get_attribute("data-ready") == "true", message=f"the {template} project's UI to be ready")
    page.driver.switch_to.frame(frame)
    try:
        page.wait(lambda: page.driver.find_element(By.ID, "answer").text == "Hello, world!", message="the greeting")
    finally:
        page.driver.switch_to.default_content()
    page.screenshot(f"12-new-{template}")
