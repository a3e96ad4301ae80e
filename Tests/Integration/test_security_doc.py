"""docs/security.md stays matched with the code: every test it names exists, every file it names
exists, and every threat of issue 13 has its own section with a control and a test.

References are written `Tests/Integration/test_x.py::test_name` (a top-level pytest function)
or `Tests/<Target>/<File>.swift::function` (a Swift Testing `@Test` function). The failure
message names each broken reference and the line of the document that holds it.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"

THREATS = (
    "Tenant crossing",
    "Key theft and rotation",
    "Signature bypass and downgrade",
    "Bundle tampering in S3",
    "Archive attacks",
    "SSRF and DNS rebinding",
    "Guest resource exhaustion",
    "Header injection toward nginx",
    "Iframe escape and clickjacking",
    "Log injection",
    "Secret exposure in logs, metrics and errors",
    "Replayed or concurrent finalize",
    "Overwrite of a published object",
)
SECTIONS = ("Assets", "Actors", "Trust boundaries", "Threats", "S3 least privilege", "Unsafe settings", "Known gaps")
ACTORS = ("Anonymous", "Tenant member", "Tenant admin", "Publisher", "Extension code", "A compromised node")
BOUNDARIES = ("nginx ↔ workers", "workers ↔ Postgres / S3", "runner ↔ guest", "iframe ↔ host page")

TEST_REFERENCE = re.compile(r"`(Tests/[A-Za-z0-9_./-]+\.(?:py|swift))::([A-Za-z_][A-Za-z0-9_]*)`")
FILE_REFERENCE = re.compile(r"`((?:Sources|Tests|admin|nginx|systemd|docs|scripts)/[A-Za-z0-9_.+/-]+)`")


def doc_lines():
    return DOC.read_text().splitlines()


def sections(level):
    """heading → body text, for headings of exactly `level` hashes."""
    found, current, body = {}, None, []
    marker = "#" * level + " "
    for line in doc_lines():
        if line.startswith("#") and (line.startswith(marker) or len(line) - len(line.lstrip("#")) < level):
            if current is not None:
                found.setdefault(current, []).append("\n".join(body))
            current = line[len(marker):].strip() if line.startswith(marker) else None
            body = []
        elif current is not None:
            body.append(line)
    if current is not None:
        found.setdefault(current, []).append("\n".join(body))
    return found


def python_test_exists(path, name):
    return re.search(rf"^def {re.escape(name)}\(", path.read_text(), re.MULTILINE) is not None


def swift_test_exists(path, name):
    lines = path.read_text().splitlines()
    for index, line in enumerate(lines):
        if re.search(rf"\bfunc {re.escape(name)}\(", line):
            # The attribute sits on the same line or on one of the few lines above it.
            return any("@Test" in above for above in lines[max(0, index - 4):index + 1])
    return False


def broken_test_references():
    broken = []
    for number, line in enumerate(doc_lines(), start=1):
        for relative, name in TEST_REFERENCE.findall(line):
            path = ROOT / relative
            if not path.is_file():
                broken.append(f"docs/security.md:{number}: {relative}::{name}: no such file")
            elif relative.endswith(".py") and not python_test_exists(path, name):
                broken.append(f"docs/security.md:{number}: {relative}::{name}: no top-level `def {name}(` in that file")
            elif relative.endswith(".swift") and not swift_test_exists(path, name):
                broken.append(f"docs/security.md:{number}: {relative}::{name}: no `@Test func {name}(` in that file")
    return broken


def test_every_test_reference_names_an_existing_test():
    references = [m for line in doc_lines() for m in TEST_REFERENCE.findall(line)]
    assert len(references) >= 50, f"only {len(references)} test references found: is the reference syntax still `path::name`?"
    broken = broken_test_references()
    assert not broken, "broken test references in docs/security.md:\n" + "\n".join(broken)


def test_every_file_the_document_names_exists():
    missing = []
    for number, line in enumerate(doc_lines(), start=1):
        for relative in FILE_REFERENCE.findall(line):
            relative = relative.rstrip(".")
            if "<" in relative or relative.endswith("test_x.py"):
                continue
            if not (ROOT / relative).exists():
                missing.append(f"docs/security.md:{number}: {relative} does not exist")
    assert not missing, "\n".join(missing)


def test_every_threat_has_its_own_section_with_a_control_and_a_test():
    threats = sections(3)
    problems = []
    for threat in THREATS:
        bodies = threats.get(threat)
        if bodies is None:
            problems.append(f"no heading \"### {threat}\"")
            continue
        if len(bodies) > 1:
            problems.append(f"\"### {threat}\" appears {len(bodies)} times")
        body = bodies[0]
        for part in ("**Threat.**", "**Control.**", "**Tests.**"):
            if part not in body:
                problems.append(f"\"### {threat}\" has no {part} paragraph")
        tests = body.split("**Tests.**", 1)[-1]
        if not TEST_REFERENCE.search(tests):
            problems.append(f"\"### {threat}\" names no test under **Tests.**")
    assert not problems, "docs/security.md:\n" + "\n".join(problems)


def test_the_model_sections_name_every_actor_and_boundary():
    top = sections(2)
    missing = [f"## {name}" for name in SECTIONS if name not in top]
    actors = "\n".join(top.get("Actors", [""]))
    missing += [f"actor {name}" for name in ACTORS if f"**{name}**" not in actors]
    boundaries = "\n".join(top.get("Trust boundaries", [""]))
    missing += [f"boundary {name}" for name in BOUNDARIES if f"**{name}.**" not in boundaries]
    assert not missing, "docs/security.md lacks: " + ", ".join(missing)


def test_the_checker_catches_a_broken_reference(tmp_path, monkeypatch):
    """The checks above can fail: a made-up reference is reported with its line."""
    fake = tmp_path / "security.md"
    fake.write_text("x\n`Tests/Integration/test_finalize.py::test_that_does_not_exist`\n"
                    "`Tests/BundleTests/TarMaliciousTests.swift::rejectsAbsolutePaths`\n"
                    "`Tests/BundleTests/TarMaliciousTests.swift::noSuchSwiftTest`\n")
    monkeypatch.setattr(sys.modules[__name__], "DOC", fake)
    broken = broken_test_references()
    assert broken == [
        "docs/security.md:2: Tests/Integration/test_finalize.py::test_that_does_not_exist: no top-level `def test_that_does_not_exist(` in that file",
        "docs/security.md:4: Tests/BundleTests/TarMaliciousTests.swift::noSuchSwiftTest: no `@Test func noSuchSwiftTest(` in that file",
    ], broken
