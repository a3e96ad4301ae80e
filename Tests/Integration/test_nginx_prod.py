"""The production nginx site (nginx/exthost.conf, issue 10 item 3): rendered into a temporary
nginx.conf (temp certificate, logs, sockets and tree), accepted by `nginx -t`, clean under gixy
but for the findings docs/operator-guide.md explains, and served for real on loopback ports to
check TLS, redirects, headers, the local-only locations and the rate limit of /api/ext/.

Needs no stack: the FastCGI sockets are absent, so proxied locations answer 502.
"""
import http.client
import json
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import time
import warnings

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
SITE = ROOT / "nginx" / "exthost.conf"

# gixy findings that docs/operator-guide.md ("gixy findings") explains: nginx's own JSON error
# answers set X-Request-Id (and Retry-After, Cache-Control), which drops the server's
# nosniff/CSP headers there. Any other finding fails the test.
ALLOWED_GIXY = {
    "add_header_redefinition": {
        "locations": {"@exthost_too_large", "@exthost_rate_limited", "@ui_not_found"},
        "headers": {"x-content-type-options", "content-security-policy"},
    },
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(tmp, http_port=80, https_port=443):
    """Writes tmp/nginx.conf around the production site with every system path moved into tmp."""
    for name in ("logs", "run", "cache/sha256", "cache/ext-ui", "admin", "tmp"):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True, capture_output=True)
    for name in ("fastcgi_params.exthost", "fastcgi_params.exthost-common"):
        shutil.copy(ROOT / "nginx" / name, tmp / name)
    site = SITE.read_text()
    for old, new in {
        "/etc/exthost/tls/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/exthost/tls/privkey.pem": str(tmp / "key.pem"),
        "/var/log/nginx/": f"{tmp}/logs/",
        "/run/exthost/": f"{tmp}/run/",
        "/var/cache/exthost": str(tmp / "cache"),
        "/usr/local/share/exthost/admin": str(tmp / "admin"),
    }.items():
        assert old in site, f"{old} no longer in nginx/exthost.conf: update this test"
        site = site.replace(old, new)
    site = re.sub(r"listen (\[::\]:)?80;", lambda m: "" if m.group(1) else f"listen 127.0.0.1:{http_port};", site)
    site = re.sub(r"listen (\[::\]:)?443 ssl http2;",
                  lambda m: "" if m.group(1) else f"listen 127.0.0.1:{https_port} ssl http2;", site)
    (tmp / "exthost.conf").write_text(site)
    (tmp / "nginx.conf").write_text(f"""
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/tmp;
    fastcgi_temp_path {tmp}/tmp;
    proxy_temp_path {tmp}/tmp;
    uwsgi_temp_path {tmp}/tmp;
    scgi_temp_path {tmp}/tmp;
    include {tmp}/exthost.conf;
}}
""")
    return tmp / "nginx.conf"


def nginx(conf, *args):
    return subprocess.run(["nginx", "-c", str(conf), "-p", f"{conf.parent}/", *args], capture_output=True, text=True, timeout=30)


def test_nginx_accepts_the_site(tmp_path):
    result = nginx(render(tmp_path), "-t")
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_site_keeps_the_production_settings():
    site = SITE.read_text()
    for needle in ("ssl_protocols TLSv1.2 TLSv1.3;", "listen 443 ssl http2;", "Strict-Transport-Security",
                   "#ssl_stapling on;", "zone=exthost_execute", "zone=exthost_upload_req", "exthost_json"):
        assert needle in site, needle
    def routing(text, level):
        match = re.search(rf"# ---- routing: begin \({level}\) ----\n(.*?)# ---- routing: end", text, re.S)
        assert match, f"routing: begin/end ({level}) marker missing"
        return [line.strip() for line in match.group(1).splitlines() if line.strip() and not line.strip().startswith("#")]

    # What legitimately differs: the dev template's placeholders for paths and keepalive, HSTS
    # (production only: the dev stack is loopback with a self-signed certificate) and the dev
    # stack's own bench_php upstream.
    prod_to_dev = [
        (r"unix:/run/exthost/(api|runner)\.sock", r"unix:@SOCK_DIR@/exthost-\1.sock"),
        (r"^keepalive \d+;.*", "keepalive @UPSTREAM_KEEPALIVE@;"),
        (r"^fastcgi_keep_conn on;", "fastcgi_keep_conn @FASTCGI_KEEP_CONN@;"),
        (r"/var/cache/exthost", "@CACHE_DIR@"),
        (r"/usr/local/share/exthost/admin/", "@ADMIN_DIR@/"),
    ]

    def as_dev(lines):
        out = []
        for line in lines:
            for pattern, replacement in prod_to_dev:
                line = re.sub(pattern, replacement, line)
            if "Strict-Transport-Security" not in line:
                out.append(line)
        return out

    def without_bench(lines):
        text = "\n".join(lines)
        return re.sub(r"upstream bench_php \{[^}]*\}\n?", "", text).splitlines()

    dev = (ROOT / "nginx/dev.conf.template").read_text()
    for level in ("http level", "server level"):
        assert as_dev(routing(site, level)) == without_bench(routing(dev, level)), \
            f"{level} routing of nginx/exthost.conf and nginx/dev.conf.template differ"


