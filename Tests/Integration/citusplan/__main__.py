"""Command line: check the migrations against the plan, or print the plan's setup SQL."""
import argparse
import sys

from . import PLAN_PATH, ROOT, check_repository, load_plan


def main():
    parser = argparse.ArgumentParser(
        prog="python3 -m citusplan",
        description="Reads every migration in Sources/Registry/Migrations (version order) and reports what Citus "
                    "would refuse for the plan in docs/citus-plan.json. Run from the repository root with "
                    "PYTHONPATH=Tests/Integration. Exit status 1 when something is refused.")
    parser.add_argument("--setup-sql", action="store_true",
                        help="print the idempotent create_reference_table / create_distributed_table calls, in order, "
                             "to run on the Citus coordinator after `exthost admin migrate`")
    args = parser.parse_args()
    if args.setup_sql:
        sys.stdout.write(load_plan(PLAN_PATH).setup_sql())
        return 0
    violations, _, migrations = check_repository(ROOT)
    for violation in violations:
        print(violation)
    read = ", ".join(f"{m.version:04d}" + ("" if m.sql is not None else " (computed)") for m in migrations)
    print(f"citusplan: {len(violations)} violation(s); migrations read: {read}", file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
