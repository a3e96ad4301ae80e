"""The schema the migrations build: tables, columns, keys, indexes, triggers and rules.

Invariants: names are unqualified (the registry lives in one schema); every constraint and
column remembers the migration version that added it, so the rules can tell what already was a
Citus table when a later migration ran. Constraint names follow PostgreSQL's defaults when the
SQL gives none, so messages name what `\\d table` would show.
"""
from dataclasses import dataclass, field

# Integer widths a sequence can produce; Citus makes values unique across nodes only for bigint.
SEQUENCE_TYPES = {"smallint", "integer", "bigint"}


@dataclass
class Column:
    name: str
    type: str
    not_null: bool = False
    default: str | None = None
    # The integer type of the sequence behind the default (serial, identity, nextval), if any.
    sequence_type: str | None = None
    # True when the sequence came with ADD COLUMN itself (serial, identity or a nextval default).
    sequence_on_add: bool = False
    added_in: int = 0


@dataclass
class Constraint:
    kind: str  # "primary key", "unique", "foreign key", "exclude", "check"
    name: str
    columns: list
    ref_table: str | None = None
    ref_columns: list | None = None
    on_delete: str = "no action"
    on_update: str = "no action"
    # For "exclude": (column or None for an expression, operator) per element.
    exclude_elements: list | None = None
    added_in: int = 0


@dataclass
class Index:
    name: str
    table: str
    unique: bool
    # Key columns in order; None stands for an expression.
    columns: list
    added_in: int = 0


@dataclass
class Table:
    name: str
    created_in: int
    columns: dict = field(default_factory=dict)
    constraints: list = field(default_factory=list)
    inherits: list = field(default_factory=list)

    def primary_key(self):
        return next((c for c in self.constraints if c.kind == "primary key"), None)

    def constraint(self, name):
        return next((c for c in self.constraints if c.name == name), None)


@dataclass(frozen=True)
class Event:
    """A DDL change Citus judges as it happens, not by the state it leaves."""
    kind: str  # "alter column type", "drop column"
    table: str
    column: str
    version: int


@dataclass(frozen=True)
class Unreadable:
    """A statement the reader does not understand well enough to judge."""
    version: int
    statement: str
    reason: str


@dataclass
class Schema:
    tables: dict = field(default_factory=dict)
    indexes: dict = field(default_factory=dict)
    sequences: dict = field(default_factory=dict)
    # (trigger name, table, version) and (rule name, table, version)
    triggers: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    events: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)
    # Every table name that existed at some point, with the version that created it.
    ever_created: dict = field(default_factory=dict)

    def table(self, name):
        return self.tables.get(name)

    def indexes_of(self, table):
        return [index for index in self.indexes.values() if index.table == table]

    def foreign_keys(self):
        for table in self.tables.values():
            for constraint in table.constraints:
                if constraint.kind == "foreign key":
                    yield table, constraint

    def referenced_columns(self, constraint):
        """The referenced columns of a foreign key, the referenced primary key when omitted."""
        if constraint.ref_columns:
            return constraint.ref_columns
        target = self.tables.get(constraint.ref_table)
        key = target.primary_key() if target else None
        return key.columns if key else []


def default_constraint_name(table, kind, columns):
    suffix = {"primary key": "pkey", "unique": "key", "foreign key": "fkey", "exclude": "excl", "check": "check"}[kind]
    if kind == "primary key":
        return f"{table}_pkey"
    named = [c for c in columns if c] or ([] if kind == "check" else ["expr"])
    return "_".join([table] + named + [suffix])
