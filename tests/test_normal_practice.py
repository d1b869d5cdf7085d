"""The normal-practice corpus: how well-run hospitals really work must check clean.

Every folder under tests/corpus/normal-practice/ is a small environment showing one piece of
normal clinical practice (its README.md says which). A rule that fires on one of them fires on
how a well-run hospital normally works: that is a bug in the rule, not in the hospital. So each
folder must check with no finding above info, and without suppressing anything (a suppression
would hide the false positive instead of fixing it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run

CORPUS = ROOT / "tests" / "corpus" / "normal-practice"


def _cases() -> list[Path]:
    """Every case folder of the corpus, sorted so the test ids are stable."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("."))


def _environment_files(case: Path) -> list[Path]:
    """The YAML files `imgpolicy check` reads in a case (hidden files are configuration)."""
    return sorted(
        p
        for p in case.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and not any(part.startswith(".") for part in p.relative_to(case).parts)
    )


def test_the_corpus_has_cases():
    assert len(_cases()) >= 1


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_normal_practice_checks_clean(case: Path):
    readme = case / "README.md"
    assert readme.is_file(), f"{case.name}: say in README.md which real practice it shows"
    assert readme.read_text(encoding="utf-8").strip(), f"{case.name}: README.md is empty"
    files = _environment_files(case)
    assert files, f"{case.name} holds no environment file"

    result = run("check", str(case), "--format", "json", "--fail-on", "warning")

    assert "Traceback" not in result.output
    report = json.loads(result.output)
    above_info = [
        f"{f['code']} {f['severity']} {f['location']['path']}:{f['location']['line']}: "
        f"{f['message']}"
        for f in report["findings"]
        if f["severity"] != "info" or f.get("suppressed")
    ]
    assert above_info == [], f"{case.name} is normal practice, yet:\n" + "\n".join(above_info)
    assert report["summary"]["suppressed"] == 0
    assert report["summary"]["files"] == len(files)
    assert result.exit_code == 0
