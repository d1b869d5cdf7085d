"""The GitHub action (`action.yml`) and the GitLab template run as written: their exact
`run:` / `script:` lines, install step included, in a fresh virtual environment against a
copy of the regional example; the reports they hand to the code host parse."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

import pytest
import yaml
from junitparser import JUnitXml

from .conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.peers  # builds and installs imgpolicy: pytest -m 'not peers' skips

EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def clean_copy(target: Path) -> Path:
    """The repository as git would ship it (tracked and new files, no build leftovers): what
    a user's `uses: OWNER/imgpolicy@COMMIT` or vendored copy holds."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def fresh_env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    """A virtual environment first on PATH (it sees the installed dependencies, not
    imgpolicy's editable install once the step installs imgpolicy into it)."""
    home = tmp_path / "venv"
    venv.create(home, system_site_packages=True, with_pip=False)
    return {
        **os.environ,
        "PATH": f"{home / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(home),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **extra,
    }


def bash(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-e", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def expand(text: str, context: dict[str, str]) -> str:
    """GitHub's `${{ ... }}` expressions, as the runner substitutes them before the shell
    sees the line; an expression the test does not know fails the test."""
    return EXPRESSION.sub(lambda m: context[m.group(1)], text)


def action_context(source: Path, inputs: dict | None = None) -> dict[str, str]:
    """What the runner substitutes: the action's path and each input (`with:`, else its
    default); an input the action does not declare fails the test."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(inputs or {}) <= set(action["inputs"])
    context = {"github.action_path": str(source)}
    for name, spec in action["inputs"].items():
        context[f"inputs.{name}"] = str((inputs or {}).get(name, spec.get("default", "")))
    return context


def run_action(
    tmp_path: Path, example: Path, inputs: dict | None = None
) -> tuple[list[subprocess.CompletedProcess], dict]:
    """Every `run:` step of the action, in order, as a runner would; stops at the first
    failing step (a failing check is the last step run)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    source = clean_copy(tmp_path / "action")
    workspace = tmp_path / "workspace"
    shutil.copytree(example, workspace / "environment")
    context = action_context(source, inputs)
    env = fresh_env(tmp_path, {"GITHUB_ACTIONS": "true"})
    results = []
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        assert step["shell"] == "bash"
        step_env = {k: expand(str(v), context) for k, v in step.get("env", {}).items()}
        result = bash(expand(step["run"], context), workspace, {**env, **step_env})
        results.append(result)
        if result.returncode:
            break
    return results, context


def test_action_installs_itself_and_writes_sarif(tmp_path):
    results, context = run_action(tmp_path, EXAMPLES / "regional-health")
    assert len(results) == 2, [r.stderr for r in results]
    install, check = results
    assert install.returncode == 0, install.stdout + install.stderr
    assert check.returncode == 0, check.stdout + check.stderr
    assert (tmp_path / "venv" / "bin" / "imgpolicy").is_file()  # installed by the step
    sarif = json.loads((tmp_path / "workspace" / context["inputs.sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "imgpolicy"


def test_action_annotates_and_fails_on_a_broken_environment(tmp_path):
    results, context = run_action(tmp_path, EXAMPLES / "broken" / "schema003-quoted-port")
    check = results[-1]
    assert check.returncode == 1, check.stdout + check.stderr
    assert check.stdout.startswith("::error file=environment/environment.yaml,line=10,col=15")
    sarif = json.loads((tmp_path / "workspace" / context["inputs.sarif-file"]).read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]]


def test_action_uploads_the_sarif_it_wrote():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    [upload] = [s for s in action["runs"]["steps"] if "uses" in s]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert "always()" in upload["if"]


def gitlab_job() -> tuple[dict, dict]:
    template = yaml.safe_load((ROOT / "ci" / "gitlab" / "imgpolicy.gitlab-ci.yml").read_text())
    return template["variables"], template["imgpolicy"]


def run_gitlab(tmp_path: Path, install_from: str, variables: dict | None = None) -> Path:
    """The template's `script:` lines in order, with its variables (and `variables`, as an
    including project sets them), installing imgpolicy from a vendored copy or from a git
    repository at a commit; the project folder with the reports."""
    defaults, job = gitlab_job()
    source = clean_copy(tmp_path / "imgpolicy")
    overrides = {"IMGPOLICY_PATH": str(source)}
    if install_from == "git repository":
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "vendored"]):
            subprocess.run(
                ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                cwd=source,
                check=True,
                capture_output=True,
            )
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, check=True
        ).stdout.strip()
        overrides = {"IMGPOLICY_REPO": f"file://{source}", "IMGPOLICY_REF": commit}
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "regional-health", project / "environment")
    chosen = {**defaults, **(variables or {}), **overrides}
    env = fresh_env(tmp_path, {k: str(v) for k, v in chosen.items()})
    for line in job["script"]:
        result = bash(line, project, env)
        assert result.returncode == 0, line + "\n" + result.stdout + result.stderr
    return project


@pytest.mark.parametrize("install_from", ["vendored path", "git repository"])
def test_gitlab_template_runs_and_reports(tmp_path, install_from):
    _, job = gitlab_job()
    project = run_gitlab(tmp_path, install_from)
    reports = job["artifacts"]["reports"]
    assert isinstance(json.loads((project / reports["codequality"]).read_text()), list)
    assert JUnitXml.fromfile(str(project / reports["junit"]))
    assert job["artifacts"]["when"] == "always"
