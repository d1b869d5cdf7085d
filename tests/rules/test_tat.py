"""Turnaround rules on a realistic multi-file environment, with file:line asserted."""

from __future__ import annotations

from datetime import date

from imgpolicy.config import Config
from imgpolicy.engine import check

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: RIC, jurisdiction: US-CA, region: us-west}
"""

DEVICES = """\
imgpolicy: 1
devices:
  - {name: ct-main-1, site: MAIN, kind: modality, modality: CT}
  - {name: ct-main-2, site: MAIN, kind: modality, modality: CT}
  - {name: pt-ric-1, site: RIC, kind: modality, modality: [PT, CT]}
  - {name: mg-ric-1, site: RIC, kind: modality, modality: MG}
  - {name: us-main-1, site: MAIN, kind: modality, modality: US}
  - {name: pacs-main, site: MAIN, kind: pacs, modality: XA}
  - {name: ws-main, site: MAIN, kind: workstation, modality: OT}
"""

READING = """\
imgpolicy: 1
reading:
  turnaround:
    - {priority: stat, modality: [CT, MR, US], target: 30m}
    - {priority: urgent, modality: [CT, MR, US], target: 2h}
    - {priority: routine, modality: [CT, MR, US], target: 24h}
    - {priority: screening, modality: CT, target: 72h}
    - {priority: stat, modality: [NM, PT], target: 60m}
    - {priority: urgent, modality: [NM, PT], target: 4h}
    - {priority: routine, modality: [NM, PT], target: 48h}
    - {priority: stat, modality: MG, target: 60m}
    - {priority: urgent, modality: MG, target: 4h}
    - {priority: routine, modality: MG, target: 24h}
    - {priority: screening, modality: MG, target: 24h}
