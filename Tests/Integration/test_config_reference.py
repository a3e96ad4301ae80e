"""The configuration reference of docs/operator-guide.md names every setting, with its default.

A setting is every environment variable the Swift sources read and every one DESIGN.md §9
names. A row must say what happens when the variable is unset: a value, or "—" followed by
what the process does then (required, falls back to …). No server is needed, but the test runs
with the integration suite so a new setting cannot land without its row.
"""
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operator-guide.md"
DESIGN = pathlib.Path(os.environ.get("EXTHOST_DESIGN_MD", ROOT.parent / "shared" / "DESIGN.md"))

# What a setting is called: the prefixes of DESIGN §9 and systemd's socket-activation variables.
SETTING = r"(?:EXTHOST|STORAGE_S3|EXT|LISTEN|NOTIFY|PG)_[A-Z0-9_]*[A-Z0-9]|BUNDLE_STORE_BASE|RUNNER_PUBLIC_BASE|SIGNING_TRUST_BUNDLE"
LITERAL = re.compile(r'"(' + SETTING + r')"')
# A file takes part in reading the environment when it names it: `environment[…]`, `getenv(…)`,
# `ProcessEnvironment`, or a constant such as `environmentVariable = "…"`.
READS_ENVIRONMENT = re.compile(r"(?i)environment|\bgetenv\(")


def source_settings():
    """Setting-shaped string literals of every Swift source that takes part in reading the
    environment, with the first file naming each.

    Names reach the environment through helpers too (`setting("…")`, `positive("…", in:
    environment)`, `static let environmentVariable = "…"`), so every literal of such a file
    counts, not only `environment["…"]`. Files that never mention the environment, where error
    codes such as `STORAGE_MISCONFIGURED` live, are not read.
    """
    found = {}
    for path in sorted((ROOT / "Sources").rglob("*.swift")):
        text = path.read_text()
        if READS_ENVIRONMENT.search(text):
            for name in LITERAL.findall(text):
                found.setdefault(name, path.relative_to(ROOT))
    return found


def design_settings():
    text = DESIGN.read_text()
    section = text.split("## 9. Configuration", 1)[1].split("\n## ", 1)[0]
    return {name for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", section) if re.fullmatch(SETTING, name)}


def reference_rows():
    """variable → default cell, from the table under "## Configuration reference"."""
    section = GUIDE.read_text().split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    rows = {}
    header = None
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]):
            rows[name] = cells[header.index("default")]
    assert header and "default" in header, f"the configuration reference table of {GUIDE} has no default column"
    return rows


def test_the_collector_finds_the_settings_read_every_way():
    names = source_settings()
    # One per reading style, so a broken collector fails here instead of passing vacuously.
    for name in ("EXTHOST_DATABASE_URL", "STORAGE_S3_BUCKET", "EXT_EGRESS_ALLOWLIST", "EXT_FUEL_PER_REQUEST",
                 "EXTHOST_CACHE_MAX_BYTES", "LISTEN_FDS", "EXTHOST_SECRETS_KEY", "EXTHOST_UPLOAD_SLOTS"):
        assert name in names, f"the collector missed {name}"
    assert not {"STORAGE_MISCONFIGURED", "BUNDLE_TOO_LARGE"} & set(names), "error codes are not settings"


def test_every_setting_the_sources_read_has_a_row():
    rows = reference_rows()
    missing = {name: str(path) for name, path in source_settings().items() if name not in rows}
    assert not missing, (f"{GUIDE.relative_to(ROOT)}, Configuration reference: no row for "
                         + ", ".join(f"{name} (read in {path})" for name, path in sorted(missing.items())))


@pytest.mark.skipif(not DESIGN.exists(), reason=f"{DESIGN} is not here (set EXTHOST_DESIGN_MD)")
def test_every_setting_design_section_9_names_has_a_row():
    rows = reference_rows()
    names = design_settings()
    assert "STORAGE_S3_ENDPOINT" in names and "EXT_MEMORY_LIMIT_MB" in names, names
    missing = sorted(names - set(rows))
    assert not missing, f"{GUIDE.relative_to(ROOT)}, Configuration reference: no row for {', '.join(missing)} (DESIGN.md §9)"


def test_every_row_states_what_happens_when_the_variable_is_unset():
    unstated = {name: cell for name, cell in reference_rows().items()
                if not cell or re.fullmatch(r"[—–-]+", cell)}
    assert not unstated, ("rows whose default does not say what happens when unset (write a value, or "
                          "\"— (required …)\" / \"— (then …)\"): " + ", ".join(f"{n} ({c!r})" for n, c in sorted(unstated.items())))
