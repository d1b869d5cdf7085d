"""Every output format, read back by a real consumer or validated against its schema."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from junitparser import JUnitXml

from .conftest import EXAMPLES, ROOT, run

SARIF_SCHEMA = ROOT.parent / "shared" / "standards" / "sarif-schema-2.1.0.json"
ENVIRONMENTS = sorted(
    p for p in (EXAMPLES / "broken").iterdir() if p.is_dir() and not p.name.startswith(".")
)
ENVIRONMENTS.append(EXAMPLES / "regional-health")
FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")


def check(env: Path, fmt: str, *extra: str):
    return run("check", ".", "--format", fmt, "--today", "2026-11-28", *extra, cwd=env)


@pytest.fixture(scope="module")
def sarif_validator():
    if not SARIF_SCHEMA.is_file():
        pytest.fail(f"the SARIF schema is missing at {SARIF_SCHEMA}")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda p: p.name)
def test_every_format_same_exit_code_and_deterministic(env):
    codes = set()
    for fmt in FORMATS:
        first, second = check(env, fmt), check(env, fmt)
        assert first.output == second.output, f"{fmt} output differs between runs"
        codes.add(first.exit_code)
    assert len(codes) == 1


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda p: p.name)
def test_sarif_is_valid_and_complete(env, sarif_validator):
    document = json.loads(check(env, "sarif").output)
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator.iter_errors(document)
    ]
    assert errors == []
    [run_] = document["runs"]
    expected = json.loads(check(env, "json").output)["findings"]
    results = run_["results"]
    assert [r["ruleId"] for r in results] == [f["code"] for f in expected]
    rules = run_["tool"]["driver"]["rules"]
    for result, finding in zip(results, expected, strict=False):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (
            finding["location"]["line"],
            finding["location"]["column"],
        )
        assert result["partialFingerprints"]["imgpolicyFindingHash/v1"]


def test_sarif_rules_carry_their_documentation():
    document = json.loads(check(EXAMPLES / "regional-health", "sarif").output)
    rules = {r["id"]: r for r in document["runs"][0]["tool"]["driver"]["rules"]}
    rt003 = rules["RT003"]
    assert rt003["name"] == "route-no-common-transfer-syntax"
    assert "Bad:" in rt003["help"]["text"] and rt003["defaultConfiguration"]["level"] == "error"


def test_sarif_fingerprints_survive_line_shifts(write_env):
    text = (
        "imgpolicy: 1\ndevices:\n  - {name: ct, site: MAIN, kind: modality, "
        "application_entities: [{ae_title: CT_1, acceptor: false}]}\n"
        "routes:\n  - {name: r, from: CT_1, to: GHOST, purpose: reading}\n"
    )
    root = write_env({"env.yaml": text})

    def prints():
        document = json.loads(
            run("check", ".", "--format", "sarif", "--select", "RT001", cwd=root).output
        )
        return [
            (r["partialFingerprints"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in document["runs"][0]["results"]
        ]

    before = prints()
    (root / "env.yaml").write_text(text.replace("devices:", "# new comment\n\ndevices:"))
    after = prints()
    assert [p for p, _ in before] == [p for p, _ in after]
    assert [line for _, line in after] == [line + 2 for _, line in before]


def test_suppressions_appear_in_sarif_with_justification(write_env):
    root = write_env(
        {
            "env.yaml": (
                "imgpolicy: 1\ndevices:\n  - {name: ct, site: MAIN, kind: modality, "
                "application_entities: [{ae_title: CT_1, acceptor: false}]}\nroutes:\n"
                '  # imgpolicy: ignore[RT001] reason="GHOST retires in December"\n'
                "  - {name: r, from: CT_1, to: GHOST, purpose: reading}\n"
            )
        }
    )
    result = run("check", ".", "--format", "sarif", "--select", "RT001", cwd=root)
    assert result.exit_code == 0
    [finding] = json.loads(result.output)["runs"][0]["results"]
    assert finding["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "GHOST retires in December"}
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda p: p.name)
def test_junit_parses_with_a_real_consumer(env, tmp_path):
    result = check(env, "junit")
    path = tmp_path / "report.xml"
    path.write_text(result.output)
    xml = JUnitXml.fromfile(str(path))
    cases = [case for suite in xml for case in suite]
    failures = [case for case in cases if not case.is_passed]
    expected = json.loads(check(env, "json").output)["findings"]
    failing_codes = {f["code"] for f in expected if f["severity"] == "error"}
    assert {c.name.split()[0] for c in failures} == failing_codes
    assert bool(failures) == (result.exit_code != 0)
    assert len(cases) >= 1


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda p: p.name)
def test_github_annotations(env):
    result = check(env, "github")
    expected = json.loads(check(env, "json").output)["findings"]
    lines = [
        line
        for line in result.output.splitlines()
        if line.startswith("::") and not line.startswith("::notice title=imgpolicy::")
    ]
    assert len(lines) == len(expected)
    pattern = re.compile(
        r"::(error|warning|notice) file=[^,]+,line=\d+,col=\d+(,endLine=\d+)?"
        r"(,endColumn=\d+)?,title=[A-Z]+\d+::[^\r\n]+"
    )
    for line, finding in zip(lines, expected, strict=False):
        assert pattern.fullmatch(line), line
        assert f"line={finding['location']['line']}," in line


def test_github_escaping():
    from imgpolicy.findings import Finding, Location, Severity
    from imgpolicy.report import Report, render

    finding = Finding(
        "RT001",
        Severity.ERROR,
        "100% wrong\nsecond line",
        Location("dir,with:odd/file.yaml", 3, 5, 3, 9),
    )
    out = render("github", Report([finding], ["dir,with:odd/file.yaml"]))
    assert out.splitlines()[0] == (
        "::error file=dir%2Cwith%3Aodd/file.yaml,line=3,col=5,endLine=3,endColumn=9,"
        "title=RT001::100%25 wrong%0Asecond line"
    )


def test_github_is_the_default_on_github_actions(write_env, monkeypatch):
    root = write_env({"env.yaml": "imgpolicy: 1\nsites: [{name: X}]\n"})
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert run("check", ".", cwd=root).output.startswith("::error file=env.yaml,line=2")


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda p: p.name)
def test_gitlab_code_quality(env):
    issues = json.loads(check(env, "gitlab").output)
    expected = json.loads(check(env, "json").output)["findings"]
    assert len(issues) == len(expected)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue, finding in zip(issues, expected, strict=False):
        assert issue["check_name"] == finding["code"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["lines"]["begin"] == finding["location"]["line"]
        assert issue["location"]["path"] == finding["location"]["path"]


def test_several_outputs_in_one_run(write_env, tmp_path):
    root = write_env({"env.yaml": "imgpolicy: 1\nsites: [{name: X}]\n"})
    sarif, junit = tmp_path / "out" / "r.sarif", tmp_path / "r.xml"
    result = run("check", ".", "--output", f"sarif={sarif}", "--output", f"junit={junit}", cwd=root)
    assert result.exit_code == 1
    assert result.output.startswith("env.yaml:2:")  # text still on the terminal
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert JUnitXml.fromfile(str(junit))
    assert run("check", ".", "--output", "pdf=x", cwd=root).exit_code == 2


# --- fingerprints: the finding's identity, not its message --------------------------------

SEEDED = EXAMPLES / "seeded-faults"


def _fingerprints(result, code: str) -> dict[str, str]:
    """entity -> SARIF partial fingerprint, for the findings of `code`."""
    document = json.loads(result.output)
    return {
        r["properties"]["entity"]: r["partialFingerprints"]["imgpolicyFindingHash/v1"]
        for r in document["runs"][0]["results"]
        if r["ruleId"] == code
    }


def _gitlab_prints(result, code: str) -> list[str]:
    return sorted(i["fingerprint"] for i in json.loads(result.output) if i["check_name"] == code)


def test_fingerprints_do_not_move_with_the_date():
    """DR004's message holds the date and a day count; a year later it is the same fault."""
    args = ("check", ".", "--select", "DR004")
    now = _fingerprints(
        run(*args, "--format", "sarif", "--today", "2026-11-28", cwd=SEEDED), "DR004"
    )
    later = _fingerprints(
        run(*args, "--format", "sarif", "--today", "2027-11-28", cwd=SEEDED), "DR004"
    )
    assert now and set(now) <= set(later)
    assert {e: later[e] for e in now} == now
    lab_now = run(*args, "--format", "gitlab", "--today", "2026-11-28", cwd=SEEDED)
    lab_later = run(*args, "--format", "gitlab", "--today", "2027-11-28", cwd=SEEDED)
    assert _gitlab_prints(lab_now, "DR004")
    assert set(_gitlab_prints(lab_now, "DR004")) <= set(_gitlab_prints(lab_later, "DR004"))


