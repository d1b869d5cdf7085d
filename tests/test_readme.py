"""The README's CI recipes parse, and the exact imgpolicy commands in them work."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml
from junitparser import JUnitXml

from .conftest import EXAMPLES, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def recipe(name: str) -> dict:
    match = re.search(rf"<!-- ci:{name} -->\n```yaml\n(.*?)```", README, re.S)
    assert match, f"README has no ci:{name} block"
    return yaml.safe_load(match.group(1))


def imgpolicy_commands(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("imgpolicy ")]


def run_in_repo(tmp_path, command: str, env: dict | None = None):
    shutil.copytree(EXAMPLES / "regional-health", tmp_path / "environment")
    args = shlex.split(command)
    assert args[0] == "imgpolicy"
    return subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", *args[1:], "--today", "2026-11-28"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_github_workflow(tmp_path):
    workflow = recipe("github")
    steps = workflow["jobs"]["imgpolicy"]["steps"]
    assert workflow["jobs"]["imgpolicy"]["permissions"]["security-events"] == "write"
    [command] = imgpolicy_commands([s["run"] for s in steps if "run" in s])
    upload = next(
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    )
    result = run_in_repo(tmp_path, command, {"GITHUB_ACTIONS": "true"})
    assert result.returncode == 0, result.stdout + result.stderr
    sarif = json.loads((tmp_path / upload["with"]["sarif_file"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []


def test_github_workflow_annotates_findings(tmp_path):
    [command] = imgpolicy_commands(
        [s["run"] for s in recipe("github")["jobs"]["imgpolicy"]["steps"] if "run" in s]
    )
    shutil.copytree(EXAMPLES / "broken" / "schema003-quoted-port", tmp_path / "environment")
    args = shlex.split(command)
    result = subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", *args[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "GITHUB_ACTIONS": "true"},
    )
    assert result.returncode == 1
    assert result.stdout.startswith("::error file=environment/environment.yaml,line=10,col=15")


def test_gitlab_job(tmp_path):
    job = recipe("gitlab")["imgpolicy"]
    [command] = imgpolicy_commands(job["script"])
    result = run_in_repo(tmp_path, command)
    assert result.returncode == 0, result.stdout + result.stderr
    reports = job["artifacts"]["reports"]
    assert json.loads((tmp_path / reports["codequality"]).read_text()) == []
    assert JUnitXml.fromfile(str(tmp_path / reports["junit"]))


def test_precommit_snippet_names_our_hook():
    match = re.search(r"```yaml\n(repos:.*?)```", README, re.S)
    config = yaml.safe_load(match.group(1))
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert config["repos"][0]["hooks"][0]["id"] in {h["id"] for h in hooks}


@pytest.mark.parametrize(
    "command",
    ["python3 -m pip install . && imgpolicy check examples/regional-health", "scripts/test.sh"],
)
def test_the_two_setup_commands_are_in_the_readme(command):
    assert f"\n    {command}\n" in README
