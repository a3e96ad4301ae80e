"""Applies migration DDL to a `Schema`: CREATE/ALTER/DROP of tables, indexes, sequences,
triggers and rules.

Invariants: a statement that could change a table in a way the reader does not understand is
recorded as `Unreadable` (the check then fails and asks for the reader to be extended) rather
than skipped; statements that cannot change a table's distribution (grants, roles, comments,
functions, views, DO blocks, data changes) are ignored on purpose.
"""
from .cursor import Cursor, NotUnderstood
from .schema import Column, Constraint, Event, Index, Table, Unreadable, default_constraint_name
from .tokens import render, split_statements, split_top_level, tokenize

_IGNORED = [
    ("grant",), ("revoke",), ("comment",), ("do",), ("select",), ("insert",), ("update",), ("delete",),
    ("set",), ("reset",), ("analyze",), ("notify",), ("lock",), ("truncate",),
    ("create", "role"), ("alter", "role"), ("drop", "role"), ("create", "user"), ("alter", "user"), ("drop", "user"),
    ("create", "extension"), ("alter", "extension"), ("drop", "extension"), ("create", "schema"),
    ("create", "type"), ("alter", "type"), ("drop", "type"), ("create", "domain"), ("create", "collation"),
    ("create", "function"), ("create", "or", "replace", "function"), ("alter", "function"), ("drop", "function"),
    ("create", "procedure"), ("create", "or", "replace", "procedure"), ("drop", "procedure"),
    ("create", "view"), ("create", "or", "replace", "view"), ("drop", "view"), ("create", "materialized", "view"),
    ("refresh", "materialized", "view"), ("drop", "materialized", "view"),
    ("create", "policy"), ("alter", "policy"), ("drop", "policy"), ("alter", "default", "privileges"),
    ("drop", "sequence"), ("create", "statistics"), ("drop", "statistics"),
]

_COLUMN_CONSTRAINT_WORDS = {
    "constraint", "not", "null", "default", "primary", "unique", "references", "check", "generated",
    "collate", "deferrable", "initially",
}
_TABLE_CONSTRAINT_WORDS = ("constraint", "primary", "unique", "foreign", "check", "exclude")
_TYPE_ALIASES = {
    "int": "integer", "int4": "integer", "integer": "integer", "serial": "integer", "serial4": "integer",
    "int8": "bigint", "bigint": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "int2": "smallint", "smallint": "smallint", "smallserial": "smallint", "serial2": "smallint",
    "bool": "boolean", "timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone",
    "varchar": "character varying", "float8": "double precision", "float4": "real",
}
_SERIALS = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}
_ACTIONS = (("no", "action"), ("restrict",), ("cascade",), ("set", "null"), ("set", "default"))


def apply_migration(schema, version, sql):
    """Applies every statement of one migration's SQL text to schema."""
    for statement in split_statements(tokenize(sql)):
        apply_statement(schema, version, statement)


def apply_statement(schema, version, tokens):
    reader = _Reader(schema, version)
    cursor = Cursor(tokens)
    try:
        reader.statement(cursor)
    except NotUnderstood as problem:
        schema.unreadable.append(Unreadable(version, render(tokens)[:200], str(problem)))


def normalize_type(tokens):
    words = [t.value for t in tokens]
    if len(words) == 1 and words[0] in _TYPE_ALIASES:
        return _TYPE_ALIASES[words[0]]
    text = ""
    for token in tokens:
        tight = token.kind == "punct" or text.endswith(("(", "[", ","))
        text += (token.value if tight or not text else " " + token.value)
    return text.replace(",", ", ")


