"""scripts/install into a temporary destdir (issue 10, item 2): the tree, its modes, the paths
the units name, idempotence, and the units as systemd itself judges them (verify, security).

Needs no stack: it installs the binaries of EXTHOST_BIN_DIR (default .build/release) with
--skip-build.
"""
import hashlib
import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "install"
PREFIX = "/opt/exthost"
BINARIES = ["exthost", "exthost-api", "exthost-runner", "exthost-cachefill"]
SERVICES = ["exthost-api.service", "exthost-runner.service", "exthost-cachefill.service", "exthost-gc.service"]
UNITS = SERVICES + ["exthost-api.socket", "exthost-runner.socket", "exthost-gc.timer"]
SECRET_ENV_FILES = ["api.env", "runner.env", "cachefill.env"]
UNIT_DIR = "etc/systemd/system"
# The highest exposure systemd-analyze may rate a service (2.0 and below is "OK").
MAX_EXPOSURE = 2.0


def _build_dir():
    # scripts/install wants the build directory; EXTHOST_BIN_DIR is its release/ folder.
    bin_dir = pathlib.Path(os.environ.get("EXTHOST_BIN_DIR", str(ROOT / ".build" / "release")))
    return bin_dir.parent


def run_install(destdir, *extra):
    return subprocess.run(
        [str(INSTALL), "--skip-build", "--build-dir", str(_build_dir()), "--prefix", PREFIX, "--destdir", str(destdir), *extra],
        capture_output=True, text=True, timeout=300)


