"""What Citus refuses, judged on a `Schema` against a `Plan`.

Each rule has an UPPER_SNAKE id and a message naming the table, the constraint and what to do.
Sources: Citus docs "Creating and Modifying Distributed Objects (DDL)" (unique and foreign
keys, distribution column changes), "SQL Support and Workarounds" (rules, sequences smaller than
bigint), and Citus's foreign_constraint.c (the foreign key cases and referential actions).
"""
from dataclasses import dataclass

CITUS_KINDS = ("distributed", "reference")
_DELETE_ACTIONS_REFUSED = ("set null", "set default")
_UPDATE_ACTIONS_REFUSED = ("set null", "set default", "cascade")


@dataclass(frozen=True)
class Violation:
    rule: str
    table: str
    constraint: str
    message: str

    def __str__(self):
        where = f"{self.table}.{self.constraint}" if self.constraint else self.table
        return f"{where}: {self.message} [{self.rule}]"


def state_violations(schema, plan):
    """Rules on the schema as it stands (what create_*_table and later DDL would refuse)."""
    found = []
    for table in schema.tables.values():
        kind = plan.kind(table.name)
        if kind is None:
            found.append(Violation("TABLE_NOT_IN_PLAN", table.name, "",
                                   f"table {table.name} is not in docs/citus-plan.json: add it as distributed "
                                   f"(by {plan.distribution_column}), reference or local, with why"))
            continue
        if kind == "distributed":
            found += _distributed_table(schema, plan, table)
        if kind in CITUS_KINDS:
            found += _citus_table(schema, table, kind)
    for table, key in schema.foreign_keys():
        found += _foreign_key(schema, plan, table, key)
    return found


def lifecycle_violations(schema, plan, version):
    """Changes made by migration `version` to Citus tables that existed before it ran.

    On a cluster that is already distributed, a table created by this migration is still a
    plain local table until the setup SQL runs after `exthost admin migrate`.
    """
    found = []
    column = plan.distribution_column

    def citus_before(name, kinds=CITUS_KINDS):
        created = schema.ever_created.get(name)
        return plan.kind(name) in kinds and created is not None and created < version

    for event in schema.events:
        if event.version == version and event.column == column and citus_before(event.table, ("distributed",)):
            found.append(Violation("ALTER_DISTRIBUTION_COLUMN", event.table, column,
                                   f"migration {version} does {event.kind.upper()} on distribution column {column} of "
                                   f"distributed table {event.table}; Citus refuses DDL on the distribution column "
                                   "(\"cannot execute ALTER TABLE command involving partition column\"): add a new column instead"))
        elif event.version == version and event.kind == "add identity" and citus_before(event.table):
            found.append(_sequence_added_later(event.table, event.column, version))
    for table in schema.tables.values():
        if not citus_before(table.name):
            continue
        for col in table.columns.values():
            if col.added_in == version and col.sequence_on_add:
                found.append(_sequence_added_later(table.name, col.name, version))
    for table, key in schema.foreign_keys():
        if key.added_in != version:
            continue
        if citus_before(table.name) and schema.ever_created.get(key.ref_table) == version:
            found.append(Violation("FOREIGN_KEY_BEFORE_DISTRIBUTION", table.name, key.name,
                                   f"migration {version} adds foreign key {key.name} from Citus table {table.name} to "
                                   f"{key.ref_table}, which that same migration creates: on a distributed cluster "
                                   f"{key.ref_table} is still local then and Citus refuses (referenced table must be a "
                                   "distributed or reference table); add the foreign key in a later migration"))
        elif schema.ever_created.get(table.name) == version and citus_before(key.ref_table, ("distributed",)):
            found.append(Violation("FOREIGN_KEY_BEFORE_DISTRIBUTION", table.name, key.name,
                                   f"new table {table.name} references distributed table {key.ref_table} in the migration "
                                   f"that creates it ({version}): on a distributed cluster {table.name} is still local "
                                   "then and Citus refuses a foreign key from a local to a distributed table; add the "
                                   "foreign key in a later migration (after the setup SQL has distributed the table)"))
    return found