def test_fingerprints_do_not_depend_on_the_working_folder():
    """`check .` in the environment, `check seeded-faults` above it and an absolute path
    give the same fingerprints (SARIF and GitLab)."""
    today = ("--today", "2026-11-28", "--select", "DR004")
    here = run("check", ".", "--format", "sarif", *today, cwd=SEEDED)
    above = run("check", SEEDED.name, "--format", "sarif", *today, cwd=SEEDED.parent)
    absolute = run("check", str(SEEDED), "--format", "sarif", *today, cwd=ROOT)
    prints = _fingerprints(here, "DR004")
    assert prints and _fingerprints(above, "DR004") == prints == _fingerprints(absolute, "DR004")
    lab = [
        _gitlab_prints(run("check", where, "--format", "gitlab", *today, cwd=cwd), "DR004")
        for where, cwd in ((".", SEEDED), (SEEDED.name, SEEDED.parent), (str(SEEDED), ROOT))
    ]
    assert lab[0] and lab[0] == lab[1] == lab[2]


# --- file names that are not UTF-8 (D10) --------------------------------------------------


@pytest.fixture
def latin1_env(tmp_path):
    """An environment with a Latin-1 file name (`h\\xf4pital.yaml`, legal on Linux) that
    holds a finding."""
    folder = tmp_path / "env"
    folder.mkdir()
    name = os.path.join(os.fsencode(folder), b"h\xf4pital.yaml")
    with open(name, "wb") as handle:
        handle.write(b"imgpolicy: 1\nsites: [{name: X}]\n")
    return folder


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_utf8_file_names_in_every_format(latin1_env, fmt):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from imgpolicy.cli import run; run()",
            "check",
            ".",
            "--format",
            fmt,
        ],
        cwd=latin1_env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert b"Traceback" not in proc.stderr
    out = proc.stdout.decode("utf-8")  # valid UTF-8
    if fmt == "sarif":
        uris = {a["location"]["uri"] for a in json.loads(out)["runs"][0]["artifacts"]}
        assert uris == {"h%F4pital.yaml"}  # the exact bytes, percent-encoded
    else:
        assert "h\ufffdpital.yaml" in out  # shown with a replacement character


