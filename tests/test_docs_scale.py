"""`imgpolicy docs` on a big estate: every analysis the documents make grows linearly
(issue 15).

No clocks: the work is counted (origins walked, AEs listed) on the benchmark generator's
environment at two sizes, four times apart, the way tests/test_scaling.py does for the
rules. The failure-impact table is checked against `check --down` on both.
"""

from __future__ import annotations

import datetime

import pytest

from imgpolicy.analysis import continuity, outage
from imgpolicy.analysis.index import Index
from imgpolicy.analysis.reach import Reach
from imgpolicy.config import Config
from imgpolicy.docs import render as render_module
from imgpolicy.engine import check
from imgpolicy.load import load_environment
from imgpolicy.model.environment import Environment

from .conftest import benchmark

TODAY = datetime.date(2026, 11, 1)
SIZES = {1: dict(sites=4, aes=200, routes=800), 4: dict(sites=4, aes=800, routes=3200)}
"""The same sites, four times the AEs and routes: a site's router gets four times the
rules (one per modality), as a growing hospital's does."""
CRITICAL = ("pacs", "vna", "ris", "router", "dose-monitor")


@pytest.fixture(scope="module")
def estates(tmp_path_factory):
    generator = benchmark("generate")
    loads = {}
    for scale, size in SIZES.items():
        folder = tmp_path_factory.mktemp(f"docs{scale}x")
        generator.generate(str(folder), **size)
        loads[scale] = load_environment([str(folder)])
        loads[scale].folder = str(folder)
        assert not loads[scale].findings
    return loads


def _critical(index: Index) -> list[str]:
    return [d.name for d in continuity.critical_systems(index.env, CRITICAL)]


def test_failure_impact_counts_what_check_down_lists(estates):
    """Each row of the table is `check --down SYSTEM` counted: the same flows stop or
    lose a destination, for the same purposes, and the same sites lose the same things
    (the table no longer carries every AE's title, only how many)."""
    for load in estates.values():
        index = Index(load, TODAY)
        systems = _critical(index)
        rows = outage.failure_impact(index, systems)
        assert [r["system"] for r in rows] == systems
        for row in rows:
            what_if = outage.outage(index, [row["system"]])
            assert row["stops"] == sum(f.stops for f in what_if.flows)
            assert row["loses"] == sum(not f.stops for f in what_if.flows)
            assert row["purposes"] == sorted({p for f in what_if.flows for p, _ in f.lost})
            assert row["sites"] == {s: sorted(lost) for s, lost in sorted(what_if.sites.items())}
        assert any(r["stops"] for r in rows) and any(r["loses"] for r in rows)


def test_an_outage_looks_only_at_the_origins_that_reached_the_down_system(estates, monkeypatch):
    """With a RIS down (a worklist provider no study goes to) no origin's reach is asked
    for at all, and the AEs of the estate are listed once per check, not twice per
    critical system of the table."""
    asked = {"n": 0}
    real_reached = Reach.reached

    def counting_reached(self, origin):
        asked["n"] += 1
        return real_reached(self, origin)

    listed = {1: 0, 4: 0}
    real_listing = Environment.application_entities
    for scale, load in estates.items():
        index = Index(load, TODAY)
        Reach.of(index).origins_reaching(frozenset())  # the check's own walks, done
        monkeypatch.setattr(Reach, "reached", counting_reached)
        ris = outage.outage(index, ["ris-s01"])
        monkeypatch.setattr(Reach, "reached", real_reached)
        assert asked["n"] == 0 and ris.sites["S01"]["worklist"], (scale, asked)

        def counting(self, scale=scale):
            listed[scale] += 1
            return real_listing(self)

        monkeypatch.setattr(Environment, "application_entities", counting)
        outage.failure_impact(index, _critical(index))
        monkeypatch.setattr(Environment, "application_entities", real_listing)
    assert listed[1] <= 2 and listed[4] <= 2, listed


def test_study_paths_walk_once_per_kind_of_origin_not_per_modality(estates, monkeypatch):
    """The study-paths table: modalities named by "their own" rule of a site's router
    (one rule per modality) take the same paths, so the walks grow with the kinds of
    modality per site, not with the modalities (before: one walk per modality), and the
    table is the one a walk per modality gives."""
    real = render_module.origin_paths
    walks = {}
    for scale, load in estates.items():
        result = check((load.folder,), Config(), today=TODAY)
        count = {"n": 0}

        def counting(*args, count=count, **kwargs):
            count["n"] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(render_module, "origin_paths", counting)
        table = render_module._Builder(result, load.folder, TODAY, Config()).paths()
        monkeypatch.setattr(render_module, "origin_paths", real)
        walks[scale] = count["n"]
        origins = sum(len(r["origins"]) for r in table["rows"])
        assert walks[scale] * 4 < origins, (scale, walks[scale], origins)
        # one walk per modality (no two origins share a key) gives the same table
        monkeypatch.setattr(render_module._Naming, "shape", lambda self, title: title)
        alone = render_module._Builder(result, load.folder, TODAY, Config()).paths()
        monkeypatch.undo()
        assert alone == table
    assert walks[4] < walks[1] * 2.5, walks  # four times the modalities: well under 4x
