"""One catalogue of codes and families: every code documented like a rule (with examples
that run), and one meaning of select/ignore/severity for every family, in `check`, in the
configuration and in `imgpolicy rules`/`rule`."""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy import catalogue as catalogue_module
from imgpolicy.catalogue import INPUT, RULE, SUPPRESSION, catalogue, families, family_of
from imgpolicy.codes import CODES
from imgpolicy.config import Config, ConfigError, load_config
from imgpolicy.docs.render import build_view
from imgpolicy.engine import check
from imgpolicy.rules import registry

from .conftest import assert_no_traceback, run

TODAY = date(2026, 11, 28)
RUNNABLE = [c for c in CODES if family_of(c) in ("YAML", "SCHEMA", "SUP")]
WITHOUT_FILE_EXAMPLE = {
    "YAML005": "bytes that are not UTF-8 cannot be shown as a text example",
    "YAML006": "an unreadable or 16 MiB file cannot be shown as a text example",
    "YAML010": "a file outside the environment needs a second file to be told apart",
}
ROUTE = "imgpolicy: 1\nroutes:\n  - {name: ct-to-ghost, from: CT_1, to: GHOST, purpose: reading}\n"


@pytest.mark.parametrize("code", sorted(catalogue()))
def test_every_code_is_documented(code):
    entry = catalogue()[code]
    sections = entry.sections
    for title in ("Summary", "What", "Why"):
        assert sections.get(title), f"{code} has no {title}"
    assert (sections.get("Bad") and sections.get("Good")) or sections.get("Example"), code
    assert "Why:" in entry.help and "What:" in entry.help  # what SARIF and docs show
    assert entry.family in families()


@pytest.mark.parametrize("code", RUNNABLE)
def test_bad_example_produces_the_code_and_good_does_not(tmp_path, code):
    info = CODES[code]
    if not info.bad:
        assert code in WITHOUT_FILE_EXAMPLE and "Fix:" in info.example
        return
    for which, text, expected in (("bad", info.bad, True), ("good", info.good, False)):
        folder = tmp_path / which
        folder.mkdir()
        (folder / "env.yaml").write_text(text, encoding="utf-8")
        result = check([str(folder)], Config(), today=TODAY)
        codes = {f.code for f in result.active}
        assert (code in codes) is expected, f"{which} example of {code}: {sorted(codes)}"


def test_families_are_read_from_the_catalogue_only():
    assert not hasattr(registry, "FAMILIES")
    kinds = {prefix: f.kind for prefix, f in families().items()}
    assert kinds["RT"] == RULE and kinds["SUP"] == SUPPRESSION and kinds["SCHEMA"] == INPUT
    assert {family_of(code) for code in catalogue()} == set(families())


@pytest.mark.parametrize(
    "args,message",
    [
        (["--select", "SCHEMA"], "'SCHEMA' is always reported"),
        (["--ignore", "SCHEMA003"], "'SCHEMA003' is always reported"),
        (["--ignore", "YAML"], "'YAML' is always reported"),
        (["--select", "PROBE001"], "comes from `imgpolicy probe`"),
        (["--ignore", "IMPORT"], "comes from `imgpolicy import`"),
        (["--select", "RT999"], "no rule code or family"),
        (["--select", "RT001", "--ignore", "RT001"], "leave no rule to run"),
        (["--select", "RT001,DR004", "--ignore", "RT,DR"], "leave no rule to run"),
    ],
)
def test_selections_that_cannot_work_are_usage_errors(write_env, args, message):
    root = write_env({"routes.yaml": ROUTE})
    result = run("check", ".", *args, cwd=root)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert_no_traceback(result)


@pytest.mark.parametrize(
    "config,message",
    [
        ("ignore: [SCHEMA]\n", "'SCHEMA' is always reported"),
        ("select: [YAML001]\n", "'YAML001' is always reported"),
        ("select: [RT001]\nignore: [RT]\n", "leaves no rule to run"),
        ("rules:\n  SCHEMA003: {severity: warning}\n", "SCHEMA003 is always reported"),
        ("rules:\n  SUP002: {severity: error}\n", "its severity is fixed (warning)"),
    ],
)
def test_the_configuration_follows_the_same_catalogue(write_env, config, message):
    root = write_env({"routes.yaml": ROUTE, ".imgpolicy.yaml": config})
    result = run("check", ".", cwd=root)
    assert result.exit_code == 2 and message in result.output, result.output
    assert ".imgpolicy.yaml" in result.output
    assert_no_traceback(result)


