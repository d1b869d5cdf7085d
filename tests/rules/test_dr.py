"""Continuity rules on a realistic multi-file environment, with file:line asserted."""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy.config import Config, ConfigError, resolve_config
from imgpolicy.engine import check
from imgpolicy.model.types import parse_duration

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: NORTH, jurisdiction: US-CA, region: us-west}
  - {name: DR-PHX, jurisdiction: US-AZ, region: us-southwest}
"""

DEVICES = """\
imgpolicy: 1
devices:
  - name: pacs-main
    site: MAIN
    kind: pacs
  - name: vna-main
    site: MAIN
    kind: vna
  - name: ris-main
    site: MAIN
    kind: ris
  - name: router-main
    site: MAIN
    kind: router
  - name: dose-main
    site: MAIN
    kind: dose-monitor
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
  - name: ws-main
    site: MAIN
    kind: workstation
  - name: viewer-dr
    site: DR-PHX
    kind: viewer
"""

CONTINUITY = """\
imgpolicy: 1
continuity:
  - system: pacs-main
    rpo: 15m
    rto: 4h
    replication: {target_site: DR-PHX, window: 90d}
    read_only_fallback: viewer-dr
    last_tested: 2026-04-18
  - system: vna-main
    rpo: 15m
    rto: 8h
    replication: {target_site: DR-PHX, window: 90d}
    read_only_fallback: viewer-dr
    last_tested: 2026-04-18
  - system: ris-main
    rpo: 5m
    rto: 2h
    replication: {target_site: DR-PHX, window: 30d}
    read_only_fallback: ws-main
    last_tested: 2026-04-18
  - system: router-main
    rpo: 5m
    rto: 30m
    last_tested: 2026-09-19
  - system: dose-main
    rpo: 24h
    rto: 24h
    replication: {target_site: DR-PHX, window: 30d}
    last_tested: 2025-11-28
