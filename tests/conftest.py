from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from hypothesis import settings

from imgpolicy.cli import main

# Hypothesis profiles. "ci" (chosen when CI is set) is derandomized: the same examples every
# run, so a red CI is reproducible and a green one is not luck. "dev" (the default) draws new
# examples each run and more of them, to find what CI would not. HYPOTHESIS_PROFILE picks
# one explicitly.
# No deadline: hypothesis' per-example deadline is a timed assertion, and a machine running
# the suite beside other work (CI runners, 2 shared cores) is slow now and then.
settings.register_profile(
    "ci", derandomize=True, max_examples=150, database=None, print_blob=True, deadline=None
)
settings.register_profile("dev", max_examples=250, print_blob=True, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@cache
def benchmark(name: str) -> ModuleType:
    """`benchmarks/<name>.py` (a script folder, not a package) as a module, loaded once:
    the tests that count work use the benchmarks' own generator and counters."""
    spec = importlib.util.spec_from_file_location(
        f"benchmarks_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated(tmp_path_factory, name: str, **size: int) -> Path:
    """A new folder holding the benchmark's generated estate of `size` (sites, aes, routes)."""
    folder = tmp_path_factory.mktemp(name)
    benchmark("generate").generate(str(folder), **size)
    return folder


def run(*args: str, cwd: str | os.PathLike | None = None):
    """Run the CLI in-process; the result carries exit_code, output (stdout) and stderr."""
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args), catch_exceptions=True)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), catch_exceptions=True)
    finally:
        os.chdir(old)


def assert_no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.fixture
def write_env(tmp_path):
    """Write `{relative path: YAML text}` into a temp environment folder and return it."""

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture(autouse=True)
def _no_extensions_left_over():
    """House and plugin rules are registered in the catalogue for the configuration in use
    (one per process in the command line); a test that loaded a configuration with them
    must not leave them to the next test, which may build a `Config()` by hand."""
    yield
    from imgpolicy import catalogue

    catalogue.register_extensions([], {})
