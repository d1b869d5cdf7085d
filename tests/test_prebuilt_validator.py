"""The model's validator kept in the cache folder (imgpolicy/model/prebuilt.py): a run
that reads it back reports exactly what a run that builds it does, and an entry that is
damaged or not a validator is ignored and written again.

Each run is a fresh process: a validator, once built or read, stays for the process."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from imgpolicy.load import cache

from .conftest import EXAMPLES

IMGPOLICY = [sys.executable, "-c", "from imgpolicy.cli import run; run()"]
READ_BACK = "and the model's validator"
# schema errors of several kinds (the validator's own messages), and an estate that has none
ENVIRONMENTS = [
    EXAMPLES / "regional-health",
    EXAMPLES / "broken" / "schema004-bad-modality",
    EXAMPLES / "broken" / "schema005-unknown-sop-class",
    EXAMPLES / "broken" / "schema008-bad-duration",
]


def _check(env: Path, cache_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*IMGPOLICY, "check", "-v", "--today", "2026-11-28", *options, str(env)]
        + (["--cache-dir", str(cache_dir)] if "--no-cache" not in options else []),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "IMGPOLICY_NO_RESULT_CACHE": "1"},
    )


def _validators(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*/validator-*"))


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda p: p.name)
def test_a_validator_read_back_reports_what_a_built_one_does(env: Path, tmp_path: Path):
    plain = _check(env, tmp_path, "--no-cache", "--format", "json")
    first = _check(env, tmp_path / "cache", "--format", "json")
    assert READ_BACK not in first.stderr
    assert len(_validators(tmp_path / "cache")) == 1
    second = _check(env, tmp_path / "cache", "--format", "json")
    assert READ_BACK in second.stderr, second.stderr
    for run in (first, second):
        assert (run.stdout, run.returncode) == (plain.stdout, plain.returncode)
    assert plain.returncode in (0, 1, 2) and "Traceback" not in second.stderr


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[:-10],  # truncated
        lambda blob: blob[:40] + bytes([blob[40] ^ 1]) + blob[41:],  # a changed byte
        lambda blob: b"not an entry",
    ],
    ids=["truncated", "changed", "foreign"],
)
def test_a_damaged_validator_is_ignored_and_written_again(tmp_path: Path, damage):
    env = EXAMPLES / "broken" / "schema005-unknown-sop-class"
    plain = _check(env, tmp_path, "--no-cache")
    _check(env, tmp_path / "cache")
    (entry,) = _validators(tmp_path / "cache")
    good = entry.read_bytes()
    entry.write_bytes(damage(good))
    damaged = _check(env, tmp_path / "cache")
    assert READ_BACK not in damaged.stderr
    assert (damaged.stdout, damaged.returncode) == (plain.stdout, plain.returncode)
    assert entry.read_bytes() != damage(good)  # written again by the run that built its own
    assert READ_BACK in _check(env, tmp_path / "cache").stderr


def test_an_entry_holding_something_else_than_a_validator_is_not_used(tmp_path: Path):
    """A well-formed entry whose pickle is not a validator (a list): never installed."""
    env = EXAMPLES / "seeded-faults"
    plain = _check(env, tmp_path, "--no-cache")
    _check(env, tmp_path / "cache")
    (entry,) = _validators(tmp_path / "cache")
    payload = pickle.dumps(["not", "a", "validator"])
    magic = cache._VALIDATOR_MAGIC
    entry.write_bytes(magic + cache._checksum(payload) + payload)
    other = _check(env, tmp_path / "cache")
    assert READ_BACK not in other.stderr
    assert (other.stdout, other.returncode) == (plain.stdout, plain.returncode)
