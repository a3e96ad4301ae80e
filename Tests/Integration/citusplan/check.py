"""Runs the Citus rules over the migrations, one migration at a time, in version order.

Invariants: the state rules run after every migration (a cluster may be set up at any
version, and an upgrade applies each later migration to tables Citus already owns); the
lifecycle rules judge each migration's changes to tables that existed before it; a statement
the reader cannot judge is itself a violation, so the check never passes by not looking.
"""
from .ddl import apply_migration
from .rules import Violation, coverage_violations, lifecycle_violations, state_violations
from .schema import Schema
from .tokens import SQLSyntaxError


def check_migrations(migrations, plan):
    """(violations, final schema) for MigrationSource-like objects (version, sql, path)."""
    schema = Schema()
    found = []
    for migration in migrations:
        if migration.sql is None:
            if migration.version not in plan.computed_migrations:
                found.append(Violation(
                    "COMPUTED_MIGRATION", f"migration {migration.version}", "",
                    f"{migration.path} builds its SQL in Swift code, which this check cannot read: write it as one "
                    "\"\"\" literal, or, when it cannot change a table (roles, grants), say why under "
                    "computedMigrations in docs/citus-plan.json (the catalog test then proves it)"))
            continue
        try:
            apply_migration(schema, migration.version, migration.sql)
        except SQLSyntaxError as problem:
            found.append(Violation("UNREADABLE_STATEMENT", f"migration {migration.version}", "",
                                   f"{migration.path}: {problem}"))
            continue
        found += lifecycle_violations(schema, plan, migration.version)
        found += state_violations(schema, plan)
    for item in schema.unreadable:
        found.append(Violation("UNREADABLE_STATEMENT", f"migration {item.version}", "",
                               f"cannot judge `{item.statement}`: {item.reason}; simplify the statement or teach "
                               "Tests/Integration/citusplan/ddl.py to read it"))
    found += coverage_violations(schema, plan)
    return _unique(found), schema


def check_sql(plan, *sql_by_version):
    """Violations for SQL texts applied as migrations 1, 2, …; for tests and experiments."""
    migrations = [_Snippet(version, sql) for version, sql in enumerate(sql_by_version, start=1)]
    violations, _ = check_migrations(migrations, plan)
    return violations


def _unique(violations):
    seen, unique = set(), []
    for violation in violations:
        key = (violation.rule, violation.table, violation.constraint)
        if key not in seen:
            seen.add(key)
            unique.append(violation)
    return unique


class _Snippet:
    def __init__(self, version, sql):
        self.version, self.sql, self.path = version, sql, f"snippet {version}"
