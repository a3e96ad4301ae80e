"""Extension UIs cannot escape their iframe, and the admin page cannot be framed by another site
(docs/security.md, "Iframe escape and clickjacking").

The headers are read from real answers of nginx: an extension UI file served from the tree, the
same file served after a cold miss (through the runner's X-Accel-Redirect), and the admin page.
"""
import pathlib
import shutil
import time
import uuid

import pytest
import requests

from apihelpers import create_key, wait_for
from bundlefactory import manifest, publish, unique_publisher, write_extension

# Tokens that would hand an extension UI the admin origin or the top window.
ESCAPES = ("allow-same-origin", "allow-top-navigation", "allow-top-navigation-by-user-activation",
           "allow-top-navigation-to-custom-protocols", "allow-popups-to-escape-sandbox")


def directives(csp):
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = [word.lower() for word in words[1:]]
    return parsed


def assert_sandboxed_ui(response):
    assert response.status_code == 200, response.text
    policy = directives(response.headers["Content-Security-Policy"])
    assert "sandbox" in policy, policy
    assert not set(ESCAPES) & set(policy["sandbox"]), policy["sandbox"]
    assert policy.get("frame-ancestors") and "*" not in policy["frame-ancestors"], policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture(scope="module")
def ui(stack, base_url, tmp_path_factory):
    session = requests.Session()
    session.trust_env = False
    session.verify = stack["EXTHOST_CA"]
    admin = create_key(stack, str(uuid.uuid4()), "admin")
    publisher = unique_publisher("sbx")
    directory = write_extension(tmp_path_factory.mktemp("sbx") / publisher, manifest(publisher))
    _, finalized = publish(stack, session, base_url, admin, directory)
    assert finalized.status_code == 201, finalized.text
    installed = session.post(f"{base_url}/api/installs", json={"extensionId": f"{publisher}.hello", "version": "1.0.0"},
                             headers={"Authorization": "Bearer " + admin})
    assert installed.status_code == 201, installed.text
    yield session, installed.json()
    session.close()


def test_an_extension_ui_is_sandboxed_without_its_origin_whether_served_from_the_tree_or_after_a_miss(stack, base_url, ui):
    session, install = ui
    url = base_url + install["uiUrl"]
    # Prefetch may still be running: wait for the file to be served at all.
    deadline = time.monotonic() + 30
    response = session.get(url)
    while response.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        response = session.get(url)
    assert_sandboxed_ui(response)

    # A cold miss goes through the runner and X-Accel-Redirect: the same policy must hold there.
    content_hash = install["contentHash"].removeprefix("sha256:")
    cache = pathlib.Path(stack["EXTHOST_CACHE_DIR"])
    link = cache / "ext-ui" / install["extensionId"] / content_hash
    # The 200 above may have come from a miss while the prefetch had not linked the tree yet.
    wait_for(link.is_symlink, 30, "the prefetch's ext-ui link")
    link.unlink()
    shutil.rmtree(cache / "sha256" / content_hash)
    assert_sandboxed_ui(session.get(url))


def test_the_admin_page_refuses_to_be_framed(http, base_url):
    # The page holds the API key; API answers carry frame-ancestors 'none' in the production
    # site only (test_nginx_prod.py::test_https_answers_with_the_security_headers).
    page = http.get(base_url + "/admin/")
    assert page.status_code == 200, page.text
    assert directives(page.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert page.headers["X-Frame-Options"] == "DENY"
