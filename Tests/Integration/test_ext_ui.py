"""Extension UI through the real nginx, exthost-runner and exthost-cachefill (issue 7 items 3, 4).

`/ext-ui/<extension uuid>/<hex>/<path>` is served by nginx from the `ext-ui/` links of the cache
tree; a miss goes to the runner, which has cachefill fill the tree and answers X-Accel-Redirect.
Whether nginx served a request alone or asked the runner is read from its access log (the
`upstream` of the line carrying the test's X-Request-Id).
"""
import json
import os
import pathlib
import shutil
import ssl
import time
import urllib.parse
import uuid
from http.client import HTTPSConnection

import pytest

from apihelpers import create_key
from bundlefactory import manifest, publish, unique_publisher, write_extension

IMMUTABLE = "public, max-age=31536000, immutable"
# Extra UI files next to the index.html that bundlefactory writes.
UI_FILES = {
    "style.css": "body { color: #123; }\n",
    "app.js": "console.log('hi');\n",
    "docs/index.html": "<!doctype html><p>docs</p>\n",
    "my file.js": "// a name that needs percent-encoding\n",
}


# The default wait is for what a test needs before it checks anything (the prefetch of its
# install on a loaded machine): a passing wait ends early.
def wait_until(predicate, timeout=30.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@pytest.fixture(scope="module")
def tenant(stack):
    tenant_id = str(uuid.uuid4())
    return {"id": tenant_id, "admin": create_key(stack, tenant_id, "admin")}


@pytest.fixture(scope="module")
def cache_dir(stack):
    path = pathlib.Path(stack["EXTHOST_CACHE_DIR"])
    assert path.is_dir(), f"{path} is missing: is exthost-cachefill running (scripts/stack status)?"
    return path


class Published:
    """One published and installed extension: its ids, hash, uiUrl and paths in the tree."""

    def __init__(self, install, cache_dir):
        self.install = install
        self.extension_id = install["extensionId"]
        self.hex = install["contentHash"].removeprefix("sha256:")
        self.ui_url = install["uiUrl"]
        self.base = f"/ext-ui/{self.extension_id}/{self.hex}/"
        self.link = cache_dir / "ext-ui" / self.extension_id / self.hex
        self.tree = cache_dir / "sha256" / self.hex


def publish_and_install(stack, http, base_url, tenant, tmp_path, cache_dir, note=""):
    publisher = unique_publisher("ui")
    directory = write_extension(tmp_path / publisher, manifest(publisher), note=note)
    for name, text in UI_FILES.items():
        (directory / "ui" / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / "ui" / name).write_text(text)
    _, finalized = publish(stack, http, base_url, tenant["admin"], directory)
    assert finalized.status_code == 201, finalized.text
    response = http.post(f"{base_url}/api/installs", json={"extensionId": f"{publisher}.hello", "version": "1.0.0"},
                         headers={"Authorization": "Bearer " + tenant["admin"]})
    assert response.status_code == 201, response.text
    return Published(response.json(), cache_dir)


@pytest.fixture()
def published(stack, http, base_url, tenant, tmp_path, cache_dir):
    return publish_and_install(stack, http, base_url, tenant, tmp_path, cache_dir)


def access_log(stack):
    return pathlib.Path(stack["EXTHOST_LOG_DIR"]) / "nginx-access.log"


@pytest.fixture()
def get(http, base_url, stack):
    """GET base_url + path with a fresh X-Request-Id, remembered for `upstream_of`."""
    def fetch(path, **headers):
        request_id = uuid.uuid4().hex
        # Where nginx's access log ends now: the request's line comes after (the log can be large).
        log_offset = access_log(stack).stat().st_size
        response = http.get(base_url + path, headers={"X-Request-Id": request_id, **headers})
        response.request_id, response.log_offset = request_id, log_offset
        return response
    return fetch


def upstream_of(stack, response):
    """The `upstream` nginx logged for the response's request: "" when nginx answered alone."""
    def find():
        with open(access_log(stack), "rb") as log:
            log.seek(response.log_offset)
            for line in log:
                if response.request_id.encode() in line:
                    return json.loads(line)
        return None

    # nginx writes the line after the answer has gone out.
    entry = wait_until(find, timeout=30)
    assert entry is not None, f"request {response.request_id} is not in {access_log(stack)}"
    return entry["upstream"]


def raw_get(stack, base_url, path):
    """GET with the path exactly as given (no client-side normalization); returns (status, headers, body)."""
    url = urllib.parse.urlsplit(base_url)
    context = ssl.create_default_context(cafile=stack["EXTHOST_CA"])
    connection = HTTPSConnection(url.hostname, url.port, context=context, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def assert_immutable_file(response, content_type, body=None):
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == content_type
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors " in csp and "sandbox" in csp
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/"), etag  # strong
    if body is not None:
        assert response.text == body


def assert_ui_404(response, code):
    assert response.status_code == 404, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code, response.text
    assert "immutable" not in response.headers.get("Cache-Control", "")


# ---------------------------------------------------------------- hits

def test_publish_and_install_prefetches_the_ui_which_nginx_then_serves_alone(stack, published, get):
    # Nobody asked for the UI: the link comes from the daemon's NOTIFY-driven prefetch.
    # Well below the 60 s reconcile: the NOTIFY made the link.
    assert wait_until(published.link.is_symlink, timeout=15), f"no link {published.link} 15 s after the install"
    assert os.readlink(published.link) == f"../../sha256/{published.hex}/ui"
    assert published.ui_url == published.base + "index.html"

    page = get(published.ui_url)
    assert_immutable_file(page, "text/html")
    assert "<p>hello" in page.text
    assert upstream_of(stack, page) == ""

    assert_immutable_file(get(published.base + "style.css"), "text/css", UI_FILES["style.css"])
    assert_immutable_file(get(published.base + "app.js"), "application/javascript", UI_FILES["app.js"])
    assert_immutable_file(get(published.base + "my%20file.js"), "application/javascript")


def test_directories_are_served_by_their_index_and_never_listed(published, get):
    assert wait_until(published.link.is_symlink)
    root = get(published.base)
    assert_immutable_file(root, "text/html")
    assert "<p>hello" in root.text
    for path in ("docs/", "docs"):
        assert_immutable_file(get(published.base + path), "text/html", UI_FILES["docs/index.html"])


def test_a_strong_etag_revalidates_to_304_and_head_has_the_same_headers(http, base_url, published, get):
    assert wait_until(published.link.is_symlink)
    first = get(published.base + "app.js")
    again = get(published.base + "app.js", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == IMMUTABLE
    head = http.head(base_url + published.base + "app.js")
    assert head.status_code == 200 and head.headers["ETag"] == first.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(UI_FILES["app.js"]))


# ---------------------------------------------------------------- misses

def test_a_cold_miss_is_filled_and_served_through_the_runner(stack, published, get):
    assert wait_until(published.link.is_symlink)
    # Wipe what the daemon made: the next request finds neither the link nor the tree.
    published.link.unlink()
    shutil.rmtree(published.tree)

    page = get(published.base + "style.css")
    assert_immutable_file(page, "text/css", UI_FILES["style.css"])
    assert "exthost-runner.sock" in upstream_of(stack, page)
    assert (published.tree / "ui" / "style.css").is_file()

    # The tree is back: the runner redirects at once, for directories too.
    assert_immutable_file(get(published.base), "text/html")
    assert_immutable_file(get(published.base + "my%20file.js"), "application/javascript")


def test_a_file_missing_from_a_present_tree_is_a_json_404(published, get):
    for path in ("missing.js", "docs/missing.html", "app.js/", "ui/index.html"):
        response = get(published.base + path)
        assert_ui_404(response, "UI_FILE_NOT_FOUND")
        assert response.headers["Cache-Control"] == "no-store"


def test_a_disabled_install_is_a_404_and_loses_its_link(http, base_url, tenant, published, get):
    assert wait_until(published.link.is_symlink)
    paths = ("index.html", "", "style.css")
    for path in paths:  # hits, so nginx holds them in its open-file cache
        assert get(published.base + path).status_code == 200
    disabled = http.patch(f"{base_url}/api/installs/{published.install['id']}", json={"enabled": False},
                          headers={"Authorization": "Bearer " + tenant["admin"]})
    assert disabled.status_code == 200, disabled.text
    assert wait_until(lambda: not published.link.is_symlink(), timeout=15), "the link outlived the disable by 15 s"
    # nginx revalidates each cached descriptor open_file_cache_valid (1 s) after it checked that
    # one, so the paths may turn 404 a few requests apart; later still when loaded.
    assert wait_until(lambda: all(get(published.base + path).status_code == 404 for path in paths), timeout=30)
    for path in paths:
        response = get(published.base + path)
        assert_ui_404(response, "UI_NOT_FOUND")
        assert response.headers["Cache-Control"] == "no-store"


def test_a_pair_no_tenant_enabled_is_a_404(stack, http, base_url, tenant, tmp_path, cache_dir, published, get):
    other = publish_and_install(stack, http, base_url, tenant, tmp_path, cache_dir, note="other")
    assert other.hex != published.hex
    crossed = (f"/ext-ui/{published.extension_id}/{other.hex}/index.html",
               f"/ext-ui/{other.extension_id}/{published.hex}/index.html",
               f"/ext-ui/{uuid.uuid4()}/{published.hex}/index.html",
               f"/ext-ui/{published.extension_id}/{'0' * 64}/index.html")
    for path in crossed:
        assert_ui_404(get(path), "UI_NOT_FOUND")
    assert not (cache_dir / "sha256" / ("0" * 64)).exists()


# ---------------------------------------------------------------- path tricks

@pytest.fixture()
def planted(stack, cache_dir, published):
    """Secrets next to the tree: in the cache root, in the bundle outside ui/, and a link inside ui/."""
    assert wait_until(published.link.is_symlink)
    marker = "SECRET-" + uuid.uuid4().hex
    outside = cache_dir / f"secret-{marker}.txt"
    outside.write_text(marker)
    assert (published.tree / "manifest.json").is_file()  # what ../manifest.json tricks aim at
    escape = published.tree / "ui" / "escape.txt"
    escape.symlink_to(outside)
    yield {"marker": marker, "outside": outside.name}
    escape.unlink(missing_ok=True)
    outside.unlink(missing_ok=True)


def test_path_tricks_never_leave_the_tree(stack, base_url, published, planted):
    base, secret = published.base, planted["outside"]
    tricks = [
        base + "../manifest.json", base + "%2e%2e/manifest.json", base + "%2E%2E/manifest.json",
        base + ".%2e/manifest.json", base + "docs/../../manifest.json", base + "./index.html",
        base + "../../../../" + secret, base + "%2e%2e/%2e%2e/%2e%2e/%2e%2e/" + secret,
        base + "..%2f..%2f..%2f..%2f" + secret, base + "%2e%2e%2f%2e%2e%2fmanifest.json",
        base + "/index.html", base + "docs//index.html", f"/ext-ui/{published.extension_id}//{published.hex}/index.html",
        f"/ext-ui/{published.extension_id}%2f{published.hex}/index.html",
        base + "index.html%00", base + "index.html%00.js", base + "%00/index.html", base + "..%5cmanifest.json",
        base + "..\\manifest.json", base + "escape.txt", base + "%65scape.txt",
        f"/ext-ui/{published.extension_id.upper()}/{published.hex}/index.html",
        f"/ext-ui/{published.extension_id}/{published.hex.upper()}/index.html",
        f"/ext-ui/{published.extension_id}/sha256:{published.hex}/index.html",
        f"/ext-ui/{published.extension_id}/{published.hex}",
        f"/_exthost_static/sha256/{published.hex}/manifest.json",
        f"/_exthost_static/sha256/{published.hex}/ui/index.html",
        "/ext-ui/../" + secret, "/ext-ui/%2e%2e/" + secret, "/ext-ui/",
    ]
    for path in tricks:
        status, headers, body = raw_get(stack, base_url, path)
        assert status in (400, 404), f"{path} answered {status}"
        assert planted["marker"].encode() not in body and b'"runtime"' not in body, path
        assert "immutable" not in headers.get("Cache-Control", ""), path


def test_the_canonical_url_still_works_next_to_the_tricks(stack, base_url, published, planted):
    status, headers, body = raw_get(stack, base_url, published.ui_url)
    assert status == 200 and headers["Cache-Control"] == IMMUTABLE and b"<p>hello" in body
