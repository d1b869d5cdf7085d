"""Plugin rules: rules_path files and `imgpolicy.rules` entry points (issue 14 item 4)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgpolicy.findings import Severity
from imgpolicy.rules.base import Rule
from imgpolicy.testing import assert_examples

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "regional-health"
PLUGIN_PKG = Path(__file__).resolve().parent / "data" / "plugin_pkg"
RULE = (PLUGIN_PKG / "acme_imgpolicy_rules" / "__init__.py").read_text()
EXPECTED = "devices/core-systems.yaml:240:11: ACME001 VNA 'vna-dr' is not in the asset inventory"


@pytest.fixture
def env(tmp_path):
    target = tmp_path / "env"
    shutil.copytree(EXAMPLE, target)
    (tmp_path / ".git").mkdir()
    return target


def run(python: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "imgpolicy.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def acme_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " ACME001 " in line]


def test_rules_path_rule_reports_on_the_example(env):
    (env / "rules").mkdir()
    (env / "rules" / "acme.py").write_text(RULE)
    (env / ".imgpolicy.yaml").write_text("today: 2026-11-28\nrules_path: rules\n")
    done = run(sys.executable, "check", ".", "--select", "ACME", cwd=env)
    assert acme_lines(done.stdout) == [EXPECTED + " [warning]"], done.stdout + done.stderr
    listing = run(sys.executable, "rules", cwd=env).stdout
    assert any(
        line.startswith("ACME001") and "rules_path:acme.py" in line for line in listing.splitlines()
    )


def test_plugin_that_fails_to_import_is_named_exit_2(env):
    (env / "rules").mkdir()
    (env / "rules" / "broken.py").write_text("import no_such_module_xyz\n")
    (env / ".imgpolicy.yaml").write_text("rules_path: rules\n")
    done = run(sys.executable, "check", ".", cwd=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "broken.py cannot be imported (ModuleNotFoundError" in done.stderr


def test_plugin_that_raises_is_named_and_shipped_rules_still_report(env):
    (env / "rules").mkdir()
    (env / "rules" / "bad.py").write_text(
        RULE.replace(
            "for device in index.env.devices:",
            "raise KeyError('boom')\n        for device in index.env.devices:",
        )
    )
    (env / ".imgpolicy.yaml").write_text("today: 2026-11-28\nrules_path: rules\n")
    done = run(sys.executable, "check", ".", cwd=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        "Rule ACME001 archive-not-in-inventory (rules_path:bad.py) failed (KeyError" in done.stdout
    )
    clean = run(sys.executable, "check", ".", "--today", "2026-11-28", cwd=EXAMPLE)
    shipped = [line for line in clean.stdout.splitlines() if ": " in line and line[:1] != " "]
    assert shipped and all(line in done.stdout for line in shipped if "ACME" not in line)


def test_plugin_cannot_take_a_shipped_code(env):
    (env / "rules").mkdir()
    (env / "rules" / "rt.py").write_text(RULE.replace('"ACME001"', '"RT001"'))
    (env / ".imgpolicy.yaml").write_text("rules_path: rules\n")
    done = run(sys.executable, "check", ".", cwd=env)
    assert done.returncode == 2 and "has the code of a shipped rule" in done.stderr


def test_testing_helper_runs_bad_and_good(tmp_path):
    sys.path.insert(0, str(PLUGIN_PKG))
    try:
        from acme_imgpolicy_rules import ArchiveNotInInventory
    finally:
        sys.path.remove(str(PLUGIN_PKG))
    assert_examples(ArchiveNotInInventory, tmp_path)

    class Inverted(ArchiveNotInInventory):
        __doc__ = ArchiveNotInInventory.__doc__.replace("vna-other", "vna-spmc", 1)
        code = "ACME002"
        severity = Severity.WARNING

    assert issubclass(Inverted, Rule)
    with pytest.raises(AssertionError, match="Bad finds nothing"):
        assert_examples(Inverted, tmp_path / "inverted")


@pytest.mark.peers
def test_entry_point_plugin_from_a_separate_package_in_a_temp_venv(env, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300
    )
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--no-deps"]
    subprocess.run([*pip, "-e", str(ROOT)], check=True, timeout=600, capture_output=True)
    subprocess.run([*pip, str(PLUGIN_PKG)], check=True, timeout=600, capture_output=True)
    (env / ".imgpolicy.yaml").write_text("today: 2026-11-28\n")
    done = run(python, "check", ".", "--select", "ACME", cwd=env)
    assert acme_lines(done.stdout) == [EXPECTED + " [warning]"], done.stdout + done.stderr
    listing = run(python, "rules", cwd=env).stdout
    assert any(
        line.startswith("ACME001") and "plugin:acme-imgpolicy-rules" in line
        for line in listing.splitlines()
    )
