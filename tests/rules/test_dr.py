"""Continuity rules on a realistic multi-file environment, with file:line asserted."""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy.config import Config, ConfigError, resolve_config
from imgpolicy.engine import check
from imgpolicy.findings import Severity
from imgpolicy.model.types import parse_duration
from imgpolicy.rules.dr import CriticalSystemWithoutObjectives

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
integrations:
  - {name: dr-viewer-pacs, kind: dicomweb, source: viewer-dr, target: pacs-main, endpoint: "https://pacs.example.org/dicom-web"}
  - {name: dr-viewer-vna, kind: dicomweb, source: viewer-dr, target: vna-main, endpoint: "https://vna.example.org/dicom-web"}
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
    replication: {target_site: DR-PHX, scope: full}
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
    assert "is a router, not a viewer, workstation, pacs or vna" in found[2].message
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
    # the plans for unknown systems do not crash the other rules; router-main now has no
    # plan (DR001); vna-main's plan is only misspelt: DR006 says so, and DR001 does not
    # report the consequence as a second problem
    assert sorted(brief(found)) == sorted(
        [
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
    assert run(write_env, "DR004", rules={"DR004": {"max_age": parse_duration("100y")}}) == []
    with pytest.raises(ConfigError, match=r"rules\.DR004\.max_age: 5000y is out of range"):
        run(write_env, "DR004", rules={"DR004": {"max_age": parse_duration("5000y")}})


# --- slice 4: full copies, test outcomes, fallbacks that work (issue 11) -------------------


def test_dose_monitor_without_plan_is_a_warning_unless_the_user_sets_the_severity(write_env):
    continuity = CONTINUITY.split("  - system: dose-main")[0]
    [finding] = run(write_env, "DR001", continuity=continuity)
    assert finding.entity == "device:dose-main" and finding.severity.label == "warning"
    assert "45 CFR 164.308(a)(7)" in (CriticalSystemWithoutObjectives.__doc__ or "")
    [finding] = run(
        write_env, "DR001", continuity=continuity, rules={"DR001": {"severity": Severity.ERROR}}
    )
    assert finding.severity.label == "error"
    no_ris = CONTINUITY.split("  - system: ris-main")[0]
    found = run(write_env, "DR001", continuity=no_ris)
    assert {(f.entity, f.severity.label) for f in found} >= {("device:ris-main", "error")}


def test_archive_of_record_needs_a_full_second_copy(write_env):
    window = CONTINUITY.replace(
        "{target_site: DR-PHX, scope: full}", "{target_site: DR-PHX, window: 30d}"
    )
    [finding] = run(write_env, "DR007", continuity=window)
    assert brief([finding]) == [("DR007", "continuity.yaml", line_of(window, "replication:", 2))]
    assert "replicates only the last 30d to DR-PHX" in finding.message
    # a short window on the archive is DR007's, not DR003's
    short = window.replace(
        "{target_site: DR-PHX, window: 30d}", "{target_site: DR-PHX, window: 7d}", 2
    )
    assert {f.entity for f in run(write_env, "DR003", continuity=short)} == {"continuity:ris-main"}
    # a backup is a full second copy too
    backed_up = window.replace(
        "    rto: 8h\n",
        "    rto: 8h\n    backups:\n      - {to_site: DR-PHX, every: 1d, immutable: true}\n",
    )
    assert run(write_env, "DR007", continuity=backed_up) == []
    # a full copy at the archive's own site is no second copy
    same_site = CONTINUITY.replace(
        "{target_site: DR-PHX, scope: full}", "{target_site: MAIN, scope: full}"
    )
    assert len(run(write_env, "DR007", continuity=same_site)) == 1
    # no plan at all: at the device
    no_plan = CONTINUITY.replace("system: vna-main", "system: ws-main")
    [finding] = run(write_env, "DR007", continuity=no_plan)
    assert brief([finding]) == [("DR007", "core.yaml", line_of(DEVICES, "name: vna-main"))]


def test_a_pacs_flagged_as_archive_of_record_needs_a_full_copy(write_env):
    devices = DEVICES.replace("    kind: pacs\n", "    kind: pacs\n    archive_of_record: true\n")
    found = run(write_env, "DR007", devices=devices)
    assert [f.entity for f in found] == ["continuity:pacs-main"]
    assert "only the last 90d" in found[0].message


def test_window_replication_needs_its_window():
    from imgpolicy.model.continuity import Replication

    with pytest.raises(ValueError, match="give 'window'"):
        Replication.model_validate({"target_site": "DR"})
    assert Replication.model_validate({"target_site": "DR", "scope": "full"}).window is None


def test_a_failed_recovery_test_is_a_finding(write_env):
    continuity = CONTINUITY.replace(
        "last_tested: 2026-09-19",
        "last_test: {date: 2026-09-19, outcome: failed, scope: failover}",
    )
    [finding] = run(write_env, "DR004", continuity=continuity)
    assert brief([finding]) == [
        ("DR004", "continuity.yaml", line_of(continuity, "outcome: failed"))
    ]
    assert "router-main" in finding.message and "failed" in finding.message
    passed = continuity.replace("outcome: failed", "outcome: passed")
    assert run(write_env, "DR004", continuity=passed) == []
    # last_test's date counts like last_tested: a stale one is stale
    stale = passed.replace("date: 2026-09-19", "date: 2025-01-02")
    [finding] = run(write_env, "DR004", continuity=stale)
    assert "2025-01-02" in finding.message


def test_last_test_and_last_tested_together_are_refused(write_env):
    continuity = CONTINUITY.replace(
        "last_tested: 2026-09-19",
        "last_tested: 2026-09-19\n    last_test: {date: 2026-09-19, outcome: passed}",
    )
    root = write_env(
        {"sites.yaml": SITES, "devices/core.yaml": DEVICES, "continuity.yaml": continuity}
    )
    result = check([str(root)], Config(select=["DR"]), today=TODAY)
    [error] = result.load.findings
    assert error.code.startswith("SCHEMA") and "not both" in error.message
    assert error.location.path.endswith("continuity.yaml")


def test_a_dr_pacs_at_another_site_is_a_fallback(write_env):
    devices = DEVICES + (
        "  - {name: pacs-dr, site: DR-PHX, kind: pacs}\n"
        "  - {name: pacs-north, site: MAIN, kind: pacs}\n"
    ).replace("  - {", "  - {", 1)
    devices = devices.replace(
        "integrations:\n",
        "integrations:\n"
        '  - {name: dr-pacs-vna, kind: dicomweb, source: pacs-dr, target: vna-main, endpoint: "https://vna.example.org/dicom-web"}\n',
    )
    # pacs-dr is listed after the integrations: move the two devices into the devices list
    devices = devices.replace(
        "  - {name: pacs-dr, site: DR-PHX, kind: pacs}\n  - {name: pacs-north, site: MAIN, kind: pacs}\n",
        "",
    ).replace(
        "integrations:\n",
        "  - {name: pacs-dr, site: DR-PHX, kind: pacs}\n"
        "  - {name: pacs-local, site: MAIN, kind: pacs}\nintegrations:\n",
    )
    continuity = CONTINUITY.replace(
        "read_only_fallback: viewer-dr", "read_only_fallback: pacs-dr", 1
    )
    continuity += "  - {system: pacs-local, rpo: 15m, rto: 4h, read_only_fallback: viewer-dr, last_tested: 2026-04-18}\n"
    assert run(write_env, "DR005", continuity=continuity, devices=devices) == []
    # a second PACS at the system's own site goes down with the site
    same = continuity.replace("read_only_fallback: pacs-dr", "read_only_fallback: pacs-local", 1)
    [finding] = run(write_env, "DR005", continuity=same, devices=devices)
    assert "at the system's own site (MAIN)" in finding.message
    assert finding.entity == "continuity:pacs-main"


def test_a_fallback_with_no_data_path_or_the_system_itself(write_env):
    devices = DEVICES.split("integrations:\n")[0] + (
        "integrations:\n"
        '  - {name: dr-viewer-pacs, kind: dicomweb, source: viewer-dr, target: pacs-main, endpoint: "https://pacs.example.org/dicom-web"}\n'
    )
    found = run(write_env, "DR005", devices=devices)
    # reading only from pacs-main is a path for the VNA's plan, none for the PACS's own
    assert [f.entity for f in found] == ["continuity:pacs-main"]
    assert "no data path of its own" in found[0].message
    itself = CONTINUITY.replace("read_only_fallback: viewer-dr", "read_only_fallback: pacs-main", 1)
    [finding] = run(write_env, "DR005", continuity=itself)
    assert "is the system itself" in finding.message


def test_a_route_that_stores_copies_is_a_data_path(write_env):
    devices = DEVICES.split("integrations:\n")[0].replace(
        "  - name: viewer-dr\n    site: DR-PHX\n    kind: viewer\n",
        "  - name: viewer-dr\n    site: DR-PHX\n    kind: viewer\n"
        "    application_entities: [{ae_title: VIEWER_DR}]\n"
        "  - name: pacs-ae\n    site: MAIN\n    kind: other\n"
        "    application_entities: [{ae_title: PACS_MAIN}]\n",
    )
    routes = "imgpolicy: 1\nroutes:\n  - {name: copies, from: PACS_MAIN, to: VIEWER_DR, purpose: forward}\n"
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/core.yaml": devices,
            "continuity.yaml": CONTINUITY,
            "routes.yaml": routes,
        }
    )
    result = check([str(root)], Config(select=["DR005"]), today=TODAY)
    assert result.active == []


def test_backup_to_an_unknown_site(write_env):
    continuity = CONTINUITY.replace(
        "    replication: {target_site: DR-PHX, scope: full}\n",
        "    replication: {target_site: DR-PHX, scope: full}\n"
        "    backups:\n      - {to_site: DR-PHK, every: 1d}\n",
    )
    [finding] = run(write_env, "DR006", continuity=continuity)
    assert brief([finding]) == [("DR006", "continuity.yaml", line_of(continuity, "DR-PHK"))]
    assert "did you mean 'DR-PHX'" in finding.message


def test_a_teleradiology_providers_own_systems_need_no_plan_of_ours(write_env):
    """The nighthawk provider's PACS runs under the provider's continuity plan; a PACS of
    ours at a site of ours still needs one."""
    sites = """imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: NWR, jurisdiction: US-AZ, region: us-southwest, teleradiology: true}
"""
    devices = """imgpolicy: 1
devices:
  - {name: tele-pacs, site: NWR, kind: pacs}
  - {name: pacs-main, site: MAIN, kind: pacs}
"""
    found = run(write_env, "DR001", sites=sites, devices=devices, continuity="imgpolicy: 1\n")
    assert [f.entity for f in found] == ["device:pacs-main"]
