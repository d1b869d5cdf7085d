"""The whole-check result cache (imgpolicy/result_cache.py): an unchanged environment is
answered with the very same bytes without loading the model or running a rule, and any
change to what decides the result is a miss."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgpolicy import cachedir, cli, result_cache
from imgpolicy.report import FORMATS

from .conftest import EXAMPLES, ROOT
from .test_cache import ENVIRONMENTS

TODAY = "2026-11-28"
HIT = "result cache: the report of an unchanged check"
OTHER_FORMATS = [f for f in FORMATS if f != "text"]


def _check(env: Path, *options: str, out: Path | None = None):
    """`imgpolicy check` in-process as the command line runs it (result cache on), -v;
    with `out`, every other format is also written there (`--output FMT=out/FMT`)."""
    outputs = [f"--output={fmt}={out / fmt}" for fmt in OTHER_FORMATS] if out else []
    args = ["check", str(env), "--today", TODAY, "-v", *outputs, *options]
    return CliRunner().invoke(cli.main, args, obj=cli._WHOLE_PROCESS, catch_exceptions=True)


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "env" / source.name
    shutil.copytree(
        source, target, symlinks=True, ignore=shutil.ignore_patterns(".imgpolicy_cache")
    )
    return target


def _written(out: Path) -> dict[str, bytes]:
    return {fmt: (out / fmt).read_bytes() for fmt in OTHER_FORMATS if (out / fmt).exists()}


def _hit(result) -> bool:
    return HIT in result.stderr


def _entries(env: Path) -> list[Path]:
    return sorted((env / cachedir.FOLDER_NAME).glob("result-*"))


@pytest.mark.parametrize("source", ENVIRONMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_hit_gives_the_same_bytes_in_every_format(source: Path, tmp_path: Path):
    """The run that stores (a whole check) and the hit after it: the same standard output,
    exit status and file in every format."""
    env = _copy(source, tmp_path)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    checked = _check(env, out=first)
    assert not _hit(checked)
    answered = _check(env, out=second)
    assert (answered.stdout, answered.exit_code) == (checked.stdout, checked.exit_code)
    assert _written(second) == _written(first)
    stored = checked.exit_code in (0, 1) or (checked.exit_code == 2 and checked.stdout)
    if stored and "result cache not used" not in checked.stderr:
        assert _hit(answered), answered.stderr
        assert len(_written(first)) == len(OTHER_FORMATS)


def test_most_environments_are_answered_from_the_cache(tmp_path: Path):
    """The control for the test above: it does see hits (it is not vacuous)."""
    hits = 0
    for source in ENVIRONMENTS[:12]:
        env = _copy(source, tmp_path / source.name)
        _check(env)
        hits += _hit(_check(env))
    assert hits >= 8


# --- a fresh process: what a hit imports --------------------------------------------------

DRIVER = """
import sys
from imgpolicy import cli
try:
    cli.main(sys.argv[1:], obj=cli._WHOLE_PROCESS)
except SystemExit as done:
    status = done.code
