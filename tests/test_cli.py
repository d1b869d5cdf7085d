"""The `imgpolicy` command as a user meets it: exit codes, formats, init, messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import assert_no_traceback, run

CLEAN = "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, region: west}\n"
SCHEMA_ERROR = "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, regoin: west}\n"
YAML_ERROR = "imgpolicy: 1\nsites:\n  - name: MAIN\n   jurisdiction: [\n"


def test_clean_environment_exits_0(write_env):
    result = run("check", str(write_env({"env.yaml": CLEAN})))
    assert result.exit_code == 0
    assert "No problems found (1 file checked)." in result.output


def test_schema_findings_exit_1_with_positions(write_env):
    root = write_env({"env.yaml": SCHEMA_ERROR})
    result = run("check", "env.yaml", cwd=root)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("env.yaml:3:5: SCHEMA002 sites[0]: missing required key")
    assert lines[1].startswith("env.yaml:3:39: SCHEMA001 sites[0]: unknown key 'regoin'")
    assert lines[-1] == "Found 2 errors in 1 file (1 file checked)."


def test_unusable_yaml_exits_2_and_still_reports(write_env):
    root = write_env({"a.yaml": YAML_ERROR, "b.yaml": SCHEMA_ERROR})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert "a.yaml:4:4: YAML001 invalid YAML" in result.output
    assert "b.yaml:3:39: SCHEMA001" in result.output


def test_fail_on_warning_is_accepted_and_bad_options_exit_2(write_env):
    root = write_env({"env.yaml": CLEAN})
    assert run("check", str(root), "--fail-on", "warning").exit_code == 0
    assert run("check", str(root), "--format", "yaml").exit_code == 2
    assert run("check", str(root / "missing")).exit_code == 2


def test_no_environment_files_exits_2(write_env):
    root = write_env({"other.yaml": "key: value\n"})
    result = run("check", str(root))
    assert result.exit_code == 2
    assert "no environment files" in result.output and "imgpolicy: 1" in result.output


def test_json_output_is_versioned_and_complete(write_env):
    root = write_env({"env.yaml": SCHEMA_ERROR})
    result = run("check", "--format", "json", ".", cwd=root)
    document = json.loads(result.output)
    assert document["format"] == "imgpolicy-report" and document["version"] == 1
    assert document["summary"]["error"] == 2 and document["summary"]["files"] == 1
    first = document["findings"][0]
    assert first["code"] == "SCHEMA002" and first["name"] == "missing-key"
    assert first["location"] == {
        "path": "env.yaml",
        "line": 3,
        "column": 5,
        "end_line": 3,
        "end_column": 52,
    }


def test_output_is_deterministic(write_env):
    root = write_env({"z.yaml": SCHEMA_ERROR, "a.yaml": YAML_ERROR, "m/x.yaml": CLEAN})
    outputs = {
        run("check", "--format", fmt, ".", cwd=root).output for fmt in ("json",) for _ in range(3)
    }
    assert len(outputs) == 1


def test_init_writes_a_starter_that_checks_clean(tmp_path):
    target = tmp_path / "env"
    result = run("init", str(target))
    assert result.exit_code == 0
    checked = run("check", str(target))  # today, whatever year the test runs in
    assert checked.exit_code == 0, checked.output
    assert "2026-05-14" not in (target / "environment.yaml").read_text()
    again = run("init", str(target))
    assert again.exit_code == 2 and "never overwrites" in again.output
    assert_no_traceback(again)


def test_console_script_runs():
    """The installed entry point works outside click's test runner."""
    out = subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "imgpolicy" in out.stdout


def test_console_script_output_and_exit_code_match_the_command():
    """`run` exits hard for speed; it must flush everything and keep the exit code."""
    from .conftest import EXAMPLES

    env = EXAMPLES / "seeded-faults"
    args = ["check", str(env), "--today", "2026-11-28", "--format", "json"]
    out = subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", *args], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert out.stdout == run(*args).output
    usage = subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", "check", "--format", "pdf", str(env)],
        capture_output=True,
        text=True,
    )
    assert usage.returncode == 2 and "Invalid value for '--format'" in usage.stderr


def test_broken_pipe_is_quiet():

    proc = subprocess.Popen(
        [sys.executable, "-m", "imgpolicy.cli", "rules"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.read(10)
    proc.stdout.close()
    assert proc.wait() in (0, 1)
    assert b"Traceback" not in proc.stderr.read()


def test_written_reports_get_normal_permissions(write_env, tmp_path):
    import os
    import stat

    root = write_env({"env.yaml": CLEAN})
    out = tmp_path / "report.sarif"
    run("check", str(root), "--output", f"sarif={out}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    out.chmod(0o640)
    run("check", str(root), "--output", f"sarif={out}")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


@pytest.mark.parametrize("where", ["file", "below-a-file"])
def test_init_onto_a_file_is_a_clear_error(tmp_path, where):
    afile = tmp_path / "notes.txt"
    afile.write_text("mine\n")
    target = afile if where == "file" else afile / "env"
    result = run("init", str(target))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert afile.read_text() == "mine\n"


def test_init_below_a_file_through_the_console_script(tmp_path):
    """The same through the real process: a message on standard error, exit 2."""
    afile = tmp_path / "notes.txt"
    afile.write_text("mine\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from imgpolicy.cli import run; run()", "init", str(afile / "x")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "imgpolicy:" in proc.stderr
