"""The SQL of every registry migration, read from the Swift sources in version order.

Invariants: versions come from `Migrations.all` (Sources/Registry/Migrations.swift) and, for a
migration file not registered there yet, from the digits of its file name (MigrationNNNN…);
a migration whose `sql` is a plain multi-line string literal yields its text exactly as Swift
would (indentation stripped, escapes decoded); one whose `sql` is computed by Swift code
yields `sql=None`, and the check then requires the plan to say why it may be skipped.
"""
import re
from dataclasses import dataclass

_REGISTRATION = re.compile(
    r'Migration\(\s*version:\s*(\d+)\s*,\s*name:\s*"((?:[^"\\]|\\.)*)"\s*,\s*sql:\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\)')
_FILE_NAME = re.compile(r"^Migration(\d+)(\w*)\.swift$")
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r", "0": "\0"}


class ExtractionError(Exception):
    """The Swift source does not have the shape the reader relies on; the message says where."""


@dataclass(frozen=True)
class MigrationSource:
    version: int
    name: str
    type_name: str
    path: str
    # The migration's SQL, or None when Swift code computes it.
    sql: str | None


def read_migrations(root):
    """Every migration under root/Sources/Registry, ordered by version."""
    registry = root / "Sources" / "Registry"
    registered = {m.group(3): (int(m.group(1)), m.group(2), m.group(4))
                  for m in _REGISTRATION.finditer((registry / "Migrations.swift").read_text())}
    migrations = {}
    for path in sorted((registry / "Migrations").glob("*.swift")):
        match = _FILE_NAME.match(path.name)
        if not match:
            continue
        text = path.read_text()
        type_name = _type_name(text, path)
        version, name, property_name = registered.pop(type_name, (int(match.group(1)), match.group(2), "sql"))
        if version in migrations:
            raise ExtractionError(f"{path.name}: version {version} is also {migrations[version].path}")
        sql = swift_string_property(text, property_name, path.name)
        migrations[version] = MigrationSource(version, name, type_name, str(path.relative_to(root)), sql)
    if registered:
        missing = ", ".join(sorted(registered))
        raise ExtractionError(f"Migrations.swift registers {missing} but no Sources/Registry/Migrations/Migration*.swift defines it")
    return [migrations[v] for v in sorted(migrations)]


def _type_name(text, path):
    match = re.search(r"\b(?:enum|struct)\s+(Migration\w*)", text)
    if not match:
        raise ExtractionError(f"{path.name}: no `enum Migration…` declaration")
    return match.group(1)


def swift_string_property(text, property_name, where="source"):
    """The value of `static let <property_name> = \"\"\"…\"\"\"`, or None when it is not a literal."""
    match = re.search(r"static\s+let\s+" + re.escape(property_name) + r"\s*(?::\s*String\s*)?=\s*", text)
    if not match:
        raise ExtractionError(f"{where}: no `static let {property_name}`")
    rest = text[match.end():]
    if rest.startswith("#"):
        raise ExtractionError(f"{where}: `{property_name}` is a raw string literal; write it as a plain \"\"\" literal")
    if not rest.startswith('"""'):
        return None
    literal = re.match(r'"""[ \t]*\n(.*?)\n([ \t]*)"""', rest, re.S)
    if not literal:
        raise ExtractionError(f"{where}: `{property_name}` has no closing \"\"\" on its own line")
    if not re.match(r"\s*(?:$|//|\}|static|let|var|public|enum|struct)", rest[literal.end():]):
        return None  # the literal is only part of an expression (concatenation, a call): computed
    return decode_multiline(literal.group(1), literal.group(2), where)


def decode_multiline(body, indentation, where="source"):
    """A multi-line Swift string literal's value: common indentation removed, escapes decoded."""
    lines = []
    for number, line in enumerate(body.split("\n"), start=1):
        if line.strip() == "":
            lines.append("")
        elif line.startswith(indentation):
            lines.append(line[len(indentation):])
        else:
            raise ExtractionError(f"{where}: line {number} of the SQL literal is indented less than its closing \"\"\"")
    return _unescape("\n".join(lines), where)


def _unescape(text, where):
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        following = text[i + 1] if i + 1 < len(text) else ""
        if following == "(":
            raise ExtractionError(f"{where}: the SQL literal interpolates a Swift value (\\(...)); "
                                  "the plan check cannot read it, so write the SQL out")
        if following == "\n":
            i += 2  # a line continuation joins the lines
        elif following == "u":
            close = text.index("}", i)
            out.append(chr(int(text[i + 3:close], 16)))
            i = close + 1
        elif following in _ESCAPES:
            out.append(_ESCAPES[following])
            i += 2
        else:
            raise ExtractionError(f"{where}: unknown escape \\{following} in the SQL literal")
    return "".join(out)
