"""Storage rules on a realistic multi-file environment, with file:line asserted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.model.types import parse_duration

TODAY = date(2026, 11, 28)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "regional-health"

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: NORTH, jurisdiction: US-NV, region: us-west}
"""

DEVICES = """\
imgpolicy: 1
devices:
  - {name: vna, site: MAIN, kind: vna}
  - {name: pacs, site: MAIN, kind: pacs}
"""

# CT 20,000 x 500 MB = 10 TB a year at MAIN, MG 5,000 x 2 GB = 10 TB a year at NORTH
STORAGE = """\
imgpolicy: 1
storage:
  tiers:
    - {name: pacs-cache, device: pacs, tier: hot, capacity: 50TB, used: 10TB}
    - name: vna-hot
      device: vna
      tier: hot
      capacity: 70TB
      used: 15TB
      high_water: 100%  # these tests measure against the full capacity
    - {name: vna-warm, device: vna, tier: warm, capacity: 500TB}
  lifecycle:
    - name: vna-default
      tier: vna-hot
      steps:
        - {after: 3y, action: move, to: vna-warm}
        - {after: 20y, action: purge}
    - name: vna-mammo
      tier: vna-hot
      modality: MG
      steps:
        - {after: 2y, action: move, to: vna-warm}
  volumes:
    - {site: MAIN, modality: CT, tier: vna-hot, annual_studies: 20000, mean_study_size: 500MB, annual_growth: 0%}
    - {site: NORTH, modality: MG, tier: vna-hot, annual_studies: 5000, mean_study_size: 2GB, annual_growth: 0%}
"""


def run(write_env, *select, storage=STORAGE, rules=None):
    root = write_env({"sites.yaml": SITES, "devices.yaml": DEVICES, "storage/plan.yaml": storage})
    result = check([str(root)], Config(select=list(select), rules=rules or {}), today=TODAY)
    assert result.load.findings == []
    return [
        (f.code, f.location.path.rsplit("/", 1)[-1], f.location.line, f.message)
        for f in result.active
    ]


def where(found):
    return [(c, f, line) for c, f, line, _ in found]


def test_the_plan_fits_its_tiers(write_env):
    # vna-hot: 15 TB + CT 3 years (30) + MG 2 years (20) = 65 TB at the most
    assert run(write_env, "ST") == []


def test_a_tier_that_fills_is_reported_at_its_capacity(write_env):
    storage = STORAGE.replace("capacity: 70TB", "capacity: 60TB")
    found = run(write_env, "ST001", storage=storage)
    assert where(found) == [("ST001", "plan.yaml", 8)]
    message = found[0][3]
    # 15 + 20 t until year 2 (55 TB), then 10 TB a year more: 60 TB at t = 2.5
    assert "'vna-hot' (60TB on vna) fills in year 3 (2.5 years from now)" in message
    assert "project 65TB by the end of year 3" in message


def test_the_horizon_option(write_env):
    storage = STORAGE.replace("capacity: 70TB", "capacity: 60TB")
    assert (
        run(write_env, "ST001", storage=storage, rules={"ST001": {"horizon": parse_duration("2y")}})
        == []
    )
    # vna-warm: MG from age 2y, CT from age 3y: 30 TB at t = 4, 50 TB at t = 5
    storage = STORAGE.replace("capacity: 500TB", "capacity: 40TB")
    assert run(write_env, "ST001", storage=storage) == []
    found = run(
        write_env, "ST001", storage=storage, rules={"ST001": {"horizon": parse_duration("5y")}}
    )
    assert where(found) == [("ST001", "plan.yaml", 11)]
    assert "fills in year 5 (4.5 years from now)" in found[0][3]
    assert "project 50TB by the end of year 5" in found[0][3] and "5y horizon" in found[0][3]


def test_a_tier_already_over_capacity(write_env):
    storage = STORAGE.replace("capacity: 50TB, used: 10TB", "capacity: 50TB, used: 51TB")
    found = run(write_env, "ST001", storage=storage)
    assert where(found) == [("ST001", "plan.yaml", 4)]
    assert "'pacs-cache' (50TB on pacs) is over capacity already" in found[0][3]


def test_steps_out_of_order_after_a_purge_and_to_the_same_tier(write_env):
    storage = STORAGE.replace(
        "        - {after: 3y, action: move, to: vna-warm}\n"
        "        - {after: 20y, action: purge}\n",
        "        - {after: 3y, action: move, to: vna-hot}\n"
        "        - {after: 3y, action: move, to: vna-warm}\n"
        "        - {after: 20y, action: purge}\n"
        "        - {after: 25y, action: move, to: vna-warm}\n",
    )
    found = run(write_env, "ST002", storage=storage)
    assert where(found) == [
        ("ST002", "plan.yaml", 16),
        ("ST002", "plan.yaml", 17),
        ("ST002", "plan.yaml", 19),
    ]
    assert "'vna-hot', the tier they are already on" in found[0][3]
    assert "step 2 (move after 3y) is not later than the step before it" in found[1][3]
    assert "comes after the purge at 20y" in found[2][3]


def test_a_second_move_to_the_tier_of_the_first_is_no_move(write_env):
    storage = STORAGE.replace(
        "        - {after: 2y, action: move, to: vna-warm}\n",
        "        - {after: 2y, action: move, to: vna-warm}\n"
        "        - {after: 5y, action: move, to: vna-warm}\n",
    )
    found = run(write_env, "ST002", storage=storage)
    assert where(found) == [("ST002", "plan.yaml", 23)]


def test_unknown_references_are_reported_and_crash_nothing(write_env):
    storage = (
        STORAGE.replace("device: pacs,", "device: pcas,")
        .replace("to: vna-warm}\n        - {after: 20y", "to: vna-wram}\n        - {after: 20y")
        .replace("      modality: MG\n", "      modality: MG\n      site: SOUTH\n")
        .replace(
            "{site: NORTH, modality: MG, tier: vna-hot",
            "{site: NROTH, modality: MG, tier: vna-cool",
        )
    )
    found = run(write_env, "ST", "RET", storage=storage)
    assert where(found) == [
        ("ST003", "plan.yaml", 4),
        ("ST003", "plan.yaml", 16),
        ("ST003", "plan.yaml", 21),
        ("ST003", "plan.yaml", 26),
        ("ST003", "plan.yaml", 26),
    ]
    messages = [m for *_, m in found]
    assert "device 'pcas', which is not declared (did you mean 'pacs'?)" in messages[0]
    assert "moves studies to tier 'vna-wram'" in messages[1] and "'vna-warm'?" in messages[1]
    assert "names site 'SOUTH'" in messages[2]
    assert {m.split(" names ")[0].split(" lands ")[0] for m in messages[3:]} == {"volume NROTH/MG"}


def test_an_empty_environment_and_one_without_storage(write_env):
    root = write_env({"sites.yaml": SITES})
    assert check([str(root)], Config(select=["ST"]), today=TODAY).active == []
    assert run(write_env, "ST", storage="imgpolicy: 1\nstorage: {}\n") == []


def test_the_regional_example_is_clean():
    assert check([str(EXAMPLE)], Config(select=["ST"]), today=TODAY).active == []