def test_sup_codes_follow_ignore_but_not_select(write_env):
    unused = ROUTE.replace("  - {", '  # imgpolicy: ignore[RT003] reason="old"\n  - {')
    root = write_env({"routes.yaml": unused})
    selected = run("check", ".", "--select", "RT", cwd=root)
    assert "SUP002" in selected.output  # about the comment: reported with any select
    ignored = run("check", ".", "--select", "RT", "--ignore", "SUP002", cwd=root)
    assert "SUP002" not in ignored.output and "RT001" in ignored.output
    (root / ".imgpolicy.yaml").write_text("ignore: [SUP]\n")
    assert "SUP002" not in run("check", ".", cwd=root).output


def test_select_sup_runs_no_rule_but_reports_the_comments(write_env):
    bare = ROUTE.replace("  - {", "  # imgpolicy: ignore[RT001]\n  - {")
    result = run("check", ".", "--select", "SUP", cwd=write_env({"routes.yaml": bare}))
    assert "SUP001" in result.output and "RT001" not in result.output


def test_selection_semantics_in_one_place():
    selected = catalogue_module.selected
    assert selected("SCHEMA003", ["RT"], ["SCHEMA"])  # always reported
    assert selected("SUP002", ["RT001"], []) and not selected("SUP002", [], ["SUP"])
    assert selected("RT001", ["RT"], []) and not selected("RT001", ["RT"], ["RT001"])
    assert not selected("RT001", ["DR"], [])
    assert Config(select=["RT"], ignore=["RT001"]).selects("RT003")


def test_rules_lists_codes_and_families():
    listing = run("rules").output
    codes = [line.split()[0] for line in listing.split("\n\nFamilies")[0].splitlines()]
    assert codes == list(catalogue())  # rules and problem codes, one line each
    families_part = listing.split("Families", 1)[1]
    for prefix in ("AE", "RT", "SEC", "YAML", "SCHEMA", "SUP", "PROBE", "IMPORT"):
        assert f"\n{prefix} " in families_part
    assert "input" in families_part and "suppression" in families_part


def test_rule_page_of_a_problem_code_has_what_why_and_examples():
    page = run("rule", "schema003").output
    assert page.startswith("SCHEMA003 wrong-type (error, cannot be suppressed)")
    for title in ("What:", "Why:", "Bad:", "Good:"):
        assert title in page
    assert 'port: "104"' in page
    probe = run("rule", "PROBE001").output
    assert "Example:" in probe and "Fix:" in probe
    family = run("rule", "SUP")
    assert family.exit_code == 0 and "SUP001" in family.output and "SUP004" in family.output


def test_rule_options_are_shown_from_their_declaration():
    page = run("rule", "DR001").output
    assert "critical_kinds" in page


RIS_WITHOUT_PLAN = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: west}
devices:
  - {name: pacs-main, site: MAIN, kind: pacs}
  - {name: ris-main, site: MAIN, kind: ris}
continuity:
  - {system: pacs-main, rpo: 15m, rto: 4h, last_tested: 2026-06-01}
"""


def test_docs_list_the_uncovered_systems_of_the_configured_dr001(tmp_path):
    (tmp_path / "env.yaml").write_text(RIS_WITHOUT_PLAN, encoding="utf-8")
    (tmp_path / ".imgpolicy.yaml").write_text("rules:\n  DR001: {critical_kinds: [pacs]}\n")
    for config, uncovered in (
        (Config(), ["ris-main"]),
        (load_config(str(tmp_path / ".imgpolicy.yaml")), []),
    ):
        result = check([str(tmp_path)], config, today=TODAY)
        assert [f.code for f in result.active if f.code == "DR001"] == ["DR001"] * len(uncovered)
        view = build_view(result, root=str(tmp_path), today=TODAY, config=config)
        assert view["continuity"]["critical_without_plan"] == uncovered


def test_a_configured_option_is_read_once_by_its_declaration():
    with pytest.raises(ConfigError, match=r"rules\.DR001\.critical_kinds: unknown device kinds"):
        check([], Config(rules={"DR001": {"critical_kinds": ["pac"]}}))
