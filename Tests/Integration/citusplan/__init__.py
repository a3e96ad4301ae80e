"""The Citus plan guard: reads the registry migrations from the Swift sources and fails on
anything Citus would refuse for the plan in docs/citus-plan.json (docs/scaling.md).

    PYTHONPATH=Tests/Integration python3 -m citusplan              # check; exit 1 on violations
    PYTHONPATH=Tests/Integration python3 -m citusplan --setup-sql  # the create_*_table calls
"""
import pathlib

from .check import check_migrations, check_sql
from .plan import Plan, PlanError, load_plan, parse_plan
from .rules import Violation
from .swiftsql import ExtractionError, read_migrations

ROOT = pathlib.Path(__file__).resolve().parents[3]
PLAN_PATH = ROOT / "docs" / "citus-plan.json"


def check_repository(root=ROOT):
    """(violations, final schema, migrations) for the checkout at root."""
    migrations = read_migrations(root)
    violations, schema = check_migrations(migrations, load_plan(root / "docs" / "citus-plan.json"))
    return violations, schema, migrations


__all__ = [
    "ROOT", "PLAN_PATH", "check_repository", "check_migrations", "check_sql", "Plan", "PlanError",
    "load_plan", "parse_plan", "Violation", "ExtractionError", "read_migrations",
]
