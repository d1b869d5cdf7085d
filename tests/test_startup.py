"""Start-up: a command imports only what it uses (issue 15, fixed cost).

A pre-commit hook runs `imgpolicy check` on every commit; pydicom (numpy with it),
jsonschema, Jinja2 and pynetdicom each cost tens to hundreds of milliseconds to import
and `check` needs none of them. These tests run the real command in a fresh interpreter
and read `sys.modules` after it, so a top-level import added anywhere on the path (the
CLI, the engine, a rule, a report format) fails here, whatever the machine's speed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import EXAMPLES, ROOT

HEAVY = ("pydicom", "jsonschema", "jinja2", "pynetdicom", "numpy")
"""Packages `check` must not import: what they cost is paid by `docs`, `probe`, `import`."""

WRAPPER = """
import json, sys
from imgpolicy.cli import main
out, args = sys.argv[1], sys.argv[2:]
try:
    main(args)
except SystemExit as done:
    code = done.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules})
with open(out, "w") as handle:
    json.dump({"code": code, "top_level": loaded}, handle)
"""
"""Runs the command as the console script does (click's main), then records every
top-level package the process imported."""


def imported_by(tmp_path, *args: str) -> tuple[object, set[str]]:
    """(exit status, top-level packages imported) of `imgpolicy ARGS` in a fresh process."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.exists(), done.stderr[-2000:]
    recorded = json.loads(out.read_text())
    return recorded["code"], set(recorded["top_level"])


@pytest.mark.parametrize(
    ("example", "extra", "status"),
    [
        ("regional-health", (), 0),
        ("seeded-faults", (), 1),
        ("seeded-faults", ("--format", "sarif"), 1),
        ("seeded-faults", ("--format", "json", "--output", "junit=report.xml"), 1),
    ],
)
def test_check_imports_no_heavy_package(tmp_path, example, extra, status):
    extra = tuple(a.replace("report.xml", str(tmp_path / "report.xml")) for a in extra)
    code, loaded = imported_by(tmp_path, "check", str(EXAMPLES / example), *extra)
    assert code == status
    assert "imgpolicy" in loaded and "pydantic" in loaded  # the check really ran
    assert sorted(loaded & set(HEAVY)) == []


def test_version_imports_neither_the_model_nor_yaml(tmp_path):
    """`imgpolicy --version` (what a hook installer runs to see imgpolicy is there) needs
    click alone: not the pydantic model, not the YAML parser."""
    code, loaded = imported_by(tmp_path, "--version")
    assert code == 0
    assert sorted(loaded & {"pydantic", "yaml", *HEAVY}) == []


def test_docs_does_import_jinja2(tmp_path):
    """The other side of the same fence: the command that renders templates imports Jinja2
    (so the test above would see it if `check` did)."""
    out = tmp_path / "docs"
    code, loaded = imported_by(tmp_path, "docs", str(EXAMPLES / "regional-health"), "-o", str(out))
    assert code == 0 and (out / "architecture.md").exists()
    assert "jinja2" in loaded
