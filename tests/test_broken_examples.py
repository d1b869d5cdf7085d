"""`examples/broken/`: one small environment per kind of load or schema error.

Each folder holds the YAML file(s) and `expected.txt`, the exact `path:line:col: CODE`
lines (paths relative to the folder, sorted by path, line and column) that
`imgpolicy check` must report for it: no more, no fewer, in text and in JSON, with the
exit status of the worst one and never a traceback. The folder name starts with the
code it demonstrates (`schema003-quoted-port` -> SCHEMA003), and every YAML and SCHEMA
code in `imgpolicy.codes.CODES` has at least one folder, so a new code needs an example.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgpolicy.cli import main
from imgpolicy.codes import CODES

BROKEN = Path(__file__).resolve().parents[1] / "examples" / "broken"
FOLDERS = sorted(p for p in BROKEN.iterdir() if p.is_dir() and not p.name.startswith("."))

LOAD_FAMILIES = ("YAML", "SCHEMA")
"""The code families examples/broken/ is about: the file cannot be used, or does not fit."""
OTHER_FAMILIES = {
    "SUP": "findings about `# imgpolicy: ignore[...]` comments, not about loading a file",
    "PROBE": "findings of `imgpolicy probe` about live DICOM peers (tests/test_probe.py runs "
    "real DCMTK and Orthanc peers), not about loading a file",
    "IMPORT": "findings of `imgpolicy import` about an Orthanc or DCMTK configuration it "
    "reads (tests/test_import.py covers each), not about loading an environment file",
    "AUDIT": "findings of `imgpolicy audit` about what live sources observed (traffic, "
    "headers, dose; tests/test_audit_*.py cover each), not about loading a file",
}
"""Families of CODES that are deliberately not load or schema errors (no example here)."""

Finding = tuple[str, int, int, str]  # (path relative to the folder, line, column, code)

_EXPECTED = re.compile(
    r"(?P<path>[^:\s][^:]*):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): "
    r"(?P<code>[A-Z]+\d{3})"
)
"""A line of expected.txt."""
# A finding in the text report starts its line with `path:line:col: CODE`; related
# locations are indented, and notes and the summary line have no such prefix.
_REPORTED = re.compile(r"(?P<path>\S.*?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d{3})\b")


def _family(code: str) -> str:
    return re.match(r"[A-Z]+", code).group()


def expected(folder: Path) -> list[Finding]:
    lines = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    found = []
    for line in lines:
        match = _EXPECTED.fullmatch(line)
        assert match, f"{folder.name}/expected.txt: {line!r} is not 'path:line:col: CODE'"
        found.append((match["path"], int(match["line"]), int(match["col"]), match["code"]))
    return found


def _relative(path: str, folder: Path) -> str:
    return Path(os.path.relpath(path, folder)).as_posix()


def check(folder: Path, *args: str):
    result = CliRunner().invoke(main, ["check", *args, str(folder)], catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{folder.name}: {result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output, result.output
    return result


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_broken_example(folder: Path) -> None:
    want = sorted(expected(folder))
    wants_yaml = any(_family(code) == "YAML" for *_, code in want)

    text = check(folder)
    reported = sorted(
        (_relative(m["path"], folder), int(m["line"]), int(m["col"]), m["code"])
        for m in map(_REPORTED.match, text.stdout.splitlines())
        if m
    )
    assert reported == want, text.output
    assert text.exit_code == (2 if wants_yaml else 1), text.output

    as_json = check(folder, "--format", "json")
    document = json.loads(as_json.stdout)
    from_json = sorted(
        (
            _relative(f["location"]["path"], folder),
            f["location"]["line"],
            f["location"]["column"],
            f["code"],
        )
        for f in document["findings"]
    )
    assert from_json == want, as_json.stdout
    assert as_json.exit_code == text.exit_code


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_example_folder_is_well_formed(folder: Path) -> None:
    """expected.txt is sorted, names files that exist, and only the folder's own code."""
    want = expected(folder)
    assert want, f"{folder.name}/expected.txt is empty"
    assert want == sorted(want), f"{folder.name}/expected.txt is not sorted by path, line, column"
    for path, *_ in want:
        assert os.path.lexists(folder / path), f"{folder.name}: no file {path}"
    prefix = folder.name.split("-", 1)[0].upper()
    assert prefix in CODES, f"{folder.name}: the name should start with its code, e.g. schema003-"
    assert {code for *_, code in want} == {prefix}, folder.name


def test_every_code_family_is_either_exemplified_or_excluded() -> None:
    families = {_family(code) for code in CODES}
    assert families <= {*LOAD_FAMILIES, *OTHER_FAMILIES}, (
        "a new family of codes: add examples/broken/ folders for it, or list it in "
        "OTHER_FAMILIES with the reason it has none"
    )


@pytest.mark.parametrize("code", [c for c in CODES if c.startswith(LOAD_FAMILIES)])
def test_every_load_and_schema_code_has_a_broken_example(code: str) -> None:
    covered = {c for folder in FOLDERS for *_, c in expected(folder)}
    assert code in covered, (
        f"no examples/broken/ folder reports {code}: add one named "
        f"{code.lower()}-<what-is-wrong>/ with the YAML and its expected.txt"
    )
