"""Migrations and the workers' schema check against the stack's Postgres (issue 5)."""
import os
import re
import subprocess
import uuid

import pytest

from apihelpers import cli, psql


@pytest.fixture()
def empty_database(stack):
    name = "it_empty_" + uuid.uuid4().hex[:12]
    psql(stack, f"CREATE DATABASE {name}")
    url = stack["EXTHOST_DATABASE_URL"].replace("postgresql:///exthost?", f"postgresql:///{name}?")
    assert name in url
    yield url
    psql(stack, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_migrate_from_empty_then_rerun_is_a_no_op(stack, empty_database):
    first = cli(stack, "admin", "migrate", "--database-url", empty_database)
    assert "applied 0001 initial" in first.stdout
    again = cli(stack, "admin", "migrate", "--database-url", empty_database)
    assert "schema is up to date" in again.stdout and "applied" not in again.stdout
    version = cli(stack, "admin", "schema-version", "--database-url", empty_database)
    database, binary = re.match(r"database (\d+), binary (\d+)", version.stdout).groups()
    assert database == binary and int(binary) >= 2, version.stdout


def test_api_worker_refuses_an_unmigrated_database_and_says_to_migrate(stack, empty_database, tmp_path):
    env = {**os.environ, **stack, "EXTHOST_DATABASE_URL": empty_database}
    worker = subprocess.run(
        [os.path.join(stack["EXTHOST_BIN_DIR"], "exthost-api"), "--listen", f"unix:{tmp_path}/api.sock", "--threads", "2"],
        env=env, capture_output=True, text=True, timeout=60)
    assert worker.returncode == 1
    output = worker.stdout + worker.stderr
    assert "SCHEMA_OUTDATED" in output and "exthost admin migrate" in output
    assert not (tmp_path / "api.sock").exists()
