"""`docs` never leaks the machine's files, never crashes, never runs forever (D4, D9, D10,
D14): site templates are confined to their folder, bounded in size, time and output,
and any failure is a clean "template ... failed" with exit status 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgpolicy.docs import templating

from .conftest import EXAMPLES, assert_no_traceback, run

SMALL_ENV = """imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    connections: [{name: dicom, hostname: ct1.example.org}]
    application_entities:
      - ae_title: CT_1
        acceptor: false
"""


@pytest.fixture
def env(tmp_path) -> Path:
    folder = tmp_path / "env"
    folder.mkdir()
    (folder / "env.yaml").write_text(SMALL_ENV, encoding="utf-8")
    return folder


@pytest.fixture
def templates(tmp_path) -> Path:
    folder = tmp_path / "templates"
    (folder / "html").mkdir(parents=True)
    (folder / "md").mkdir()
    return folder


def docs(env: Path, out: Path, *extra: str):
    result = run("docs", str(env), "-o", str(out), "--today", "2026-11-28", *extra)
    assert_no_traceback(result)
    return result


# --- D4: templates stay inside their folder ------------------------------------------------


def _layout_environ(t: Path) -> str:
    (t / "html" / "style.css.j2").symlink_to("/proc/self/environ")
    return "style.css.j2"


def _layout_passwd(t: Path) -> str:
    (t / "architecture.md.j2").symlink_to("/etc/passwd")
    return "architecture.md.j2"


def _layout_linked_folder(t: Path) -> str:
    (t / "etcdir").symlink_to("/etc")
    (t / "architecture.md.j2").write_text("{% include 'etcdir/passwd' %}\n")
    return "etcdir"


def _layout_relative_link_out(t: Path) -> str:
    outside = t.parent / "outside-secret.txt"
    outside.write_text("H3-OUTSIDE-SECRET\n")
    (t / "md" / "summary.md.j2").symlink_to(Path("..") / ".." / "outside-secret.txt")
    return "summary.md.j2"


@pytest.mark.parametrize(
    "layout", [_layout_environ, _layout_passwd, _layout_linked_folder, _layout_relative_link_out]
)
def test_template_links_out_of_the_folder_are_refused(
    env, templates, tmp_path, monkeypatch, layout
):
    monkeypatch.setenv("H3_CI_TOKEN", "hunter2-ci-token")
    what = layout(templates)
    out = tmp_path / "out"
    result = docs(env, out, "--templates", str(templates))
    assert result.exit_code == 2
    assert "leads outside the templates folder" in result.stderr and what in result.stderr
    assert not out.exists()  # nothing written


def test_links_inside_the_folder_still_work(env, templates, tmp_path):
    (templates / "shared.md.j2").write_text("# Site header {{ doc.meta.today }}\n")
    (templates / "architecture.md.j2").symlink_to("shared.md.j2")
    result = docs(env, tmp_path / "out", "--templates", str(templates))
    assert result.exit_code == 0, result.output + result.stderr
    assert (tmp_path / "out" / "architecture.md").read_text() == "# Site header 2026-11-28\n"


def test_template_larger_than_the_limit_is_refused(env, templates, tmp_path):
    with open(templates / "architecture.md.j2", "wb") as handle:
        handle.truncate(templating.MAX_TEMPLATE_BYTES + 1)  # sparse: costs no disk
    result = docs(env, tmp_path / "out", "--templates", str(templates))
    assert result.exit_code == 2
    assert "is larger than 1 MiB" in result.stderr


def test_template_that_is_a_fifo_is_refused_without_blocking(env, templates, tmp_path):
    os.mkfifo(templates / "architecture.md.j2")
    proc = subprocess.run(
        [*_IMGPOLICY, "docs", str(env), "-o", str(tmp_path / "out"), "--templates", str(templates)],
        capture_output=True,
        text=True,
        timeout=60,  # hang guard only
    )
    assert proc.returncode == 2 and "named pipe" in proc.stderr, proc.stderr


# --- D14: any template failure is a clean message, written nothing ------------------------

_IMGPOLICY = [sys.executable, "-c", "from imgpolicy.cli import run; run()"]


@pytest.mark.parametrize(
    "body, says",
    [
        ("{{ range(100001)|list|length }}", "OverflowError"),
        ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "RecursionError"),
        ("{% include 'architecture.md.j2' %}", "RecursionError"),
        ("{{ 'a' * 10**10 }}", "repeats a str"),
        ("{{ [1, 2] * 10**9 }}", "repeats a list"),
        ("{{ 7 ** 10000000 }}", "too large a number"),
        ("{{ 2.0 ** 10000 }}", "OverflowError"),
        ("{{ (1).__class__ }}", "SecurityError"),
    ],
)
def test_template_failures_are_clean(env, templates, tmp_path, body, says):
    (templates / "architecture.md.j2").write_text(body + "\n")
    result = docs(env, tmp_path / "out", "--templates", str(templates))
    assert result.exit_code == 2
    assert result.stderr.startswith("imgpolicy: template ") and says in result.stderr


def test_lone_surrogate_fails_before_anything_is_written(env, templates, tmp_path):
    out = tmp_path / "out"
    assert docs(env, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (templates / "architecture.md.j2").write_text("{{ '\\udcff' }}\n")
    result = docs(env, out, "--templates", str(templates), "--today", "2027-01-01")
    assert result.exit_code == 2
    assert "cannot be written as UTF-8" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(
    "body",
    [
        # output in the inner loop: stopped by the CPU budget or the output bound
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
        # no output and no call in the inner loop: only the timer can stop it
        "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
    ],
)
def test_endless_template_is_stopped(env, templates, tmp_path, monkeypatch, body):
    monkeypatch.setattr(templating, "CPU_BUDGET_SECONDS", 2.0)
    (templates / "architecture.md.j2").write_text(body + "\n")
    result = docs(env, tmp_path / "out", "--templates", str(templates))
    assert result.exit_code == 2
    assert "stopped: it used more than 2 s of CPU time" in result.stderr


def test_endless_template_is_stopped_by_the_real_command(env, templates, tmp_path):
    """The console script with its default budget: the nested loop ends with a message."""
    (templates / "architecture.md.j2").write_text(
        "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}\n"
    )
    code = (
        "import imgpolicy.docs.templating as t; t.CPU_BUDGET_SECONDS = 3.0\n"
        "from imgpolicy.cli import run; run()"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "docs",
            str(env),
            "-o",
            str(tmp_path / "o"),
            "--templates",
            str(templates),
        ],
        capture_output=True,
        text=True,
        timeout=120,  # hang guard only
    )
    assert proc.returncode == 2, proc.stderr
    assert "stopped: it used more than 3 s of CPU time" in proc.stderr


def test_document_size_is_bounded(env, templates, tmp_path, monkeypatch):
    monkeypatch.setattr(templating, "MAX_DOCUMENT_CHARS", 1_000_000)
    (templates / "architecture.md.j2").write_text(
        "{% for i in range(100000) %}{{ 'x' * 100 }}\n{% endfor %}\n"
    )
    result = docs(env, tmp_path / "out", "--templates", str(templates))
    assert result.exit_code == 2
    assert "the document grew beyond" in result.stderr


def test_the_shipped_templates_fit_the_budgets(env, tmp_path):
    assert docs(env, tmp_path / "out").exit_code == 0


# --- D9: extreme but valid values ----------------------------------------------------------


@pytest.mark.parametrize("today", ["9999-12-31", "9989-12-31", "9995-02-28"])
def test_far_future_dates_saturate(tmp_path, today):
    result = run(
        "docs", str(EXAMPLES / "regional-health"), "-o", str(tmp_path / "out"), "--today", today
    )
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output + result.stderr
    text = (tmp_path / "out" / "architecture.md").read_text(encoding="utf-8")
    assert "beyond 9999" in text


def test_absurd_growth_saturates(env, tmp_path):
    (env / "storage.yaml").write_text(
        "imgpolicy: 1\n"
        "storage:\n"
        "  tiers:\n"
        "    - {name: hot, device: ct-1, tier: hot, capacity: 1PB}\n"
        "  volumes:\n"
        "    - {site: MAIN, modality: CT, tier: hot, annual_studies: 1000000,\n"
        "       mean_study_size: 1GB, annual_growth: 999999999999999999%}\n",
        encoding="utf-8",
    )
    result = docs(env, tmp_path / "out")
    assert result.exit_code == 0, result.output + result.stderr
    text = (tmp_path / "out" / "architecture.md").read_text(encoding="utf-8")
    assert "over 1000EB" in text


# --- D10: a file name that is not UTF-8 ----------------------------------------------------


def test_non_utf8_file_name_in_documents(env, tmp_path):
    os.rename(env / "env.yaml", os.path.join(os.fsencode(env), b"h\xf4pital.yaml"))
    result = docs(env, tmp_path / "out")
    assert result.exit_code == 0, result.output + result.stderr
    for name in ("architecture.md", "architecture.html"):
        assert "h\ufffdpital.yaml" in (tmp_path / "out" / name).read_text(encoding="utf-8")


# --- D21: the page cannot be re-targeted ----------------------------------------------------


def test_html_csp_forbids_base_and_forms(env, tmp_path):
    docs(env, tmp_path / "out")
    html = (tmp_path / "out" / "architecture.html").read_text(encoding="utf-8")
    assert "base-uri 'none'; form-action 'none'" in html


def test_templates_folder_copy_of_the_shipped_ones_renders(env, tmp_path):
    """A site folder that copies the shipped templates (the usual start) still works."""
    copy = tmp_path / "site-templates"
    shutil.copytree(templating.shipped_templates(), copy)
    result = docs(env, tmp_path / "out", "--templates", str(copy))
    assert result.exit_code == 0, result.stderr
