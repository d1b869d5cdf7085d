"""The fuzzing campaign, kept: mutated environments through `check` (every format) and `docs`.

Environments start from `examples/regional-health` (many files, every section) and from what
`imgpolicy init` writes, then take 1 to 4 mutations of the kinds users make or editors and
transfers cause: byte flips, deleted/duplicated/swapped lines, indentation changes, renamed
keys, values of another type, odd numbers and dates, stray unicode. Whatever the input:

- `check` exits 0, 1 or 2 and never shows a traceback, in every format; the JSON, SARIF,
  GitLab and JUnit outputs parse;
- `docs` exits 0 or 2 without a traceback, and right after a successful run `docs --check`
  finds the documents up to date.

Runs in-process (click's CliRunner) so CI stays well under a minute: a few dozen examples,
derandomized under the "ci" profile (tests/conftest.py). A longer campaign locally:

    IMGPOLICY_FUZZ_EXAMPLES=2000 python -m pytest -p no:cacheprovider tests/test_fuzz_campaign.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgpolicy.cli import main

from .conftest import EXAMPLES

TODAY = "2026-11-28"
EXAMPLES_PER_RUN = int(os.environ.get("IMGPOLICY_FUZZ_EXAMPLES", "40"))
CAMPAIGN = settings(
    max_examples=EXAMPLES_PER_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")


def _environment(folder: Path) -> dict[str, bytes]:
    """Every file of an environment folder (config included), by relative path."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and (path.suffix in (".yaml", ".yml") or path.name == ".imgpolicy.yaml")
    }


def _starter() -> dict[str, bytes]:
    """What `imgpolicy init` writes, through the command itself."""
    with tempfile.TemporaryDirectory() as scratch:
        result = CliRunner().invoke(main, ["init", f"{scratch}/env"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return _environment(Path(scratch) / "env")


BASES = {"regional-health": _environment(EXAMPLES / "regional-health"), "starter": _starter()}

ODD_VALUES = [
    "7", "-1", "0", "'7'", '"104"', "7y", "P7Y", "PT4H", "-P1D", "30,000", "1e999", "-.inf",
    ".nan", "0x1F", "0o17", "99999999999999999999", "1:30", "1.2TB", "4TiB", "150%", "6 %",
    "2026-02-30", "9999-12-31", "0001-01-01", "2026-05-14T10:00:00Z", "true", "yes", "NO",
    "null", "~", "''", "[]", "{}", "[a, b]", "{a: 1}", "!!binary AA==", "!!float 7", "&a x",
    "*a", "é\u200b", "😀", "CT_MAIN_1", "1.2.840.10008.1.2", "JPEGBaseline8Bit",
]  # fmt: skip
KEY = re.compile(r"^( *(?:- +)?)([A-Za-z_][\w-]*):", re.MULTILINE)
VALUE = re.compile(r"^( *(?:- +)?[A-Za-z_][\w-]*: +)([^#\n]+)", re.MULTILINE)


def _lines(text: str) -> list[str]:
    """The lines of `text` with their endings; one empty line for an empty text."""
    return text.splitlines(keepends=True) or [""]


class Mutated:
    """A mutated environment: its files, and a short log of what was done (what a failing
    example prints, instead of every file in full)."""

    def __init__(self, base: str):
        self.files = dict(BASES[base])
        self.log = [base]

    def __repr__(self) -> str:
        return "Mutated(" + "; ".join(self.log) + ")"


@st.composite
def _mutation(draw, text: str) -> tuple[str | bytes, str]:
    """`text` with one mutation (bytes when it may break UTF-8), and what it was."""
    kind = draw(
        st.sampled_from(
            ["byte", "delete", "duplicate", "swap", "indent", "key", "value", "unicode"]
        )
    )
    lines = _lines(text)
    at = draw(st.integers(0, len(lines) - 1))
    if kind == "byte":
        raw = bytearray(text.encode("utf-8", "surrogatepass"))
        index = draw(st.integers(0, max(len(raw) - 1, 0)))
        bit = draw(st.integers(0, 7))
        if raw:
            raw[index] ^= 1 << bit
        return bytes(raw), f"flip bit {bit} of byte {index}"
    if kind == "delete":
        del lines[at]
        return "".join(lines), f"delete line {at + 1}"
    if kind == "duplicate":
        lines.insert(at, lines[at])
        return "".join(lines), f"duplicate line {at + 1}"
    if kind == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[at], lines[other] = lines[other], lines[at]
        return "".join(lines), f"swap lines {at + 1} and {other + 1}"
    if kind == "indent":
        change = draw(st.sampled_from(["  ", " ", "\t", "-1", "-2"]))
        line = lines[at]
        if change.startswith("-"):
            lines[at] = line[min(int(change[1:]), len(line) - len(line.lstrip(" "))) :]
        else:
            lines[at] = change + line
        return "".join(lines), f"indent line {at + 1} by {change!r}"
    if kind == "unicode":
        line = lines[at]
        cut = draw(st.integers(0, len(line)))
        char = draw(st.characters(codec="utf-8") | st.sampled_from(list("\u2028\x85\ufeff\u200b")))
        lines[at] = line[:cut] + char + line[cut:]
        return "".join(lines), f"insert {char!r} at line {at + 1}, column {cut + 1}"
    pattern = KEY if kind == "key" else VALUE
    found = list(pattern.finditer(text))
    if not found:
        return text, f"no {kind} to change"
    match = draw(st.sampled_from(found))
    old = match.group(2)
    if kind == "key":
        new = draw(
            st.sampled_from(
                [old[:-1] or "x", old.upper(), old + "s", old.replace("_", "-"), "x-" + old]
            )
        )
    else:
        new = draw(st.sampled_from(ODD_VALUES))
    line = text.count("\n", 0, match.start(2)) + 1
    changed = text[: match.start(2)] + new + text[match.end(2) :]
    return changed, f"{kind} {old.strip()!r} -> {new!r} at line {line}"


@st.composite
def mutated_environment(draw) -> Mutated:
    """One of the bases with 1 to 4 mutations in one or more of its files."""
    env = Mutated(draw(st.sampled_from(sorted(BASES))))
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(env.files)))
        try:
            text = env.files[name].decode("utf-8")
        except UnicodeDecodeError:
            continue  # already broken by a byte flip: leave it so
        changed, what = draw(_mutation(text))
        env.files[name] = (
            changed if isinstance(changed, bytes) else changed.encode("utf-8", "surrogatepass")
        )
        env.log.append(f"{name}: {what}")
    return env


