"""The Citus distribution plan guard (issue 14, item 5; docs/scaling.md "Citus distribution plan").

Debian has no Citus, so these tests are the guard: the migrations, read from the Swift sources
in version order, must satisfy docs/citus-plan.json; each rule is shown to reject a small
synthetic schema with the right message (so the guard cannot pass by not looking); and the
schema a real database holds after `exthost admin migrate` must be exactly what the reader made
of the migrations (so a computed or misread migration cannot hide a key from the rules).
"""
import json
import os
import re
import shutil
import subprocess
import uuid

import pytest

from apihelpers import cli, psql
from citusplan import (PLAN_PATH, ROOT, ExtractionError, PlanError, check_migrations, check_repository, check_sql,
                       load_plan, parse_plan, read_migrations)
from citusplan.catalog import CATALOG_QUERY, describe, schema_from_catalog
from citusplan.rules import state_violations
from citusplan.swiftsql import decode_multiline, swift_string_property

BASE = """
CREATE TABLE catalog (id uuid PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE anchor (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    catalog_id uuid REFERENCES catalog (id) ON DELETE RESTRICT,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE child (
    tenant_id uuid NOT NULL,
    anchor_id uuid NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (tenant_id, anchor_id, name),
    FOREIGN KEY (tenant_id, anchor_id) REFERENCES anchor (tenant_id, id) ON DELETE CASCADE
);
CREATE TABLE history (version int PRIMARY KEY);
"""


def make_plan(extra=None):
    """The plan of BASE (catalog reference, anchor and child distributed, history local), plus extra
    tables: extra reference tables come first, the others last."""
    extra = extra or {}
    kinds = {"catalog": "reference", "anchor": "distributed", "child": "distributed", "history": "local", **extra}
    names = [n for n in extra if extra[n] == "reference"] + [n for n in kinds if n not in extra or extra[n] != "reference"]
    return parse_plan(json.dumps({
        "distributionColumn": "tenant_id", "colocateWith": "anchor",
        "tables": [{"table": name, "kind": kinds[name], "why": "test"} for name in names],
    }))


def found(violations):
    return sorted((v.rule, v.table, v.constraint) for v in violations)


def test_the_registry_migrations_satisfy_the_plan():
    violations, schema, migrations = check_repository()
    assert violations == [], "Citus would refuse:\n" + "\n".join(map(str, violations))
    plan = load_plan(PLAN_PATH)
    assert set(plan.names("distributed", "reference")) <= set(schema.tables)
    assert schema.tables["installs"].primary_key().columns == ["tenant_id", "id"]
    assert schema.tables["execution_log"].columns["id"].sequence_type == "bigint"
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


def test_every_migration_file_is_read_in_version_order():
    files = sorted((ROOT / "Sources" / "Registry" / "Migrations").glob("Migration[0-9]*.swift"))
    migrations = read_migrations(ROOT)
    assert [m.path.rsplit("/", 1)[-1] for m in migrations] == [f.name for f in files]
    assert migrations[0].sql is not None and "CREATE TABLE installs" in migrations[0].sql
    plan = load_plan(PLAN_PATH)
    for migration in migrations:
        assert migration.sql is not None or migration.version in plan.computed_migrations, migration.path


def test_the_doc_carries_the_plans_setup_sql_and_every_table():
    doc = (ROOT / "docs" / "scaling.md").read_text()
    section = doc[doc.index("## Citus distribution plan"):]
    plan = load_plan(PLAN_PATH)
    assert plan.setup_sql() in section, "regenerate with: PYTHONPATH=Tests/Integration python3 -m citusplan --setup-sql"
    for name, kind in plan.tables:
        assert re.search(rf"`{name}`[^\n]*\b{kind}\b", section), f"docs/scaling.md does not list {name} as {kind}"


