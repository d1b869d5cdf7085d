"""Configuration, suppressions and baselines, as a team adopting imgpolicy meets them."""

from __future__ import annotations

import json

import pytest

from .conftest import assert_no_traceback, run

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


def env(write_env, routes=ROUTES, **extra):
    return write_env({"devices.yaml": DEVICES, "routes.yaml": routes, **extra})


def test_rule_finding_exits_1_with_position(write_env):
    result = run("check", ".", *SELECT, cwd=env(write_env))
    assert result.exit_code == 1
    assert result.output.startswith("routes.yaml:4:41: RT001 route 'ct-to-ghost' to 'GHOST'")


def test_select_and_ignore_by_family(write_env):
    root = env(write_env)
    assert (
        run(
            "check",
            ".",
            "--select",
            "RT",
            "--ignore",
            "RT001",
            "--ignore",
            "RT009",
            "--today",
            "2026-11-28",
            cwd=root,
        ).exit_code
        == 0
    )


def test_config_file_nearest_wins_and_sets_severity(write_env):
    root = env(
        write_env,
        **{
            "pyproject.toml": '[tool.imgpolicy]\nselect = ["RT001"]\n',
            ".imgpolicy.yaml": "select: [RT001]\nrules:\n  RT001: {severity: warning}\n",
        },
    )
    result = run("check", ".", "--today", "2026-11-28", cwd=root)
    assert result.exit_code == 0 and "[warning]" in result.output
    assert run("check", ".", "--fail-on", "warning", cwd=root).exit_code == 1


def test_pyproject_config_and_fail_on(write_env):
    root = env(
        write_env,
        **{
            "pyproject.toml": '[tool.imgpolicy]\nselect = ["RT001"]\nfail_on = "warning"\n'
            '[tool.imgpolicy.rules.RT001]\nseverity = "warning"\n'
        },
    )
    assert run("check", ".", cwd=root).exit_code == 1


@pytest.mark.parametrize(
    "config,message",
    [
        ("selct: [RT]\n", "unknown setting 'selct'"),
        ("select: [RT999]\n", "no rule code or family"),
        ("rules:\n  RT001: {severity: fatal}\n", "must be error, warning or info"),
        ("rules:\n  RT001: {colour: red}\n", "unknown option 'colour'"),
        ("today: yesterday\n", "today must be a date"),
        ("select: [\n", "invalid YAML"),
    ],
)
def test_bad_config_exits_2_with_a_clear_message(write_env, config, message):
    root = env(write_env, **{".imgpolicy.yaml": config})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 2
    assert message in result.output and ".imgpolicy.yaml" in result.output
    assert_no_traceback(result)


def test_inline_suppression_with_reason(write_env):
    routes = ROUTES.replace(
        "  - {name: ct-to-ghost",
        '  # imgpolicy: ignore[RT001] reason="GHOST is decommissioned on 2026-12-01"\n'
        "  - {name: ct-to-ghost",
    )
    root = env(write_env, routes=routes)
    result = run("check", ".", *SELECT, cwd=root)
    assert result.exit_code == 0
    assert "1 suppressed" in result.output
    document = json.loads(run("check", ".", *SELECT, "--format", "json", cwd=root).output)
    [finding] = document["findings"]
    assert finding["suppressed"] == {
        "kind": "inline",
        "reason": "GHOST is decommissioned on 2026-12-01",
    }


def test_suppression_without_reason_is_a_finding_and_suppresses_nothing(write_env):
    routes = ROUTES.replace(
        "purpose: reading}\n", "purpose: reading}  # imgpolicy: ignore[RT001]\n"
    )
    result = run("check", ".", *SELECT, cwd=env(write_env, routes=routes))
    assert result.exit_code == 1
    codes = [line.split()[1] for line in result.output.splitlines() if ": " in line[:40]]
    assert codes.count("SUP001") == 2 and "RT001" in codes


def test_unused_and_unknown_suppressions_are_reported(write_env):
    routes = ROUTES + '  # imgpolicy: ignore[RT003, XX9] reason="old"\n'
    result = run(
        "check", ".", "--select", "RT", "--today", "2026-11-28", cwd=env(write_env, routes=routes)
    )
    assert "SUP002 unused suppression: no RT003 finding" in result.output
    assert "SUP004 suppression names 'XX9'" in result.output


def test_unsuppressible_rules_stay(write_env):
    routes = ROUTES + '  # imgpolicy: ignore[SEC002] reason="we accept secrets"\n'
    result = run("check", ".", "--select", "SEC002", cwd=env(write_env, routes=routes))
    assert "SUP003 SEC002 is a safety rule and cannot be suppressed" in result.output


