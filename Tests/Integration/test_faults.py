"""The fault suite (issue 11, item 1): each scenario breaks one component of the stack while
traffic runs, asserts the outcome docs/faults.md documents, puts the stack back (in `finally`,
so a failing assertion leaves no component down) and ends with `exthost admin fsck` proving
registry rows, stored objects and the cache tree still agree.

The other faults of the list live next to the feature they break, and end with fsck as well:
moto stopped and a worker killed mid-upload in test_publish_faults.py, cachefill killed
mid-extract in test_cachefill.py.

Every scenario is bounded: an alarm fails it after SCENARIO_SECONDS, and every wait has its
own deadline.
"""
import contextlib
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests

from apihelpers import cli, create_key, psql, wait_for
from bundlefactory import MIB, auth, finalize, initiate, manifest, pack, publish, put_presigned, unique_publisher, write_extension
from faulthelpers import assert_fsck_clean, db_now, stack_command, stack_pid
from test_cachefill import private_daemon
from test_execute_limits import HOSTILE, HOSTILE_ENDPOINTS, publish_guest

SCENARIO_SECONDS = 300
# The only answers a client may see while Postgres restarts (docs/postgres.md, docs/faults.md).
DATABASE_DOWN_CODES = {"DATABASE_UNAVAILABLE"}


@pytest.fixture(autouse=True)
def scenario_deadline():
    """Fails a scenario that hangs, from the main thread, so its `finally` still restores the stack."""
    def expire(signum, frame):
        raise TimeoutError(f"fault scenario still running after {SCENARIO_SECONDS} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(SCENARIO_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def admin(stack):
    return create_key(stack, str(uuid.uuid4()), "admin")


def session_for(stack):
    session = requests.Session()
    session.trust_env = False
    session.verify = stack["EXTHOST_CA"]
    return session


class Load:
    """`threads` threads calling `request(session)` in a loop until the block ends; every
    outcome is kept as (monotonic time, status or None, error code or exception text)."""

    def __init__(self, stack, request, threads=4, pause=0.0):
        self.stack = stack
        self.request = request
        self.pause = pause
        self.stop = threading.Event()
        self.outcomes = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        with session_for(self.stack) as session:
            while not self.stop.is_set():
                try:
                    response = self.request(session)
                    code = None
                    if response.status_code >= 400 and response.headers.get("Content-Type") == "application/json":
                        code = response.json().get("error", {}).get("code")
                    outcome = (time.monotonic(), response.status_code, code)
                except requests.RequestException as error:
                    outcome = (time.monotonic(), None, f"{type(error).__name__}: {error}")
                with self.lock:
                    self.outcomes.append(outcome)
                self.stop.wait(self.pause)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads), "a load thread is stuck"

    def between(self, start, end):
        return [outcome for outcome in self.outcomes if start <= outcome[0] <= end]


@contextlib.contextmanager
def postgres_down(stack, urls, admin):
    """Stops the stack's Postgres and always starts it again, then settles the workers (see
    `settle`); yields the (stop, start) times."""
    window = {}
    stack_command(stack, "postgres", "stop")
    window["stopped"] = time.monotonic()
    try:
        yield window
    finally:
        stack_command(stack, "postgres", "start")
        window["started"] = time.monotonic()
        settle(stack, urls, admin)


