"""The Citus distribution plan (docs/citus-plan.json) and the SQL that applies it.

Invariants: every table appears once with kind "distributed", "reference" or "local"; the
co-location anchor is the first distributed table; the order of `tables` is the order in which
the tables are handed to Citus.
"""
import json
from dataclasses import dataclass

KINDS = ("distributed", "reference", "local")


class PlanError(Exception):
    """docs/citus-plan.json is malformed; the message says what to fix."""


@dataclass(frozen=True)
class Plan:
    distribution_column: str
    colocate_with: str
    # (table, kind) in setup order
    tables: tuple
    computed_migrations: dict

    def kind(self, table):
        return next((kind for name, kind in self.tables if name == table), None)

    def names(self, *kinds):
        return [name for name, kind in self.tables if kind in kinds]

    def position(self, table):
        return next(index for index, (name, _) in enumerate(self.tables) if name == table)

    def setup_sql(self):
        """Idempotent SQL for the coordinator: hands every not-yet-Citus table to Citus, in order."""
        lines = []
        for name, kind in self.tables:
            if kind == "reference":
                call = f"create_reference_table('{name}')"
            elif name == self.colocate_with:
                call = f"create_distributed_table('{name}', '{self.distribution_column}')"
            elif kind == "distributed":
                call = (f"create_distributed_table('{name}', '{self.distribution_column}', "
                        f"colocate_with => '{self.colocate_with}')")
            else:
                continue
            lines.append(f"SELECT {call}\n  WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '{name}'::regclass);")
        return "\n".join(lines) + "\n"


def parse_plan(text):
    try:
        document = json.loads(text)
        column = document["distributionColumn"]
        anchor = document["colocateWith"]
        tables = tuple((entry["table"], entry["kind"]) for entry in document["tables"])
        computed = {int(version): why for version, why in document.get("computedMigrations", {}).items()}
    except (ValueError, KeyError, TypeError) as problem:
        raise PlanError(f"docs/citus-plan.json: {problem!r}; expected distributionColumn, colocateWith, "
                        "tables [{table, kind, why}] and optional computedMigrations {version: why}") from None
    unexplained = [entry.get("table") for entry in document["tables"] if not str(entry.get("why", "")).strip()]
    if unexplained:
        raise PlanError(f"docs/citus-plan.json: say why for {', '.join(map(str, unexplained))} (\"why\": ...)")
    names = [name for name, _ in tables]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PlanError(f"docs/citus-plan.json lists {', '.join(duplicates)} more than once")
    unknown = [f"{name} ({kind})" for name, kind in tables if kind not in KINDS]
    if unknown:
        raise PlanError(f"docs/citus-plan.json: unknown kind for {', '.join(unknown)}; use one of {', '.join(KINDS)}")
    distributed = [name for name, kind in tables if kind == "distributed"]
    if distributed and distributed[0] != anchor:
        raise PlanError(f"docs/citus-plan.json: colocateWith {anchor!r} must be the first distributed table "
                        f"(it is distributed before the tables co-located with it); first is {distributed[0]!r}")
    return Plan(column, anchor, tables, computed)


def load_plan(path):
    return parse_plan(path.read_text())
