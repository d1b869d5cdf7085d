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

from .conftest import generated

TODAY = datetime.date(2026, 11, 1)
SIZES = {1: dict(sites=4, aes=200, routes=800), 4: dict(sites=4, aes=800, routes=3200)}
"""The same sites, four times the AEs and routes: a site's router gets four times the
rules (one per modality), as a growing hospital's does."""
CRITICAL = ("pacs", "vna", "ris", "router", "dose-monitor")


@pytest.fixture(scope="module")
def estates(tmp_path_factory):
    loads = {}
    for scale, size in SIZES.items():
        folder = generated(tmp_path_factory, f"docs{scale}x", **size)
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


GROWING = {1: dict(sites=4, aes=400, routes=1600), 2: dict(sites=8, aes=800, routes=3200)}
"""Twice the sites, each as big: one outage per critical system of a site, each reaching
origins at every site, is where the documents grew with systems x AEs."""


@pytest.fixture(scope="module")
def growing(tmp_path_factory):
    folders = {}
    for scale, size in GROWING.items():
        folders[scale] = str(generated(tmp_path_factory, f"grow{scale}x", **size))
    return folders


def test_failure_impact_judges_classes_of_alike_aes_not_every_ae(estates, monkeypatch):
    """The failure-impact table asks an outage's reach about one AE of each class of AEs
    that any outage treats alike (a site's modalities of a kind, named by their own rule
    of the router), not about every AE once per critical system: four times the
    modalities per site, about as many questions (four times as many before), and the
    counts are still `check --down`'s, AE by AE (the test above)."""
    asked = {}
    counted = {}
    real_reached = Reach.reached
    for scale, load in estates.items():
        index = Index(load, TODAY)
        Reach.of(index).origins_reaching(frozenset())  # the check's own walks, done
        count = {"n": 0}

        def counting(self, origin, count=count):
            if self._base is not None:  # a question to an outage's reach
                count["n"] += 1
            return real_reached(self, origin)

        monkeypatch.setattr(Reach, "reached", counting)
        rows = outage.failure_impact(index, _critical(index))
        monkeypatch.setattr(Reach, "reached", real_reached)
        asked[scale] = count["n"]
        counted[scale] = sum(r["stops"] + r["loses"] for r in rows)
    assert counted[4] > counted[1] * 3, counted  # the flows the table counts: 4x
    assert 0 < asked[4] < asked[1] * 1.5, asked


def test_study_paths_work_out_each_walks_destinations_once(estates, monkeypatch):
    """The study-paths table follows the chains to the archive, AI, teleradiology and
    dose monitor once per walk, not once per origin: four times the modalities per site
    ask well under four times as many chains."""
    from imgpolicy.docs.topology import OriginPaths

    real = OriginPaths.chain
    asked = {}
    for scale, load in estates.items():
        result = check((load.folder,), Config(), today=TODAY)
        count = {"n": 0}

        def counting(self, title, count=count):
            count["n"] += 1
            return real(self, title)

        monkeypatch.setattr(OriginPaths, "chain", counting)
        render_module._Builder(result, load.folder, TODAY, Config()).paths()
        monkeypatch.setattr(OriginPaths, "chain", real)
        asked[scale] = count["n"]
    assert 0 < asked[4] < asked[1] * 2.5, asked


class _CountedList(list):
    """A list that counts how often it is gone through."""

    def __init__(self, items):
        super().__init__(items)
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        return super().__iter__()


def test_summary_and_continuity_go_through_devices_and_findings_a_fixed_number_of_times(
    growing,
):
    """The summary lists each site's devices from one pass over the estate's devices
    (before: one pass per site), and the disaster-recovery table finds the stale plans
    in one pass over the findings (before: one per plan): twice the sites, the same
    number of passes."""
    passes = {}
    for scale, folder in growing.items():
        result = check((folder,), Config(), today=TODAY)
        builder = render_module._Builder(result, folder, TODAY, Config())
        devices = _CountedList(builder.env.devices)
        builder.env.__dict__["devices"] = devices
        builder.summary()
        findings = _CountedList(result.findings)
        result.findings = findings
        builder.continuity()
        passes[scale] = (devices.passes, findings.passes)
        assert builder.env.continuity and len(builder.env.sites) == GROWING[scale]["sites"]
    assert passes[1] == passes[2], passes