class _Reader:
    def __init__(self, schema, version):
        self.schema = schema
        self.version = version

    def statement(self, c):
        if any(c.at(*lead) for lead in _IGNORED):
            return
        if c.at("create") and self._create(c):
            return
        if c.accept("alter", "table"):
            return self._alter_table(c)
        if c.accept("alter", "index"):
            return self._alter_index(c)
        if c.accept("alter", "sequence"):
            return self._alter_sequence(c)
        if c.accept("drop", "table"):
            return self._drop_table(c)
        if c.accept("drop", "index"):
            return self._drop_index(c)
        if c.accept("drop", "trigger"):
            return self._drop_named_on(c, self.schema.triggers)
        if c.accept("drop", "rule"):
            return self._drop_named_on(c, self.schema.rules)
        raise NotUnderstood(f"unknown statement {c.rest()!r}")

    # CREATE ...

    def _create(self, c):
        c.expect("create")
        c.accept("or", "replace")
        if c.at("unique", "index") or c.at("index"):
            self._create_index(c)
        elif c.at("constraint", "trigger") or c.at("trigger"):
            c.accept("constraint")
            c.expect("trigger")
            self._create_named_on(c, "on", self.schema.triggers)
        elif c.accept("rule"):
            self._create_named_on(c, "to", self.schema.rules)
        elif c.accept("sequence") or c.accept("temporary", "sequence") or c.accept("temp", "sequence"):
            c.accept("if", "not", "exists")
            name = c.name()
            self.schema.sequences[name] = self._sequence_type(c) or "bigint"
        else:
            for modifier in ("global", "local", "temporary", "temp", "unlogged"):
                c.accept(modifier)
            c.expect("table")
            self._create_table(c)
        return True

    def _create_table(self, c):
        c.accept("if", "not", "exists")
        name = c.name()
        if c.at("partition", "of") or c.at("of") or c.at("as") or not c.at_punct("("):
            raise NotUnderstood(f"CREATE TABLE {name} is not a plain column list (PARTITION OF, OF, AS)")
        if name in self.schema.tables:
            return  # IF NOT EXISTS on an existing table
        table = Table(name, created_in=self.version)
        for element in split_top_level(c.group()):
            ec = Cursor(element)
            if ec.at("like"):
                raise NotUnderstood(f"CREATE TABLE {name} (LIKE ...) hides its columns")
            if ec.peek() is not None and ec.peek().kind == "word" and ec.peek().value in _TABLE_CONSTRAINT_WORDS:
                self._table_constraint(table, ec)
            else:
                self._column(table, ec)
        if c.accept("inherits"):
            table.inherits = c.name_list()
        self.schema.tables[name] = table
        self.schema.ever_created.setdefault(name, self.version)

    def _create_index(self, c):
        unique = c.accept("unique")
        c.expect("index")
        c.accept("concurrently")
        c.accept("if", "not", "exists")
        name = None if c.at("on") else c.name()
        c.expect("on")
        c.accept("only")
        table = c.name()
        if c.accept("using"):
            c.name()
        columns = [_index_column(part) for part in split_top_level(c.group())]
        name = name or "_".join([table] + [col or "expr" for col in columns] + ["idx"])
        self.schema.indexes[name] = Index(name, table, unique, columns, self.version)

    def _create_named_on(self, c, keyword, registry):
        name = c.name()
        while not c.done() and not c.at(keyword):
            c.next()
        c.expect(keyword)
        registry.append((name, c.name(), self.version))

    # columns and constraints

    def _column(self, table, c):
        name_token = c.next()
        if not name_token.is_name:
            raise NotUnderstood(f"expected a column name in {table.name}, found {name_token.value!r}")
        type_tokens = c.until(_COLUMN_CONSTRAINT_WORDS)
        column = Column(name_token.value, normalize_type(type_tokens), added_in=self.version)
        if len(type_tokens) == 1 and type_tokens[0].value in _SERIALS:
            sequence = f"{table.name}_{column.name}_seq"
            self.schema.sequences[sequence] = column.type
            column.sequence_type, column.not_null = column.type, True
            column.default = f"nextval('{sequence}'::regclass)"
        table.columns[column.name] = column
        constraint_name = None
        while not c.done():
            if c.accept("constraint"):
                constraint_name = c.name()
                continue
            if c.accept("not", "null"):
                column.not_null = True
            elif c.accept("null"):
                pass
            elif c.accept("default"):
                self._set_default(column, c.until(_COLUMN_CONSTRAINT_WORDS))
            elif c.accept("primary", "key"):
                _skip_index_parameters(c)
                column.not_null = True
                self._add(table, Constraint("primary key", constraint_name, [column.name]))
            elif c.accept("unique"):
                _skip_nulls_distinct(c)
                _skip_index_parameters(c)
                self._add(table, Constraint("unique", constraint_name, [column.name]))
            elif c.accept("references"):
                self._add(table, self._references(c, constraint_name, [column.name]))
            elif c.accept("check"):
                c.group()
                c.accept("no", "inherit")
            elif c.accept("generated"):
                self._generated(column, c)
            elif c.accept("collate"):
                c.name()
            elif not _skip_constraint_attribute(c):
                raise NotUnderstood(f"column {table.name}.{column.name}: unexpected {c.rest()!r}")
            constraint_name = None
        column.sequence_on_add = column.sequence_type is not None
        return column

    def _generated(self, column, c):
        if not (c.accept("always") or c.accept("by", "default")):
            raise NotUnderstood(f"GENERATED needs ALWAYS or BY DEFAULT at {c.rest()!r}")
        c.expect("as")
        if c.accept("identity"):
            column.sequence_type, column.not_null = column.type, True
            column.default = "identity"
            if c.at_punct("("):
                c.group()
        else:
            c.group()
            c.accept("stored")

    def _set_default(self, column, tokens):
        column.default = render(tokens)
        column.sequence_type = None
        for index, token in enumerate(tokens):
            if token.is_word("nextval"):
                argument = next((t for t in tokens[index + 1:] if t.kind == "string"), None)
                sequence = argument.value.split(".")[-1].strip('"') if argument else ""
                column.sequence_type = self.schema.sequences.get(sequence, "bigint")

    def _table_constraint(self, table, c):
        name = c.name() if c.accept("constraint") else None
        if c.accept("primary", "key"):
            constraint = Constraint("primary key", name, self._key_columns(c))
            for column in constraint.columns:
                if column in table.columns:
                    table.columns[column].not_null = True
        elif c.accept("unique"):
            _skip_nulls_distinct(c)
            constraint = Constraint("unique", name, self._key_columns(c))
        elif c.accept("foreign", "key"):
            columns = c.name_list()
            c.expect("references")
            constraint = self._references(c, name, columns)
        elif c.accept("check"):
            c.group()
            c.accept("no", "inherit")
            constraint = Constraint("check", name, [])
        elif c.accept("exclude"):
            if c.accept("using"):
                c.name()
            elements = [_exclude_element(part) for part in split_top_level(c.group())]
            constraint = Constraint("exclude", name, [col for col, _ in elements], exclude_elements=elements)
            _skip_index_parameters(c)
            if c.accept("where"):
                c.group()
        else:
            raise NotUnderstood(f"unknown table constraint in {table.name}: {c.rest()!r}")
        while _skip_constraint_attribute(c):
            pass
        if not c.done():
            raise NotUnderstood(f"constraint in {table.name}: unexpected {c.rest()!r}")
        self._add(table, constraint)

    def _key_columns(self, c):
        if c.accept("using", "index"):
            index = self.schema.indexes.pop(c.name(), None)
            if index is None:
                raise NotUnderstood("USING INDEX names an index the migrations did not create")
            return list(index.columns)
        columns = c.name_list()
        _skip_index_parameters(c)
        return columns

    def _references(self, c, name, columns):
        constraint = Constraint("foreign key", name, columns, ref_table=c.name())
        if c.at_punct("("):
            constraint.ref_columns = c.name_list()
        while True:
            if c.accept("match"):
                c.next()
            elif c.accept("on", "delete"):
                constraint.on_delete = _action(c)
            elif c.accept("on", "update"):
                constraint.on_update = _action(c)
            else:
                return constraint

    def _add(self, table, constraint):
        constraint.added_in = self.version
        if constraint.name is None:
            constraint.name = default_constraint_name(table.name, constraint.kind, constraint.columns)
        table.constraints.append(constraint)

    # ALTER / DROP

    def _alter_table(self, c):
        c.accept("if", "exists")
        c.accept("only")
        table = self._existing_table(c.name())
        for part in split_top_level(c.tokens[c.i:]):
            self._alter_table_action(table, Cursor(part))

    def _alter_table_action(self, table, c):
        if c.accept("add"):
            if c.peek() is not None and c.peek().kind == "word" and c.peek().value in _TABLE_CONSTRAINT_WORDS:
                return self._table_constraint(table, c)
            c.accept("column")
            c.accept("if", "not", "exists")
            return self._column(table, c)
        if c.accept("drop", "constraint"):
            c.accept("if", "exists")
            name = c.name()
            table.constraints = [k for k in table.constraints if k.name != name]
            return
        if c.accept("drop"):
            c.accept("column")
            c.accept("if", "exists")
            return self._drop_column(table, c.name())
        if c.accept("alter"):
            c.accept("column")
            return self._alter_column(table, c.name(), c)
        if c.accept("rename"):
            return self._rename(table, c)
        if c.at("set", "schema") or c.at("attach") or c.at("detach") or c.at("inherit") or c.at("no", "inherit") or c.at("of") or c.at("not", "of"):
            raise NotUnderstood(f"ALTER TABLE {table.name} {c.rest()}")
        harmless = ("validate", "enable", "disable", "force", "no", "owner", "set", "reset", "cluster", "replica")
        if c.peek() is not None and c.peek().kind == "word" and c.peek().value in harmless:
            return
        raise NotUnderstood(f"ALTER TABLE {table.name} {c.rest()}")

    def _alter_column(self, table, name, c):
        column = table.columns.get(name)
        if column is None:
            raise NotUnderstood(f"ALTER COLUMN {table.name}.{name}: no such column")
        if c.accept("type") or c.accept("set", "data", "type"):
            column.type = normalize_type(c.until({"using", "collate"}))
            if column.sequence_type and column.default == "identity":
                column.sequence_type = column.type
            self.schema.events.append(Event("alter column type", table.name, name, self.version))
        elif c.accept("set", "not", "null"):
            column.not_null = True
        elif c.accept("drop", "not", "null"):
            column.not_null = False
        elif c.accept("set", "default"):
            self._set_default(column, c.tokens[c.i:])
        elif c.accept("drop", "default"):
            column.default, column.sequence_type = None, None
        elif c.accept("add", "generated"):
            self._generated(column, c)
            self.schema.events.append(Event("add identity", table.name, name, self.version))
        elif c.accept("drop", "identity"):
            column.default, column.sequence_type = None, None
        elif not (c.at("set") or c.at("reset")):
            raise NotUnderstood(f"ALTER COLUMN {table.name}.{name} {c.rest()}")

    def _drop_column(self, table, name):
        self.schema.events.append(Event("drop column", table.name, name, self.version))
        table.columns.pop(name, None)
        table.constraints = [k for k in table.constraints if name not in k.columns]
        for index in [i for i in self.schema.indexes.values() if i.table == table.name and name in i.columns]:
            del self.schema.indexes[index.name]

    def _rename(self, table, c):
        if c.accept("constraint"):
            old = c.name()
            c.expect("to")
            constraint = table.constraint(old)
            if constraint:
                constraint.name = c.name()
            return
        if c.accept("to"):
            new = c.name()
            self.schema.tables[new] = self.schema.tables.pop(table.name)
            self.schema.ever_created.setdefault(new, self.version)
            for _, fk in self.schema.foreign_keys():
                fk.ref_table = new if fk.ref_table == table.name else fk.ref_table
            for index in self.schema.indexes.values():
                index.table = new if index.table == table.name else index.table
            table.name = new
            return
        c.accept("column")
        old = c.name()
        c.expect("to")
        new = c.name()
        table.columns = {(new if k == old else k): v for k, v in table.columns.items()}
        table.columns[new].name = new
        rename = lambda names: [new if n == old else n for n in names] if names else names  # noqa: E731
        for constraint in table.constraints:
            constraint.columns = rename(constraint.columns)
        for _, fk in self.schema.foreign_keys():
            if fk.ref_table == table.name:
                fk.ref_columns = rename(fk.ref_columns)
        for index in self.schema.indexes_of(table.name):
            index.columns = rename(index.columns)

    def _alter_index(self, c):
        c.accept("if", "exists")
        name = c.name()
        if c.accept("rename", "to") and name in self.schema.indexes:
            index = self.schema.indexes.pop(name)
            index.name = c.name()
            self.schema.indexes[index.name] = index

    def _alter_sequence(self, c):
        c.accept("if", "exists")
        name = c.name()
        kind = self._sequence_type(c)
        if kind:
            self.schema.sequences[name] = kind

    def _sequence_type(self, c):
        while not c.done():
            if c.accept("as"):
                return normalize_type([c.next()])
            c.next()
        return None

    def _drop_table(self, c):
        c.accept("if", "exists")
        for part in split_top_level(c.tokens[c.i:]):
            name = Cursor(part).name()
            self.schema.tables.pop(name, None)
            for index in [i for i in self.schema.indexes.values() if i.table == name]:
                del self.schema.indexes[index.name]
            for table in self.schema.tables.values():
                table.constraints = [k for k in table.constraints if k.ref_table != name]

    def _drop_index(self, c):
        c.accept("concurrently")
        c.accept("if", "exists")
        for part in split_top_level(c.tokens[c.i:]):
            self.schema.indexes.pop(Cursor(part).name(), None)

    def _drop_named_on(self, c, registry):
        c.accept("if", "exists")
        name = c.name()
        c.expect("on")
        table = c.name()
        registry[:] = [entry for entry in registry if entry[:2] != (name, table)]

    def _existing_table(self, name):
        table = self.schema.tables.get(name)
        if table is None:
            raise NotUnderstood(f"ALTER TABLE {name}: the migrations never created that table")
        return table


