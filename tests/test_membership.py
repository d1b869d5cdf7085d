"""Which files make up an environment: every YAML file under it, unless excluded; none is
skipped silently (issue 9 item 2), and the configuration that decides is named (D21)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from imgpolicy.load.files import glob_regex

from .conftest import EXAMPLES, assert_no_traceback, run

CLEAN = "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, region: west}\n"
SECRET = (
    "integrations:\n"
    "  - name: ris-orders\n"
    "    kind: hl7v2\n"
    "    endpoint: mllp://ris.example.org:2575\n"
    "    credentials: {username: ris, password: hunter2}\n"
)


def test_a_file_without_the_marker_is_an_error_not_a_skip(write_env):
    root = write_env({"sites.yaml": CLEAN, "integrations.yaml": SECRET})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert (
        "integrations.yaml:1:1: YAML010 not an environment file: no `imgpolicy: 1` at its "
        "top level" in result.output
    )
    assert "exclude it in .imgpolicy.yaml (exclude: [integrations.yaml])" in result.output
    assert "No problems found" not in result.output
    assert "(2 files checked)" in result.output


def test_a_misspelled_marker_gets_a_did_you_mean_at_the_key(write_env):
    root = write_env({"sites.yaml": CLEAN, "ris.yaml": "# RIS\nimgpolciy: 1\n" + SECRET})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 2
    assert "ris.yaml:2:1: YAML010 not an environment file: top-level key 'imgpolciy'" in (
        result.output
    )
    assert "did you mean 'imgpolicy: 1'?" in result.output


def test_only_unmarked_files_is_no_environment_naming_them(write_env):
    root = write_env({"values.yaml": "replicaCount: 2\n"})
    result = run("check", str(root))
    assert result.exit_code == 2
    assert "no environment files" in result.output
    assert "1 YAML file without it: " in result.output and "values.yaml" in result.output


def test_excluded_files_are_counted_and_the_config_named(write_env):
    root = write_env(
        {
            ".imgpolicy.yaml": "exclude: [charts/, '*.helm.yaml', ops/compose.yml]\n",
            "sites.yaml": CLEAN,
            "charts/pacs/values.yaml": "replicaCount: 2\n",
            "charts/pacs/templates/deploy.yaml": "kind: Deployment\n",
            "viewer.helm.yaml": "image: viewer\n",
            "deep/er/router.helm.yaml": "image: router\n",
            "ops/compose.yml": "services: {}\n",
            "ops/other.yml": CLEAN.replace("MAIN", "OPS"),
        }
    )
    result = run("check", ".", cwd=root)
    assert result.exit_code == 0, result.output
    assert "Configuration: .imgpolicy.yaml." in result.output
    assert "No problems found (2 files checked, 4 excluded by .imgpolicy.yaml)." in result.output
    document = json.loads(run("check", ".", "--format", "json", cwd=root).output)
    assert document["summary"]["excluded"] == 4 and document["summary"]["files"] == 2
    assert "Configuration: .imgpolicy.yaml." in document["notes"]


def test_exclude_globs_are_relative_to_the_config_folder(write_env):
    root = write_env(
        {
            "pyproject.toml": "[tool.imgpolicy]\nexclude = ['environments/prod/ci.yaml']\n",
            "environments/prod/sites.yaml": CLEAN,
            "environments/prod/ci.yaml": "stages: [test]\n",
        }
    )
    result = run("check", "environments/prod", cwd=root)
    assert result.exit_code == 0, result.output
    assert "1 excluded by pyproject.toml" in result.output


def test_a_file_named_on_the_command_line_is_never_excluded(write_env):
    root = write_env({".imgpolicy.yaml": "exclude: [extra.yaml]\n", "extra.yaml": SECRET})
    result = run("check", "extra.yaml", cwd=root)
    assert result.exit_code == 2
    assert "no environment files" in result.output and "extra.yaml" in result.output


def test_hidden_files_and_folders_are_skipped(write_env):
    root = write_env(
        {
            "sites.yaml": CLEAN,
            ".gitlab-ci.yml": "stages: [test]\n",
            ".pre-commit-config.yaml": "repos: []\n",
            ".github/workflows/ci.yml": "on: push\n",
        }
    )
    result = run("check", ".", cwd=root)
    assert result.exit_code == 0, result.output
    assert "No problems found (1 file checked)." in result.output


def test_an_empty_file_is_skipped_with_a_note(write_env):
    root = write_env({"sites.yaml": CLEAN, "todo.yaml": "# devices go here\n---\n", "e.yml": ""})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 0, result.output
    assert "Skipped 2 empty YAML files (no data): e.yml, todo.yaml" in result.output


@pytest.mark.parametrize("bad", ["'../outside.yaml'", "charts/", "[1, 2]"])
def test_bad_exclude_settings_exit_2(write_env, bad):
    config = f"exclude: {bad}\n" if bad != "charts/" else "exclude: charts/\n"
    root = write_env({".imgpolicy.yaml": config, "sites.yaml": CLEAN})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 2
    assert "exclude" in result.output


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "matches"),
    [
        ("charts/", "charts", True, True),
        ("charts/", "a/charts", True, True),
        ("charts/", "charts", False, False),
        ("*.helm.yaml", "x/y/z.helm.yaml", False, True),
        ("ops/*.yml", "ops/a.yml", False, True),
        ("ops/*.yml", "x/ops/a.yml", False, False),
        ("/top.yaml", "top.yaml", False, True),
        ("/top.yaml", "a/top.yaml", False, False),
        ("ops/**/ci.yml", "ops/a/b/ci.yml", False, True),
        ("ops/**/ci.yml", "ops/ci.yml", False, True),
    ],
)
def test_glob_semantics(pattern, path, is_dir, matches):
    regex, dir_only = glob_regex(pattern)
    assert (bool(regex.fullmatch(path)) and (is_dir or not dir_only)) is matches


def test_config_search_stops_at_the_repository_root(write_env):
    root = write_env(
        {
            ".imgpolicy.yaml": "not_a_setting: 1\n",  # above the repo: never read
            "repo/env/sites.yaml": "imgpolicy: 1\nsites:\n  - {name: X}\n",
        }
    )
    (root / "repo" / ".git").mkdir()
    result = run("check", "env", cwd=root / "repo")
    assert result.exit_code == 1  # SCHEMA002: the ancestor's ignore did not apply
    assert "SCHEMA002" in result.output
    assert "Configuration:" not in result.output


def test_config_in_a_world_writable_folder_is_ignored_with_a_note(write_env):
    root = write_env(
        {
            "shared/.imgpolicy.yaml": "fail_on: warning\n",
            "shared/env/sites.yaml": "imgpolicy: 1\nsites:\n  - {name: X}\n",
        }
    )
    os.chmod(root / "shared", 0o777)  # like /tmp without the sticky bit
    result = run("check", "shared/env", cwd=root)
    assert result.exit_code == 1 and "SCHEMA002" in result.output
    assert "Ignored configuration" in result.output
    assert "its folder is writable by every user" in result.output
    explicit = run("check", "shared/env", "--config", "shared/.imgpolicy.yaml", cwd=root)
    assert explicit.exit_code == 1 and "Configuration: shared/.imgpolicy.yaml." in explicit.output
    assert "Ignored configuration" not in explicit.output


def test_examples_and_the_starter_have_no_unmarked_yaml(tmp_path):
    for example in ("regional-health", "seeded-faults"):
        result = run("check", str(EXAMPLES / example), "--today", "2026-11-28")
        assert "YAML010" not in result.output, result.output
    assert run("init", str(tmp_path / "env")).exit_code == 0
    checked = run("check", str(tmp_path / "env"))
    assert checked.exit_code == 0 and "YAML010" not in checked.output


def test_benchmark_environment_has_no_unmarked_yaml(tmp_path):
    generator = EXAMPLES.parent / "benchmarks" / "generate.py"
    out = tmp_path / "bench"
    help_text = subprocess.run(
        [sys.executable, str(generator), "--help"], capture_output=True, text=True
    ).stdout
    args = [sys.executable, str(generator), str(out)]
    if "--aes" in help_text:
        args += ["--sites", "3", "--aes", "60", "--routes", "200"]
    made = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if made.returncode != 0:
        pytest.skip(f"generator usage differs: {made.stderr.strip()[:200]}")
    result = run("check", str(out))
    assert "YAML010" not in result.output, result.output[-2000:]