def _no_traceback(result, what: str) -> None:
    """The invariant every command keeps: an exit status, never a Python traceback."""
    shown = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert not (result.exception and not isinstance(result.exception, SystemExit)), (
        what,
        repr(result.exception),
    )
    assert "Traceback" not in shown, (what, shown[-2000:])


def _parses(fmt: str, text: str) -> None:
    """The machine-readable formats are what their readers expect, whatever the input."""
    if fmt in ("json", "gitlab"):
        json.loads(text)
    elif fmt == "sarif":
        assert json.loads(text)["version"] == "2.1.0"
    elif fmt == "junit":
        assert ET.fromstring(text).tag in ("testsuites", "testsuite")


def _check(env: Path, out: Path, stdout_format: str) -> int:
    """`check` once, with one format on standard output and every format to files."""
    others = [f for f in FORMATS if f != stdout_format]
    args = ["check", str(env), "--today", TODAY, "--format", stdout_format]
    for fmt in others:
        args += ["--output", f"{fmt}={out / ('report.' + fmt)}"]
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    _no_traceback(result, f"check --format {stdout_format}")
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    if result.exit_code == 2 and not result.stdout:
        # input that cannot be used at all (a broken .imgpolicy.yaml): said on stderr
        assert result.stderr.startswith("imgpolicy: "), result.stderr
        return 2
    _parses(stdout_format, result.stdout)
    for fmt in others:
        written = out / ("report." + fmt)
        if written.exists():
            _parses(fmt, written.read_text(encoding="utf-8"))
    return result.exit_code


def _docs(env: Path, out: Path) -> None:
    """`docs`, then `docs --check` on what it wrote: up to date, byte for byte."""
    docs = out / "docs"
    result = CliRunner().invoke(
        main, ["docs", str(env), "-o", str(docs), "--today", TODAY], catch_exceptions=True
    )
    _no_traceback(result, "docs")
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    if result.exit_code == 0:
        again = CliRunner().invoke(
            main, ["docs", str(env), "-o", str(docs), "--check"], catch_exceptions=True
        )
        _no_traceback(again, "docs --check")
        assert again.exit_code == 0, again.output


@pytest.mark.parametrize("base", sorted(BASES))
def test_the_bases_are_clean_enough_to_mutate(base, tmp_path):
    """A mutation is only telling if the file it starts from loads: no YAML or schema error."""
    env = tmp_path / "env"
    for name, content in BASES[base].items():
        (env / name).parent.mkdir(parents=True, exist_ok=True)
        (env / name).write_bytes(content)
    assert _check(env, tmp_path, "text") in (0, 1)
    _docs(env, tmp_path)


@CAMPAIGN
@given(mutated=mutated_environment(), stdout_format=st.sampled_from(FORMATS))
def test_mutated_environments_never_crash_check_or_docs(mutated, stdout_format):
    scratch = Path(tempfile.mkdtemp(prefix="imgpolicy-fuzz-"))
    try:
        env = scratch / "env"
        for name, content in mutated.files.items():
            (env / name).parent.mkdir(parents=True, exist_ok=True)
            (env / name).write_bytes(content)
        _check(env, scratch, stdout_format)
        _docs(env, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
