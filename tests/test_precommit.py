"""The real `pre-commit` tool runs our hook from this repository on a config repo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.peers  # real peers: pytest -m 'not peers' skips them

BROKEN_ROUTE = "  - {name: ct-to-ghost, from: CT_MAIN_1, to: GHOST, purpose: reading}\n"


def git(cwd, *args, check=True):
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=check,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "PACS admin",
            "GIT_AUTHOR_EMAIL": "pacs@example.org",
            "GIT_COMMITTER_NAME": "PACS admin",
            "GIT_COMMITTER_EMAIL": "pacs@example.org",
        },
    )


@pytest.fixture(scope="module")
def hook_rev():
    """This checkout's HEAD; pre-commit installs the hook from it like from any hook repo."""
    if not (ROOT / ".git").exists():
        pytest.fail("the pre-commit test needs this repository as a git checkout")
    status = git(
        ROOT, "status", "--porcelain", ".pre-commit-hooks.yaml", "pyproject.toml", "imgpolicy"
    ).stdout
    if status.strip() and not os.environ.get("CI"):
        pytest.skip("commit your changes first: pre-commit installs the hook from HEAD")
    return git(ROOT, "rev-parse", "HEAD").stdout.strip()


def test_commit_with_broken_route_is_blocked(tmp_path, hook_rev):
    repo = tmp_path / "imaging-config"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", "init", "env"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {hook_rev}\n    hooks:\n"
        "      - id: imgpolicy-check\n        args: [env, --today, '2026-11-28']\n"
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run([*pre_commit, "install"], cwd=repo, check=True, capture_output=True, env=env)

    git(repo, "add", "-A")
    clean = subprocess.run(
        ["git", "commit", "-m", "starter environment"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**env, **_author()},
    )
    output = clean.stdout + clean.stderr
    assert clean.returncode == 0, output
    assert re.search(r"imgpolicy check\.+Passed", output), output

    environment = repo / "env" / "environment.yaml"
    text = environment.read_text()
    environment.write_text(text.replace("routes:\n", "routes:\n" + BROKEN_ROUTE, 1))
    git(repo, "add", "-A")
    blocked = subprocess.run(
        ["git", "commit", "-m", "route CT to the new PACS"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**env, **_author()},
    )
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "Failed" in output
    assert "RT001 route 'ct-to-ghost' to 'GHOST' is not an AE title" in output
    assert git(repo, "log", "--oneline").stdout.count("\n") == 1  # nothing was committed


def _author() -> dict:
    return {
        "GIT_AUTHOR_NAME": "PACS admin",
        "GIT_AUTHOR_EMAIL": "pacs@example.org",
        "GIT_COMMITTER_NAME": "PACS admin",
        "GIT_COMMITTER_EMAIL": "pacs@example.org",
    }


def test_pre_commit_is_installed():
    assert shutil.which("git")
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "--version"], check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def working_tree_rev(tmp_path_factory):
    """This checkout's working tree (committed or not) as a commit of a scratch repository,
    so the hook under test is the code under test."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = git(ROOT, "ls-files", "-co", "--exclude-standard", "-z").stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(snapshot, "init", "-q", "-b", "main")
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "-m", "snapshot")
    return snapshot, git(snapshot, "rev-parse", "HEAD").stdout.strip()


HEADERLESS = """\
# RIS interface and the night read, added in a hurry: no `imgpolicy: 1` line
integrations:
  - name: ris-night
    kind: hl7
    source: ct-main-1
    target: pacs-main
    endpoint: mllp://ris.example.org:2575
    credentials: {username: ris, password: Night-Shift-2291}
routes:
  - {name: night-telerad, from: PACS_MAIN, to: TELERAD, purpose: teleradiology,
     transfer_syntax: JPEGBaseline8Bit}
"""


def test_commit_of_a_headerless_file_with_a_secret_is_blocked(tmp_path, working_tree_rev):
    """A file without the marker used to be skipped ("Passed") while holding a plaintext
    password and a lossy teleradiology route; now the hook fails and names it."""
    hook_repo, rev = working_tree_rev
    repo = tmp_path / "imaging-config"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", "init", "env"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: imgpolicy-check\n        args: [env]\n"
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run([*pre_commit, "install"], cwd=repo, check=True, capture_output=True, env=env)
    git(repo, "add", "-A")
    first = subprocess.run(
        ["git", "commit", "-m", "starter"], cwd=repo, capture_output=True, text=True,
        env={**env, **_author()},
    )  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr

    (repo / "env" / "ris-night.yaml").write_text(HEADERLESS)
    git(repo, "add", "-A")
    blocked = subprocess.run(
        ["git", "commit", "-m", "night read"], cwd=repo, capture_output=True, text=True,
        env={**env, **_author()},
    )  # fmt: skip
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert re.search(r"imgpolicy check\.+Failed", output), output
    assert "env/ris-night.yaml:1:1: YAML010 not an environment file" in output
    assert git(repo, "log", "--oneline").stdout.count("\n") == 1  # nothing was committed