def test_baseline_survives_line_shifts_but_not_new_findings(write_env, tmp_path):
    root = env(write_env)
    baseline = tmp_path / "baseline.json"
    written = run("check", ".", *SELECT, "--write-baseline", str(baseline), cwd=root)
    assert written.exit_code == 0 and "1 finding" in written.output
    assert run("check", ".", *SELECT, "--baseline", str(baseline), cwd=root).exit_code == 0
    shifted = "imgpolicy: 1\n# a comment\n\nroutes:\n" + ROUTES.split("routes:\n", 1)[1]
    (root / "routes.yaml").write_text(shifted)
    assert run("check", ".", *SELECT, "--baseline", str(baseline), cwd=root).exit_code == 0
    (root / "routes.yaml").write_text(
        shifted + "  - {name: ct-to-nowhere, from: CT_1, to: NOWHERE, purpose: reading}\n"
    )
    result = run("check", ".", *SELECT, "--baseline", str(baseline), cwd=root)
    assert result.exit_code == 1 and "NOWHERE" in result.output and "GHOST" not in result.output


def test_corrupt_baseline_exits_2(write_env, tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text("{}")
    result = run("check", ".", *SELECT, "--baseline", str(bad), cwd=env(write_env))
    assert result.exit_code == 2 and "--write-baseline" in result.output


def test_rules_are_skipped_when_the_schema_fails(write_env):
    root = env(write_env, **{"bad.yaml": "imgpolicy: 1\nsites:\n  - {name: X}\n"})
    result = run("check", ".", *SELECT, cwd=root)
    assert "Policy rules were not run" in result.output and "RT001" not in result.output


def test_rule_catalogue_commands():
    listing = run("rules")
    assert listing.exit_code == 0 and "RT003     route-no-common-transfer-syntax" in listing.output
    shown = run("rule", "rt003")
    assert shown.exit_code == 0
    assert shown.output.startswith("RT003 route-no-common-transfer-syntax (error)")
    assert "Bad:\n    devices:" in shown.output and "Why:" in shown.output
    assert run("rule", "RT999").exit_code == 2


# --- D16: rule options are read by their declaration, when the configuration is read ---


@pytest.mark.parametrize(
    "option,message",
    [
        ("DOSE002: {modalities: [[CT]]}", "rules.DOSE002.modalities: expected a list of modality"),
        ("DR001: {critical_kinds: [{a: 1}]}", "rules.DR001.critical_kinds: expected a list of"),
        ("ST001: {horizon: 8000y}", "rules.ST001.horizon: 8000y is out of range"),
        ("ST001: {horizon: 99999999y}", "rules.ST001.horizon: 99999999y is out of range"),
        ("ST001: {horizon: 0d}", "rules.ST001.horizon: 0d is out of range"),
        ("DR004: {max_age: [12mo]}", "rules.DR004.max_age: expected a duration"),
        ("DOSE005: {plausible_ranges: {agd_mgy: [.nan, 1]}}", "agd_mgy: expected [lowest"),
        ("CF002: {allow: [NotAUid]}", "rules.CF002.allow: 'NotAUid': no SOP class"),
        ("AE006: {extra_characters: 5}", "rules.AE006.extra_characters: expected a string"),
    ],
)
def test_bad_rule_options_exit_2_naming_file_rule_and_option(write_env, option, message):
    root = env(write_env, **{".imgpolicy.yaml": f"rules:\n  {option}\n"})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 2, result.output
    assert message in result.output and ".imgpolicy.yaml" in result.output
    assert "please report" not in result.output
    assert_no_traceback(result)


def test_rule_options_from_pyproject_are_read_the_same_way(write_env):
    root = env(write_env, **{"pyproject.toml": '[tool.imgpolicy.rules.ST001]\nhorizon = "8000y"\n'})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 2 and "pyproject.toml" in result.output
    assert "rules.ST001.horizon: 8000y is out of range" in result.output


def test_rule_options_within_range_are_used(write_env):
    root = env(write_env, **{".imgpolicy.yaml": "rules:\n  ST001: {horizon: 100y}\n"})
    result = run("check", ".", "--select", "ST001", cwd=root)
    assert result.exit_code == 0, result.output


def test_schema_problems_cannot_be_suppressed(write_env):
    """A suppressed schema error would let a check pass although no rule ran."""
    root = write_env(
        {
            "a.yaml": "imgpolicy: 1\nsites:\n"
            '  # imgpolicy: ignore[SCHEMA004] reason="we like lower case"\n'
            "  - {name: MAIN, jurisdiction: us-ca, region: us-west}\n"
        }
    )
    from imgpolicy.config import Config
    from imgpolicy.engine import check

    result = check([str(root)], Config())
    codes = sorted(f.code for f in result.active)
    assert codes == ["SCHEMA004", "SUP003"]
    [sup] = [f for f in result.active if f.code == "SUP003"]
    assert "problem of the file itself" in sup.message