"""


def line_of(text: str, marker: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    return hits[nth - 1]


def run(write_env, *select, reading=READING, devices=DEVICES):
    root = write_env({"sites.yaml": SITES, "devices.yaml": devices, "policy/reading.yaml": reading})
    result = check([str(root)], Config(select=list(select)), today=TODAY)
    assert result.load.findings == []
    return result.active


def brief(findings):
    return [(f.code, f.location.path.rsplit("/", 1)[-1], f.location.line) for f in findings]


def test_the_environment_is_clean(write_env):
    # routine == screening is allowed (MG), every modality in use has stat targets
    assert run(write_env, "TAT") == []


def test_empty_environment_has_no_findings(write_env):
    root = write_env({"env.yaml": "imgpolicy: 1\n"})
    assert check([str(root)], Config(select=["TAT"]), today=TODAY).active == []


# --- TAT001 ------------------------------------------------------------------------------


def test_stat_slower_than_urgent_is_one_finding_for_a_shared_entry(write_env):
    reading = READING.replace(
        "modality: [CT, MR, US], target: 30m", "modality: [CT, MR, US], target: 4h"
    )
    found = run(write_env, "TAT001", reading=reading)
    assert brief(found) == [("TAT001", "reading.yaml", line_of(READING, "target: 30m"))]
    message = found[0].message
    assert message.startswith(
        "CT/MR/US: the stat turnaround target 4h is longer than the urgent target 2h"
    )
    assert [r.location.line for r in found[0].related] == [line_of(READING, "target: 2h")]


def test_equal_targets_are_out_of_order_except_routine_and_screening(write_env):
    reading = READING.replace("modality: [NM, PT], target: 4h", "modality: [NM, PT], target: 48h")
    found = run(write_env, "TAT001", reading=reading)
    assert brief(found) == [("TAT001", "reading.yaml", line_of(READING, "target: 4h"))]
    assert (
        "NM/PT: the urgent turnaround target 48h is equal to the routine target 48h"
        in found[0].message
    )


def test_screening_faster_than_routine(write_env):
    reading = READING.replace("modality: CT, target: 72h", "modality: CT, target: 12h")
    found = run(write_env, "TAT001", reading=reading)
    assert brief(found) == [("TAT001", "reading.yaml", line_of(READING, "target: 24h"))]
    assert found[0].message.startswith(
        "CT: the routine turnaround target 24h is longer than the screening target 12h"
    )


def test_missing_priorities_compare_the_ones_present(write_env):
    reading = READING.replace("    - {priority: urgent, modality: MG, target: 4h}\n", "")
    reading = reading.replace(
        "{priority: stat, modality: MG, target: 60m}", "{priority: stat, modality: MG, target: 1d}"
    )
    found = run(write_env, "TAT001", reading=reading)
    assert [f.message.split(":")[0] for f in found] == ["MG"]
    assert "stat turnaround target 1d is equal to the routine target 24h" in found[0].message


def test_a_site_target_overrides_the_general_one_for_that_site(write_env):
    reading = (
        READING + "    - {priority: stat, modality: MG, site: RIC, target: 12h}\n"
        "    - {priority: routine, modality: CT, site: RIC, target: 1h}\n"
    )
    found = run(write_env, "TAT001", reading=reading)
    assert brief(found) == [
        ("TAT001", "reading.yaml", line_of(READING, "modality: [CT, MR, US], target: 2h")),
        ("TAT001", "reading.yaml", line_of(reading, "site: RIC, target: 12h")),
    ]
    assert found[0].message.startswith("CT at RIC: the urgent turnaround target 2h")
    assert "the routine target 1h" in found[0].message
    assert found[1].message.startswith(
        "MG at RIC: the stat turnaround target 12h is longer than the urgent target 4h"
    )


def test_two_different_targets_for_one_priority(write_env):
    reading = READING + "    - {priority: stat, modality: US, target: 1h}\n"
    found = run(write_env, "TAT001", reading=reading)
    assert brief(found) == [("TAT001", "reading.yaml", len(reading.splitlines()))]
    assert found[0].message == ("US has two stat turnaround targets (30m and 1h): keep one")
    assert found[0].related[0].location.line == line_of(READING, "target: 30m")


def test_iso_durations_compare_by_length(write_env):
    reading = READING.replace("target: 30m", "target: PT30M").replace("target: 2h", "target: PT2H")
    assert run(write_env, "TAT001", reading=reading) == []


# --- TAT002 ------------------------------------------------------------------------------


def test_modality_without_targets_is_reported_once_at_the_first_device(write_env):
    devices = (
        DEVICES + "  - {name: dx-main-1, site: MAIN, kind: modality, modality: DX}\n"
        "  - {name: dx-main-2, site: MAIN, kind: modality, modality: DX}\n"
    )
    found = run(write_env, "TAT002", devices=devices)
    assert brief(found) == [("TAT002", "devices.yaml", line_of(devices, "dx-main-1"))]
    assert found[0].message.startswith("DX, used by 'dx-main-1', has no report turnaround target")
    assert found[0].severity.label == "warning"


def test_modality_without_stat_target(write_env):
    """PET is never read stat by default (option no_stat_modalities); without it, it is
    reported like any other modality."""
    reading = READING.replace("    - {priority: stat, modality: [NM, PT], target: 60m}\n", "")
    assert run(write_env, "TAT002", reading=reading) == []
    root = write_env({"sites.yaml": SITES, "devices.yaml": DEVICES, "policy/reading.yaml": reading})
    config = Config(select=["TAT002"], rules={"TAT002": {"no_stat_modalities": ["BMD"]}})
    found = check([str(root)], config, today=TODAY).active
    assert brief(found) == [("TAT002", "devices.yaml", line_of(DEVICES, "pt-ric-1"))]
    assert found[0].message.startswith(
        "PT, used by 'pt-ric-1', has turnaround targets but none for stat"
    )
    # located at PT inside [PT, CT]
    line = DEVICES.splitlines()[line_of(DEVICES, "pt-ric-1") - 1]
    assert found[0].location.column == line.index("PT,") + 1


def test_no_reading_section_at_all(write_env):
    root = write_env({"sites.yaml": SITES, "devices.yaml": DEVICES})
    found = check([str(root)], Config(select=["TAT"]), today=TODAY).active
    # CT, PT, MG, US: the pacs and the workstation are no acquisition devices
    assert [f.entity for f in found] == ["modality:CT", "modality:PT", "modality:MG", "modality:US"]


def test_targets_without_devices_do_not_crash(write_env):
    root = write_env({"reading.yaml": READING})
    assert check([str(root)], Config(select=["TAT"]), today=TODAY).active == []
