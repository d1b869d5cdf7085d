"""The capacity projection: pure arithmetic over tiers, lifecycle and volumes."""

from __future__ import annotations

import pytest

from imgpolicy.analysis.capacity import (
    Planner,
    Stay,
    annual_bytes,
    format_size,
    format_years,
    project,
)
from imgpolicy.model.storage import Lifecycle, Tier, Volume

TB = 10**12


def tier(name, capacity="1PB", used=None, device="vna"):
    data = {"name": name, "device": device, "tier": "hot", "capacity": capacity}
    if used:
        data["used"] = used
    return Tier.model_validate(data)


def volume(tier_name="hot", studies=10_000, size="1GB", growth="0%", site="MAIN", modality="CT"):
    # 10,000 studies x 1 GB = 10 TB a year
    return Volume.model_validate(
        {
            "site": site,
            "modality": modality,
            "tier": tier_name,
            "annual_studies": studies,
            "mean_study_size": size,
            "annual_growth": growth,
        }
    )


def lifecycle(name, tier_name, *steps, modality=None, site=None):
    data = {
        "name": name,
        "tier": tier_name,
        "steps": [
            {"after": after, "action": "purge"}
            if to is None
            else {"after": after, "action": "move", "to": to}
            for after, to in steps
        ],
    }
    if modality:
        data["modality"] = modality
    if site:
        data["site"] = site
    return Lifecycle.model_validate(data)


def tb(values):
    return [round(v / TB, 6) for v in values]


def test_without_lifecycle_everything_accumulates():
    [hot] = project([tier("hot", used="5TB")], [], [volume()], 4).values()
    assert tb(hot.held) == [15, 25, 35, 45]
    assert hot.start == 5 * TB and hot.full_at is None


def test_growth_compounds_from_the_first_projected_year():
    vol = volume(growth="10%")
    assert annual_bytes(vol, 1) == pytest.approx(11 * TB)
    assert annual_bytes(vol, 2) == pytest.approx(12.1 * TB)
    [hot] = project([tier("hot")], [], [vol], 3).values()
    assert tb(hot.held) == pytest.approx([11, 23.1, 36.41])


def test_negative_growth_never_goes_below_nothing():
    assert annual_bytes(volume(growth="-150%"), 2) == 0
    assert annual_bytes(volume(growth="-50%"), 1) == pytest.approx(5 * TB)


def test_full_at_is_exact_within_the_year():
    [hot] = project([tier("hot", capacity="25TB")], [], [volume()], 3).values()
    assert hot.full_at == pytest.approx(2.5)
    assert hot.fills_within(3) and not hot.fills_within(2)


def test_already_over_capacity_fills_today():
    [hot] = project([tier("hot", capacity="10TB", used="12TB")], [], [], 3).values()
    assert hot.full_at == 0.0
    assert format_years(hot.full_at) == "today"


def test_a_move_splits_the_content_between_tiers():
    tiers = [tier("hot"), tier("warm")]
    plan = [lifecycle("default", "hot", ("2y", "warm"))]
    result = project(tiers, plan, [volume()], 4)
    assert tb(result["hot"].held) == [10, 20, 20, 20]
    assert tb(result["warm"].held) == [0, 0, 10, 20]


def test_a_fractional_age_moves_part_of_a_year():
    tiers = [tier("hot"), tier("warm")]
    plan = [lifecycle("default", "hot", ("6mo", "warm"))]
    result = project(tiers, plan, [volume()], 2)
    assert tb(result["hot"].held) == pytest.approx([5, 5])
    assert tb(result["warm"].held) == pytest.approx([5, 15])


def test_a_purge_removes_the_studies():
    plan = [lifecycle("short", "hot", ("1y", None))]
    [hot] = project([tier("hot", capacity="9TB")], plan, [volume()], 3).values()
    assert tb(hot.held) == [10, 10, 10]
    assert hot.full_at == pytest.approx(0.9)


def test_steps_apply_by_age_whatever_their_order():
    tiers = [tier("hot"), tier("warm"), tier("cold")]
    plan = [lifecycle("odd", "hot", ("2y", "cold"), ("1y", "warm"))]
    result = project(tiers, plan, [volume()], 3)
    assert tb(result["hot"].held) == [10, 10, 10]
    assert tb(result["warm"].held) == [0, 10, 10]
    assert tb(result["cold"].held) == [0, 0, 10]


def test_the_most_specific_lifecycle_governs_a_volume():
    plan = [
        lifecycle("default", "hot", ("1y", "warm")),
        lifecycle("mammo", "hot", ("3y", "warm"), modality="MG"),
        lifecycle("mammo-ric", "hot", ("5y", "warm"), modality="MG", site="RIC"),
    ]
    planner = Planner(plan)
    assert planner.governing("hot", "MAIN", ["CT"]).name == "default"
    assert planner.governing("hot", "MAIN", ["MG"]).name == "mammo"
    assert planner.governing("hot", "RIC", ["MG"]).name == "mammo-ric"
    assert planner.governing("hot", "RIC", ["PT", "CT"]).name == "default"
    assert planner.governing("warm", "RIC", ["MG"]) is None


