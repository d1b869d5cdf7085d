"""The shared analyses and the rules grow linearly with the estate (issue 15).

No clocks: the work is counted (routes looked at, AE lookups) on the benchmark
generator's environment at two sizes, four times apart. Linear work grows about 4x; work
that pairs every store with every origin grows about 16x. benchmarks/rules_scaling.py
measures the time; these tests keep the fixed algorithms from sliding back.
"""

from __future__ import annotations

import datetime

import pytest

from imgpolicy.analysis import reach as reach_module
from imgpolicy.analysis.index import Index
from imgpolicy.analysis.reach import Reach
from imgpolicy.load import load_environment
from imgpolicy.rules.pid import SharedStoreWithoutIssuer

from .conftest import benchmark, generated

TODAY = datetime.date(2026, 11, 1)
SIZES = {1: dict(sites=4, aes=200, routes=800), 4: dict(sites=16, aes=800, routes=3200)}
BAR = 4 * 1.1
"""Four times the estate may cost four times the work, and 10% for what does not divide
evenly (the generator's extras, the enterprise systems that do not grow)."""


@pytest.fixture(scope="module")
def estates(tmp_path_factory):
    """The generated environment at both sizes, half its sites without an issuer (so
    PID002 has stores of several sites to report), loaded once."""
    loads = {}
    for scale, size in SIZES.items():
        folder = generated(tmp_path_factory, f"estate{scale}x", **size)
        sites = folder / "sites.yaml"
        lines = sites.read_text().splitlines(keepends=True)
        issuers = [i for i, line in enumerate(lines) if "patient_id_issuer:" in line]
        for i in reversed(issuers[1::2]):
            del lines[i]
        sites.write_text("".join(lines))
        loads[scale] = load_environment([str(folder)])
        assert not loads[scale].findings
    return loads


def _growth(counts: dict[int, int]) -> float:
    assert counts[1] > 0
    return counts[4] / counts[1]


def test_reach_of_every_origin_is_linear(estates, monkeypatch):
    """Every origin's reach (TEL, PID, house rules, --down, diff): the VNA that every
    site's router feeds, and that prefetches to every PACS, is walked once per kind of
    items it receives, not once per router (which made it stores x routers)."""
    looked_at = {1: 0, 4: 0}
    real = reach_module._let_through

    for scale, load in estates.items():

        def counting(*args, scale=scale):
            looked_at[scale] += 1
            return real(*args)

        monkeypatch.setattr(reach_module, "_let_through", counting)
        Reach.of(Index(load, TODAY)).origins_reaching(frozenset())  # every origin's reach
    assert _growth(looked_at) <= BAR, looked_at


def test_pid002_is_linear_and_still_reports(estates, monkeypatch):
    """PID002 judges each image store by the sites of the modalities whose studies reach
    it: per group of origins that reach the same stores, not per store and origin."""
    lookups = {1: 0, 4: 0}
    found = {}
    real = Index.device_of
    for scale, load in estates.items():
        index = Index(load, TODAY)
        Reach.of(index).origins_reaching(frozenset())  # the shared analysis, counted above

        def counting(self, title, scale=scale):
            lookups[scale] += 1
            return real(self, title)

        monkeypatch.setattr(Index, "device_of", counting)
        found[scale] = list(SharedStoreWithoutIssuer().check(index))
        monkeypatch.setattr(Index, "device_of", real)
    assert _growth(lookups) <= BAR, lookups
    # the enterprise VNA and every PACS (priors prefetched from the VNA) store studies of
    # every site, half of which declare no issuer
    for scale, size in SIZES.items():
        stores = sorted(f.message.split(" stores ")[0] for f in found[scale])
        assert len(stores) == size["sites"] + 1 and stores[-1].startswith("vna "), stores
        sites = [f"S{n:02d}" for n in range(1, size["sites"] + 1)]
        assert all(", ".join(sites[1::2]) + " declare no Issuer" in f.message for f in found[scale])


