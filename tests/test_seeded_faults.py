"""`examples/seeded-faults/`: the regional example with one realistic fault per rule family.

The folder is a copy of examples/regional-health with exactly one mistake seeded for each
of the 14 rule families, each marked in place by a `# SEEDED FAULT (FAMILY): ...` comment.
`expected.txt` lists the `path:line:col: CODE` of every finding the check must report
(paths relative to the folder, in the order the check prints them); this test keeps the
folder, the comments and that list in step.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgpolicy.cli import main

SEEDED = Path(__file__).resolve().parents[1] / "examples" / "seeded-faults"
EXPECTED = SEEDED / "expected.txt"
TODAY = "2026-11-28"
FAMILIES = (
    "AE",
    "CF",
    "RT",
    "WL",
    "ST",
    "RET",
    "DR",
    "DOSE",
    "AI",
    "TAT",
    "INT",
    "SEC",
    "TEL",
    "PID",
)
MARKER = "SEEDED FAULT"

_FINDING = re.compile(r"^(?P<path>\S+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+)(?: |$)")

Key = tuple[str, int, int, str]


def _parse(lines) -> list[Key]:
    keys = []
    for text in lines:
        found = _FINDING.match(text)
        if found:
            keys.append((found["path"], int(found["line"]), int(found["col"]), found["code"]))
    return keys


def _family(code: str) -> str:
    found = re.match(r"[A-Z]+", code)
    assert found, code
    return found.group(0)


@pytest.fixture(scope="module")
def result():
    old = os.getcwd()
    os.chdir(SEEDED)
    try:
        return CliRunner().invoke(main, ["check", ".", "--today", TODAY])
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def reported(result) -> list[Key]:
    return _parse(result.output.splitlines())


@pytest.fixture(scope="module")
def expected() -> list[Key]:
    lines = [line for line in EXPECTED.read_text(encoding="utf-8").splitlines() if line.strip()]
    keys = _parse(lines)
    assert len(keys) == len(lines), "every line of expected.txt must be `path:line:col: CODE`"
    return keys


def test_cli_runs_and_fails(result):
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output


def test_reported_findings_are_exactly_the_expected_ones(reported, expected):
    assert len(reported) == len(set(reported)), f"a finding is reported twice: {reported}"
    missing = sorted(set(expected) - set(reported))
    extra = sorted(set(reported) - set(expected))
    assert not missing and not extra, f"missing: {missing}\nunexpected: {extra}"


def test_expected_is_in_the_order_the_check_prints(reported, expected):
    assert reported == expected


def test_every_family_is_seeded(expected):
    families = {_family(code) for *_, code in expected}
    assert set(FAMILIES) <= families, f"no finding of {sorted(set(FAMILIES) - families)}"
    assert families <= set(FAMILIES), f"findings outside the seeded families: {families}"


def test_every_finding_is_documented_where_it_is(expected):
    for path, line, _col, code in expected:
        lines = (SEEDED / path).read_text(encoding="utf-8").splitlines()
        assert 1 <= line <= len(lines), f"{path}:{line}: {code}: no such line"
        around = lines[max(0, line - 2) : line + 1]  # the line before, the line, the line after
        assert any(MARKER in text for text in around), (
            f"{path}:{line}: {code} is not on or next to a '# {MARKER}' comment"
        )


def test_every_marker_names_a_family_that_is_reported(expected):
    marked = set()
    for path in sorted(SEEDED.rglob("*.yaml")):
        for text in path.read_text(encoding="utf-8").splitlines():
            found = re.search(MARKER + r" \(([A-Z]+)\):", text)
            if found:
                marked.add(found.group(1))
    assert marked == set(FAMILIES)
    assert marked == {_family(code) for *_, code in expected}