def snapshot(root):
    """path -> (mode, owner, size, sha256, mtime_ns) of every file and directory under root."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        state[str(path.relative_to(root))] = (oct(info.st_mode), info.st_uid, info.st_size, digest, info.st_mtime_ns)
    return state


def mode(path):
    return path.stat().st_mode & 0o7777


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    destdir = tmp_path_factory.mktemp("destdir")
    result = run_install(destdir)
    assert result.returncode == 0, result.stdout + result.stderr
    return destdir, result


@pytest.fixture(scope="module")
def systemd_root(installed):
    """The destdir with what systemd-analyze --root needs besides our units: the standard
    targets of the host (regular files only; symlinks inside the root would point outside)."""
    destdir, _ = installed
    targets = destdir / "usr" / "lib" / "systemd" / "system"
    targets.mkdir(parents=True, exist_ok=True)
    for unit in pathlib.Path("/usr/lib/systemd/system").glob("*.target"):
        if not unit.is_symlink():
            shutil.copy(unit, targets / unit.name)
    yield destdir
    shutil.rmtree(destdir / "usr" / "lib" / "systemd")


def test_help_describes_the_options():
    result = subprocess.run([str(INSTALL), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for option in ("--prefix", "--destdir", "--skip-build", "exthost admin migrate"):
        assert option in result.stdout


def test_an_unknown_option_fails():
    result = subprocess.run([str(INSTALL), "--no-such-option"], capture_output=True, text=True)
    assert result.returncode != 0 and "unknown argument" in result.stderr


def test_binaries_units_nginx_and_env_files_are_installed_with_their_modes(installed):
    destdir, _ = installed
    for name in BINARIES:
        binary = destdir / PREFIX.lstrip("/") / "bin" / name
        assert binary.is_file() and mode(binary) == 0o755, name
    for unit in UNITS:
        assert mode(destdir / UNIT_DIR / unit) == 0o644, unit
    assert mode(destdir / UNIT_DIR / "exthost-.service.d" / "hardening.conf") == 0o644
    assert "u exthost-runner" in (destdir / "etc/sysusers.d/exthost.conf").read_text()
    for name in ("fastcgi_params.exthost", "fastcgi_params.exthost-common", "sites-available/exthost.conf"):
        assert (destdir / "etc/nginx" / name).read_bytes() == (ROOT / "nginx" / pathlib.Path(name).name).read_bytes()
    assert mode(destdir / "etc/exthost/exthost.env") == 0o644
    for name in SECRET_ENV_FILES:
        assert mode(destdir / "etc/exthost" / name) == 0o600, name
        assert mode(destdir / "etc/exthost" / (name + ".example")) == 0o644, name
    assert (destdir / PREFIX.lstrip("/") / "share/doc/exthost/operator-guide.md").is_file()


def test_the_installed_cli_makes_projects_with_the_installed_sdk(installed, tmp_path):
    destdir, _ = installed
    share = destdir / PREFIX.lstrip("/") / "share/exthost/sdk"
    for name in ("c/exthost.h", "c/exthost_json.h", "js/exthost-bridge.js"):
        assert (share / name).read_bytes() == (ROOT / "sdk" / name).read_bytes(), name
    # The installed binary finds P/share/exthost/sdk next to itself, not the checkout's sdk/.
    env = {key: value for key, value in os.environ.items() if key != "EXTHOST_SDK_DIR"}
    result = subprocess.run([str(destdir / PREFIX.lstrip("/") / "bin" / "exthost"), "new", "probe", "--template", "c",
                             "--dir", str(tmp_path / "probe")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "probe" / "sdk" / "exthost.h").read_bytes() == (share / "c/exthost.h").read_bytes()


def test_the_units_name_the_installed_paths(installed):
    destdir, _ = installed
    exec_starts = []
    for unit in UNITS:
        text = (destdir / UNIT_DIR / unit).read_text()
        assert "@" not in re.sub(r"#.*", "", text), f"{unit} has an unfilled placeholder"
        exec_starts += re.findall(r"^ExecStart=(\S+)", text, re.M)
    assert sorted(exec_starts) == sorted(f"{PREFIX}/bin/{name}" for name in BINARIES)
    runner = (destdir / UNIT_DIR / "exthost-runner.service").read_text()
    assert "EnvironmentFile=/etc/exthost/runner.env" in runner and "api.env" not in runner
    cachefill = (destdir / UNIT_DIR / "exthost-cachefill.service").read_text()
    assert "Type=notify" in cachefill and "EnvironmentFile=/etc/exthost/cachefill.env" in cachefill


def test_the_secrets_are_split_by_service(installed):
    destdir, _ = installed
    env = {name: (destdir / "etc/exthost" / name).read_text() for name in ["exthost.env", *SECRET_ENV_FILES]}
    assert "SECRET_KEY=" not in env["exthost.env"] and "EXTHOST_SECRETS_KEY" not in env["exthost.env"]
    assert "STORAGE_S3_SECRET_KEY" not in env["runner.env"]
    assert "EXTHOST_UPLOAD_SIGNING_KEY" not in env["cachefill.env"] + env["runner.env"]
    keys = [re.search(r"^EXTHOST_SECRETS_KEY=([0-9a-f]{64})$", env[name], re.M) for name in ("api.env", "runner.env")]
    assert all(keys) and keys[0].group(1) == keys[1].group(1), "api and runner must share one generated secrets key"
    assert re.search(r"^EXTHOST_UPLOAD_SIGNING_KEY=[0-9a-f]{64}$", env["api.env"], re.M)
    assert "openssl rand -hex 32" in (destdir / "etc/exthost/api.env.example").read_text()


def test_every_variable_in_the_env_files_is_one_a_process_reads(installed):
    destdir, _ = installed
    sources = "\n".join(path.read_text(errors="replace") for path in (ROOT / "Sources").rglob("*.swift"))
    for name in ["exthost.env", *SECRET_ENV_FILES]:
        text = (destdir / "etc/exthost" / (name + ".example")).read_text()
        # Commented-out settings count too: they are the documented optional ones.
        for variable in re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, re.M):
            assert f'"{variable}"' in sources, f"{name}: {variable} is read by no process (a typo?)"


def test_sockets_outlive_a_restart_of_their_service(installed):
    destdir, _ = installed
    for worker in ("api", "runner"):
        socket_unit = (destdir / UNIT_DIR / f"exthost-{worker}.socket").read_text()
        # The worker leaves systemd's socket listening when it stops (test_foundation proves
        # it), so the socket must not be stopped with the service: connections queue meanwhile.
        assert "PartOf=" not in socket_unit
        assert f"ListenStream=/run/exthost/{worker}.sock" in socket_unit and "SocketMode=0660" in socket_unit


def test_a_second_run_changes_nothing(installed):
    destdir, _ = installed
    before = snapshot(destdir)
    result = run_install(destdir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "installed" not in result.stdout
    assert snapshot(destdir) == before


def test_operator_files_are_never_overwritten(tmp_path):
    env_dir = tmp_path / "etc/exthost"
    env_dir.mkdir(parents=True)
    (env_dir / "api.env").write_text("EXTHOST_SECRETS_KEY=mine\n")
    site = tmp_path / "etc/nginx/sites-available/exthost.conf"
    site.parent.mkdir(parents=True)
    site.write_text("# my site\n")
    result = run_install(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (env_dir / "api.env").read_text() == "EXTHOST_SECRETS_KEY=mine\n"
    assert site.read_text() == "# my site\n"
    assert (site.parent / "exthost.conf.dist").read_bytes() == (ROOT / "nginx/exthost.conf").read_bytes()
    assert "EXTHOST_SECRETS_KEY differs" in result.stdout


def test_the_sysusers_file_creates_the_three_users(tmp_path):
    if not shutil.which("systemd-sysusers"):
        pytest.fail("systemd-sysusers missing (Debian package systemd)")
    conf = tmp_path / "etc/sysusers.d/exthost.conf"
    conf.parent.mkdir(parents=True)
    shutil.copy(ROOT / "systemd/exthost.sysusers", conf)
    result = subprocess.run(["systemd-sysusers", f"--root={tmp_path}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    users = [line.split(":")[0] for line in (tmp_path / "etc/passwd").read_text().splitlines()]
    assert users == ["exthost-api", "exthost-runner", "exthost-cachefill"]


def test_systemd_analyze_verify_accepts_every_unit(systemd_root):
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={systemd_root}", *UNITS],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # verify only warns (exit 0) about unknown settings, unsafe users and the like.
    assert result.stdout.strip() == "" and result.stderr.strip() == "", result.stdout + result.stderr


def test_systemd_analyze_verify_notices_a_missing_binary(systemd_root):
    binary = systemd_root / PREFIX.lstrip("/") / "bin" / "exthost-runner"
    binary.rename(binary.with_suffix(".moved"))
    try:
        result = subprocess.run(
            ["systemd-analyze", "verify", f"--root={systemd_root}", "exthost-runner.service"],
            capture_output=True, text=True, timeout=120)
    finally:
        binary.with_suffix(".moved").rename(binary)
    assert result.returncode != 0 and "exthost-runner" in result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_systemd_analyze_security_rates_the_service_ok(systemd_root, service):
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", f"--root={systemd_root}", "--no-pager", service],
        capture_output=True, text=True, timeout=120)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", result.stdout)
    assert match, result.stdout + result.stderr
    exposure = float(match.group(1))
    assert exposure <= MAX_EXPOSURE and match.group(2) == "OK", f"{service}: {exposure} {match.group(2)}"
    # The operator guide records each score; keep it true.
    guide = (ROOT / "docs/operator-guide.md").read_text()
    assert re.search(rf"\|\s*`{re.escape(service)}`\s*\|\s*{re.escape(match.group(1))}\s", guide), \
        f"docs/operator-guide.md does not record {service} at {match.group(1)}"
