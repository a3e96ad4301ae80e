"""The schema a real migrated database holds, read from pg_catalog into the same `Schema` model.

Invariants: only the `public` schema's ordinary and partitioned tables are read; a column's
`sequence_type` is the type of the sequence behind an identity or a nextval default; indexes
that back a primary key, unique or exclusion constraint are reported as that constraint only.
The test compares this with what the reader made of the migrations' SQL, so a computed
migration or a misread statement cannot hide a table, key or index from the rules.
"""
import json

from .schema import Column, Constraint, Index, Schema, Table

_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
_KINDS = {"p": "primary key", "u": "unique", "f": "foreign key", "x": "exclude"}

CATALOG_QUERY = """
WITH cols AS (
  SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
         coalesce(
           (SELECT format_type(s.seqtypid, NULL) FROM pg_depend dep JOIN pg_sequence s ON s.seqrelid = dep.objid
             WHERE dep.classid = 'pg_class'::regclass AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum
               AND dep.deptype = 'i'),
           (SELECT format_type(s.seqtypid, NULL) FROM pg_depend dep JOIN pg_sequence s ON s.seqrelid = dep.refobjid
             WHERE dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid)) AS sequence_type
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
), public_tables AS (
  SELECT oid, relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')
)
SELECT json_build_object(
  'tables', (SELECT coalesce(json_agg(json_build_object(
      'name', t.relname,
      'inherits', (SELECT coalesce(json_agg(p.relname), '[]') FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                    WHERE i.inhrelid = t.oid),
      'columns', (SELECT json_agg(json_build_object('name', c.attname, 'type', c.type, 'not_null', c.attnotnull,
                                                    'sequence_type', c.sequence_type) ORDER BY c.attnum)
                  FROM cols c WHERE c.attrelid = t.oid),
      'constraints', (SELECT coalesce(json_agg(json_build_object(
          'name', k.conname, 'kind', k.contype, 'ref_table', f.relname,
          'on_delete', k.confdeltype, 'on_update', k.confupdtype,
          'columns', (SELECT json_agg(a.attname ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num),
          'ref_columns', (SELECT json_agg(a.attname ORDER BY u.ord) FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
                          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num),
          'exclude_ops', (SELECT json_agg(o.oprname ORDER BY u.ord) FROM unnest(k.conexclop) WITH ORDINALITY u(op, ord)
                          JOIN pg_operator o ON o.oid = u.op)) ORDER BY k.conname), '[]')
        FROM pg_constraint k LEFT JOIN pg_class f ON f.oid = k.confrelid
        WHERE k.conrelid = t.oid AND k.contype IN ('p', 'u', 'f', 'x'))) ORDER BY t.relname), '[]')
    FROM public_tables t),
  'indexes', (SELECT coalesce(json_agg(json_build_object(
      'name', ic.relname, 'table', t.relname, 'unique', x.indisunique,
      'columns', (SELECT json_agg(a.attname ORDER BY u.ord) FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(num, ord)
                  LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.num
                  WHERE u.ord <= x.indnkeyatts)) ORDER BY ic.relname), '[]')
    FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN public_tables t ON t.oid = x.indrelid
    WHERE NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid
                        AND k.contype IN ('p', 'u', 'x'))),
  'triggers', (SELECT coalesce(json_agg(json_build_array(g.tgname, t.relname)), '[]')
               FROM pg_trigger g JOIN public_tables t ON t.oid = g.tgrelid WHERE NOT g.tgisinternal),
  'rules', (SELECT coalesce(json_agg(json_build_array(r.rulename, t.relname)), '[]')
            FROM pg_rewrite r JOIN public_tables t ON t.oid = r.ev_class WHERE r.rulename <> '_RETURN')
)
"""


def schema_from_catalog(document):
    """A Schema from the JSON CATALOG_QUERY returns (text or parsed)."""
    if isinstance(document, str):
        document = json.loads(document)
    schema = Schema()
    for entry in document["tables"]:
        table = Table(entry["name"], created_in=0, inherits=entry["inherits"])
        for col in entry["columns"]:
            table.columns[col["name"]] = Column(col["name"], col["type"], col["not_null"], sequence_type=col["sequence_type"])
        for key in entry["constraints"]:
            kind = _KINDS[key["kind"]]
            constraint = Constraint(kind, key["name"], key["columns"], ref_table=key["ref_table"], ref_columns=key["ref_columns"])
            if kind == "foreign key":
                constraint.on_delete, constraint.on_update = _ACTIONS[key["on_delete"]], _ACTIONS[key["on_update"]]
            if kind == "exclude":
                constraint.exclude_elements = list(zip(key["columns"], key["exclude_ops"]))
            table.constraints.append(constraint)
        schema.tables[table.name] = table
        schema.ever_created[table.name] = 0
    for entry in document["indexes"]:
        schema.indexes[entry["name"]] = Index(entry["name"], entry["table"], entry["unique"], entry["columns"])
    schema.triggers = [(name, table, 0) for name, table in document["triggers"]]
    schema.rules = [(name, table, 0) for name, table in document["rules"]]
    return schema


def describe(schema):
    """A comparable, order-free summary of what the rules look at."""
    summary = set()
    for table in schema.tables.values():
        summary.add(("table", table.name, tuple(table.inherits)))
        for col in table.columns.values():
            summary.add(("column", table.name, col.name, col.type, col.not_null, col.sequence_type))
        for key in table.constraints:
            if key.kind == "check":
                continue
            summary.add(("constraint", table.name, key.name, key.kind, tuple(key.columns), key.ref_table,
                         tuple(schema.referenced_columns(key)) if key.kind == "foreign key" else None,
                         key.on_delete, key.on_update))
    for index in schema.indexes.values():
        summary.add(("index", index.table, index.name, index.unique, tuple(index.columns)))
    summary |= {("trigger", name, table) for name, table, _ in schema.triggers}
    summary |= {("rule", name, table) for name, table, _ in schema.rules}
    return summary