def _action(c):
    for words in _ACTIONS:
        if c.accept(*words):
            if words[0] == "set" and c.at_punct("("):
                c.group()
            return " ".join(words)
    raise NotUnderstood(f"unknown referential action at {c.rest()!r}")


def _skip_index_parameters(c):
    while True:
        if c.accept("include") or c.accept("with"):
            c.group()
        elif c.accept("using", "index", "tablespace"):
            c.name()
        else:
            return


def _skip_nulls_distinct(c):
    c.accept("nulls", "not", "distinct") or c.accept("nulls", "distinct")


def _skip_constraint_attribute(c):
    for words in (("deferrable",), ("not", "deferrable"), ("initially", "deferred"), ("initially", "immediate"),
                  ("not", "valid"), ("no", "inherit"), ("enforced",), ("not", "enforced")):
        if c.accept(*words):
            return True
    return False


def _index_column(tokens):
    first = tokens[0]
    if not first.is_name or (len(tokens) > 1 and tokens[1].is_punct("(")):
        return None  # an expression
    return first.value


def _exclude_element(tokens):
    for index, token in enumerate(tokens):
        if token.is_word("with"):
            return _index_column(tokens[:index]), render(tokens[index + 1:])
    raise NotUnderstood("EXCLUDE element without WITH operator")