DECLARED_SIZES = {1: dict(sites=8, aes=200, routes=800), 4: dict(sites=32, aes=800, routes=3200)}
"""Many sites per AE, so that stores (one PACS per site) x groups of origins (about two per
site) outweighs the per-AE work the rule does anyway."""


def test_pid002_where_every_site_declares_its_issuer_is_linear(tmp_path_factory):
    """The benchmark's own estate: every site declares its issuer and every PACS gets
    every site's priors from the VNA. PID002 used to judge every store against every
    group of origins (stores x groups, 12.7x the calls at 10x the estate) to report
    nothing; now only the stores that studies of a site without an issuer reach are
    judged."""
    counted = {}
    for scale, size in DECLARED_SIZES.items():
        folder = generated(tmp_path_factory, f"declared{scale}x", **size)
        load = load_environment([str(folder)])
        assert not load.findings
        index = Index(load, TODAY)
        Reach.of(index).origins_reaching(frozenset())  # the shared analysis, counted above
        found: list = []
        counted[scale] = benchmark("rules_scaling").calls(
            lambda index=index, found=found: found.extend(SharedStoreWithoutIssuer().check(index))
        )
        assert found == []
        assert len(Reach.of(index).groups()) >= size["sites"]  # the pairs the old way paid for
    assert _growth(counted) <= BAR, counted


def test_dr005_looks_up_a_fallbacks_integrations_instead_of_scanning_them(tmp_path_factory):
    """Each PACS's continuity plan names the site's downtime viewer, which no route feeds
    (it reads the VNA over DICOMweb): DR005 scanned every integration of the estate for
    each plan (plans x integrations: 27x the lines at 10x the estate); now it looks the
    viewer's integrations up, built once per check."""
    from imgpolicy.rules.dr import NoReadOnlyFallback

    executed = {}
    for scale, size in DECLARED_SIZES.items():
        folder = generated(tmp_path_factory, f"fallback{scale}x", **size)
        index = Index(load_environment([str(folder)]), TODAY)
        plans = [p for p in index.env.continuity if p.read_only_fallback]
        assert len(plans) >= size["sites"]  # a fallback per site: the pairs the old way paid for
        found: list = []
        executed[scale] = benchmark("rules_scaling").lines(
            lambda index=index, found=found: found.extend(NoReadOnlyFallback().check(index))
        )
        assert found == []
    assert _growth(executed) <= BAR, executed


def test_an_outage_walks_again_only_what_reached_the_down_system(estates, monkeypatch):
    """`check --down` and the documents' failure-impact table (one outage per critical
    system): what never reached the down system keeps its reach; with the RIS down (a
    worklist provider no study goes to) no origin is walked again, and the lookups that
    every lost destination asks for (which AEs are PACS, which sites are DR sites) are
    made once per check, not once per acquisition AE."""
    from imgpolicy.analysis import outage as outage_module
    from imgpolicy.model.environment import Environment

    real_walk = Reach._walk
    for scale, load in estates.items():
        index = Index(load, TODAY)
        Reach.of(index).origins_reaching(frozenset())
        walks = {"n": 0}

        def counting_walk(self, start, origin, walks=walks):
            walks["n"] += 1
            return real_walk(self, start, origin)

        monkeypatch.setattr(Reach, "_walk", counting_walk)
        ris = outage_module.outage(index, ["ris-s01"])
        assert walks["n"] == 0, (scale, walks)
        assert ris.sites["S01"] == {"worklist": ris.sites["S01"]["worklist"]}
        monkeypatch.setattr(Reach, "_walk", real_walk)

    listed = {1: 0, 4: 0}
    real_listing = Environment.application_entities
    for scale, load in estates.items():
        index = Index(load, TODAY)
        index.flow  # noqa: B018 - built before counting

        def counting(self, scale=scale):
            listed[scale] += 1
            return real_listing(self)

        monkeypatch.setattr(Environment, "application_entities", counting)
        lost = outage_module.outage(index, ["vna-ent"])
        monkeypatch.setattr(Environment, "application_entities", real_listing)
        assert lost.flows and all("archive of record" in {p for p, _ in f.lost} for f in lost.flows)
    assert listed[4] <= listed[1] + 2, listed