def settle(stack, urls, admin, threads=16, seconds=30):
    """Each pooled connection a worker opened before Postgres restarted answers its next request
    503 DATABASE_UNAVAILABLE once and is replaced (docs/faults.md). Requests from as many threads
    as a worker has until one round sees no 503, so the next test meets a settled stack."""
    deadline = time.monotonic() + seconds

    def round_trip(url):
        with session_for(stack) as session:
            return [session.get(url, headers=auth(admin), timeout=30).status_code for _ in range(2)]

    while time.monotonic() < deadline:
        statuses = []
        workers = [threading.Thread(target=lambda url=url: statuses.extend(round_trip(url)), daemon=True)
                   for url in urls for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        if statuses and 503 not in statuses:
            return
    raise AssertionError(f"the workers still answer 503 {seconds} s after Postgres came back")


def worker_pids(stack):
    return {name: stack_pid(stack, name) for name in ("exthost-api", "exthost-runner")}


def assert_only_documented_outage_answers(load, allowed_statuses):
    unexpected = [outcome for outcome in load.outcomes
                  if outcome[1] not in allowed_statuses | {503} or (outcome[1] == 503 and outcome[2] not in DATABASE_DOWN_CODES)]
    assert not unexpected, f"answers no document allows during a Postgres restart: {unexpected[:10]}"


# ---------------------------------------------------------------- Postgres restarted under load

@pytest.fixture(scope="module")
def hello(stack, admin, tmp_path_factory):
    """An installed extension whose GET /hello/:name answers 200 at once; (path, install id)."""
    publisher = unique_publisher("flt")
    source = write_extension(tmp_path_factory.mktemp("hello") / "hello", manifest(publisher))
    result = cli({**stack, "EXTHOST_API_KEY": admin}, "publish", str(source), "--install", "--json", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    install_id = psql(stack, f"""SELECT i.id FROM installs i JOIN extensions e ON e.id = i.extension_id
                                 WHERE e.publisher = '{publisher}'""").strip()
    return f"{publisher}.hello/hello/fault", install_id


def test_postgres_restarted_under_execute_load_answers_only_503_and_recovers_without_a_restart(stack, base_url, admin, hello):
    since = db_now(stack)
    path, install_id = hello
    pids = worker_pids(stack)

    def execute(session):
        return session.get(f"{base_url}/api/ext/{path}", headers=auth(admin), timeout=30)

    with Load(stack, execute, threads=4, pause=0.02) as load:
        time.sleep(1)
        with postgres_down(stack, [f"{base_url}/api/ext/{path}", f"{base_url}/api/extensions"], admin) as window:
            time.sleep(3)
        recovered = wait_for(lambda: [o for o in load.between(window["started"] + 1, time.monotonic()) if o[1] == 200], 30,
                             "executions to succeed again after Postgres came back")
    assert load.between(window["stopped"], window["started"]), "no request ran while Postgres was down"
    assert_only_documented_outage_answers(load, {200})
    assert recovered
    assert worker_pids(stack) == pids, "the workers recovered by restarting, not by reconnecting"
    # Executions after the restart are logged again (the log writer reconnected too).
    with session_for(stack) as session:
        request_id = execute(session).headers["X-Request-Id"]
    wait_for(lambda: psql(stack, f"""SELECT status FROM execution_log WHERE install_id = '{install_id}'
                                     AND request_id = '{request_id}'""").strip() == "200", 20, "the execution log row after the restart")
    assert_fsck_clean(stack, since)


def test_postgres_restarted_under_finalize_load_registers_exactly_what_was_acknowledged(stack, base_url, admin, tmp_path):
    since = db_now(stack)
    pids = worker_pids(stack)
    publisher = unique_publisher("fltfin")
    bundles = [pack(stack, write_extension(tmp_path / f"v{n}", manifest(publisher, version=f"1.0.{n}"))) for n in range(12)]
    queue = list(bundles)
    queue_lock = threading.Lock()
    finished = {}  # bundle -> final finalize status

    def publish_next(session):
        """One step of a publish: initiate + PUT, or finalize; retried (as a client would) until
        it ends in 201/200 or a documented 409 FINALIZE_IN_PROGRESS."""
        state = threading.current_thread().__dict__.setdefault("publishing", {})
        if not state.get("bundle"):
            with queue_lock:
                if not queue:
                    return session.get(f"{base_url}/healthz", timeout=30)
                state["bundle"] = queue.pop(0)
                state["answer"] = None
        bundle = state["bundle"]
        if state["answer"] is None:
            response = initiate(session, base_url, admin, bundle)
            if response.status_code == 201:
                state["answer"] = response.json()
                put_presigned(state["answer"], bundle)
            return response
        response = finalize(session, base_url, admin, state["answer"]["uploadId"])
        if response.status_code in (200, 201, 409):
            finished[bundle] = (response.status_code, state["answer"]["uploadId"])
            state["bundle"] = None
        return response

    with Load(stack, publish_next, threads=3, pause=0.05) as load:
        time.sleep(0.5)
        with postgres_down(stack, [f"{base_url}/api/extensions"], admin) as window:
            time.sleep(3)
        wait_for(lambda: len(finished) == len(bundles), 90, "every publish to end after Postgres came back", interval=0.2)
    assert load.between(window["stopped"], window["started"]), "no request ran while Postgres was down"
    assert_only_documented_outage_answers(load, {200, 201, 409})
    assert worker_pids(stack) == pids

    registered = set(psql(stack, f"""SELECT v.version FROM extension_versions v JOIN extensions e ON e.id = v.extension_id
                                     WHERE e.publisher = '{publisher}'""").split())
    for n, bundle in enumerate(bundles):
        status, upload_id = finished[bundle]
        if status in (200, 201):
            assert f"1.0.{n}" in registered, f"acknowledged {bundle.name} ({status}) but not registered"
        else:
            # The finalize Postgres cut holds its claim until it goes stale (docs/faults.md).
            state = psql(stack, f"SELECT state FROM upload_sessions WHERE id = '{upload_id}'").strip()
            assert state == "finalizing", f"409 for {bundle.name} but the session is {state}"
            assert f"1.0.{n}" not in registered
    assert_fsck_clean(stack, since)


# ---------------------------------------------------------------- a worker killed mid-execute

@pytest.fixture(scope="module")
def spinner(stack, tmp_path_factory):
    tenant = str(uuid.uuid4())
    key = create_key(stack, tenant, "admin")
    return {"key": key, "tenant": tenant, "name": publish_guest(stack, tmp_path_factory, key, "faultspin", HOSTILE, HOSTILE_ENDPOINTS)}


def test_a_runner_killed_mid_execute_fails_that_request_only_and_the_next_succeeds(stack, http, base_url, spinner):
    since = db_now(stack)

    def call(endpoint):
        return http.get(f"{base_url}/api/ext/{spinner['name']}/{endpoint}", headers=auth(spinner["key"]), timeout=60)

    # Loads the module, so the kill lands inside the guest. Retried: the first fill after an
    # earlier Postgres restart may meet a stale registry connection in cachefill (docs/faults.md).
    wait_for(lambda: call("ok").status_code == 200, 20, "the spinning guest's module to load")
    pid = stack_pid(stack, "exthost-runner")
    outcome = {}

    def spin():
        try:
            outcome["response"] = session_for(stack).get(f"{base_url}/api/ext/{spinner['name']}/spin",
                                                          headers=auth(spinner["key"]), timeout=60)
        except requests.RequestException as error:
            outcome["error"] = error

    spinning = threading.Thread(target=spin, daemon=True)
    spinning.start()
    try:
        time.sleep(1.5)  # well inside the 10 s deadline of the spinning guest
        assert spinning.is_alive(), f"the spin answered before the kill: {outcome}"
        os.kill(pid, signal.SIGKILL)
        spinning.join(timeout=30)
        assert not spinning.is_alive()
        assert "response" in outcome, outcome
        assert outcome["response"].status_code == 502, outcome["response"].text
    finally:
        stack_command(stack, "start")
    assert stack_pid(stack, "exthost-runner") != pid

    after = wait_for(lambda: (lambda r: r.status_code == 200 and r)(call("ok")), 30, "the restarted runner to answer")
    assert after.text == "ok"
    request_id = after.headers["X-Request-Id"]
    # The log is written in batches: wait for this request's own row, not just any row.
    def logged_rows():
        rows = psql(stack, f"""SELECT request_id, status FROM execution_log
                               WHERE tenant_id = '{spinner['tenant']}' AND created_at >= '{since}'""").split()
        found = dict(row.split("|") for row in rows)
        return found if request_id in found else None
    logged = wait_for(logged_rows, 20, "the execution log row of the request after the restart")
    assert logged.get(request_id) == "200", logged
    # Every logged execution has a real status; the killed one left no half-written row.
    assert all(100 <= int(status) <= 599 for status in logged.values())
    assert_fsck_clean(stack, since)


# ---------------------------------------------------------------- the cache and its store

def publish_bundle(stack, http, base_url, admin, directory, padding):
    publisher = unique_publisher("fltc")
    bundle, response = publish(stack, http, base_url, admin, write_extension(directory, manifest(publisher), padding=padding))
    assert response.status_code == 201, response.text
    return bundle, response.json()["contentHash"]


def tmp_entries(cache):
    staging = pathlib.Path(cache) / "tmp"
    return sorted(p.name for p in staging.iterdir()) if staging.exists() else []


def test_moto_stopped_mid_fill_fails_the_fill_cleanly_and_a_restored_object_fills(stack, http, base_url, admin, tmp_path):
    since = db_now(stack)
    bundle, content_hash = publish_bundle(stack, http, base_url, admin, tmp_path / "big", padding=96 * MIB)
    hex_digits = content_hash.removeprefix("sha256:")
    cache = pathlib.Path(tempfile.mkdtemp(prefix="flt-moto-", dir="/tmp"))
    try:
        with private_daemon(stack, cache_dir=cache / "cache") as daemon:
            answers = []
            filler = threading.Thread(target=lambda: answers.append(daemon.fill(content_hash, timeout=120)), daemon=True)
            try:
                filler.start()
                wait_for(lambda: any(name.startswith("tmp-") for name in tmp_entries(daemon.cache)) or daemon.tree(content_hash).exists(),
                         30, "the fill to start extracting", interval=0.002)
                os.kill(stack_pid(stack, "moto"), signal.SIGKILL)
                filler.join(timeout=120)
            finally:
                stack_command(stack, "start")  # moto comes back, empty
            assert answers, "the FILL got no answer"
            assert answers[0].startswith("ERR CACHE_SOURCE_FAILED "), answers[0]
            assert not daemon.tree(content_hash).exists()
            daemon.assert_no_staging_left("the failed fill's staging directory to go")

        # moto loses its objects when it dies (real S3 does not): put the bundle back, as an
        # operator restores from a backup, and a new daemon (the old one quarantined the hash) fills it.
        base = stack.get("BUNDLE_STORE_BASE", "sha256/")
        cli(stack, "store", "put", f"{base}{hex_digits}/bundle.tar.zst", str(bundle))
        cli(stack, "store", "put", f"{base}{hex_digits}/manifest.json", str(tmp_path / "big" / "manifest.json"))
        with private_daemon(stack, cache_dir=cache / "cache") as daemon:
            assert daemon.fill(content_hash, timeout=120) == f"OK {daemon.cache}/sha256/{hex_digits}"
        assert_fsck_clean(stack, since, "--cache-dir", str(cache / "cache"))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


@contextlib.contextmanager
def tiny_filesystem(size_mib):
    """A tmpfs of `size_mib` MiB, unmounted (lazily, so a busy one cannot stay) at the end."""
    mountpoint = pathlib.Path(tempfile.mkdtemp(prefix="flt-tiny-", dir="/tmp"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        mountpoint.rmdir()
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)
        mountpoint.rmdir()


def used_bytes(path):
    stats = os.statvfs(path)
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


def test_a_cache_filesystem_that_fills_up_mid_extract_fails_that_fill_only(stack, http, base_url, admin, tmp_path):
    since = db_now(stack)
    _, big = publish_bundle(stack, http, base_url, admin, tmp_path / "big", padding=40 * MIB)
    _, small = publish_bundle(stack, http, base_url, admin, tmp_path / "small", padding=0)
    with tiny_filesystem(32) as mountpoint:
        with private_daemon(stack, cache_dir=mountpoint / "cache") as daemon:
            before = used_bytes(mountpoint)
            answer = daemon.fill(big, timeout=120)
            assert answer.startswith("ERR CACHE_IO "), answer
            assert "No space left on device" in answer or "ENOSPC" in answer or "28" in answer, answer
            assert not daemon.tree(big).exists()
            daemon.assert_no_staging_left("the failed fill's staging directory to go")
            assert used_bytes(mountpoint) <= before + 64 * 1024, "the partial tree's blocks were not given back"
            assert daemon.fill(small, timeout=60).startswith("OK "), "the cache keeps working once space is back"
        assert_fsck_clean(stack, since, "--cache-dir", str(mountpoint / "cache"))


# ---------------------------------------------------------------- nginx reloaded under load

def test_nginx_reloaded_under_load_answers_every_request(stack, base_url, admin):
    since = db_now(stack)
    nginx_dir = pathlib.Path(stack["EXTHOST_RUN_DIR"]) / "nginx"
    routes = ["/healthz", "/runner/healthz", "/api/extensions"]
    cut = []

    def request(session):
        route = routes[int(time.monotonic() * 1000) % len(routes)]
        # One connection per request: a client reusing an idle keep-alive connection must be
        # ready to retry on a close it races with (RFC 9112 §9.3.1), which is not the server's fault.
        send = lambda: session.get(f"{base_url}{route}", headers={**auth(admin), "Connection": "close"}, timeout=30)
        try:
            return send()
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            # nginx 1.22 can cut a TLS connection an old worker still holds (docs/faults.md,
            # "known issue"); an idempotent GET retried on a new connection must then succeed.
            cut.append(f"{route}: {error}")
            return send()

    with Load(stack, request, threads=4) as load:
        time.sleep(0.5)
        for _ in range(3):
            reload = subprocess.run(["nginx", "-s", "reload", "-c", str(nginx_dir / "nginx.conf"), "-p", f"{nginx_dir}/"],
                                    capture_output=True, text=True, timeout=30)
            assert reload.returncode == 0, reload.stderr
            time.sleep(0.7)
        time.sleep(0.5)
    assert len(load.outcomes) > 30, f"too little load to prove anything: {len(load.outcomes)} requests"
    failed = [outcome for outcome in load.outcomes if outcome[1] != 200]
    assert not failed, f"{len(failed)} of {len(load.outcomes)} requests failed during the reloads: {failed[:5]}"
    assert len(cut) <= max(2, len(load.outcomes) // 50), f"{len(cut)} connections cut by the reloads: {cut[:5]}"
    assert_fsck_clean(stack, since)