def gixy_findings(conf):
    if not shutil.which("gixy"):
        pytest.fail("gixy is missing: run scripts/setup (PyPI gixy==0.1.21 with pyparsing==2.4.7)")
    result = subprocess.run(["gixy", "-f", "json", str(conf)], capture_output=True, text=True, timeout=120)
    # gixy 0.1.21 under pyparsing 3 skips every block and then reports nothing: not a pass.
    assert "unparseable" not in result.stderr and "Failed to parse" not in result.stderr, result.stderr
    return json.loads(result.stdout or "[]")


def test_gixy_reports_only_the_explained_findings(tmp_path):
    findings = gixy_findings(render(tmp_path))
    unexplained = []
    for finding in findings:
        allowed = ALLOWED_GIXY.get(finding["plugin"])
        locations = set(re.findall(r"location (\S+) \{", finding["config"]))
        innermost = {loc for loc in locations if loc.startswith("@")} or locations
        dropped = set(re.findall(r'"([a-z-]+)"', finding["reason"]))
        if not allowed or not innermost <= allowed["locations"] or not dropped <= allowed["headers"]:
            unexplained.append(finding)
    assert unexplained == [], json.dumps(unexplained, indent=1)
    guide = (ROOT / "docs/operator-guide.md").read_text()
    for plugin in {finding["plugin"] for finding in findings}:
        assert f"`{plugin}`" in guide, f"docs/operator-guide.md does not explain gixy's {plugin}"


def test_gixy_would_catch_a_real_mistake(tmp_path):
    conf = render(tmp_path)
    site = tmp_path / "exthost.conf"
    # An alias without the trailing slash of its location: gixy's alias_traversal.
    site.write_text(site.read_text().replace("location /_exthost_static/sha256/ {", "location /_exthost_static/sha256 {"))
    assert any(finding["plugin"] == "alias_traversal" for finding in gixy_findings(conf))


@pytest.fixture()
def served(tmp_path):
    # A port free a moment ago may be taken by someone else before nginx binds it (or be handed
    # out twice): try others.
    for _ in range(5):
        http_port, https_port = free_port(), free_port()
        if http_port == https_port:
            continue
        conf = render(tmp_path, http_port, https_port)
        result = nginx(conf)
        if "Address already in use" not in result.stderr:
            break
    assert result.returncode == 0, result.stderr
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "nginx.pid").exists():
            assert time.monotonic() < deadline, "nginx wrote no pid file"
            time.sleep(0.05)
        session = requests.Session()
        session.trust_env = False
        session.verify = str(tmp_path / "cert.pem")
        yield session, f"http://127.0.0.1:{http_port}", f"https://localhost:{https_port}", https_port
    finally:
        nginx(conf, "-s", "stop")


def test_http_redirects_to_https(served):
    session, http_url, _, _ = served
    response = session.get(http_url + "/api/extensions", allow_redirects=False, headers={"Host": "exthost.example.com"})
    assert response.status_code == 301
    assert response.headers["Location"] == "https://exthost.example.com/api/extensions"


def test_https_answers_with_the_security_headers(served):
    session, _, https_url, _ = served
    response = session.get(https_url + "/no-such-path")
    assert response.status_code == 404
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Server" not in response.headers or response.headers["Server"] == "nginx"


def test_tls_below_1_2_is_refused(served):
    _, _, _, https_port = served
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", https_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLError) as refused:
            context.wrap_socket(raw, server_hostname="localhost")
    # The server's alert, not a client that cannot speak TLS 1.1 at all.
    assert "PROTOCOL_VERSION" in str(refused.value).upper().replace(" ", "_"), refused.value
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", https_port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.2"


def test_local_only_locations_admit_only_the_allowed_addresses(served):
    session, _, https_url, https_port = served
    # Loopback is allowed through to the (absent) workers: 502, not 403.
    for path in ("/metrics", "/runner/metrics", "/readyz", "/runner/readyz"):
        assert session.get(https_url + path).status_code == 502, path
    # Any other address is refused: 127.0.0.2 is loopback too, but not on the allow list.
    context = ssl.create_default_context(cafile=session.verify)
    for path in ("/metrics", "/runner/metrics", "/readyz", "/runner/readyz"):
        connection = http.client.HTTPSConnection("localhost", https_port, context=context, source_address=("127.0.0.2", 0), timeout=10)
        try:
            connection.request("GET", path)
            assert connection.getresponse().status == 403, path
        finally:
            connection.close()
    site = SITE.read_text()
    for location in ("location = /metrics {", "location = /runner/metrics {", "location = /readyz {", "location = /runner/readyz {"):
        block = site.split(location, 1)[1].split("}", 1)[0]
        assert "deny all;" in block and "allow 127.0.0.1;" in block, location


def test_executions_beyond_the_burst_get_429_in_the_api_shape(served):
    session, _, https_url, _ = served
    # 50/s with a burst of 200: a client sending as fast as it can is limited after ~200.
    # The bucket refills a token every 20 ms, so the request after the first 429 may pass again:
    # the limited answer checked is the first 429 itself.
    statuses = []
    limited = None
    while limited is None and len(statuses) < 2000:
        response = session.post(https_url + "/api/ext/x/y", data=b"")
        statuses.append(response.status_code)
        if response.status_code == 429:
            limited = response
    assert statuses[0] == 502 and limited is not None and len(statuses) > 200, (len(statuses), statuses[:3], statuses[-3:])
    assert limited.headers["Content-Type"].startswith("application/json")
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