def coverage_violations(schema, plan):
    """The plan against the final schema: no stale entries, and foreign-key targets handed to Citus first."""
    found = []
    for name, kind in plan.tables:
        if kind in CITUS_KINDS and name not in schema.ever_created:
            found.append(Violation("PLAN_TABLE_UNKNOWN", name, "",
                                   f"docs/citus-plan.json plans {name} as {kind} but no migration creates it: remove or rename it"))
    for table, key in schema.foreign_keys():
        kinds = (plan.kind(table.name), plan.kind(key.ref_table))
        if table.name == key.ref_table or any(k not in CITUS_KINDS for k in kinds) or kinds == ("reference", "distributed"):
            continue  # refused outright (or not handed to Citus): the order cannot help
        if plan.position(key.ref_table) > plan.position(table.name):
            found.append(Violation("PLAN_ORDER", table.name, key.name,
                                   f"{table.name} references {key.ref_table}, so docs/citus-plan.json must list "
                                   f"{key.ref_table} before {table.name} (Citus needs the referenced table distributed first)"))
    return found


def _distributed_table(schema, plan, table):
    found, column = [], plan.distribution_column
    dist = table.columns.get(column)
    if dist is None:
        return [Violation("DISTRIBUTION_COLUMN_MISSING", table.name, column,
                          f"distributed table {table.name} has no column {column}: add it, or plan the table as reference")]
    if not dist.not_null:
        found.append(Violation("DISTRIBUTION_COLUMN_NULLABLE", table.name, column,
                               f"distribution column {table.name}.{column} is nullable; Citus cannot place a row whose "
                               f"{column} is NULL (\"cannot perform an INSERT with NULL in the partition column\"): make it NOT NULL"))
    anchor = schema.tables.get(plan.colocate_with)
    anchor_column = anchor.columns.get(column) if anchor else None
    if anchor_column is not None and anchor_column.type != dist.type:
        found.append(Violation("DISTRIBUTION_COLUMN_TYPE", table.name, column,
                               f"{table.name}.{column} is {dist.type} but {plan.colocate_with}.{column} is "
                               f"{anchor_column.type}; co-located tables need the same distribution column type"))
    keys = [(k.name, k.kind, k.columns) for k in table.constraints if k.kind in ("primary key", "unique")]
    keys += [(i.name, "unique index", i.columns) for i in schema.indexes_of(table.name) if i.unique]
    for name, kind, columns in keys:
        if column not in columns:
            shown = ", ".join(c or "(expression)" for c in columns)
            found.append(Violation("UNIQUE_WITHOUT_DISTRIBUTION_COLUMN", table.name, name,
                                   f"{kind} {name} on ({shown}) of distributed table {table.name} lacks {column}; Citus "
                                   f"checks uniqueness inside one shard only and refuses it: add {column} to the key, or "
                                   "plan the table as reference"))
    for key in table.constraints:
        if key.kind == "exclude" and (column, "=") not in key.exclude_elements:
            found.append(Violation("EXCLUDE_WITHOUT_DISTRIBUTION_COLUMN", table.name, key.name,
                                   f"exclusion constraint {key.name} of distributed table {table.name} must include "
                                   f"{column} WITH =, as Citus checks it inside one shard only"))
    for name, target, _ in schema.triggers:
        if target == table.name:
            found.append(Violation("TRIGGER_ON_DISTRIBUTED_TABLE", table.name, name,
                                   f"trigger {name} on distributed table {table.name}: Citus runs triggers on the shards "
                                   "and refuses them unless citus.enable_unsafe_triggers is on; do the work in the "
                                   "application (or a NOTIFY from it) instead"))
    return found


