"""Baselines (issue 9 item 3, baseline side): findings are matched by identity (code, path
relative to the environment root, entity, detail), not by line, message or working folder;
stale entries are reported; safety findings never enter a baseline."""

from __future__ import annotations

import json
import shutil

from .conftest import EXAMPLES, assert_no_traceback, run

DEVICES = """\
imgpolicy: 1
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    application_entities:
      - {ae_title: CT_1, acceptor: false}
  - name: pacs
    site: MAIN
    kind: pacs
    application_entities:
      - {ae_title: PACS_MAIN}
"""
ROUTES = """\
imgpolicy: 1
routes:
  - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
  - {name: ct-to-ghost, from: CT_1, to: GHOST, purpose: reading}
"""
SELECT = ["--select", "RT001", "--today", "2026-11-28"]


def make_env(tmp_path, **files):
    root = tmp_path / "repo" / "env"
    root.mkdir(parents=True)
    for name, text in {"devices.yaml": DEVICES, "routes.yaml": ROUTES, **files}.items():
        (root / name).write_text(text)
    return root


def entries(path) -> list[dict]:
    document = json.loads(path.read_text())
    assert document["format"] == "imgpolicy-baseline" and document["version"] == 2
    return document["findings"]


def test_entries_store_paths_relative_to_the_environment_root(tmp_path):
    root = make_env(tmp_path)
    baseline = tmp_path / "baseline.json"
    written = run("check", str(root), *SELECT, "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output
    [entry] = entries(baseline)
    assert entry["path"] == "routes.yaml" and entry["entity"] == "route:ct-to-ghost"


def test_a_baseline_written_from_one_folder_matches_from_another(tmp_path):
    root = make_env(tmp_path)
    baseline = tmp_path / "baseline.json"
    assert run("check", ".", *SELECT, "--write-baseline", str(baseline), cwd=root).exit_code == 0
    from_parent = run("check", "env", *SELECT, "--baseline", str(baseline), cwd=root.parent)
    assert from_parent.exit_code == 0, from_parent.output
    from_elsewhere = run("check", str(root), *SELECT, "--baseline", str(baseline), cwd=tmp_path)
    assert from_elsewhere.exit_code == 0, from_elsewhere.output
    assert "no longer match" not in from_elsewhere.output


def test_lines_inserted_above_the_fault_still_match(tmp_path):
    root = make_env(tmp_path)
    baseline = tmp_path / "baseline.json"
    assert run("check", ".", *SELECT, "--write-baseline", str(baseline), cwd=root).exit_code == 0
    shifted = ROUTES.replace("routes:\n", "# moved\n\n\nroutes:\n  # another comment\n", 1)
    (root / "routes.yaml").write_text(shifted)
    result = run("check", ".", *SELECT, "--baseline", str(baseline), cwd=root)
    assert result.exit_code == 0, result.output
    (root / "routes.yaml").write_text(
        shifted + "  - {name: ct-to-nowhere, from: CT_1, to: NOWHERE, purpose: reading}\n"
    )
    result = run("check", ".", *SELECT, "--baseline", str(baseline), cwd=root)
    assert result.exit_code == 1 and "NOWHERE" in result.output and "GHOST" not in result.output


def test_dr004_findings_a_year_later_still_match(tmp_path):
    """DR004's message holds the test date and its age; the identity does not (it is made
    of code, path, entity and detail, never of the message), so a year later the same
    overdue DR tests are still the accepted ones. (If helper H5's DR004 sets a `detail`
    that holds a date, this test catches it.)"""
    root = tmp_path / "env"
    shutil.copytree(EXAMPLES / "regional-health", root)
    baseline = tmp_path / "baseline.json"
    written = run(
        "check", str(root), "--select", "DR004", "--today", "2028-01-15",
        "--write-baseline", str(baseline),
    )  # fmt: skip
    assert written.exit_code == 0, written.output
    assert {e["code"] for e in entries(baseline)} == {"DR004"}
    later = run(
        "check", str(root), "--select", "DR004", "--today", "2029-03-01", "--baseline",
        str(baseline),
    )  # fmt: skip
    assert later.exit_code == 0, later.output
    assert "no longer match" not in later.output


def test_stale_entries_are_reported_and_dropped_on_rewrite(tmp_path):
    root = make_env(tmp_path)
    baseline = tmp_path / "baseline.json"
    assert run("check", ".", *SELECT, "--write-baseline", str(baseline), cwd=root).exit_code == 0
    (root / "routes.yaml").write_text(ROUTES.replace("to: GHOST", "to: PACS_MAIN"))
    result = run("check", ".", *SELECT, "--baseline", str(baseline), cwd=root)
    assert result.exit_code == 0
    note = "1 baseline entry no longer matches a finding: rerun --write-baseline to drop it."
    assert note in result.output
    document = json.loads(
        run("check", ".", *SELECT, "--baseline", str(baseline), "--format", "json", cwd=root).output
    )
    assert note in document["notes"]
    rewritten = run("check", ".", *SELECT, "--write-baseline", str(baseline), cwd=root)
    assert rewritten.exit_code == 0
    assert "with 0 findings (kept 0, dropped 1 stale, added 0)" in rewritten.output
    assert entries(baseline) == []


def test_rewrite_keeps_matched_entries_and_counts_new_ones(tmp_path):
    root = make_env(tmp_path)
    baseline = tmp_path / "baseline.json"
    assert run("check", ".", *SELECT, "--write-baseline", str(baseline), cwd=root).exit_code == 0
    (root / "routes.yaml").write_text(
        ROUTES + "  - {name: ct-to-nowhere, from: CT_1, to: NOWHERE, purpose: reading}\n"
    )
    again = run("check", ".", *SELECT, "--write-baseline", str(baseline), cwd=root)
    assert "with 2 findings (kept 1, dropped 0 stale, added 1)" in again.output
    assert sorted(e["entity"] for e in entries(baseline)) == [
        "route:ct-to-ghost",
        "route:ct-to-nowhere",
    ]


def test_safety_findings_are_left_out_of_the_baseline_and_said_so(tmp_path):
    root = tmp_path / "env"
    shutil.copytree(EXAMPLES / "regional-health", root)
    integrations = root / "integrations.yaml"
    text = integrations.read_text()
    assert 'password: "${PACS_HL7_PASSWORD}"' in text
    integrations.write_text(text.replace('"${PACS_HL7_PASSWORD}"', "Plaintext-4711", 1))
    baseline = tmp_path / "baseline.json"
    written = run("check", str(root), "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output
    assert "left out 1 finding of rules that cannot be suppressed (SEC002)" in written.output
    assert "SEC002" not in {e["code"] for e in entries(baseline)}
    result = run("check", str(root), "--baseline", str(baseline))
    assert result.exit_code == 1 and "SEC002" in result.output


def test_version_1_is_refused_with_a_message_and_rewritten_on_request(tmp_path):
    root = make_env(tmp_path)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"format": "imgpolicy-baseline", "version": 1, "findings": []}))
    refused = run("check", ".", *SELECT, "--baseline", str(baseline), cwd=root)
    assert refused.exit_code == 2
    assert_no_traceback(refused)
    assert "version 1 baseline" in refused.output and "--write-baseline" in refused.output
    upgraded = run("check", ".", *SELECT, "--write-baseline", str(baseline), cwd=root)
    assert upgraded.exit_code == 0 and len(entries(baseline)) == 1


def test_write_baseline_refuses_to_replace_a_file_that_is_not_a_baseline(tmp_path):
    root = make_env(tmp_path)
    other = tmp_path / "notes.json"
    other.write_text('{"meeting": "CAB-2291"}\n')
    result = run("check", ".", *SELECT, "--write-baseline", str(other), cwd=root)
    assert result.exit_code == 2 and "not an imgpolicy baseline" in result.output
    assert other.read_text() == '{"meeting": "CAB-2291"}\n'