heavy = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("pydantic", "pydantic_core", "yaml", "jinja2", "pydicom")
    or m.startswith(("imgpolicy.model", "imgpolicy.rules", "imgpolicy.load", "imgpolicy.engine",
                     "imgpolicy.config", "imgpolicy.catalogue", "imgpolicy.analysis"))
)
sys.stderr.write("\\nIMPORTED " + ",".join(heavy) + "\\n")
sys.exit(status)
"""


def _fresh(*args: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    environ.pop(result_cache.NO_RESULT_CACHE, None)
    return subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def _imported(done: subprocess.CompletedProcess) -> list[str]:
    line = next(x for x in done.stderr.splitlines() if x.startswith("IMPORTED "))
    return [m for m in line.removeprefix("IMPORTED ").split(",") if m]


def test_a_hit_in_a_fresh_process_imports_no_model_no_loader_no_rule(tmp_path: Path):
    env = _copy(EXAMPLES / "seeded-faults", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    common = [str(env), "--today", TODAY]
    outputs = [f"--output={fmt}={out / fmt}" for fmt in OTHER_FORMATS]
    plain = _fresh("check", *common, "--no-cache", *outputs)
    expected = {"text": plain.stdout, **{f: (out / f).read_text() for f in OTHER_FORMATS}}
    stored = _fresh("check", *common, *outputs)
    assert "imgpolicy.model" in _imported(stored)  # the control: a check loads the model
    for fmt in FORMATS:
        answered = _fresh("check", *common, "--format", fmt, "-v")
        assert HIT in answered.stderr, answered.stderr
        assert answered.stdout == expected[fmt] and answered.returncode == plain.returncode
        assert _imported(answered) == [], fmt


# --- what misses -----------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path) -> Path:
    return _copy(EXAMPLES / "seeded-faults", tmp_path)


def _members(env: Path) -> list[Path]:
    return sorted(p for p in env.rglob("*.yaml") if ".imgpolicy_cache" not in p.parts)


def _plain(env: Path, *options: str):
    return CliRunner().invoke(
        cli.main, ["check", str(env), "--today", TODAY, "--no-cache", *options]
    )


def _change_a_byte(env: Path) -> None:
    target = _members(env)[0]
    text = target.read_text()
    target.write_text(text.replace("name:", "name: ", 1) if "name:" in text else text + "#\n")


def _rename_a_file(env: Path) -> None:
    target = _members(env)[0]
    target.rename(target.with_name("renamed-" + target.name))


def _add_a_file(env: Path) -> None:
    (env / "zz-new.yaml").write_text(
        "imgpolicy: 1\nsites:\n  - name: Annex\n    jurisdiction: US\n"
    )


def _add_a_config(env: Path) -> None:
    (env / ".imgpolicy.yaml").write_text("ignore: [AE]\n")


CHANGES = {
    "one-byte": _change_a_byte,
    "renamed-file": _rename_a_file,
    "new-file": _add_a_file,
    "new-config": _add_a_config,
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_environment_misses_and_gets_its_own_report(env: Path, change: str):
    _check(env)
    assert _hit(_check(env))
    CHANGES[change](env)
    after = _check(env)
    assert not _hit(after)
    assert (after.stdout, after.exit_code) == (
        _plain(env).stdout,
        _plain(env).exit_code,
    )
    assert _hit(_check(env))  # and the new state is stored in turn


def test_an_edited_configuration_misses(env: Path):
    config = env / ".imgpolicy.yaml"
    config.write_text("fail_on: error\n")
    _check(env)
    assert _hit(_check(env))
    config.write_text("fail_on: warning\n")
    after = _check(env)
    assert not _hit(after) and after.exit_code == _plain(env).exit_code


@pytest.mark.parametrize(
    "options",
    [("--select", "RT"), ("--ignore", "AE"), ("--fail-on", "info"), ("--today", "2031-01-01")],
)
def test_another_option_misses(env: Path, options: tuple[str, ...]):
    _check(env)
    assert _hit(_check(env))
    other = _check(env, *options)
    assert not _hit(other) and other.stdout == _plain(env, *options).stdout


def test_a_changed_baseline_misses(env: Path, tmp_path: Path):
    baseline = tmp_path / "baseline.json"
    CliRunner().invoke(
        cli.main, ["check", str(env), "--today", TODAY, "--write-baseline", str(baseline)]
    )
    _check(env, "--baseline", str(baseline))
    assert _hit(_check(env, "--baseline", str(baseline)))
    recorded = json.loads(baseline.read_text())
    first = next(k for k, v in recorded.items() if isinstance(v, list) and v)
    recorded[first] = recorded[first][1:]
    baseline.write_text(json.dumps(recorded))
    after = _check(env, "--baseline", str(baseline))
    assert not _hit(after)
    assert after.stdout == _plain(env, "--baseline", str(baseline)).stdout


def test_a_damaged_entry_is_ignored_and_written_again(env: Path):
    _check(env)
    (entry,) = _entries(env)
    blob = bytearray(entry.read_bytes())
    blob[-5] ^= 0xFF
    entry.write_bytes(bytes(blob))
    damaged = _check(env)
    assert not _hit(damaged) and damaged.stdout == _plain(env).stdout
    assert _hit(_check(env))


def test_an_entry_others_may_write_is_not_read(env: Path):
    _check(env)
    (entry,) = _entries(env)
    entry.chmod(0o606)
    assert not _hit(_check(env))


def test_a_change_during_the_check_is_not_stored(env: Path):
    """`keep` stores nothing when the files are not what `expect` saw."""
    folder = str(env / cachedir.FOLDER_NAME)
    question = result_cache.Question((str(env),), today=TODAY)
    files = [str(p) for p in _members(env)]
    said: list[str] = []
    cache = result_cache.ResultCache.open(folder, question, said.append)
    cache.expect(files, None, [], False)
    _change_a_byte(env)
    cache.keep(1, files, {"text": "stale"})
    assert _entries(env) == [] and "changed during the check" in said[-1]
    cache.expect(files, None, [], False)
    cache.keep(1, files, {"text": "now"})
    answer = result_cache.ResultCache.open(folder, question).answer(["text"])
    assert answer is not None and answer.views == {"text": "now"}


def test_the_code_is_in_the_key(tmp_path: Path, monkeypatch):
    """A developer editing a rule never gets a stale answer: one byte of any package file
    changes the key."""
    package = tmp_path / "pkg"
    shutil.copytree(ROOT / "imgpolicy" / "rules", package / "rules")
    monkeypatch.setattr(result_cache, "_PACKAGE", str(package))
    monkeypatch.setattr(result_cache, "_CODE", [])
    before = result_cache._code()
    rule = next((package / "rules").glob("ae*.py"))
    rule.write_text(rule.read_text() + "\n")
    monkeypatch.setattr(result_cache, "_CODE", [])
    assert result_cache._code() != before


def test_plugin_rules_are_never_answered_from_the_cache(env: Path):
    (env / "house").mkdir()
    (env / ".imgpolicy.yaml").write_text("rules_path: house\n")
    _check(env)
    second = _check(env)
    assert not _hit(second) and "rules_path" in second.stderr and _entries(env) == []


def test_no_cache_and_the_switch_turn_it_off(env: Path, monkeypatch):
    _check(env, "--no-cache")
    assert not (env / cachedir.FOLDER_NAME).exists()
    monkeypatch.setenv(result_cache.NO_RESULT_CACHE, "1")
    _check(env)
    assert _entries(env) == [] and list((env / cachedir.FOLDER_NAME).glob("*/*"))


def test_only_the_command_line_process_uses_it(env: Path):
    """A program that drives imgpolicy (here CliRunner without the console script's
    context) may have patched what runs: it never gets a stored answer."""
    CliRunner().invoke(cli.main, ["check", str(env), "--today", TODAY])
    assert _entries(env) == []
    _check(env, "--down", "x")
    _check(env, "--write-baseline", str(env.parent / "b.json"))
    assert _entries(env) == []
