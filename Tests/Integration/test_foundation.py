"""Foundation: FastCGI workers behind the real nginx (issue 2)."""
import concurrent.futures
import hashlib
import http.client
import json
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import threading
import time

import requests

from apihelpers import assert_error, wait_for

MIB = 1024 * 1024
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_healthz_on_the_api_pool(http, base_url):
    response = http.get(f"{base_url}/healthz")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert HEX32.match(response.headers["X-Request-Id"])


def test_healthz_on_the_runner_pool(http, base_url, stack):
    response = http.get(f"{base_url}/runner/healthz", headers={"X-Request-Id": "runner-probe-1"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["X-Request-Id"] == "runner-probe-1"
    log = pathlib.Path(stack["EXTHOST_RUN_DIR"], "logs", "exthost-runner.log").read_text()
    assert '"requestId":"runner-probe-1"' in log, "the runner, not the api, must have served /runner/healthz"


def test_unknown_path_is_a_json_404_echoing_the_request_id(http, base_url):
    response = http.get(f"{base_url}/api/no-such-thing", headers={"X-Request-Id": "it-404-check"})
    error = assert_error(response, 404, "NOT_FOUND")
    assert error["requestId"] == "it-404-check"
    assert response.headers["X-Request-Id"] == "it-404-check"


def test_malformed_request_id_is_replaced(http, base_url):
    response = http.get(f"{base_url}/api/nope", headers={"X-Request-Id": "has space;and=junk"})
    error = assert_error(response, 404, "NOT_FOUND")
    assert HEX32.match(error["requestId"])


def test_wrong_method_is_405_with_allow(http, base_url):
    response = http.post(f"{base_url}/healthz", data=b"")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET"


def raw_get(stack, base_url, target):
    """A GET whose target goes out byte for byte (requests would re-quote a bad escape)."""
    host, port = base_url.split("//")[1].split(":")
    context = ssl.create_default_context(cafile=stack["EXTHOST_CA"])
    conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
    conn.request("GET", target)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_bad_query_escape_is_400(stack, base_url):
    response, body = raw_get(stack, base_url, "/healthz?x=%zz")
    assert response.status == 400
    error = json.loads(body)["error"]
    assert error["code"] == "INVALID_QUERY"
    assert error["requestId"] == response.getheader("X-Request-Id")


def test_route_parameters_and_query_are_decoded(http, base_url):
    response = http.get(f"{base_url}/_test/params/a%2Fb/c/d%20e?name=x+y%21")
    assert response.status_code == 200, response.text
    assert response.json() == {"first": "a/b", "rest": "c/d e", "name": "x y!"}


def test_head_gets_headers_without_body(http, base_url):
    response = http.head(f"{base_url}/healthz")
    assert response.status_code == 200
    assert response.content == b""


def test_one_json_access_log_line_per_request(http, base_url, stack):
    rid = f"log-check-{time.time_ns()}"
    http.get(f"{base_url}/healthz?probe=1", headers={"X-Request-Id": rid})
    log = pathlib.Path(stack["EXTHOST_RUN_DIR"], "logs", "exthost-api.log")
    deadline = time.time() + 5
    lines = []
    while time.time() < deadline and not lines:
        lines = [json.loads(l) for l in log.read_text().splitlines() if rid in l]
        time.sleep(0.05)
    assert len(lines) == 1
    line = lines[0]
    assert line["msg"] == "request"
    assert line["method"] == "GET" and line["path"] == "/healthz" and line["status"] == "200"
    assert line["bytesIn"] == "0" and int(line["bytesOut"]) > 15
    assert float(line["durationMs"]) >= 0
    assert line["service"] == "exthost-api"


class PatternBody:
    """A deterministic body produced in 1 MiB chunks and hashed as it is sent, never held whole."""

    def __init__(self, size):
        self.size = size
        self.sent = 0
        self.hasher = hashlib.sha256()
        self.block = bytes((i * 7 + 3) & 0xFF for i in range(MIB))

    def __len__(self):
        return self.size

    def read(self, n=-1):
        if self.sent >= self.size:
            return b""
        n = MIB if n is None or n < 0 else min(n, MIB)
        offset = self.sent % MIB
        chunk = self.block[offset:offset + n][: self.size - self.sent]
        # Vary the content with the position so a dropped or repeated chunk changes the hash.
        chunk = bytes([self.sent // MIB & 0xFF]) + chunk[1:] if offset == 0 else chunk
        self.sent += len(chunk)
        self.hasher.update(chunk)
        return chunk


def read_kib(pid, field):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise AssertionError(f"{field} missing for pid {pid}")


def test_150_mib_streamed_post_is_hashed_in_bounded_memory(http, base_url, stack):
    pid = int(pathlib.Path(stack["EXTHOST_RUN_DIR"], "pids", "exthost-fcgi-testapp.pid").read_text())
    body = PatternBody(150 * MIB)
    response = http.post(f"{base_url}/_test/hash", data=body,
                         headers={"Content-Type": "application/octet-stream"}, timeout=300)
    assert response.status_code == 200, response.text
    assert response.json() == {"sha256": body.hasher.hexdigest(), "bytes": 150 * MIB}
    peak = read_kib(pid, "VmHWM:")
    assert peak < 64 * 1024, f"test app peak RSS {peak} KiB for a 150 MiB body"


def test_truncated_body_is_reported_not_accepted(stack, base_url):
    """A client that promises more than it sends: nginx gives up, the app sees an incomplete body."""
    host, port = base_url.split("//")[1].split(":")
    context = ssl.create_default_context(cafile=stack["EXTHOST_CA"])
    rid = f"trunc-{time.time_ns()}"
    with socket.create_connection((host, int(port))) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall((f"POST /_test/hash HTTP/1.1\r\nHost: localhost\r\nContent-Length: {4 * MIB}\r\n"
                         f"X-Request-Id: {rid}\r\nContent-Type: application/octet-stream\r\n\r\n").encode())
            tls.sendall(b"x" * MIB)
    log = pathlib.Path(stack["EXTHOST_RUN_DIR"], "logs", "exthost-fcgi-testapp.log")
    deadline = time.time() + 10
    while time.time() < deadline:
        entries = [json.loads(l) for l in log.read_text().splitlines() if rid in l]
        if entries:
            break
        time.sleep(0.1)
    assert entries, "the app never logged the aborted request"
    assert entries[-1]["status"] in ("400",), entries[-1]
    assert int(entries[-1]["bytesIn"]) < 4 * MIB


def test_250_mib_body_to_the_upload_location_is_refused_by_nginx(stack, base_url):
    host, port = base_url.split("//")[1].split(":")
    context = ssl.create_default_context(cafile=stack["EXTHOST_CA"])
    conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
    conn.putrequest("POST", "/api/ext-bundles/upload-proxy?filename=b.tar.zst&size=262144000")
    conn.putheader("Content-Length", str(250 * MIB))
    conn.putheader("Content-Type", "application/zstd")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    # nginx itself refused it from the headers alone (no body was sent), in the API's error shape.
    assert response.getheader("Content-Type") == "application/json"
    error = json.loads(response.read())["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE" and error["requestId"] == response.getheader("X-Request-Id")
    conn.close()


def test_200_concurrent_requests_all_succeed(stack, base_url):
    def one(i):
        with requests.Session() as s:
            s.trust_env = False
            s.verify = stack["EXTHOST_CA"]
            path = "/healthz" if i % 2 == 0 else "/runner/healthz"
            r = s.get(base_url + path, headers={"X-Request-Id": f"conc-{i}"}, timeout=60)
            return r.status_code, r.headers.get("X-Request-Id"), r.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(one, range(200)))
    assert [r[0] for r in results] == [200] * 200
    assert [r[1] for r in results] == [f"conc-{i}" for i in range(200)]
    assert all(r[2] == {"status": "ok"} for r in results)


def start_drain_app(stack, drain_seconds):
    sock = pathlib.Path(stack["EXTHOST_SOCK_DIR"], "drain.sock")
    binary = pathlib.Path(stack["EXTHOST_BIN_DIR"], "exthost-fcgi-testapp")
    log = open(pathlib.Path(stack["EXTHOST_RUN_DIR"], "logs", "drain-test.log"), "ab")
    proc = subprocess.Popen([str(binary), "--listen", f"unix:{sock}", "--socket-mode", "0666", "--threads", "4",
                             "--drain-seconds", str(drain_seconds)], stdout=log, stderr=log)
    deadline = time.time() + 10
    while not sock.exists():
        assert proc.poll() is None, "drain test app exited at start"
        assert time.time() < deadline, "drain test app did not create its socket"
        time.sleep(0.02)
    return proc, sock


def open_sockets(pid):
    return sum(1 for fd in pathlib.Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd).startswith("socket:"))


def wait_until_accepted(proc, idle_sockets):
    """Until the app holds a connection besides its idle ones: the slow request reached it (nginx
    keeps no connection to /_drain/ open), so a signal sent now finds it in flight."""
    wait_for(lambda: open_sockets(proc.pid) > idle_sockets, 30, "the slow request to reach the drain app")


def test_sigterm_lets_the_in_flight_request_finish_and_exits_0(stack, base_url):
    proc, sock = start_drain_app(stack, drain_seconds=20)
    try:
        idle_sockets = open_sockets(proc.pid)
        result = {}

        def slow():
            with requests.Session() as s:
                s.trust_env = False
                s.verify = stack["EXTHOST_CA"]
                r = s.get(f"{base_url}/_drain/slow?ms=2000", timeout=30)
                result["status"], result["body"] = r.status_code, r.json()

        worker = threading.Thread(target=slow)
        worker.start()
        wait_until_accepted(proc, idle_sockets)
        proc.send_signal(signal.SIGTERM)
        worker.join(30)
        assert result == {"status": 200, "body": {"sleptMs": 2000}}
        assert proc.wait(timeout=10) == 0
        assert not sock.exists(), "the socket file should be removed at exit"
        after = requests.get(f"{base_url}/_drain/healthz", verify=stack["EXTHOST_CA"], timeout=10)
        assert after.status_code == 502, "nothing may accept after the drain"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_drain_is_bounded_by_drain_seconds(stack, base_url):
    proc, _ = start_drain_app(stack, drain_seconds=1)
    try:
        idle_sockets = open_sockets(proc.pid)

        def slow():
            try:
                requests.get(f"{base_url}/_drain/slow?ms=20000", verify=stack["EXTHOST_CA"], timeout=30)
            except requests.RequestException:
                pass

        worker = threading.Thread(target=slow, daemon=True)
        worker.start()
        wait_until_accepted(proc, idle_sockets)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 5, "the drain must stop at --drain-seconds"
    finally:
        if proc.poll() is None:
            proc.kill()


def listening_drain_socket(stack):
    """A listening unix socket at the path nginx's /_drain/ location uses, made by the test."""
    path = pathlib.Path(stack["EXTHOST_SOCK_DIR"], "drain.sock")
    if path.exists():
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o666)
    listener.listen(64)
    return listener, path


def serve_and_stop(stack, base_url, proc, path, keep_socket=False):
    try:
        deadline = time.time() + 10
        while True:
            response = requests.get(f"{base_url}/_drain/slow?ms=1", verify=stack["EXTHOST_CA"], timeout=10)
            if response.status_code == 200 or time.time() > deadline:
                break
            time.sleep(0.05)
        assert response.status_code == 200 and response.json() == {"sleptMs": 1}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        if not keep_socket:
            path.unlink(missing_ok=True)


def test_systemd_socket_activation_on_fd_3_survives_a_worker_restart(stack, base_url):
    listener, path = listening_drain_socket(stack)
    binary = pathlib.Path(stack["EXTHOST_BIN_DIR"], "exthost-fcgi-testapp")
    # LISTEN_PID must be the worker's own pid: sh sets it to $$ and exec keeps that pid.
    script = 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --threads 2 3<&0 0</dev/null'
    try:
        # The test keeps its copy of the socket open, as systemd does: a stopped worker must leave
        # it listening (no shutdown(2)), so the next worker started on it serves at once.
        for _ in range(2):
            proc = subprocess.Popen(["sh", "-c", script, str(binary)], stdin=listener.fileno(),
                                    stderr=subprocess.DEVNULL)
            serve_and_stop(stack, base_url, proc, path, keep_socket=True)
    finally:
        listener.close()
        path.unlink(missing_ok=True)


def test_inherited_listening_socket_on_fd_0(stack, base_url):
    listener, path = listening_drain_socket(stack)
    binary = pathlib.Path(stack["EXTHOST_BIN_DIR"], "exthost-fcgi-testapp")
    proc = subprocess.Popen([str(binary), "--threads", "2"], stdin=listener.fileno(), stderr=subprocess.DEVNULL)
    listener.close()
    serve_and_stop(stack, base_url, proc, path)


def test_no_listen_address_is_a_clear_startup_error(stack):
    binary = pathlib.Path(stack["EXTHOST_BIN_DIR"], "exthost-fcgi-testapp")
    result = subprocess.run([str(binary)], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    assert "--listen unix:PATH" in result.stderr