def _citus_table(schema, table, kind):
    found = []
    for col in table.columns.values():
        if col.sequence_type and col.sequence_type != "bigint":
            found.append(Violation("SEQUENCE_NOT_BIGINT", table.name, col.name,
                                   f"{table.name}.{col.name} ({kind}) takes its default from a {col.sequence_type} "
                                   "sequence; Citus makes sequence values unique across nodes only for bigint "
                                   "(it encodes the node in the high bits), so inserts on worker nodes fail: use bigint "
                                   "(bigserial, or bigint GENERATED ... AS IDENTITY) or a uuid default"))
    for name, target, _ in schema.rules:
        if target == table.name:
            found.append(Violation("RULE_ON_CITUS_TABLE", table.name, name,
                                   f"rule {name} on {kind} table {table.name}: Citus does not support the rule system"))
    if table.inherits:
        found.append(Violation("INHERITANCE", table.name, "",
                               f"{kind} table {table.name} INHERITS {', '.join(table.inherits)}; Citus cannot "
                               "distribute tables that use inheritance"))
    return found


def _foreign_key(schema, plan, table, key):
    kind, target_kind = plan.kind(table.name), plan.kind(key.ref_table)
    column = plan.distribution_column
    where = f"foreign key {key.name} from {table.name} ({', '.join(key.columns)}) to {key.ref_table}"
    if kind is None or target_kind is None:
        return []  # TABLE_NOT_IN_PLAN already names the table
    if kind in CITUS_KINDS and target_kind == "local":
        return [Violation("FOREIGN_KEY_TO_LOCAL", table.name, key.name,
                          f"{where}: {key.ref_table} stays local, and Citus requires the referenced table of a "
                          f"{kind} table to be a distributed or reference table")]
    if kind == "local" and target_kind == "distributed":
        return [Violation("FOREIGN_KEY_LOCAL_TO_DISTRIBUTED", table.name, key.name,
                          f"{where}: Citus supports no foreign key from a local table to a distributed table")]
    if kind == "reference" and target_kind == "distributed":
        return [Violation("FOREIGN_KEY_REFERENCE_TO_DISTRIBUTED", table.name, key.name,
                          f"{where}: foreign keys from reference tables to distributed tables are not supported "
                          f"(a reference table can reference reference tables only): plan {table.name} as distributed "
                          "or drop the key")]
    if kind != "distributed":
        return []
    found = []
    if target_kind == "distributed":
        referenced = schema.referenced_columns(key)
        at = key.columns.index(column) if column in key.columns else None
        if at is None or column not in referenced or referenced.index(column) != at:
            found.append(Violation("FOREIGN_KEY_NOT_ON_DISTRIBUTION_COLUMN", table.name, key.name,
                                   f"{where} ({', '.join(referenced)}) between distributed tables must include {column} "
                                   f"at the same position on both sides (both are distributed by {column}); "
                                   f"make it ({column}, ...) REFERENCES {key.ref_table} ({column}, ...)"))
    if column in key.columns:
        if key.on_delete in _DELETE_ACTIONS_REFUSED:
            found.append(Violation("FOREIGN_KEY_ACTION_ON_DISTRIBUTION_COLUMN", table.name, key.name,
                                   f"{where}: ON DELETE {key.on_delete.upper()} would change the distribution column "
                                   f"{column}; Citus refuses it: use CASCADE, RESTRICT or NO ACTION"))
        if key.on_update in _UPDATE_ACTIONS_REFUSED:
            found.append(Violation("FOREIGN_KEY_ACTION_ON_DISTRIBUTION_COLUMN", table.name, key.name,
                                   f"{where}: ON UPDATE {key.on_update.upper()} would change the distribution column "
                                   f"{column}; Citus refuses it: use RESTRICT or NO ACTION"))
    return found


def _sequence_added_later(table, column, version):
    return Violation("SEQUENCE_DEFAULT_ADDED_LATER", table, column,
                     f"migration {version} adds a sequence-backed column {table}.{column} (serial, identity or "
                     "nextval default) to a table that is already a Citus table; Citus refuses that on a non-empty "
                     "table: add the column without a default, then ALTER COLUMN ... SET DEFAULT nextval(...) on a "
                     "bigint sequence")