def test_a_tie_goes_to_the_first_declared():
    plan = [lifecycle("first", "hot", ("1y", "warm")), lifecycle("second", "hot", ("2y", "warm"))]
    assert Planner(plan).governing("hot", "MAIN", ["CT"]).name == "first"


def test_the_lifecycle_of_the_next_tier_takes_over():
    plan = [
        lifecycle("pacs", "pacs-hot", ("2y", "vna")),
        lifecycle("vna-ilm", "vna", ("5y", "deep"), ("30y", None)),
    ]
    path = Planner(plan).path("pacs-hot", "MAIN", ["CT"])
    assert path.stays == (
        Stay("pacs-hot", 0.0, 2.0),
        Stay("vna", 2.0, 5.0),
        Stay("deep", 5.0, 30.0),
    )
    assert [lc.name for lc in path.lifecycles] == ["pacs", "vna-ilm"]
    assert path.purged_by[0].name == "vna-ilm" and path.purged_by[1] == 1


def test_a_step_already_due_on_arrival_takes_effect_at_once():
    plan = [
        lifecycle("pacs", "pacs-hot", ("3y", "vna")),
        lifecycle("vna-ilm", "vna", ("1y", "deep")),
    ]
    path = Planner(plan).path("pacs-hot", "MAIN", ["CT"])
    assert path.stays == (Stay("pacs-hot", 0.0, 3.0), Stay("deep", 3.0, None))


def test_a_cycle_of_lifecycles_ends():
    plan = [lifecycle("a", "A", ("1y", "B")), lifecycle("b", "B", ("2y", "A"))]
    path = Planner(plan).path("A", "MAIN", ["CT"])
    assert path.stays == (Stay("A", 0.0, 1.0), Stay("B", 1.0, 2.0), Stay("A", 2.0, None))
    assert path.purged_by is None


def test_moves_to_undeclared_tiers_leave_the_projection():
    plan = [lifecycle("default", "hot", ("1y", "nowhere"))]
    result = project([tier("hot")], plan, [volume(), volume(tier_name="missing")], 3)
    assert list(result) == ["hot"]
    assert tb(result["hot"].held) == [10, 10, 10]


def test_several_volumes_add_up_and_order_is_kept():
    tiers = [tier("b-tier"), tier("a-tier")]
    vols = [
        volume("a-tier"),
        volume("a-tier", studies=5000, size="2GB", modality="MR"),
        volume("b-tier", studies=100, size="100MB"),
    ]
    result = project(tiers, [], vols, 2)
    assert list(result) == ["b-tier", "a-tier"]
    assert tb(result["a-tier"].held) == [20, 40]
    assert tb(result["b-tier"].held) == [0.01, 0.02]


def test_the_projection_is_deterministic():
    tiers = [tier("hot", "40TB"), tier("warm")]
    plan = [lifecycle("default", "hot", ("18mo", "warm"), ("7y", None))]
    vols = [volume(growth="7%"), volume(studies=3000, growth="12%", modality="MG")]
    first = project(tiers, plan, vols, 5)
    assert first == project(tiers, plan, vols, 5)
    assert first["hot"].full_at == project(tiers, plan, vols, 5)["hot"].full_at


def test_empty_storage_projects_nothing():
    assert project([], [], [], 3) == {}
    [hot] = project([tier("hot")], [], [], 0).values()  # at least one year
    assert hot.held == (0.0,)


def test_sizes_read_like_the_files():
    assert format_size(1.2e15) == "1.2PB"
    assert format_size(380e12) == "380TB"
    assert format_size(250e6) == "250MB"
    assert format_size(999) == "999B"
    assert format_years(2.4) == "year 3 (2.4 years from now)"
    assert format_years(3.0) == "year 3 (3.0 years from now)"


def test_absurd_growth_saturates_instead_of_overflowing():
    """D9: 10**16-fold growth a year for 30 years overflows a float; the projection says
    the tier is full in year 1 instead of raising OverflowError."""
    from imgpolicy.analysis.capacity import MAX_BYTES

    absurd = volume(growth="999999999999999999%")
    assert annual_bytes(absurd, 30) == MAX_BYTES
    projected = project([tier("hot")], [], [absurd], 30)["hot"]
    assert projected.full_at is not None and projected.full_at < 1
    assert format_size(projected.held[-1]) == "over 1000EB"


def test_ordinary_growth_is_not_saturated():
    assert annual_bytes(volume(growth="6%"), 30) == pytest.approx(10 * TB * 1.06**30)
    assert format_size(999e18) == "999000PB"
