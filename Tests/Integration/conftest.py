"""Fixtures for the integration tests: they talk to the stack `scripts/stack start` runs.

The stack's environment comes from `scripts/stack env` (scripts/test exports it); every test
goes through the real nginx over HTTPS with the dev certificate.
"""
import os
import pathlib
import shlex
import subprocess

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _stack_env():
    env = {}
    out = subprocess.run([str(ROOT / "scripts" / "stack"), "env"], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        line = line.strip()
        if not line.startswith("export "):
            continue
        key, _, value = line[len("export "):].partition("=")
        parsed = shlex.split(value)
        env[key] = parsed[0] if parsed else ""
    return env


@pytest.fixture(scope="session")
def stack():
    env = _stack_env()
    for key in ("EXTHOST_URL", "EXTHOST_CA", "EXTHOST_RUN_DIR"):
        assert env.get(key), f"scripts/stack env did not print {key}; is the stack running (scripts/stack start)?"
    env.setdefault("EXTHOST_BIN_DIR", os.environ.get("EXTHOST_BIN_DIR", str(ROOT / ".build" / "release")))
    return env


@pytest.fixture(scope="session")
def base_url(stack):
    return stack["EXTHOST_URL"].rstrip("/")


@pytest.fixture()
def http(stack):
    session = requests.Session()
    # REQUESTS_CA_BUNDLE in the environment would silently win over session.verify.
    session.trust_env = False
    session.verify = stack["EXTHOST_CA"]
    yield session
    session.close()