def test_non_utf8_file_names_written_with_output(latin1_env, tmp_path):
    result = run("check", ".", *(f"--output={f}={tmp_path / f}" for f in FORMATS), cwd=latin1_env)
    assert result.exit_code == 1, result.output
    for fmt in FORMATS:
        assert (tmp_path / fmt).read_text(encoding="utf-8")


def test_notes_reach_every_format_that_can_carry_them(tmp_path, sarif_validator):
    """What the run did not do, or did differently (rules skipped, files excluded, the
    configuration used, stale baseline entries), is said in SARIF, JUnit and GitHub output
    too, not only in text and JSON. GitLab Code Quality has no place for it."""
    env = tmp_path / "env"
    env.mkdir()
    (env / "a.yaml").write_text("imgpolicy: 1\nsites:\n  - {name: MAIN}\n", encoding="utf-8")
    notes = json.loads(check(env, "json").output)["notes"]
    assert any("Policy rules were not run" in note for note in notes), notes
    sarif = json.loads(check(env, "sarif").output)
    assert sarif_validator.is_valid(sarif)
    shown = [
        n["message"]["text"]
        for n in sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    ]
    assert shown == notes
    junit = JUnitXml.fromstring(check(env, "junit").output.encode("utf-8"))
    assert all(note in junit.tostring().decode("utf-8") for note in notes)
    github = check(env, "github").output
    for note in notes:
        assert f"::notice title=imgpolicy::{note}" in github