"""


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `marker`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    return hits[nth - 1]


def run(
    write_env, *select, continuity=CONTINUITY, devices=DEVICES, sites=SITES, rules=None, today=TODAY
):
    root = write_env(
        {"sites.yaml": sites, "devices/core.yaml": devices, "continuity.yaml": continuity}
    )
    result = check([str(root)], Config(select=list(select), rules=rules or {}), today=today)
    assert result.load.findings == []
    return result.active


def brief(findings):
    return [(f.code, f.location.path.rsplit("/", 1)[-1], f.location.line) for f in findings]


def test_the_environment_is_clean(write_env):
    assert run(write_env, "DR") == []


def test_empty_environment_has_no_findings(write_env):
    root = write_env({"env.yaml": "imgpolicy: 1\n"})
    assert check([str(root)], Config(select=["DR"]), today=TODAY).active == []


# --- DR001 -------------------------------------------------------------------------------


def test_critical_system_without_plan_points_at_the_device(write_env):
    continuity = (
        CONTINUITY.split("  - system: ris-main")[0]
        + "  - system: router-main\n"
        + CONTINUITY.split("  - system: router-main\n")[1]
    )
    found = run(write_env, "DR001", continuity=continuity)
    assert brief(found) == [("DR001", "core.yaml", line_of(DEVICES, "name: ris-main"))]
    assert "'ris-main' (ris)" in found[0].message and "rpo and rto" in found[0].message
    assert found[0].entity == "device:ris-main"


def test_plan_without_rto_points_at_the_plan(write_env):
    continuity = CONTINUITY.replace("    rto: 30m\n", "")
    found = run(write_env, "DR001", continuity=continuity)
    assert brief(found) == [
        ("DR001", "continuity.yaml", line_of(CONTINUITY, "system: router-main"))
    ]
    assert "no rto" in found[0].message
    assert [r.location.line for r in found[0].related] == [line_of(DEVICES, "name: router-main")]


def test_critical_kinds_option(write_env):
    continuity = "imgpolicy: 1\ncontinuity: []\n"
    found = run(
        write_env,
        "DR001",
        continuity=continuity,
        rules={"DR001": {"critical_kinds": ["pacs", "vna"]}},
    )
    assert {f.entity for f in found} == {"device:pacs-main", "device:vna-main"}
    found = run(
        write_env,
        "DR001",
        continuity=continuity,
        rules={"DR001": {"critical_kinds": ["pacs", "vna", "ai"]}},
    )
    assert len(found) == 2  # no ai device in this environment
    default = run(write_env, "DR001", continuity=continuity)
    assert len(default) == 5


def test_unknown_critical_kind_is_a_config_error(write_env):
    with pytest.raises(ConfigError, match=r"critical_kinds.*'pac'"):
        run(write_env, "DR001", rules={"DR001": {"critical_kinds": ["pac"]}})


# --- DR002 -------------------------------------------------------------------------------


def test_replication_in_the_same_region_and_to_the_same_site(write_env):
    continuity = CONTINUITY.replace(
        "{target_site: DR-PHX, window: 90d}", "{target_site: NORTH, window: 90d}", 1
    )
    continuity = continuity.replace(
        "{target_site: DR-PHX, window: 30d}", "{target_site: MAIN, window: 30d}", 1
    )
    found = run(write_env, "DR002", continuity=continuity)
    assert brief(found) == [
        ("DR002", "continuity.yaml", line_of(CONTINUITY, "replication:", 1)),
        ("DR002", "continuity.yaml", line_of(CONTINUITY, "replication:", 3)),
    ]
    assert "NORTH, in the same region (us-west)" in found[0].message
    assert "its own site MAIN" in found[1].message
    assert found[0].related[0].location.path.endswith("sites.yaml")
    assert found[0].related[0].location.line == line_of(SITES, "name: MAIN")


def test_replication_to_an_unknown_site_is_dr006_not_dr002(write_env):
    continuity = CONTINUITY.replace(
        "target_site: DR-PHX, window: 90d", "target_site: DR-PHZ, window: 90d", 1
    )
    found = run(write_env, "DR002", "DR006", continuity=continuity)
    assert brief(found) == [("DR006", "continuity.yaml", line_of(CONTINUITY, "replication:"))]
    assert "did you mean 'DR-PHX'" in found[0].message


# --- DR003 -------------------------------------------------------------------------------


def test_short_window_and_its_option(write_env, tmp_path):
    continuity = CONTINUITY.replace("window: 30d}", "window: 7d}", 1)
    found = run(write_env, "DR003", continuity=continuity)
    assert brief(found) == [("DR003", "continuity.yaml", line_of(CONTINUITY, "window: 30d"))]
    assert "only the last 7d" in found[0].message and "at least 30d" in found[0].message
    relaxed = {"DR003": {"minimum_window": parse_duration("1w")}}
    assert run(write_env, "DR003", continuity=continuity, rules=relaxed) == []
    stricter = {"DR003": {"minimum_window": parse_duration("60d")}}
    assert len(run(write_env, "DR003", continuity=continuity, rules=stricter)) == 2


def test_options_from_a_config_file(write_env):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/core.yaml": DEVICES,
            "continuity.yaml": CONTINUITY.replace("window: 30d}", "window: 14d}"),
            ".imgpolicy.yaml": "rules:\n  DR003: {minimum_window: 14d}\n  DR004: {max_age: 6mo}\n",
        }
    )
    config = resolve_config(None, (str(root),))
    config.select = ["DR003", "DR004"]
    found = check([str(root)], config, today=TODAY).active
    # no DR003 with a 14-day minimum; every plan tested before 2026-05-28 is now stale
    assert {(f.code, f.entity) for f in found} == {
        ("DR004", "continuity:pacs-main"),
        ("DR004", "continuity:vna-main"),
        ("DR004", "continuity:ris-main"),
        ("DR004", "continuity:dose-main"),
    }


# --- DR004 -------------------------------------------------------------------------------


def test_exactly_twelve_months_is_still_fresh_one_day_more_is_stale(write_env):
    assert run(write_env, "DR004") == []  # dose-main was tested on 2025-11-28
    continuity = CONTINUITY.replace("last_tested: 2025-11-28", "last_tested: 2025-11-27")
    found = run(write_env, "DR004", continuity=continuity)
    assert brief(found) == [("DR004", "continuity.yaml", line_of(CONTINUITY, "2025-11-28"))]
    assert "2025-11-27, 366 days before 2026-11-28 (more than 12mo)" in found[0].message


def test_the_date_comes_from_the_check_not_the_clock(write_env):
    found = run(write_env, "DR004", today=date(2027, 5, 1))
    assert {f.entity for f in found} == {
        "continuity:pacs-main",
        "continuity:vna-main",
        "continuity:ris-main",
        "continuity:dose-main",
    }
    assert run(write_env, "DR004", today=date(2026, 9, 19)) == []


def test_never_tested_and_tested_in_the_future(write_env):
    continuity = CONTINUITY.replace("    last_tested: 2026-09-19\n", "")
    continuity = continuity.replace("last_tested: 2025-11-28", "last_tested: 2062-11-28")
    found = run(write_env, "DR004", continuity=continuity)
    assert brief(found) == [
        ("DR004", "continuity.yaml", line_of(CONTINUITY, "system: router-main")),
        ("DR004", "continuity.yaml", line_of(continuity, "2062-11-28")),
    ]
    assert "never been tested" in found[0].message
    assert "after today (2026-11-28)" in found[1].message


def test_max_age_option(write_env):
    rules = {"DR004": {"max_age": parse_duration("3mo")}}
    found = run(write_env, "DR004", rules=rules)
    assert {f.entity for f in found} == {
        "continuity:pacs-main",
        "continuity:vna-main",
        "continuity:ris-main",
        "continuity:dose-main",
    }


# --- DR005 -------------------------------------------------------------------------------


def test_pacs_without_fallback_and_fallbacks_that_are_no_viewer(write_env):
    continuity = CONTINUITY.replace("    read_only_fallback: viewer-dr\n", "", 1)
    continuity = continuity.replace(
        "read_only_fallback: viewer-dr", "read_only_fallback: Viewer-DR"
    )
    continuity = continuity.replace(
        "read_only_fallback: ws-main", "read_only_fallback: router-main"
    )
    found = run(write_env, "DR005", continuity=continuity)
    assert brief(found) == [
        ("DR005", "continuity.yaml", line_of(continuity, "system: pacs-main")),
        ("DR005", "continuity.yaml", line_of(continuity, "Viewer-DR")),
        ("DR005", "continuity.yaml", line_of(continuity, "router-main", 1)),
    ]
    assert all(f.severity.label == "warning" for f in found)
    assert "(pacs) names no read_only_fallback" in found[0].message
    assert "did you mean 'viewer-dr'" in found[1].message
    assert "is a router, not a viewer or workstation" in found[2].message
    assert found[2].related[0].location.line == line_of(DEVICES, "name: router-main")


def test_a_ris_plan_needs_no_fallback(write_env):
    continuity = CONTINUITY.replace("    read_only_fallback: ws-main\n", "")
    assert run(write_env, "DR005", continuity=continuity) == []


# --- DR006 -------------------------------------------------------------------------------


def test_plan_for_an_unknown_system(write_env):
    continuity = CONTINUITY.replace("system: vna-main", "system: VNA-MAIN").replace(
        "system: router-main", "system: old-router"
    )
    found = run(write_env, "DR", continuity=continuity)
    # the plans for unknown systems do not crash the other rules; vna-main and router-main
    # now have no plan (DR001)
    assert sorted(brief(found)) == sorted(
        [
            ("DR001", "core.yaml", line_of(DEVICES, "name: vna-main")),
            ("DR001", "core.yaml", line_of(DEVICES, "name: router-main")),
            ("DR006", "continuity.yaml", line_of(continuity, "system: VNA-MAIN")),
            ("DR006", "continuity.yaml", line_of(continuity, "system: old-router")),
        ]
    )
    unknown = [f for f in found if f.code == "DR006"]
    assert "did you mean 'vna-main'" in unknown[0].message
    assert "name an existing device" in unknown[1].message


def test_continuity_without_devices_or_sites_does_not_crash(write_env):
    root = write_env({"env.yaml": "imgpolicy: 1\n" + CONTINUITY.split("\n", 1)[1]})
    found = check([str(root)], Config(select=["DR"]), today=TODAY).active
    unknown = [f for f in found if f.code == "DR006"]
    assert len(unknown) == 9  # five unknown systems, four unknown replication sites
    fallbacks = [f for f in found if f.code == "DR005"]
    assert len(fallbacks) == 3 and all("is no device" in f.message for f in fallbacks)
    assert len(found) == 12


def test_an_enormous_max_age_does_not_crash(write_env):
    assert run(write_env, "DR004", rules={"DR004": {"max_age": parse_duration("5000y")}}) == []
