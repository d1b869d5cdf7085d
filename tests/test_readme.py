"""The README's CI recipes parse, and the exact imgpolicy commands in them work."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from junitparser import JUnitXml

from .conftest import EXAMPLES, ROOT
from .test_code_hosts import gitlab_job, run_action, run_gitlab

README = (ROOT / "README.md").read_text(encoding="utf-8")


def recipe(name: str) -> dict:
    match = re.search(rf"<!-- ci:{name} -->\n```yaml\n(.*?)```", README, re.S)
    assert match, f"README has no ci:{name} block"
    return yaml.safe_load(match.group(1))


def action_step(workflow: dict) -> dict:
    """The workflow's step that uses this repository's action, pinned to a commit."""
    [step] = [
        s
        for s in workflow["jobs"]["imgpolicy"]["steps"]
        if "imgpolicy/imgpolicy@" in s.get("uses", "")
    ]
    assert step["uses"] == "imgpolicy/imgpolicy@COMMIT"  # explained in words as the SHA to pin
    return step


@pytest.mark.peers  # installs imgpolicy from a copy of the repository, as the runner does
def test_github_workflow(tmp_path):
    workflow = recipe("github")
    assert workflow["jobs"]["imgpolicy"]["permissions"]["security-events"] == "write"
    step = action_step(workflow)
    results, context = run_action(tmp_path, EXAMPLES / "regional-health", step["with"])
    assert [r.returncode for r in results] == [0, 0], [r.stdout + r.stderr for r in results]
    sarif = json.loads((tmp_path / "workspace" / step["with"]["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert context["inputs.upload-sarif"] == "true"  # the action uploads it to code scanning


@pytest.mark.peers
def test_github_workflow_annotates_findings(tmp_path):
    step = action_step(recipe("github"))
    results, _ = run_action(tmp_path, EXAMPLES / "broken" / "schema003-quoted-port", step["with"])
    check = results[-1]
    assert check.returncode == 1
    assert check.stdout.startswith("::error file=environment/environment.yaml,line=10,col=15")


@pytest.mark.peers
def test_gitlab_job(tmp_path):
    config = recipe("gitlab")
    [include] = config["include"]
    assert include["remote"].endswith("/COMMIT/ci/gitlab/imgpolicy.gitlab-ci.yml")
    assert config["variables"]["IMGPOLICY_REF"] == "COMMIT"
    project = run_gitlab(tmp_path, "git repository", config["variables"])
    reports = gitlab_job()[1]["artifacts"]["reports"]
    assert json.loads((project / reports["codequality"]).read_text()) == []
    assert JUnitXml.fromfile(str(project / reports["junit"]))


def test_no_recipe_installs_from_a_package_index():
    assert not re.search(r"pip install [\'\"]?imgpolicy", README)
    assert "v0.1.0" not in README


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