def test_the_command_line_check_passes_and_prints_the_setup_sql():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "Tests" / "Integration")}
    result = subprocess.run(["python3", "-m", "citusplan"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 violation(s)" in result.stderr
    setup = subprocess.run(["python3", "-m", "citusplan", "--setup-sql"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert setup.stdout == load_plan(PLAN_PATH).setup_sql()


MUTATIONS = [
    ("installs keyed without tenant_id", "PRIMARY KEY (tenant_id, id),\n            CONSTRAINT installs_tenant_id_extension_id_key",
     "PRIMARY KEY (id),\n            CONSTRAINT installs_tenant_id_extension_id_key",
     ("UNIQUE_WITHOUT_DISTRIBUTION_COLUMN", "installs", "installs_pkey")),
    ("secrets referencing installs by id alone",
     "FOREIGN KEY (tenant_id, install_id) REFERENCES installs (tenant_id, id) ON DELETE CASCADE",
     "FOREIGN KEY (install_id) REFERENCES installs (id) ON DELETE CASCADE",
     ("FOREIGN_KEY_NOT_ON_DISTRIBUTION_COLUMN", "install_secrets", "install_secrets_install_id_fkey")),
    ("an int identity in the execution log", "id bigint GENERATED BY DEFAULT AS IDENTITY",
     "id int GENERATED BY DEFAULT AS IDENTITY", ("SEQUENCE_NOT_BIGINT", "execution_log", "id")),
]


@pytest.mark.parametrize("old, new, expected", [case[1:] for case in MUTATIONS], ids=[case[0] for case in MUTATIONS])
def test_the_guard_catches_a_broken_copy_of_the_real_migrations(tmp_path, old, new, expected):
    registry = tmp_path / "Sources" / "Registry"
    (registry / "Migrations").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    shutil.copy(PLAN_PATH, tmp_path / "docs" / "citus-plan.json")
    shutil.copy(ROOT / "Sources" / "Registry" / "Migrations.swift", registry / "Migrations.swift")
    for source in (ROOT / "Sources" / "Registry" / "Migrations").glob("*.swift"):
        text = source.read_text()
        if source.name.startswith("Migration0001"):
            assert old in text, f"the mutation no longer applies to {source.name}: update MUTATIONS"
            text = text.replace(old, new, 1)
        (registry / "Migrations" / source.name).write_text(text)
    violations, _, _ = check_repository(tmp_path)
    assert expected in found(violations), "\n".join(map(str, violations))


def test_the_synthetic_base_schema_is_accepted():
    assert check_sql(make_plan(), BASE) == []


# Each case: extra plan entries, SQL appended to BASE in migration 1, SQL of migration 2 (or None),
# the (rule, table, constraint) expected, and a phrase the message must carry.
REFUSED = [
    ("table missing from the plan", None, "CREATE TABLE stray (id uuid PRIMARY KEY);", None,
     [("TABLE_NOT_IN_PLAN", "stray", "")], "not in docs/citus-plan.json"),
    ("plan names a table no migration creates", {"extra": "distributed"}, "", None,
     [("PLAN_TABLE_UNKNOWN", "extra", "")], "no migration creates it"),
    ("primary key without the distribution column", {"extra": "distributed"},
     "CREATE TABLE extra (tenant_id uuid NOT NULL, id uuid PRIMARY KEY);", None,
     [("UNIQUE_WITHOUT_DISTRIBUTION_COLUMN", "extra", "extra_pkey")], "primary key extra_pkey on (id)"),
    ("unique constraint without the distribution column", None,
     "ALTER TABLE child ADD CONSTRAINT child_name_key UNIQUE (name);", None,
     [("UNIQUE_WITHOUT_DISTRIBUTION_COLUMN", "child", "child_name_key")], "lacks tenant_id"),
    ("unique column constraint added with ADD COLUMN", None, "ALTER TABLE child ADD COLUMN code text UNIQUE;", None,
     [("UNIQUE_WITHOUT_DISTRIBUTION_COLUMN", "child", "child_code_key")], "unique child_code_key on (code)"),
    ("unique expression index", None, "CREATE UNIQUE INDEX child_lower_name_idx ON child (lower(name));", None,
     [("UNIQUE_WITHOUT_DISTRIBUTION_COLUMN", "child", "child_lower_name_idx")], "unique index"),
    ("unnamed partial unique index", None, "CREATE UNIQUE INDEX ON child (name) WHERE name <> '';", None,
     [("UNIQUE_WITHOUT_DISTRIBUTION_COLUMN", "child", "child_name_idx")], "on (name)"),
    ("distribution column missing", {"extra": "distributed"}, "CREATE TABLE extra (id uuid);", None,
     [("DISTRIBUTION_COLUMN_MISSING", "extra", "tenant_id")], "has no column tenant_id"),
    ("distribution column nullable", {"extra": "distributed"},
     "CREATE TABLE extra (tenant_id uuid NOT NULL);\nALTER TABLE extra ALTER COLUMN tenant_id DROP NOT NULL;", None,
     [("DISTRIBUTION_COLUMN_NULLABLE", "extra", "tenant_id")], "is nullable"),
    ("distribution column of another type", {"extra": "distributed"}, "CREATE TABLE extra (tenant_id text NOT NULL);", None,
     [("DISTRIBUTION_COLUMN_TYPE", "extra", "tenant_id")], "is text but anchor.tenant_id is uuid"),
    ("foreign key between distributed tables without the distribution column", None,
     "ALTER TABLE child ADD CONSTRAINT child_anchor_fkey FOREIGN KEY (anchor_id) REFERENCES anchor (id);", None,
     [("FOREIGN_KEY_NOT_ON_DISTRIBUTION_COLUMN", "child", "child_anchor_fkey")], "same position on both sides"),
    ("foreign key with the distribution column at different positions", None,
     "ALTER TABLE child ADD FOREIGN KEY (anchor_id, tenant_id) REFERENCES anchor (tenant_id, id);", None,
     [("FOREIGN_KEY_NOT_ON_DISTRIBUTION_COLUMN", "child", "child_anchor_id_tenant_id_fkey")], "(tenant_id, id)"),
    ("foreign key from a reference table to a distributed table", None,
     "ALTER TABLE catalog ADD COLUMN tenant_id uuid, ADD COLUMN anchor_id uuid,\n"
     "    ADD FOREIGN KEY (tenant_id, anchor_id) REFERENCES anchor (tenant_id, id);", None,
     [("FOREIGN_KEY_REFERENCE_TO_DISTRIBUTED", "catalog", "catalog_tenant_id_anchor_id_fkey")],
     "from reference tables to distributed tables are not supported"),
    ("foreign key from a distributed table to a local table", None,
     "ALTER TABLE anchor ADD COLUMN version int REFERENCES history (version);", None,
     [("FOREIGN_KEY_TO_LOCAL", "anchor", "anchor_version_fkey")], "history stays local"),
    ("foreign key from a local table to a distributed table", None,
     "ALTER TABLE history ADD COLUMN tenant_id uuid, ADD COLUMN anchor_id uuid,\n"
     "    ADD FOREIGN KEY (tenant_id, anchor_id) REFERENCES anchor;", None,
     [("FOREIGN_KEY_LOCAL_TO_DISTRIBUTED", "history", "history_tenant_id_anchor_id_fkey")], "from a local table"),
    ("ON DELETE SET NULL over the distribution column", None,
     "ALTER TABLE child DROP CONSTRAINT child_tenant_id_anchor_id_fkey,\n"
     "    ADD CONSTRAINT child_anchor FOREIGN KEY (tenant_id, anchor_id) REFERENCES anchor (tenant_id, id) ON DELETE SET NULL;",
     None, [("FOREIGN_KEY_ACTION_ON_DISTRIBUTION_COLUMN", "child", "child_anchor")], "ON DELETE SET NULL"),
    ("ON UPDATE CASCADE over the distribution column", None,
     "ALTER TABLE child ADD CONSTRAINT child_anchor FOREIGN KEY (tenant_id, anchor_id) REFERENCES anchor ON UPDATE CASCADE;",
     None, [("FOREIGN_KEY_ACTION_ON_DISTRIBUTION_COLUMN", "child", "child_anchor")], "ON UPDATE CASCADE"),
    ("serial on a distributed table", {"extra": "distributed"},
     "CREATE TABLE extra (tenant_id uuid NOT NULL, id serial, PRIMARY KEY (tenant_id, id));", None,
     [("SEQUENCE_NOT_BIGINT", "extra", "id")], "integer sequence"),
    ("int identity on a distributed table", {"extra": "distributed"},
     "CREATE TABLE extra (tenant_id uuid NOT NULL, id int GENERATED ALWAYS AS IDENTITY);", None,
     [("SEQUENCE_NOT_BIGINT", "extra", "id")], "only for bigint"),
    ("nextval of an integer sequence", {"extra": "distributed"},
     "CREATE SEQUENCE extra_n AS integer;\nCREATE TABLE extra (tenant_id uuid NOT NULL, n bigint DEFAULT nextval('public.extra_n'));",
     None, [("SEQUENCE_NOT_BIGINT", "extra", "n")], "integer sequence"),
    ("smallserial on a reference table", None, "ALTER TABLE catalog ADD COLUMN n smallserial;", None,
     [("SEQUENCE_NOT_BIGINT", "catalog", "n")], "smallint sequence"),
    ("exclusion constraint without the distribution column", None,
     "ALTER TABLE child ADD COLUMN during tstzrange,\n"
     "    ADD CONSTRAINT child_no_overlap EXCLUDE USING gist (anchor_id WITH =, during WITH &&);", None,
     [("EXCLUDE_WITHOUT_DISTRIBUTION_COLUMN", "child", "child_no_overlap")], "tenant_id WITH ="),
    ("trigger on a distributed table", None,
     "CREATE TRIGGER child_touch BEFORE UPDATE ON child FOR EACH ROW EXECUTE FUNCTION touch();", None,
     [("TRIGGER_ON_DISTRIBUTED_TABLE", "child", "child_touch")], "enable_unsafe_triggers"),
    ("rule on a reference table", None, "CREATE RULE catalog_keep AS ON DELETE TO catalog DO INSTEAD NOTHING;", None,
     [("RULE_ON_CITUS_TABLE", "catalog", "catalog_keep")], "rule system"),
    ("inheritance", {"extra": "distributed"}, "CREATE TABLE extra (tenant_id uuid NOT NULL) INHERITS (anchor);", None,
     [("INHERITANCE", "extra", "")], "INHERITS anchor"),
    ("distribution column type changed on a distributed table", None, "",
     "ALTER TABLE child ALTER COLUMN tenant_id SET DATA TYPE uuid USING tenant_id::uuid;",
     [("ALTER_DISTRIBUTION_COLUMN", "child", "tenant_id")], "ALTER COLUMN TYPE on distribution column"),
    ("distribution column dropped", None, "", "ALTER TABLE child DROP COLUMN tenant_id CASCADE;",
     [("ALTER_DISTRIBUTION_COLUMN", "child", "tenant_id"), ("DISTRIBUTION_COLUMN_MISSING", "child", "tenant_id")],
     "DROP COLUMN"),
    ("bigserial column added to a distributed table", None, "", "ALTER TABLE child ADD COLUMN seq bigserial;",
     [("SEQUENCE_DEFAULT_ADDED_LATER", "child", "seq")], "already a Citus table"),
    ("identity added to a column of a reference table", None, "",
     "ALTER TABLE catalog ADD COLUMN n bigint;\nALTER TABLE catalog ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY;",
     [("SEQUENCE_DEFAULT_ADDED_LATER", "catalog", "n")], "SET DEFAULT nextval"),
    ("new table referencing a distributed table in the migration that creates it", {"extra": "distributed"}, "",
     "CREATE TABLE extra (tenant_id uuid NOT NULL, anchor_id uuid NOT NULL,\n"
     "    FOREIGN KEY (tenant_id, anchor_id) REFERENCES anchor (tenant_id, id));",
     [("FOREIGN_KEY_BEFORE_DISTRIBUTION", "extra", "extra_tenant_id_anchor_id_fkey")], "still local"),
    ("Citus table referencing a table created by the same migration", {"extra": "reference"}, "",
     "CREATE TABLE extra (id uuid PRIMARY KEY);\nALTER TABLE anchor ADD COLUMN extra_id uuid REFERENCES extra (id);",
     [("FOREIGN_KEY_BEFORE_DISTRIBUTION", "anchor", "anchor_extra_id_fkey")], "add the foreign key in a later migration"),
    ("table the reader cannot see into", None, "CREATE TABLE extra (LIKE anchor INCLUDING ALL);", None,
     [("UNREADABLE_STATEMENT", "migration 1", "")], "LIKE"),
    ("ALTER TABLE form the reader does not know", None, "ALTER TABLE anchor ATTACH PARTITION anchor_2 FOR VALUES IN (1);",
     None, [("UNREADABLE_STATEMENT", "migration 1", "")], "attach partition"),
    ("unknown statement", None, "CLUSTER anchor USING anchor_pkey;", None,
     [("UNREADABLE_STATEMENT", "migration 1", "")], "unknown statement"),
    ("foreign key target planned after its referencing table", {"extra": "reference"},
     "CREATE TABLE extra (id uuid PRIMARY KEY, catalog_id uuid REFERENCES catalog);", None,
     [("PLAN_ORDER", "extra", "extra_catalog_id_fkey")], "must list catalog before extra"),
]


@pytest.mark.parametrize("extra, first, second, expected, phrase", [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_each_rule_refuses_what_citus_refuses(extra, first, second, expected, phrase):
    plan = make_plan(extra)
    migrations = [BASE + first] + ([second] if second is not None else [])
    violations = check_sql(plan, *migrations)
    assert found(violations) == sorted(expected), "\n".join(map(str, violations))
    assert any(phrase in str(v) for v in violations), "\n".join(map(str, violations))


ACCEPTED = [
    ("unique key led by the distribution column", "ALTER TABLE child ADD UNIQUE (tenant_id, name);"),
    ("unique index with the distribution column", "CREATE UNIQUE INDEX child_by_name ON child (name, tenant_id);"),
    ("foreign key to the referenced primary key, columns omitted",
     "ALTER TABLE child ADD FOREIGN KEY (tenant_id, anchor_id) REFERENCES anchor ON DELETE CASCADE;"),
    ("foreign key from a distributed to a reference table on any column",
     "ALTER TABLE child ADD COLUMN catalog_id uuid REFERENCES catalog ON DELETE SET NULL;"),
    ("bigint identity in a key with the distribution column",
     "CREATE TABLE extra (id bigint GENERATED BY DEFAULT AS IDENTITY, tenant_id uuid NOT NULL, PRIMARY KEY (tenant_id, id));"),
    ("exclusion constraint over the distribution column",
     "ALTER TABLE child ADD COLUMN during tstzrange,\n"
     "    ADD EXCLUDE USING gist (tenant_id WITH =, anchor_id WITH =, during WITH &&);"),
    ("grants, comments, functions and DO blocks", "GRANT SELECT ON TABLE anchor TO somebody;\n"
     "COMMENT ON TABLE anchor IS 'a; b';\nDO $$ BEGIN RAISE NOTICE 'x;'; END $$;"),
    ("a local table may have any key", "ALTER TABLE history ADD COLUMN label text UNIQUE;"),
]


@pytest.mark.parametrize("sql", [case[1] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED])
def test_what_citus_accepts_passes(sql):
    assert check_sql(make_plan({"extra": "distributed"}) if "extra" in sql else make_plan(), BASE + sql) == []


def test_a_later_migration_may_add_a_sequence_default_the_way_citus_allows():
    plan = make_plan({"extra": "distributed"})
    create = "CREATE TABLE extra (tenant_id uuid NOT NULL, anchor_id uuid NOT NULL);"
    link = "ALTER TABLE extra ADD FOREIGN KEY (tenant_id, anchor_id) REFERENCES anchor (tenant_id, id);"
    later_default = "CREATE SEQUENCE child_n;\nALTER TABLE child ADD COLUMN n bigint;\nALTER TABLE child ALTER COLUMN n SET DEFAULT nextval('child_n');"
    assert check_sql(plan, BASE, create, link + "\n" + later_default) == []


def test_a_computed_migration_must_be_explained_in_the_plan():
    class Computed:
        version, sql, path = 2, None, "Sources/Registry/Migrations/Migration0002X.swift"

    class Base:
        version, sql, path = 1, BASE, "base"

    violations, _ = check_migrations([Base, Computed], make_plan())
    assert found(violations) == [("COMPUTED_MIGRATION", "migration 2", "")]
    assert "computedMigrations" in str(violations[0])
    explained = parse_plan(json.dumps({**json.loads(PLAN_PATH.read_text()), "computedMigrations": {"2": "grants"}}))
    assert explained.computed_migrations == {2: "grants"}


@pytest.mark.parametrize("document, complaint", [
    ({"distributionColumn": "tenant_id", "colocateWith": "a",
      "tables": [{"table": "a", "kind": "distributed", "why": "x"}, {"table": "a", "kind": "reference", "why": "x"}]},
     "more than once"),
    ({"distributionColumn": "tenant_id", "colocateWith": "a", "tables": [{"table": "a", "kind": "sharded", "why": "x"}]},
     "unknown kind"),
    ({"distributionColumn": "tenant_id", "colocateWith": "b",
      "tables": [{"table": "a", "kind": "distributed", "why": "x"}, {"table": "b", "kind": "distributed", "why": "x"}]},
     "must be the first distributed table"),
    ({"distributionColumn": "tenant_id", "colocateWith": "a", "tables": [{"table": "a", "kind": "distributed"}]},
     "say why"),
    ({"tables": []}, "expected distributionColumn"),
])
def test_a_malformed_plan_is_refused_with_what_to_fix(document, complaint):
    with pytest.raises(PlanError, match=complaint):
        parse_plan(json.dumps(document))


def test_swift_literals_are_read_as_swift_reads_them():
    source = 'enum M {\n    static let sql = """\n        SELECT \'a\\\\b\', "q\\"" \\\n        FROM t;\n\n          -- deeper\n        """\n}\n'
    assert swift_string_property(source, "sql") == "SELECT 'a\\b', \"q\"\" FROM t;\n\n  -- deeper"
    computed = 'enum M {\n    static let sql = ([A.x] + B.y).joined(separator: "\\n")\n}\n'
    assert swift_string_property(computed, "sql") is None
    concatenated = 'enum M {\n    static let sql = """\n        A\n        """ + other\n}\n'
    assert swift_string_property(concatenated, "sql") is None
    with pytest.raises(ExtractionError, match="interpolates"):
        decode_multiline("SELECT \\(x)", "")
    with pytest.raises(ExtractionError, match="indented less"):
        decode_multiline("    A\n  B", "    ")


def test_unregistered_migration_files_are_read_in_file_number_order(tmp_path):
    migrations_dir = tmp_path / "Sources" / "Registry" / "Migrations"
    migrations_dir.mkdir(parents=True)
    (tmp_path / "Sources" / "Registry" / "Migrations.swift").write_text(
        'let all = [\n    Migration(version: 1, name: "initial", sql: Migration0001Initial.sql),\n]\n')
    literal = 'enum {name} {{\n    static let sql = """\n        {sql}\n        """\n}}\n'
    (migrations_dir / "Migration0001Initial.swift").write_text(literal.format(name="Migration0001Initial", sql="CREATE TABLE a (id int);"))
    (migrations_dir / "Migration0003Later.swift").write_text(literal.format(name="Migration0003Later", sql="CREATE TABLE c (id int);"))
    (migrations_dir / "Migration0002Next.swift").write_text(literal.format(name="Migration0002Next", sql="CREATE TABLE b (id int);"))
    assert [(m.version, m.sql) for m in read_migrations(tmp_path)] == [
        (1, "CREATE TABLE a (id int);"), (2, "CREATE TABLE b (id int);"), (3, "CREATE TABLE c (id int);")]
    (tmp_path / "Sources" / "Registry" / "Migrations.swift").write_text('Migration(version: 4, name: "x", sql: Missing.sql)')
    with pytest.raises(ExtractionError, match="registers Missing"):
        read_migrations(tmp_path)


@pytest.fixture()
def migrated_database(stack):
    """A fresh database of the stack's Postgres, migrated by the real exthost binary; dropped afterwards."""
    name = "citusplan_" + uuid.uuid4().hex[:12]
    psql(stack, f"CREATE DATABASE {name}")
    try:
        url = f"postgresql:///{name}?host={stack['PGHOST']}&port={stack['PGPORT']}&user={stack['PGUSER']}"
        cli(stack, "admin", "migrate", "--database-url", url)
        yield {**stack, "PGDATABASE": name}
    finally:
        psql(stack, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_migrated_database_holds_exactly_what_the_reader_saw_and_citus_accepts_it(migrated_database):
    catalog = schema_from_catalog(psql(migrated_database, CATALOG_QUERY))
    _, schema, _ = check_repository()
    plan = load_plan(PLAN_PATH)
    migrations_table = "exthost_schema_migrations"
    assert plan.kind(migrations_table) == "local" and migrations_table in catalog.tables
    del catalog.tables[migrations_table]  # created by MigrationRunner, not by a migration
    seen, real = describe(schema), describe(catalog)
    assert seen == real, ("the database differs from what citusplan read from the migrations\n"
                          f"only in the database: {sorted(real - seen)}\nonly in the reader: {sorted(seen - real)}")
    violations = state_violations(catalog, plan)
    assert violations == [], "\n".join(map(str, violations))


# Stand-ins for Citus's functions: they record each table in pg_dist_partition and refuse what
# Citus refuses about order (a foreign-key target or the co-location table not yet handed over).
CITUS_STUBS = """
CREATE TABLE pg_dist_partition (logicalrelid regclass PRIMARY KEY, kind text NOT NULL, colocation text);
CREATE FUNCTION citus_stub_require_targets(t regclass) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE target regclass;
BEGIN
  FOR target IN SELECT confrelid::regclass FROM pg_constraint WHERE contype = 'f' AND conrelid = t AND confrelid <> t LOOP
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = target) THEN
      RAISE EXCEPTION 'cannot create foreign key constraint: % must be a distributed or reference table before %', target, t;
    END IF;
  END LOOP;
END $f$;
CREATE FUNCTION create_reference_table(table_name regclass) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  PERFORM citus_stub_require_targets(table_name);
  INSERT INTO pg_dist_partition VALUES (table_name, 'reference', NULL);
END $f$;
CREATE FUNCTION create_distributed_table(table_name regclass, distribution_column text, distribution_type text DEFAULT 'hash',
                                         colocate_with text DEFAULT 'default') RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  IF colocate_with NOT IN ('default', 'none')
     AND NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = colocate_with::regclass AND kind = 'distributed') THEN
    RAISE EXCEPTION 'colocate_with % is not distributed yet', colocate_with;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = table_name AND attname = distribution_column AND NOT attisdropped) THEN
    RAISE EXCEPTION 'column % of % does not exist', distribution_column, table_name;
  END IF;
  PERFORM citus_stub_require_targets(table_name);
  INSERT INTO pg_dist_partition VALUES (table_name, 'distributed', colocate_with);
END $f$;
"""


def test_the_setup_sql_runs_in_order_and_again_on_the_migrated_schema(migrated_database, tmp_path):
    psql(migrated_database, CITUS_STUBS)
    plan = load_plan(PLAN_PATH)
    env = {**os.environ, **migrated_database}

    def run(sql):
        path = tmp_path / "citus-setup.sql"
        path.write_text(sql)
        return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(path)], env=env,
                              capture_output=True, text=True)

    statements = plan.setup_sql().strip().rstrip(";").split(";\n")
    backwards = run(";\n".join(reversed(statements)) + ";\n")
    assert backwards.returncode != 0 and "is not distributed yet" in backwards.stderr, backwards.stderr
    versions_first = [line for line in statements if "'extension_versions'" in line]
    early = run(";\n".join(versions_first + [line for line in statements if line not in versions_first]) + ";\n")
    assert early.returncode != 0 and "must be a distributed or reference table" in early.stderr, early.stderr
    for _ in range(2):  # the second run must find everything done and call nothing
        result = run(plan.setup_sql())
        assert result.returncode == 0, result.stderr
    rows = psql(migrated_database, "SELECT logicalrelid::text || ' ' || kind FROM pg_dist_partition")
    assert sorted(rows.splitlines()) == sorted(f"{name} {kind}" for name, kind in plan.tables if kind != "local")
