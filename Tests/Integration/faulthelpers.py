"""Shared by the fault tests (issue 11): the consistency check every fault scenario ends with,
and the stack-restoring helpers they need even when an assertion fails."""
import json
import os
import pathlib
import subprocess

from apihelpers import cli, psql

ROOT = pathlib.Path(__file__).resolve().parents[2]


def db_now(stack):
    """The database's clock, for `exthost admin fsck --since`: rows older than the scenario
    (other tests' seeded rows, objects a moto restart lost) are not the scenario's doing."""
    return psql(stack, "SELECT now()").strip()


def fsck(stack, since, *args):
    """Runs `exthost admin fsck --json --since SINCE ARGS`; returns (exit code, report)."""
    result = cli(stack, "admin", "fsck", "--json", "--since", since, *args, check=False)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"fsck printed no JSON (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.returncode, report


def assert_fsck_clean(stack, since, *args):
    """Registry rows since SINCE, their objects and the cache tree agree: exit 0, no error."""
    code, report = fsck(stack, since, *args)
    assert code == 0 and report["status"] == "clean", json.dumps(report, indent=2)
    assert report["checked"].get("bundle rows", 0) >= 0
    return report


def stack_command(stack, *args):
    """`scripts/stack ARGS` with the stack's environment; fails with its output."""
    result = subprocess.run([str(ROOT / "scripts" / "stack"), *args], env={**os.environ, **stack}, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def stack_pid(stack, name):
    return int(pathlib.Path(stack["EXTHOST_RUN_DIR"], "pids", f"{name}.pid").read_text().split()[0])
