"""GET /metrics of the API workers through nginx (docs/metrics.md): request counts by route
pattern, error answers by code, body bytes by route. The runner's page is checked in
test_execute.py."""
import uuid

from apihelpers import assert_error, create_key, metric


def test_api_metrics_count_routes_error_codes_and_body_bytes(stack, http, base_url):
    key = create_key(stack, str(uuid.uuid4()), "admin")
    auth = {"Authorization": "Bearer " + key}
    before = http.get(f"{base_url}/metrics")
    assert before.status_code == 200, before.text
    assert before.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert before.headers["Cache-Control"] == "no-store"
    assert_error(http.get(f"{base_url}/api/extensions/nobody.nothing{uuid.uuid4().hex[:6]}", headers=auth), 404, "EXTENSION_NOT_FOUND")
    body = b'{"extensionId": "nobody.nothing", "version": "1.0.0"}'
    assert http.post(f"{base_url}/api/installs", data=body, headers={**auth, "Content-Type": "application/json"}).status_code == 404
    after = http.get(f"{base_url}/metrics").text
    route = "/api/extensions/:id"
    # A process counts only what it served; the stack runs one exthost-api process.
    assert metric(after, "exthost_http_requests_total", route=route, method="GET", status="404") >= \
        metric(before.text, "exthost_http_requests_total", route=route, method="GET", status="404") + 1
    assert metric(after, "exthost_http_errors_total", route=route, code="EXTENSION_NOT_FOUND") >= \
        metric(before.text, "exthost_http_errors_total", route=route, code="EXTENSION_NOT_FOUND") + 1
    assert metric(after, "exthost_http_request_body_bytes_total", route="/api/installs") >= \
        metric(before.text, "exthost_http_request_body_bytes_total", route="/api/installs") + len(body)
    assert f'exthost_http_request_duration_seconds_bucket{{route="{route}",le="+Inf"}}' in after
    # Ids never become labels: the raw path is nowhere in the page.
    assert "nobody.nothing" not in after


def test_both_pools_are_ready_and_say_what_they_checked(http, base_url):
    api = http.get(f"{base_url}/readyz")
    assert api.status_code == 200, api.text
    assert api.json() == {"status": "ready", "checks": {"database": "ok", "bundleStore": "ok"}}
    runner = http.get(f"{base_url}/runner/readyz")
    assert runner.status_code == 200, runner.text
    assert runner.json() == {"status": "ready", "checks": {"database": "ok", "cacheTree": "ok", "cachefill": "ok"}}
    assert runner.headers["Cache-Control"] == "no-store"
